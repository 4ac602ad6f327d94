package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
	"github.com/swarmgate/swarmgate/internal/testwait"
)

const testToken = "s3cret"

// testServer is a Proxy behind the traffic Server, on loopback.
type testServer struct {
	URL    string
	client *http.Client
}

func (s *testServer) Client() *http.Client { return s.client }

// newTestProxy returns a proxy with a test logger, served by Server as in
// production.
func newTestProxy(t testing.TB, cfg Config) (*Proxy, *testServer) {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		cfg.Logger = testr.NewWithOptions(tt, testr.Options{Verbosity: 1})
	}
	if cfg.Token == nil {
		cfg.Token = []byte(testToken)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Proxy: p, Logger: cfg.Logger}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != ErrServerClosed {
			t.Errorf("Serve: %v", err)
		}
		p.Close()
	})
	return p, &testServer{URL: "http://" + l.Addr().String(), client: client}
}

// namedBackend answers every request with its name in X-Backend and the
// body "<name> <path>?<query>".
func namedBackend(t testing.TB, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", name)
		fmt.Fprintf(w, "%s %s", name, r.URL.RequestURI())
	}))
	t.Cleanup(s.Close)
	return s
}

func addr(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

// table builds a table; rt builds a route to addrs.
func table(gen, epoch int64, routes ...v1alpha1.Route) *v1alpha1.RoutingTable {
	return &v1alpha1.RoutingTable{APIVersion: v1alpha1.APIVersion, Generation: gen, Epoch: epoch, Routes: routes}
}

func rt(service, host, prefix string, addrs ...string) v1alpha1.Route {
	r := v1alpha1.Route{Service: service, Host: host, PathPrefix: prefix, Backends: []v1alpha1.Backend{}}
	for i, a := range addrs {
		r.Backends = append(r.Backends, v1alpha1.Backend{Address: a, Task: fmt.Sprintf("%s.%d", service, i+1)})
	}
	return r
}

func mustApply(t testing.TB, p *Proxy, tab *v1alpha1.RoutingTable) {
	t.Helper()
	if err := p.Apply(tab); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// get sends a GET with the given Host and returns status, X-Backend and body.
func get(t testing.TB, c *http.Client, url, host string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s (Host %s): %v", url, host, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header.Get("X-Backend"), string(b)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, 5*time.Second, what, testwait.True(cond))
}

// testutilCount sums the samples of a counter or gauge family in p's registry.
func testutilCount(t testing.TB, p *Proxy, name string) float64 {
	t.Helper()
	mfs, err := p.gather.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}
