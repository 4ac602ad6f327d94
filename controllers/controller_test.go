package controllers

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/swarm"
	"github.com/go-logr/logr"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
	"github.com/swarmgate/swarmgate/internal/logtest"
)

// The routing scenarios: each step changes the swarm (and emits the event
// Docker would, if any) and every proxy must end up serving want.
func TestControllerConvergesEveryProxy(t *testing.T) {
	web := service("svcweb", "web", routeLabels("/web", "8000"))
	api := service("svcapi", "api", routeLabels("/api", "9000"))
	webMoved := web
	webMoved.Spec.Labels = routeLabels("/site", "8000")

	type step struct {
		name     string
		services []swarm.Service
		tasks    []swarm.Task
		event    events.Action // "" when Swarm sends none (task changes)
		want     map[string][]string
	}
	tests := []struct {
		name  string
		steps []step
	}{{
		name: "new service is routed",
		steps: []step{
			{name: "empty swarm", want: map[string][]string{}},
			{name: "web created", services: []swarm.Service{web},
				tasks: []swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")}, event: events.ActionCreate,
				want: map[string][]string{"/web": {"10.0.1.5:8000"}}},
		},
	}, {
		name: "scale up and down",
		steps: []step{
			{name: "one task", services: []swarm.Service{web}, tasks: []swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")},
				want: map[string][]string{"/web": {"10.0.1.5:8000"}}},
			{name: "three tasks", services: []swarm.Service{web}, tasks: []swarm.Task{
				running("t1", "svcweb", 1, "10.0.1.5"), running("t2", "svcweb", 2, "10.0.1.6"), running("t3", "svcweb", 3, "10.0.1.7")},
				want: map[string][]string{"/web": {"10.0.1.5:8000", "10.0.1.6:8000", "10.0.1.7:8000"}}},
			{name: "back to one", services: []swarm.Service{web}, tasks: []swarm.Task{
				running("t1", "svcweb", 1, "10.0.1.5"),
				task("t2", "svcweb", 2, swarm.TaskStateRemove, swarm.TaskStateRunning, "10.0.1.6"),
				task("t3", "svcweb", 3, swarm.TaskStateRemove, swarm.TaskStateShutdown, "10.0.1.7")},
				want: map[string][]string{"/web": {"10.0.1.5:8000"}}},
		},
	}, {
		name: "task with desired state shutdown is removed while it still runs",
		steps: []step{
			{name: "two tasks", services: []swarm.Service{web}, tasks: []swarm.Task{
				running("t1", "svcweb", 1, "10.0.1.5"), running("t2", "svcweb", 2, "10.0.1.6")},
				want: map[string][]string{"/web": {"10.0.1.5:8000", "10.0.1.6:8000"}}},
			{name: "rolling update stops t2", services: []swarm.Service{web}, tasks: []swarm.Task{
				running("t1", "svcweb", 1, "10.0.1.5"),
				task("t2", "svcweb", 2, swarm.TaskStateShutdown, swarm.TaskStateRunning, "10.0.1.6")},
				want: map[string][]string{"/web": {"10.0.1.5:8000"}}},
		},
	}, {
		name: "service removed",
		steps: []step{
			{name: "two services", services: []swarm.Service{web, api}, tasks: []swarm.Task{
				running("t1", "svcweb", 1, "10.0.1.5"), running("a1", "svcapi", 1, "10.0.1.9")},
				want: map[string][]string{"/web": {"10.0.1.5:8000"}, "/api": {"10.0.1.9:9000"}}},
			{name: "api removed", services: []swarm.Service{web}, tasks: []swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")},
				event: events.ActionRemove, want: map[string][]string{"/web": {"10.0.1.5:8000"}}},
		},
	}, {
		name: "label changed",
		steps: []step{
			{name: "on /web", services: []swarm.Service{web}, tasks: []swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")},
				want: map[string][]string{"/web": {"10.0.1.5:8000"}}},
			{name: "moved to /site", services: []swarm.Service{webMoved}, tasks: []swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")},
				event: events.ActionUpdate, want: map[string][]string{"/site": {"10.0.1.5:8000"}}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newFakeDaemon(t)
			proxies, port := startProxies(t, 3)
			opts := testOptions(d, t, resolverFor(proxies), port)
			// Only events and the resync may relist services: a missed
			// event must fail the test, not be papered over by a resync.
			opts.ResyncPeriod = time.Hour
			c, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				d.set(s.services, s.tasks)
				if i == 0 {
					runController(t, c, 7, logr.Discard())
				}
				if s.event != "" {
					d.emit(events.ServiceEventType, s.event, "web")
				}
				t.Logf("step %q", s.name)
				allServe(t, proxies, s.want)
			}
			assertStatusInSync(t, c, len(proxies))
		})
	}
}

func assertStatusInSync(t *testing.T, c *Controller, replicas int) {
	t.Helper()
	eventually(t, "status shows every replica in sync", func() error {
		s := c.Status()
		if !s.IsLeader || s.Epoch != 7 || s.Generation < 1 {
			return fmt.Errorf("isLeader=%v epoch=%d generation=%d", s.IsLeader, s.Epoch, s.Generation)
		}
		if len(s.Replicas) != replicas {
			return fmt.Errorf("%d replicas, want %d", len(s.Replicas), replicas)
		}
		for _, r := range s.Replicas {
			if !r.InSync || r.AckedGeneration != s.Generation || r.AckedEpoch != 7 || r.LastSuccess.IsZero() {
				return fmt.Errorf("replica not in sync: %+v", r)
			}
		}
		return nil
	})
}

func TestControllerRepushesToRestartedProxy(t *testing.T) {
	d := newFakeDaemon(t)
	d.set([]swarm.Service{service("svcweb", "web", routeLabels("/web", "8000"))},
		[]swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")})
	proxies, port := startProxies(t, 2)
	opts := testOptions(d, t, resolverFor(proxies), port)
	// The resync re-verifies every replica: it is what notices a proxy
	// that restarted empty at the same address.
	opts.ResyncPeriod = 200 * time.Millisecond
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	want := map[string][]string{"/web": {"10.0.1.5:8000"}}
	allServe(t, proxies, want)

	proxies[1].stop()
	restarted := startProxy(t, proxies[1].ip, port)
	if restarted.proxy.Current() != nil {
		t.Fatal("a restarted proxy must start without a table for this test to mean anything")
	}
	allServe(t, []*testProxy{restarted}, want)
}

func TestControllerDeadReplicaDoesNotBlockOthers(t *testing.T) {
	d := newFakeDaemon(t)
	web := service("svcweb", "web", routeLabels("/web", "8000"))
	d.set([]swarm.Service{web}, []swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")})
	proxies, port := startProxies(t, 2)

	// 127.0.0.20 refuses connections; 127.0.0.21 accepts and never answers.
	blackHole := blackHoleListener(t, "127.0.0.21", port)
	resolver := resolverFor(proxies)
	resolver.set(proxies[0].ip, proxies[1].ip, "127.0.0.20", "127.0.0.21")

	opts := testOptions(d, t, resolver, port)
	opts.PushTimeout = time.Hour // the black hole's push stays in flight all test long
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	allServe(t, proxies, map[string][]string{"/web": {"10.0.1.5:8000"}})
	eventually(t, "the black hole holds a push", func() error {
		if blackHole.accepted() == 0 {
			return errors.New("no connection yet")
		}
		return nil
	})

	// A second generation must reach the live replicas while the first
	// push to the black hole is still in flight.
	d.set([]swarm.Service{web}, []swarm.Task{running("t1", "svcweb", 1, "10.0.1.5"), running("t2", "svcweb", 2, "10.0.1.6")})
	allServe(t, proxies, map[string][]string{"/web": {"10.0.1.5:8000", "10.0.1.6:8000"}})

	eventually(t, "status reports the dead replicas", func() error {
		s := c.Status()
		byAddr := map[string]ReplicaStatus{}
		for _, r := range s.Replicas {
			byAddr[r.Address] = r
		}
		refused := byAddr[fmt.Sprintf("127.0.0.20:%d", port)]
		if refused.InSync || refused.LastError == "" || !refused.LastSuccess.IsZero() {
			return fmt.Errorf("refusing replica: %+v", refused)
		}
		if hole := byAddr[fmt.Sprintf("127.0.0.21:%d", port)]; hole.InSync {
			return fmt.Errorf("black-holed replica: %+v", hole)
		}
		return nil
	})
}

func TestControllerStopsOnNewerEpoch(t *testing.T) {
	d := newFakeDaemon(t)
	proxies, port := startProxies(t, 2)
	newer := &v1alpha1.RoutingTable{APIVersion: v1alpha1.APIVersion, Epoch: 9, Generation: 1, Routes: []v1alpha1.Route{}}
	if err := proxies[1].proxy.Apply(newer); err != nil {
		t.Fatal(err)
	}
	// A black-holed replica holds a push all test long: Run must still
	// return at once, cancelling it.
	blackHoleListener(t, "127.0.0.21", port)
	resolver := resolverFor(proxies)
	resolver.set(proxies[0].ip, proxies[1].ip, "127.0.0.21")
	opts := testOptions(d, t, resolver, port)
	opts.PushTimeout = time.Hour
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Sink{}
	done := runController(t, c, 7, logs.Logger())
	select {
	case err := <-done:
		var stale *StaleEpochError
		if !errors.Is(err, ErrLostLeadership) || !errors.As(err, &stale) || *stale != (StaleEpochError{Epoch: 7, Held: 9}) {
			t.Fatalf("Run returned %v, want a StaleEpochError of epoch 7 holding 9 that is ErrLostLeadership", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after a proxy reported a newer epoch")
	}
	if n := logs.Count(`"lost leadership: a proxy holds a newer epoch"`); n != 1 {
		t.Errorf("logged the lost leadership %d times, want once", n)
	}
	if n := logs.Count(`"lost leadership: a proxy holds a newer epoch"`, `"epoch"=7`, `"heldEpoch"=9`); n != 1 {
		t.Errorf("the lost leadership log lacks epoch 7 and heldEpoch 9: %d lines match", n)
	}
	for _, l := range logs.Lines() {
		if strings.Count(l, `"epoch"=`) > 1 {
			t.Errorf("log line carries the key epoch twice: %s", l)
		}
	}
	if s := c.Status(); s.IsLeader {
		t.Errorf("status after the term: isLeader = true")
	}
}

func TestControllerNumbersAboveAGenerationHeldInItsEpoch(t *testing.T) {
	d := newFakeDaemon(t)
	proxies, port := startProxies(t, 1)
	// A controller restarted within the same epoch (--leader-elect=false,
	// same second) finds a proxy at generation 41.
	held := &v1alpha1.RoutingTable{APIVersion: v1alpha1.APIVersion, Epoch: 7, Generation: 41, Routes: []v1alpha1.Route{}}
	if err := proxies[0].proxy.Apply(held); err != nil {
		t.Fatal(err)
	}
	c, err := New(testOptions(d, t, resolverFor(proxies), port))
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	eventually(t, "the proxy accepts a generation above 41", func() error {
		if g := proxies[0].proxy.Current().Generation; g != 42 {
			return fmt.Errorf("proxy holds generation %d", g)
		}
		return nil
	})
}

func TestControllerEventStreamReconnects(t *testing.T) {
	d := newFakeDaemon(t)
	proxies, port := startProxies(t, 1)
	opts := testOptions(d, t, resolverFor(proxies), port)
	opts.ResyncPeriod = time.Hour // only an event can make it see a new service
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	allServe(t, proxies, map[string][]string{})
	eventually(t, "subscribed", func() error {
		if d.openStreams() != 1 {
			return errors.New("no event stream")
		}
		return nil
	})

	d.closeStreams() // as when dockerd restarts
	eventually(t, "resubscribed", func() error {
		if n := d.callCounts()["Events"]; n < 2 || d.openStreams() != 1 {
			return fmt.Errorf("%d subscriptions, %d open", n, d.openStreams())
		}
		return nil
	})
	allServe(t, proxies, map[string][]string{}) // the reconnect's relist is done
	d.set([]swarm.Service{service("svcweb", "web", routeLabels("/web", "8000"))},
		[]swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")})
	d.emit(events.ServiceEventType, events.ActionCreate, "web")
	allServe(t, proxies, map[string][]string{"/web": {"10.0.1.5:8000"}})
}

func TestControllerFindsReplicasInTaskListWhenDNSLags(t *testing.T) {
	d := newFakeDaemon(t)
	proxies, port := startProxies(t, 2)
	proxySvc := service("svcproxy", testProxyName, nil)
	d.set([]swarm.Service{proxySvc, service("svcweb", "web", routeLabels("/web", "8000"))}, []swarm.Task{
		running("t1", "svcweb", 1, "10.0.1.5"),
		running("p1", "svcproxy", 1, proxies[0].ip),
		running("p2", "svcproxy", 2, proxies[1].ip),
	})
	resolver := &fakeResolver{}
	resolver.set(proxies[0].ip) // DNS does not know the second replica yet
	c, err := New(testOptions(d, t, resolver, port))
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	allServe(t, proxies, map[string][]string{"/web": {"10.0.1.5:8000"}})
}

func TestControllerLogsEachProblemOnce(t *testing.T) {
	d := newFakeDaemon(t)
	proxies, port := startProxies(t, 1)
	bad := service("svcweb", "web", map[string]string{"proxy.path": "/web", "proxy.port": "http"})
	d.set([]swarm.Service{bad}, []swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")})
	opts := testOptions(d, t, resolverFor(proxies), port)
	opts.ResyncPeriod = 20 * time.Millisecond // relist on nearly every poll
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Sink{}
	runController(t, c, 7, logs.Logger())
	eventually(t, "many reconciles", func() error {
		if n := d.callCounts()["ServiceList"]; n < 10 {
			return fmt.Errorf("%d service lists", n)
		}
		return nil
	})
	problem := []string{`"route problem"`, `"service"="web"`, `"label"="proxy.port"`, `"value"="http"`, `"severity"="error"`}
	if n := logs.Count(problem...); n != 1 {
		t.Errorf("problem logged %d times, want once", n)
	}
	if s := c.Status(); len(s.Problems) != 1 || s.Problems[0].Label != "proxy.port" {
		t.Errorf("status problems = %+v", s.Problems)
	}

	d.set([]swarm.Service{service("svcweb", "web", routeLabels("/web", "8000"))}, []swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")})
	allServe(t, proxies, map[string][]string{"/web": {"10.0.1.5:8000"}})
	eventually(t, "resolution logged", func() error {
		if n := logs.Count(`"route problem resolved"`, `"label"="proxy.port"`); n != 1 {
			return fmt.Errorf("resolution logged %d times", n)
		}
		return nil
	})
	if n := logs.Count(problem...); n != 1 {
		t.Errorf("problem logged %d times in all, want once", n)
	}
}

// Swarm reuses the IPs of gone tasks: a new proxy task at the IP of the
// old one starts empty, and the task ID in the TaskList is what tells.
func TestControllerRepushesToNewProxyTaskAtSameIP(t *testing.T) {
	d := newFakeDaemon(t)
	proxies, port := startProxies(t, 1)
	proxySvc := service("svcproxy", testProxyName, nil)
	web := service("svcweb", "web", routeLabels("/web", "8000"))
	d.set([]swarm.Service{proxySvc, web}, []swarm.Task{
		running("t1", "svcweb", 1, "10.0.1.5"), running("p1", "svcproxy", 1, proxies[0].ip)})
	opts := testOptions(d, t, resolverFor(proxies), port)
	opts.ResyncPeriod = time.Hour // no periodic re-verification to hide behind
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	want := map[string][]string{"/web": {"10.0.1.5:8000"}}
	allServe(t, proxies, want)

	proxies[0].stop()
	replacement := startProxy(t, proxies[0].ip, port)
	d.set([]swarm.Service{proxySvc, web}, []swarm.Task{
		running("t1", "svcweb", 1, "10.0.1.5"), running("p2", "svcproxy", 1, proxies[0].ip)})
	allServe(t, []*testProxy{replacement}, want)
	if s := c.Status(); len(s.Replicas) != 1 || s.Replicas[0].Task != "p2" {
		t.Errorf("status replicas = %+v, want one at task p2", s.Replicas)
	}
}

func TestControllerNumbersAboveAConflictingGeneration(t *testing.T) {
	d := newFakeDaemon(t)
	proxies, port := startProxies(t, 1)
	// A controller restarted within the same epoch numbered another table
	// generation 1: the proxy refuses ours under that number, and the
	// controller must not count it as served.
	other := &v1alpha1.RoutingTable{APIVersion: v1alpha1.APIVersion, Epoch: 7, Generation: 1, Routes: []v1alpha1.Route{
		{Service: "gone", PathPrefix: "/gone", Backends: []v1alpha1.Backend{{Address: "10.9.9.9:80"}}},
	}}
	if err := proxies[0].proxy.Apply(other); err != nil {
		t.Fatal(err)
	}
	c, err := New(testOptions(d, t, resolverFor(proxies), port))
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	eventually(t, "the proxy serves the controller's table as generation 2", func() error {
		if cur := proxies[0].proxy.Current(); cur.Generation != 2 || len(cur.Routes) != 0 {
			return fmt.Errorf("proxy holds generation %d with %d routes", cur.Generation, len(cur.Routes))
		}
		return nil
	})
}
