package reconcile

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// desiredCase is one snapshot whose table and problems are kept in
// testdata/<name>.golden.json.
type desiredCase struct {
	name     string
	services []Service
	tasks    []Task
	// opts defaults to defaultOpts.
	opts *Options
}

// golden is what a golden file holds.
type golden struct {
	Table    v1alpha1.RoutingTable `json:"table"`
	Problems []v1alpha1.Problem    `json:"problems"`
}

func desiredCases() []desiredCase {
	return []desiredCase{
		{
			name:     "single_route",
			services: []Service{web("s1", "web", 0)},
			tasks: []Task{
				running("t2", "s1", "10.0.1.6"),
				running("t1", "s1", "10.0.1.5"),
				task("t3", "s1", "shutdown", "running", on(proxyNet, "10.0.1.7/24")),
				task("t4", "s1", "running", "failed", on(proxyNet, "10.0.1.8/24")),
			},
		},
		{
			// One service per label rule, each going through Desired.
			name: "label_rules",
			services: []Service{
				svc("a1", "path-missing", 0, labels("proxy.port", "80"), proxyNet),
				svc("a2", "path-relative", 0, labels("proxy.path", "app", "proxy.port", "80"), proxyNet),
				svc("a3", "path-space", 0, labels("proxy.path", "/my app", "proxy.port", "80"), proxyNet),
				svc("a4", "path-dotdot", 0, labels("proxy.path", "/a/../b", "proxy.port", "80"), proxyNet),
				svc("a5", "path-double-slash", 0, labels("proxy.path", "/a//b", "proxy.port", "80"), proxyNet),
				svc("a6", "path-control", 0, labels("proxy.path", "/a\tb", "proxy.port", "80"), proxyNet),
				svc("a7", "path-query", 0, labels("proxy.path", "/a?b=1", "proxy.port", "80"), proxyNet),
				svc("a8", "path-fragment", 0, labels("proxy.path", "/a#b", "proxy.port", "80"), proxyNet),
				svc("a9", "path-cleaned", 0, labels("proxy.path", "/app/./v1/", "proxy.port", "80"), proxyNet),
				svc("b1", "port-missing", 0, labels("proxy.path", "/b1"), proxyNet),
				svc("b2", "port-zero", 0, labels("proxy.path", "/b2", "proxy.port", "0"), proxyNet),
				svc("b3", "port-too-big", 0, labels("proxy.path", "/b3", "proxy.port", "65536"), proxyNet),
				svc("b4", "port-not-number", 0, labels("proxy.path", "/b4", "proxy.port", "http"), proxyNet),
				svc("b5", "port-max", 0, labels("proxy.path", "/b5", "proxy.port", " 65535 "), proxyNet),
				svc("c1", "hosts-cleaned", 0, labels("proxy.path", "/", "proxy.port", "80", "proxy.host", "B.example.com, a.example.com,*.Example.com,a.example.com"), proxyNet),
				svc("c2", "host-underscore", 0, labels("proxy.path", "/", "proxy.port", "80", "proxy.host", "my_app.example.com"), proxyNet),
				svc("c3", "host-port", 0, labels("proxy.path", "/", "proxy.port", "80", "proxy.host", "example.com:8080"), proxyNet),
				svc("c4", "host-two-wildcards", 0, labels("proxy.path", "/", "proxy.port", "80", "proxy.host", "*.*.example.com"), proxyNet),
				svc("c5", "host-inner-wildcard", 0, labels("proxy.path", "/", "proxy.port", "80", "proxy.host", "a.*.example.com"), proxyNet),
				svc("c6", "host-empty-item", 0, labels("proxy.path", "/c6", "proxy.port", "80", "proxy.host", "a.example.com,"), proxyNet),
				svc("d1", "strip-true", 0, labels("proxy.path", "/d1", "proxy.port", "80", "proxy.strip-prefix", "true"), proxyNet),
				svc("d2", "strip-invalid", 0, labels("proxy.path", "/d2", "proxy.port", "80", "proxy.strip-prefix", "yes"), proxyNet),
				svc("e1", "network-invalid", 0, labels("proxy.path", "/e1", "proxy.port", "80", "proxy.network", "-net"), proxyNet),
				svc("f1", "unknown-key", 0, labels("proxy.path", "/f1", "proxy.port", "80", "proxy.paht", "/f"), proxyNet),
				svc("f2", "unknown-far-key", 0, labels("proxy.path", "/f2", "proxy.port", "80", "proxy.weight", "3"), proxyNet),
				svc("g1", "route0-twice", 0, labels("proxy.path", "/g1", "proxy.0.path", "/g1", "proxy.port", "80"), proxyNet),
				svc("g2", "route0-mixed", 0, labels("proxy.0.path", "/g2", "proxy.port", "80"), proxyNet),
			},
			tasks: []Task{running("tc1", "c1", "10.0.3.1"), running("td1", "d1", "10.0.4.1")},
		},
		{
			name: "indexed_routes",
			services: []Service{svc("s1", "api", 0, labels(
				"proxy.path", "/v0", "proxy.port", "8000",
				"proxy.1.path", "/v1", "proxy.1.port", "8001", "proxy.1.strip-prefix", "true",
				"proxy.2.path", "/v2", "proxy.2.port", "99999",
				"proxy.3.port", "8003",
				"proxy.12.path", "/v12", "proxy.12.port", "8012", "proxy.12.host", "api.example.com",
				"proxy.01.path", "/v01",
				"proxy.1000.path", "/v1000",
			), proxyNet)},
			tasks: []Task{running("t1", "s1", "10.0.1.5")},
		},
		{
			name: "conflict_older_wins",
			services: []Service{
				web("s-new", "newer", 10),
				web("s-old", "older", 5),
			},
			tasks: []Task{running("tn", "s-new", "10.0.1.10"), running("to", "s-old", "10.0.1.5")},
		},
		{
			name: "conflict_older_wins_listed_last",
			services: []Service{
				web("s-old", "older", 5),
				web("s-new", "newer", 10),
			},
			tasks: []Task{running("tn", "s-new", "10.0.1.10"), running("to", "s-old", "10.0.1.5")},
		},
		{
			name: "conflict_tie_lower_id_wins",
			services: []Service{
				web("id-b", "alpha", 0),
				web("id-a", "zulu", 0),
			},
			tasks: []Task{running("tb", "id-b", "10.0.1.2"), running("ta", "id-a", "10.0.1.1")},
		},
		{
			name: "conflict_same_service",
			services: []Service{svc("s1", "web", 0, labels(
				"proxy.path", "/app/", "proxy.port", "80",
				"proxy.1.path", "/app", "proxy.1.port", "81",
				"proxy.2.path", "/other", "proxy.2.port", "82",
			), proxyNet)},
			tasks: []Task{running("t1", "s1", "10.0.1.5")},
		},
		{
			// Only the contested host is lost; the newer service keeps its other host.
			name: "conflict_per_host",
			services: []Service{
				web("s1", "old", 0, "proxy.host", "a.example.com,b.example.com"),
				web("s2", "new", 1, "proxy.host", "b.example.com,c.example.com"),
			},
			tasks: []Task{running("t1", "s1", "10.0.1.1"), running("t2", "s2", "10.0.1.2")},
		},
		{
			// The older service cannot be routed (wrong network), so the newer one
			// keeps the route: a conflict never drops both.
			name: "conflict_loser_of_network_problem_does_not_claim",
			services: []Service{
				svc("s1", "old-detached", 0, labels("proxy.path", "/", "proxy.port", "80"), "backend"),
				web("s2", "new", 1),
			},
			tasks: []Task{running("t2", "s2", "10.0.1.2")},
		},
		{
			name: "networks",
			services: []Service{
				svc("s1", "default-network", 0, labels("proxy.path", "/a", "proxy.port", "80"), "backend", proxyNet),
				svc("s2", "chosen-network", 0, labels("proxy.path", "/b", "proxy.port", "80", "proxy.network", "backend"), proxyNet, "backend"),
				svc("s3", "chosen-network-detached", 0, labels("proxy.path", "/c", "proxy.port", "80", "proxy.network", "frontend"), proxyNet),
				svc("s4", "proxy-network-detached", 0, labels("proxy.path", "/d", "proxy.port", "80"), "backend"),
				svc("s5", "indexed-network", 0, labels(
					"proxy.path", "/e", "proxy.port", "80",
					"proxy.1.path", "/e-backend", "proxy.1.port", "81", "proxy.1.network", "backend",
					"proxy.2.path", "/e-nowhere", "proxy.2.port", "82", "proxy.2.network", "nowhere",
				), proxyNet, "backend"),
			},
			tasks: []Task{
				task("t1", "s1", "running", "running", on("backend", "10.0.2.1/24"), on(proxyNet, "10.0.1.1/24")),
				task("t2", "s2", "running", "running", on(proxyNet, "10.0.1.2/24"), on("backend", "10.0.2.2/24")),
				task("t3", "s3", "running", "running", on(proxyNet, "10.0.1.3/24")),
				task("t4", "s4", "running", "running", on("backend", "10.0.2.4/24")),
				task("t5", "s5", "running", "running", on(proxyNet, "10.0.1.5/24"), on("backend", "10.0.2.5/24")),
				// Attached to the service's networks but without an address yet: skipped.
				task("t6", "s5", "running", "running", on(proxyNet), on("backend", "not-an-ip/24")),
				task("t7", "s5", "running", "running"),
			},
		},
		{
			name:     "no_proxy_network_configured",
			services: []Service{web("s1", "web", 0), web("s2", "chosen", 0, "proxy.path", "/c", "proxy.network", proxyNet)},
			tasks:    []Task{running("t1", "s1", "10.0.1.1"), running("t2", "s2", "10.0.1.2")},
			opts:     &Options{},
		},
		{
			name: "global_service",
			services: []Service{func() Service {
				s := web("s1", "agent", 0, "proxy.path", "/metrics")
				s.Global = true
				return s
			}()},
			tasks: []Task{
				{ID: "t-n1", ServiceID: "s1", NodeID: "n1", DesiredState: "running", State: "running", Networks: []NetworkAttachment{on(proxyNet, "10.0.1.11/24")}},
				{ID: "t-n2", ServiceID: "s1", NodeID: "n2", DesiredState: "running", State: "running", Networks: []NetworkAttachment{on(proxyNet, "10.0.1.12/24")}},
				{ID: "t-n3", ServiceID: "s1", NodeID: "n3", DesiredState: "shutdown", State: "running", Networks: []NetworkAttachment{on(proxyNet, "10.0.1.13/24")}},
				{ID: "t-n3b", ServiceID: "s1", NodeID: "n3", DesiredState: "running", State: "starting", Networks: []NetworkAttachment{on(proxyNet, "10.0.1.14/24")}},
			},
		},
		{
			name:     "task_states",
			services: []Service{web("s1", "web", 0)},
			tasks: []Task{
				task("t-running", "s1", "running", "running", on(proxyNet, "10.0.1.1/24")),
				task("t-draining-shutdown", "s1", "shutdown", "running", on(proxyNet, "10.0.1.2/24")),
				task("t-draining-remove", "s1", "remove", "running", on(proxyNet, "10.0.1.3/24")),
				task("t-starting", "s1", "running", "starting", on(proxyNet, "10.0.1.4/24")),
				task("t-preparing", "s1", "running", "preparing", on(proxyNet, "10.0.1.5/24")),
				task("t-failed", "s1", "shutdown", "failed", on(proxyNet, "10.0.1.6/24")),
				task("t-complete", "s1", "shutdown", "complete", on(proxyNet, "10.0.1.7/24")),
				task("t-orphaned", "s1", "running", "orphaned", on(proxyNet, "10.0.1.8/24")),
			},
		},
		{
			name:     "multi_host",
			services: []Service{web("s1", "site", 0, "proxy.host", "www.example.com,example.com,*.example.org", "proxy.strip-prefix", "false")},
			tasks:    []Task{running("t1", "s1", "10.0.1.1"), running("t2", "s1", "10.0.1.2")},
		},
		{
			name: "empty_backends",
			services: []Service{
				web("s1", "scaled-to-zero", 0, "proxy.path", "/zero"),
				web("s2", "restarting", 0, "proxy.path", "/restarting"),
			},
			tasks: []Task{task("t1", "s2", "shutdown", "running", on(proxyNet, "10.0.1.1/24")), task("t2", "s2", "running", "starting", on(proxyNet, "10.0.1.2/24"))},
		},
		{
			name:     "ipv6",
			services: []Service{web("s1", "web", 0)},
			tasks: []Task{
				task("t1", "s1", "running", "running", on(proxyNet, "FD00:0:0::5/64")),
				task("t2", "s1", "running", "running", on(proxyNet, "::/64", "10.0.1.2/24")),
				task("t3", "s1", "running", "running", on(proxyNet, "fe80::1%eth0/64")), // zoned: skipped
			},
		},
		{
			name: "custom_prefix",
			services: []Service{
				svc("s1", "sg-labelled", 0, labels("sg.path", "/sg", "sg.port", "80", "sg.1.path", "/sg1", "sg.1.port", "81", "sg.pth", "/x"), proxyNet),
				svc("s2", "proxy-labelled", 0, labels("proxy.path", "/proxy", "proxy.port", "80"), proxyNet),
			},
			tasks: []Task{running("t1", "s1", "10.0.1.1"), running("t2", "s2", "10.0.1.2")},
			opts:  &Options{Schema: v1alpha1.LabelSchema{Prefix: "sg"}, ProxyNetwork: proxyNet},
		},
		{
			name: "unlabelled_and_orphan_tasks",
			services: []Service{
				svc("s1", "db", 0, labels("com.example.team", "data", "proxyish", "x"), proxyNet),
				svc("s2", "nolabels", 0, nil, proxyNet),
			},
			tasks: []Task{running("t1", "s1", "10.0.1.1"), running("t9", "gone", "10.0.1.9")},
		},
		{name: "empty"},
	}
}

func TestDesiredGolden(t *testing.T) {
	for _, tc := range desiredCases() {
		t.Run(tc.name, func(t *testing.T) {
			opts := defaultOpts
			if tc.opts != nil {
				opts = *tc.opts
			}
			table, problems := Desired(tc.services, tc.tasks, opts)
			got := marshalGolden(t, table, problems)
			path := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run go test ./reconcile -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Desired output differs from %s (rerun with -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

func marshalGolden(t *testing.T, table v1alpha1.RoutingTable, problems []v1alpha1.Problem) []byte {
	t.Helper()
	if problems == nil {
		problems = []v1alpha1.Problem{}
	}
	b, err := json.MarshalIndent(golden{Table: table, Problems: problems}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}
