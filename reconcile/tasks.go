package reconcile

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// serving reports whether t may receive traffic. Both states must be running:
// Swarm sets the desired state to shutdown or remove seconds before it stops
// the container, and routing away at once is what drains the task.
func serving(t *Task) bool {
	return t.DesiredState == TaskStateRunning && t.State == TaskStateRunning
}

// taskIndex groups the serving tasks of the routed services, built once per
// Desired call so that each service finds its tasks without scanning them all.
type taskIndex struct {
	all []Task
	// order holds indexes into all, service i's in order[start[i]:start[i+1]].
	order []int32
	start []int32
	// buf and ends are scratch space reused by backends.
	buf  []byte
	ends []int
}

// indexServingTasks indexes the serving tasks of services, by position in
// services. It is a counting sort: one map lookup per task, no per-service
// allocation, and each service's tasks keep their input order.
func indexServingTasks(tasks []Task, services []*Service) taskIndex {
	position := make(map[string]int32, len(services))
	for i, svc := range services {
		position[svc.ID] = int32(i)
	}
	start := make([]int32, len(services)+1)
	owner := make([]int32, len(tasks)) // position of the task's service, or -1
	for i := range tasks {
		owner[i] = -1
		if t := &tasks[i]; serving(t) {
			if p, ok := position[t.ServiceID]; ok {
				owner[i] = p
				start[p+1]++
			}
		}
	}
	for p := range services {
		start[p+1] += start[p]
	}
	order := make([]int32, start[len(services)])
	next := slices.Clone(start[:len(services)])
	for i, p := range owner {
		if p >= 0 {
			order[next[p]] = int32(i)
			next[p]++
		}
	}
	return taskIndex{all: tasks, order: order, start: start}
}

// of returns the indexes of the serving tasks of the service at position p.
func (x *taskIndex) of(p int) []int32 {
	return x.order[x.start[p]:x.start[p+1]]
}

// backends addresses tasks at their IP on network. A task without an address
// there (its attachment not reported yet) is left out rather than guessed.
// The addresses of one route share a single string allocation: at thousands
// of tasks, one string per address is most of Desired's garbage.
func (x *taskIndex) backends(tasks []int32, network string, port uint16) []v1alpha1.Backend {
	out := make([]v1alpha1.Backend, 0, len(tasks))
	buf, ends := x.buf[:0], x.ends[:0]
	for _, i := range tasks {
		t := &x.all[i]
		addr, ok := taskIP(t, network)
		if !ok {
			continue
		}
		// AddrPort formats IPv6 as [addr]:port, as a Backend address must be.
		buf = netip.AddrPortFrom(addr, port).AppendTo(buf)
		ends = append(ends, len(buf))
		out = append(out, v1alpha1.Backend{Task: t.ID})
	}
	all, start := string(buf), 0
	for j, end := range ends {
		out[j].Address = all[start:end]
		start = end
	}
	x.buf, x.ends = buf, ends
	return out
}

// taskIP returns the first usable IP of t on network, from Swarm's CIDR form
// ("10.0.1.5/24"). Unparsable, unspecified and zoned addresses are skipped.
func taskIP(t *Task, network string) (netip.Addr, bool) {
	for _, a := range t.Networks {
		if a.Network != network {
			continue
		}
		for _, cidr := range a.Addresses {
			ip, _, _ := strings.Cut(cidr, "/")
			addr, err := netip.ParseAddr(ip)
			// A zone names an interface of one host, so other hosts cannot use it.
			if err == nil && !addr.IsUnspecified() && addr.Zone() == "" {
				return addr, true
			}
		}
	}
	return netip.Addr{}, false
}
