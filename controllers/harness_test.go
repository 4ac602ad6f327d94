package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
	"github.com/swarmgate/swarmgate/internal/testwait"
	"github.com/swarmgate/swarmgate/proxy"
)

var testToken = []byte("s3cret-token")

// testProxy is an in-process proxy whose admin API listens on ip:port, as a
// proxy task does on its overlay IP.
type testProxy struct {
	ip    string
	port  int
	proxy *proxy.Proxy
	srv   *http.Server
}

// startProxy starts a proxy admin API on ip:port (port 0: any free one).
func startProxy(t testing.TB, ip string, port int) *testProxy {
	t.Helper()
	tp, err := listenProxy(ip, port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tp.stop)
	return tp
}

func listenProxy(ip string, port int) (*testProxy, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	p, err := proxy.New(proxy.Config{Token: testToken, Logger: logr.Discard(), Registry: prometheus.NewRegistry()})
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	tp := &testProxy{ip: ip, port: ln.Addr().(*net.TCPAddr).Port, proxy: p, srv: &http.Server{Handler: p.AdminHandler()}}
	go func() { _ = tp.srv.Serve(ln) }()
	return tp, nil
}

// stop closes the proxy and its listener, as when its container dies.
func (tp *testProxy) stop() {
	_ = tp.srv.Close()
	tp.proxy.Close()
}

// startProxies starts n proxies on 127.0.0.2, 127.0.0.3, ... sharing one
// admin port, like the replicas of a proxy service. The port is free on
// 127.0.0.2 but may be taken on another address: then it tries another.
func startProxies(t testing.TB, n int) ([]*testProxy, int) {
	t.Helper()
	var lastErr error
	for range 10 {
		proxies, err := tryStartProxies(n)
		if err == nil {
			for _, p := range proxies {
				t.Cleanup(p.stop)
			}
			return proxies, proxies[0].port
		}
		lastErr = err
	}
	t.Fatalf("start %d proxies: %v", n, lastErr)
	return nil, 0
}

func tryStartProxies(n int) ([]*testProxy, error) {
	first, err := listenProxy("127.0.0.2", 0)
	if err != nil {
		return nil, err
	}
	proxies := []*testProxy{first}
	for i := 1; i < n; i++ {
		p, err := listenProxy(fmt.Sprintf("127.0.0.%d", i+2), first.port)
		if err != nil {
			for _, p := range proxies {
				p.stop()
			}
			return nil, err
		}
		proxies = append(proxies, p)
	}
	return proxies, nil
}

// fakeResolver answers LookupHost with a settable list of addresses.
type fakeResolver struct {
	mu    sync.Mutex
	addrs []string
	err   error // returned instead of addrs when set
}

func (r *fakeResolver) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

func (r *fakeResolver) set(addrs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = addrs
}

func (r *fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	if len(r.addrs) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return append([]string(nil), r.addrs...), nil
}

func resolverFor(proxies []*testProxy) *fakeResolver {
	r := &fakeResolver{}
	for _, p := range proxies {
		r.addrs = append(r.addrs, p.ip)
	}
	return r
}

// testOptions are Options with intervals short enough for tests.
func testOptions(d *fakeDaemon, t testing.TB, r Resolver, port int) Options {
	return Options{
		Docker:             d.client(t),
		Resolver:           r,
		Registry:           prometheus.NewRegistry(),
		Identity:           "test-controller",
		ProxyService:       testProxyName,
		ProxyNetwork:       testNetworkName,
		ProxyAdminPort:     port,
		Token:              testToken,
		PushTimeout:        2 * time.Second,
		FastPollInterval:   10 * time.Millisecond,
		FastPollWindow:     time.Second,
		SteadyPollInterval: 50 * time.Millisecond,
		ResyncPeriod:       time.Minute,
		ResolveInterval:    20 * time.Millisecond,
	}
}

// runController runs c with epoch until the test ends, and returns a
// channel that receives Run's result.
func runController(t testing.TB, c *Controller, epoch int64, log logr.Logger) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(logr.NewContext(context.Background(), log))
	done, exited := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(exited)
		done <- c.Run(ctx, epoch)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context was cancelled")
		}
	})
	return done
}

// eventually polls cond until it returns nil or the deadline passes.
func eventually(t testing.TB, what string, cond func() error) {
	t.Helper()
	testwait.Until(t, 10*time.Second, what, cond)
}

// routeSummary is a table reduced to what routing tests check:
// "host/path -> backend addresses".
func routeSummary(tab *v1alpha1.RoutingTable) map[string][]string {
	out := map[string][]string{}
	for _, r := range tab.Routes {
		addrs := []string{}
		for _, b := range r.Backends {
			addrs = append(addrs, b.Address)
		}
		out[r.Host+r.PathPrefix] = addrs
	}
	return out
}

// allServe waits until every proxy serves want.
func allServe(t testing.TB, proxies []*testProxy, want map[string][]string) {
	t.Helper()
	for _, p := range proxies {
		eventually(t, "proxy "+p.ip+" serves the routes", func() error {
			table := p.proxy.Current()
			if table == nil {
				return errors.New("no table")
			}
			got := routeSummary(table)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("got %v, want %v", got, want)
			}
			return nil
		})
	}
}
