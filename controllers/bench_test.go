package controllers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// BenchmarkPushFanOut pushes a 2,000-route table to 1 or 20 replicas per op
// and waits for every acknowledgement. With "proxy", the replicas are real
// in-process proxies that decode, validate and compile each table, all on
// this machine's cores: that is 20 proxies' work, which in production is
// spread over 20 nodes. With "ack-only", each replica reads the body and
// acknowledges it, which isolates the controller's part: encoding once and
// 20 PUTs over loopback.
func BenchmarkPushFanOut(b *testing.B) {
	const routes = 2000
	for _, bc := range []struct {
		name     string
		replicas int
		start    func(b *testing.B, n int) (map[netip.Addr]string, int, func(int64) error)
	}{
		{name: "proxy", replicas: 1, start: startBenchProxies},
		{name: "proxy", replicas: 20, start: startBenchProxies},
		{name: "ack-only", replicas: 20, start: startAckOnly},
	} {
		replicas := bc.replicas
		b.Run(fmt.Sprintf("routes=%d/replicas=%d/replica=%s", routes, replicas, bc.name), func(b *testing.B) {
			ips, port, check := bc.start(b, replicas)
			m, err := newMetrics(prometheus.NewRegistry())
			if err != nil {
				b.Fatal(err)
			}
			// A generous timeout: on a loaded machine 20 proxies compiling
			// at once may take seconds, which is slow, not failed.
			p := newPusher(newPushClient(testToken, time.Minute), port, 32, time.Hour, RealClock{}, m, func(int64) {})
			p.setReplicas(ips)
			base := benchTable(routes, 3)
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				t := base
				t.Epoch, t.Generation = 1, int64(i+1)
				p.setTable(&t, time.Now())
				snap, batch := p.claim()
				if len(batch) != replicas {
					_, status := p.snapshot()
					b.Fatalf("claimed %d replicas, want %d: %+v", len(batch), replicas, status)
				}
				p.fanOut(ctx, snap, batch)
			}
			b.StopTimer()
			if err := check(int64(b.N)); err != nil {
				b.Fatal(err)
			}
			_, status := p.snapshot()
			for _, r := range status {
				if !r.InSync {
					b.Fatalf("replica %s not in sync: %s", r.Address, r.LastError)
				}
			}
		})
	}
}

func startBenchProxies(b *testing.B, n int) (map[netip.Addr]string, int, func(int64) error) {
	proxies, port := startProxies(b, n)
	ips := map[netip.Addr]string{}
	for _, tp := range proxies {
		ips[netip.MustParseAddr(tp.ip)] = ""
	}
	return ips, port, func(generation int64) error {
		for _, tp := range proxies {
			if got := tp.proxy.Current(); got == nil || got.Generation != generation || len(got.Routes) != 2000 {
				return fmt.Errorf("proxy %s did not get the last table", tp.ip)
			}
		}
		return nil
	}
}

// startAckOnly starts n admin endpoints that read the table and
// acknowledge the generation they find at its start, without decoding it.
func startAckOnly(b *testing.B, n int) (map[netip.Addr]string, int, func(int64) error) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var head struct {
			Epoch      int64 `json:"epoch"`
			Generation int64 `json:"generation"`
		}
		// The encoded table starts with apiVersion, generation and epoch:
		// decode those and stop at "routes".
		i := bytes.Index(body, []byte(`,"routes"`))
		_ = json.Unmarshal(append(body[:i:i], '}'), &head)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"epoch":%d,"generation":%d}`, head.Epoch, head.Generation)
	})
	ips := map[netip.Addr]string{}
	port := 0
	for i := range n {
		ip := fmt.Sprintf("127.0.0.%d", i+2)
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			b.Skipf("listen on %s: %v", ip, err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		srv := &http.Server{Handler: handler}
		go func() { _ = srv.Serve(ln) }()
		b.Cleanup(func() { _ = srv.Close() })
		ips[netip.MustParseAddr(ip)] = ""
	}
	return ips, port, func(int64) error { return nil }
}

func benchTable(routes, backends int) v1alpha1.RoutingTable {
	t := v1alpha1.RoutingTable{APIVersion: v1alpha1.APIVersion}
	for i := range routes {
		r := v1alpha1.Route{Service: fmt.Sprintf("app%04d", i), PathPrefix: fmt.Sprintf("/app%d", i)}
		for j := range backends {
			r.Backends = append(r.Backends, v1alpha1.Backend{
				Address: fmt.Sprintf("10.%d.%d.%d:8080", 1+i/250, i%250, 2+j), Task: fmt.Sprintf("svc%04d-t%d", i, j)})
		}
		t.Routes = append(t.Routes, r)
	}
	t.Canonicalize()
	return t
}

// memSwarm is a SwarmReader over slices, to measure the controller's own
// CPU without HTTP and JSON.
type memSwarm struct {
	services []swarm.Service
	tasks    []swarm.Task
}

func (s *memSwarm) ServiceList(context.Context, swarm.ServiceListOptions) ([]swarm.Service, error) {
	return s.services, nil
}

func (s *memSwarm) TaskList(context.Context, swarm.TaskListOptions) ([]swarm.Task, error) {
	return s.tasks, nil
}

func (s *memSwarm) NetworkList(context.Context, network.ListOptions) ([]network.Summary, error) {
	return testNetworks, nil
}

// BenchmarkReconcile measures one reconcile at 2,000 services with 10
// tasks each. "full" relists services and changes one task every op, so
// each op also numbers, encodes and publishes a new table: the worst case.
// "poll" is the steady state: one TaskList, nothing changed. "docker-http"
// is "full" through the Docker client against the fake daemon, JSON
// included.
func BenchmarkReconcile(b *testing.B) {
	services, tasks := bigSwarm(2000, 10)
	for _, bc := range []struct {
		name   string
		http   bool
		change bool
	}{
		{name: "services=2000/full", change: true},
		{name: "services=2000/poll"},
		{name: "services=2000/docker-http", http: true, change: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			mem := &memSwarm{services: services, tasks: append([]swarm.Task(nil), tasks...)}
			var api SwarmReader = mem
			var d *fakeDaemon
			if bc.http {
				d = newFakeDaemon(b)
				d.set(services, tasks)
				api = d.client(b)
			}
			m, err := newMetrics(prometheus.NewRegistry())
			if err != nil {
				b.Fatal(err)
			}
			p := newPusher(newPushClient(testToken, time.Second), 8081, 1, time.Hour, RealClock{}, m, func(int64) {})
			r := &reconciler{
				api: api, clock: RealClock{}, proxyService: testProxyName, resyncPeriod: time.Hour, epoch: 1,
				problems:   problemTracker{},
				publish:    func(t *v1alpha1.RoutingTable, _ []v1alpha1.Problem, at time.Time) { p.setTable(t, at) },
				proxyTasks: func(map[netip.Addr]string) {},
			}
			r.opts.ProxyNetwork = testNetworkName
			ctx := context.Background()
			if err := r.reconcile(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if bc.change {
					r.servicesStale.Store(true)
					state := swarm.TaskStateRunning
					if i%2 == 0 {
						state = swarm.TaskStateFailed
					}
					if d != nil {
						tasks := append([]swarm.Task(nil), tasks...)
						tasks[0].Status.State = state
						d.set(services, tasks)
					} else {
						mem.tasks[0].Status.State = state
					}
				}
				if err := r.reconcile(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if want := int64(1); bc.change {
				if r.generation != int64(b.N)+want {
					b.Fatalf("generation %d after %d changes", r.generation, b.N)
				}
			} else if r.generation != want {
				b.Fatalf("generation %d without changes", r.generation)
			}
		})
	}
}
