package reconcile

import (
	"testing"
)

// swarmTaskStates are all of Swarm's task states, observed or desired.
var swarmTaskStates = []string{
	"new", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running",
	"complete", "shutdown", "failed", "rejected", "remove", "orphaned",
}

// TestDesiredTaskStates checks every DesiredState x State pair: only a task
// that Swarm both wants and reports running is a backend, which is how a task
// drains (desired shutdown or remove while still running) before it stops.
func TestDesiredTaskStates(t *testing.T) {
	for _, desired := range swarmTaskStates {
		for _, state := range swarmTaskStates {
			t.Run(desired+"/"+state, func(t *testing.T) {
				tasks := []Task{task("t1", "s1", desired, state, on(proxyNet, "10.0.1.1/24"))}
				table, problems := Desired([]Service{web("s1", "web", 0)}, tasks, defaultOpts)
				if len(problems) != 0 {
					t.Fatalf("problems: %v", problems)
				}
				if len(table.Routes) != 1 {
					t.Fatalf("got %d routes, want 1 (a route stays without backends)", len(table.Routes))
				}
				want := 0
				if desired == "running" && state == "running" {
					want = 1
				}
				if got := len(table.Routes[0].Backends); got != want {
					t.Errorf("desired %q, state %q: got %d backends, want %d", desired, state, got, want)
				}
			})
		}
	}
}
