package reconcile

import (
	"net"
	"net/netip"
	"strings"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// serving reports whether t may receive traffic. Both states must be running:
// Swarm sets the desired state to shutdown or remove seconds before it stops
// the container, and routing away at once is what drains the task.
func serving(t *Task) bool {
	return t.DesiredState == TaskStateRunning && t.State == TaskStateRunning
}

// taskIndex groups the serving tasks by service ID, built once per Desired
// call so that each service finds its tasks without scanning them all.
type taskIndex struct {
	all   []Task
	spans map[string]span
	// order holds indexes into all, each service's in one contiguous run.
	order []int32
}

type span struct {
	start, n, filled int32
	placed           bool
}

func indexServingTasks(tasks []Task) taskIndex {
	spans := make(map[string]span)
	total := 0
	for i := range tasks {
		if t := &tasks[i]; serving(t) {
			s := spans[t.ServiceID]
			s.n++
			spans[t.ServiceID] = s
			total++
		}
	}
	// Runs are laid out in the order services first appear in tasks, not in
	// map order, so that the index is the same on every call.
	order := make([]int32, total)
	next := int32(0)
	for i := range tasks {
		t := &tasks[i]
		if !serving(t) {
			continue
		}
		s := spans[t.ServiceID]
		if !s.placed {
			s.placed = true
			s.start = next
			next += s.n
		}
		order[s.start+s.filled] = int32(i)
		s.filled++
		spans[t.ServiceID] = s
	}
	return taskIndex{all: tasks, spans: spans, order: order}
}

// of returns the indexes of serviceID's serving tasks.
func (x taskIndex) of(serviceID string) []int32 {
	s := x.spans[serviceID]
	return x.order[s.start : s.start+s.n]
}

// backends addresses tasks at their IP on network. A task without an address
// there (its attachment not reported yet) is left out rather than guessed.
func (x taskIndex) backends(tasks []int32, network, port string) []v1alpha1.Backend {
	out := make([]v1alpha1.Backend, 0, len(tasks))
	for _, i := range tasks {
		t := &x.all[i]
		if ip, ok := taskIP(t, network); ok {
			out = append(out, v1alpha1.Backend{Address: net.JoinHostPort(ip, port), Task: t.ID})
		}
	}
	return out
}

// taskIP returns the first usable IP of t on network, from Swarm's CIDR form
// ("10.0.1.5/24"). IPv6 addresses come back in their canonical form.
// Unparsable, unspecified and zoned addresses are skipped.
func taskIP(t *Task, network string) (string, bool) {
	for _, a := range t.Networks {
		if a.Network != network {
			continue
		}
		for _, cidr := range a.Addresses {
			ip, _, _ := strings.Cut(cidr, "/")
			addr, err := netip.ParseAddr(ip)
			// A zone names an interface of one host, so other hosts cannot use it.
			if err != nil || addr.IsUnspecified() || addr.Zone() != "" {
				continue
			}
			if addr.Is4() {
				return ip, true // already canonical: ParseAddr rejects other IPv4 spellings
			}
			return addr.String(), true
		}
	}
	return "", false
}
