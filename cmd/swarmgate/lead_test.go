package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
	"github.com/swarmgate/swarmgate/controllers"
	"github.com/swarmgate/swarmgate/controllers/leaderelection"
	"github.com/swarmgate/swarmgate/internal/logtest"
	"github.com/swarmgate/swarmgate/internal/testwait"
	"github.com/swarmgate/swarmgate/proxy"
)

const leadTestToken = "t0ken"

// heldProxy is an in-process proxy that already serves a table of epoch,
// as proxies do from their state file after the lock Config was deleted.
func heldProxy(t *testing.T, epoch int64) (*proxy.Proxy, int) {
	t.Helper()
	p, err := proxy.New(proxy.Config{Token: []byte(leadTestToken), Logger: logr.Discard(), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if err := p.Apply(&v1alpha1.RoutingTable{APIVersion: v1alpha1.APIVersion, Epoch: epoch, Generation: 5, Routes: []v1alpha1.Route{}}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p.AdminHandler()}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p, ln.Addr().(*net.TCPAddr).Port
}

type loopbackResolver struct{}

func (loopbackResolver) LookupHost(context.Context, string) ([]string, error) {
	return []string{"127.0.0.1"}, nil
}

// electedController is a controller of the empty swarm d pushing to the
// proxy on port, elected through lock with a 100ms retry period.
func electedController(t *testing.T, d *emptySwarm, port int) (*controllers.Controller, *client.Client) {
	t.Helper()
	docker, err := client.NewClientWithOpts(client.WithHost("tcp://"+strings.TrimPrefix(d.URL, "http://")), client.WithVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = docker.Close() })
	c, err := controllers.New(controllers.Options{
		Docker: docker, Resolver: loopbackResolver{}, Registry: prometheus.NewRegistry(), Identity: "me",
		ProxyService: "swarmgate_proxy", ProxyNetwork: "swarmgate", ProxyAdminPort: port, Token: []byte(leadTestToken),
		PushTimeout: 2 * time.Second, ResolveInterval: 20 * time.Millisecond,
		FastPollInterval: 20 * time.Millisecond, SteadyPollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, docker
}

func electConfig(lock leaderelection.Lock) leaderelection.Config {
	return leaderelection.Config{Lock: lock, LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond}
}

// startElect runs electWith until stop or the end of the test; done gets
// its error.
func startElect(t *testing.T, ctx context.Context, c *controllers.Controller, cfg leaderelection.Config) (done <-chan error, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	result, exited := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(exited)
		result <- electWith(ctx, c, cfg)
	}()
	stop = func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Error("electWith did not return after its context was cancelled")
		}
	}
	t.Cleanup(stop)
	return result, stop
}

func poll(t *testing.T, what string, cond func() error) {
	t.Helper()
	testwait.Until(t, 10*time.Second, what, cond)
}

// The lock Config was deleted while the proxies held epoch 9: the fresh
// leader starts at epoch 1 and must raise its epoch above 9 and lead on,
// not exit once per epoch.
func TestFreshLeaderRaisesItsEpochAboveTheProxies(t *testing.T) {
	d := newEmptySwarm(t)
	p, port := heldProxy(t, 9)
	c, docker := electedController(t, d, port)
	lock, err := leaderelection.NewSwarmConfigLock(docker, "", "me")
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Sink{}
	done, stop := startElect(t, logr.NewContext(context.Background(), logs.Logger()), c, electConfig(lock))

	poll(t, "the proxy serves the leader's table in epoch 10", func() error {
		if cur := p.Current(); cur.Epoch != 10 || cur.Generation != 1 {
			return fmt.Errorf("proxy serves epoch %d generation %d", cur.Epoch, cur.Generation)
		}
		return nil
	})
	if got := d.lockLabel(leaderelection.LabelEpoch); got != "10" {
		t.Errorf("lock epoch = %q, want 10", got)
	}
	// The renew loop keeps leading in epoch 10.
	renewed := d.lockLabel(leaderelection.LabelRenewTime)
	poll(t, "the leader renews its lease in epoch 10", func() error {
		if got := d.lockLabel(leaderelection.LabelRenewTime); got == renewed {
			return errors.New("not renewed")
		}
		if h, e := d.lockLabel(leaderelection.LabelHolder), d.lockLabel(leaderelection.LabelEpoch); h != "me" || e != "10" {
			return fmt.Errorf("lock held by %q in epoch %s", h, e)
		}
		return nil
	})
	select {
	case err := <-done:
		t.Fatalf("the leader stopped: %v", err)
	default:
	}
	if s := c.Status(); !s.IsLeader || s.Epoch != 10 {
		t.Errorf("status: isLeader %v, epoch %d; want the leader of epoch 10", s.IsLeader, s.Epoch)
	}
	if n := logs.Count(`"msg"="raised epoch above the one a proxy holds"`, `"heldEpoch"=9 "epoch"=10`); n != 1 {
		t.Errorf("logged the raise %d times, want once:\n%s", n, logs)
	}
	// On shutdown the leader releases the lock it holds in epoch 10.
	stop()
	if err := <-done; err != nil {
		t.Errorf("electWith = %v after shutdown, want nil", err)
	}
	if h, e := d.lockLabel(leaderelection.LabelHolder), d.lockLabel(leaderelection.LabelEpoch); h != "" || e != "10" {
		t.Errorf("lock held by %q in epoch %s after shutdown, want released in epoch 10", h, e)
	}
}

// takenOverLock is a lock whose record another candidate takes over right
// after this one created it: this candidate leads epoch 1 believing it holds
// the lock, as a deposed leader does until its next renewal.
type takenOverLock struct {
	leaderelection.Lock
}

func (l takenOverLock) Create(ctx context.Context, rec leaderelection.LeaderElectionRecord) error {
	if err := l.Lock.Create(ctx, rec); err != nil {
		return err
	}
	_, version, err := l.Get(ctx)
	if err != nil {
		return err
	}
	rec.HolderIdentity = "successor"
	rec.Epoch = 9
	return l.Update(ctx, rec, version)
}

// A proxy holding a newer epoch because another candidate really leads
// must still end the term: no raise, no push in the raised epoch.
func TestDeposedLeaderStillStops(t *testing.T) {
	d := newEmptySwarm(t)
	p, port := heldProxy(t, 9)
	c, docker := electedController(t, d, port)
	lock, err := leaderelection.NewSwarmConfigLock(docker, "", "me")
	if err != nil {
		t.Fatal(err)
	}
	// A renewal would find the takeover too: make the push find it first.
	cfg := electConfig(takenOverLock{lock})
	cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = time.Minute, 50*time.Second, 40*time.Second
	done, _ := startElect(t, context.Background(), c, cfg)

	select {
	case err := <-done:
		if !errors.Is(err, controllers.ErrLostLeadership) || !errors.Is(err, leaderelection.ErrLeadershipLost) {
			t.Fatalf("electWith = %v, want the lost leadership and the refused raise", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the deposed leader did not stop")
	}
	if h, e := d.lockLabel(leaderelection.LabelHolder), d.lockLabel(leaderelection.LabelEpoch); h != "successor" || e != "9" {
		t.Errorf("lock held by %q in epoch %s, want the successor's untouched", h, e)
	}
	if cur := p.Current(); cur.Epoch != 9 || cur.Generation != 5 {
		t.Errorf("proxy serves epoch %d generation %d, want the successor's 9/5", cur.Epoch, cur.Generation)
	}
}
