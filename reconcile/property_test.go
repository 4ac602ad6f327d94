package reconcile

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// TestDesiredDeterministic shuffles every golden case's inputs (service and
// task order, network order) and expects byte-identical output.
func TestDesiredDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range desiredCases() {
		t.Run(tc.name, func(t *testing.T) {
			opts := defaultOpts
			if tc.opts != nil {
				opts = *tc.opts
			}
			table, problems := Desired(tc.services, tc.tasks, opts)
			want := marshalGolden(t, table, problems)
			for range 20 {
				services, tasks := shuffled(rng, tc.services, tc.tasks)
				table, problems := Desired(services, tasks, opts)
				if got := marshalGolden(t, table, problems); !bytes.Equal(got, want) {
					t.Fatalf("shuffled input gave different output\ngot:\n%s\nwant:\n%s", got, want)
				}
			}
		})
	}
}

// shuffled copies the inputs in a random order. Addresses within an
// attachment keep their order: the first usable one is the task's IP.
func shuffled(rng *rand.Rand, services []Service, tasks []Task) ([]Service, []Task) {
	ss := slices.Clone(services)
	for i := range ss {
		ss[i].Networks = slices.Clone(ss[i].Networks)
		rng.Shuffle(len(ss[i].Networks), func(a, b int) { ss[i].Networks[a], ss[i].Networks[b] = ss[i].Networks[b], ss[i].Networks[a] })
	}
	rng.Shuffle(len(ss), func(a, b int) { ss[a], ss[b] = ss[b], ss[a] })
	ts := slices.Clone(tasks)
	for i := range ts {
		ts[i].Networks = slices.Clone(ts[i].Networks)
		rng.Shuffle(len(ts[i].Networks), func(a, b int) { ts[i].Networks[a], ts[i].Networks[b] = ts[i].Networks[b], ts[i].Networks[a] })
	}
	rng.Shuffle(len(ts), func(a, b int) { ts[a], ts[b] = ts[b], ts[a] })
	return ss, ts
}

// TestDesiredAlwaysValid generates random snapshots, valid and not, and checks
// what must hold for any input: the table passes Validate, every backend is a
// running task of the route's service, and every problem names a service and
// a label.
func TestDesiredAlwaysValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		services, tasks := randomSnapshot(rng)
		table, problems := Desired(services, tasks, defaultOpts)
		table.APIVersion = v1alpha1.APIVersion
		if err := table.Validate(); err != nil {
			t.Fatalf("snapshot %d: table does not validate: %v\nservices: %+v", i, err, services)
		}
		checkBackends(t, table, services, tasks)
		for _, p := range problems {
			if p.Service == "" || p.Label == "" || p.Reason == "" {
				t.Fatalf("snapshot %d: problem without service, label or reason: %+v", i, p)
			}
		}
	}
}

func checkBackends(t *testing.T, table v1alpha1.RoutingTable, services []Service, tasks []Task) {
	t.Helper()
	serviceOf := map[string]string{} // task ID -> service name, for serving tasks only
	for _, tk := range tasks {
		if tk.DesiredState == "running" && tk.State == "running" {
			for _, s := range services {
				if s.ID == tk.ServiceID {
					serviceOf[tk.ID] = s.Name
				}
			}
		}
	}
	for _, r := range table.Routes {
		for _, b := range r.Backends {
			if serviceOf[b.Task] != r.Service {
				t.Fatalf("route of %q has backend task %q, which is not a running task of it", r.Service, b.Task)
			}
		}
	}
}

var (
	randomPaths    = []string{"/", "/a", "/a/", "/b/c", "a", "/a//b", "/../x", "", "/x y", "/q?x"}
	randomPorts    = []string{"80", "8080", "0", "65536", "x", ""}
	randomHosts    = []string{"", "a.example.com", "A.example.com,b.example.com", "*.example.com", "bad_host", "a.example.com:80", "*.*.x"}
	randomNetworks = []string{"", proxyNet, "backend", "-bad"}
	randomStates   = []string{"running", "running", "shutdown", "remove", "starting", "failed"}
	randomAddrs    = []string{"10.0.1.%d/24", "fd00::%d/64", "garbage%d", ""}
)

func randomSnapshot(rng *rand.Rand) ([]Service, []Task) {
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	var services []Service
	var tasks []Task
	for s := range rng.IntN(8) {
		l := map[string]string{}
		for route := range rng.IntN(3) + 1 {
			prefix := "proxy."
			if route > 0 || rng.IntN(4) == 0 {
				prefix = fmt.Sprintf("proxy.%d.", route)
			}
			if p := pick(randomPaths); p != "" || rng.IntN(2) == 0 {
				l[prefix+"path"] = p
			}
			if p := pick(randomPorts); p != "" {
				l[prefix+"port"] = p
			}
			if h := pick(randomHosts); h != "" {
				l[prefix+"host"] = h
			}
			if n := pick(randomNetworks); n != "" {
				l[prefix+"network"] = n
			}
		}
		networks := slices.DeleteFunc(slices.Clone(randomNetworks[1:3]), func(string) bool { return rng.IntN(3) == 0 })
		id := fmt.Sprintf("s%d", s)
		services = append(services, Service{
			ID: id, Name: "svc" + id, Labels: l, Networks: networks,
			CreatedAt: epoch.Add(time.Duration(rng.IntN(3)) * time.Hour),
		})
		for k := range rng.IntN(4) {
			var atts []NetworkAttachment
			for _, n := range networks {
				atts = append(atts, on(n, fmt.Sprintf(pick(randomAddrs), rng.IntN(250)+1)))
			}
			tasks = append(tasks, task(fmt.Sprintf("%s-t%d", id, k), id, pick(randomStates), pick(randomStates), atts...))
		}
	}
	return services, tasks
}

// TestDesiredRoutesShareNoBackends edits the backends of one host's route and
// expects the route of the service's other host to be unaffected.
func TestDesiredRoutesShareNoBackends(t *testing.T) {
	table, _ := Desired([]Service{web("s1", "site", 0, "proxy.host", "a.example.com,b.example.com")},
		[]Task{running("t1", "s1", "10.0.1.1")}, defaultOpts)
	if len(table.Routes) != 2 {
		t.Fatalf("got %d routes, want 2", len(table.Routes))
	}
	table.Routes[0].Backends[0].Task = "edited"
	if table.Routes[1].Backends[0].Task != "t1" {
		t.Error("routes of one service's hosts share their backends slice")
	}
}
