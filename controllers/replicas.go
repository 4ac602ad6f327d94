package controllers

import (
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// replica is one proxy task, keyed by its IP on the proxy network.
type replica struct {
	ip   netip.Addr
	addr string // host:port of its admin API
	// task is the proxy task at this IP, when the TaskList showed it.
	task string
	// acked is the version the proxy last acknowledged.
	ackedEpoch, ackedGeneration int64
	// verified is false until the proxy acknowledged since the last
	// re-verification: a proxy restarted at the same IP holds nothing, and
	// only a push tells.
	verified bool
	// incarnation grows whenever what answers at this IP may have changed
	// (a new task, a re-verification); claimedFor is the incarnation the
	// push in flight was started for. A push that was under way while a new
	// task took the IP reached the old task, so its answer must not count.
	incarnation, claimedFor uint64
	lastError               string
	lastSuccess             time.Time
	inflight                bool
	retryAt                 time.Time
	backoff                 backoff
}

func (r *replica) current(t *v1alpha1.RoutingTable) bool {
	return r.verified && r.ackedEpoch == t.Epoch && r.ackedGeneration == t.Generation
}

// setReplicas replaces the set of known replicas: IP to task ID, empty when
// unknown. New ones are pushed to at once, and so are replicas whose task
// changed: Swarm reuses the IPs of gone tasks, and a new proxy task at an
// old IP holds none of its predecessor's table. Gone replicas are
// forgotten, with their metrics.
func (p *pusher) setReplicas(want map[netip.Addr]string) {
	p.mu.Lock()
	added := false
	for ip, task := range want {
		r, ok := p.replicas[ip]
		if !ok {
			r = &replica{
				ip:      ip,
				addr:    net.JoinHostPort(ip.String(), strconv.Itoa(p.port)),
				backoff: backoff{base: pushBackoffBase, max: pushBackoffMax},
			}
			p.replicas[ip] = r
			added = true
		}
		if task == "" || task == r.task {
			continue
		}
		if r.task != "" {
			// A new task at this IP: push at once, whatever its
			// predecessor acknowledged or failed.
			r.verified, r.retryAt = false, time.Time{}
			r.incarnation++
			r.backoff.reset()
			added = true
		}
		r.task = task
	}
	removed := false
	for ip, r := range p.replicas {
		if _, ok := want[ip]; !ok {
			delete(p.replicas, ip)
			p.metrics.forgetReplica(r.addr)
			removed = true
		}
	}
	p.updateReplicaGauges()
	if removed {
		// The last replica holding the table back may have gone.
		p.observeConvergence(p.clock.Now())
	}
	p.mu.Unlock()
	if added {
		p.poke()
	}
}

// updateReplicaGauges is called with mu held.
func (p *pusher) updateReplicaGauges() {
	var in, out int
	for _, r := range p.replicas {
		if p.table != nil && r.current(p.table) {
			in++
		} else {
			out++
		}
	}
	p.metrics.replicas.WithLabelValues("true").Set(float64(in))
	p.metrics.replicas.WithLabelValues("false").Set(float64(out))
}

// ReplicaStatus is what /status reports about one proxy replica.
type ReplicaStatus struct {
	Address string `json:"address"`
	// Task is the proxy task at Address, when the TaskList showed it.
	Task            string    `json:"task,omitempty"`
	AckedGeneration int64     `json:"ackedGeneration"`
	AckedEpoch      int64     `json:"ackedEpoch"`
	LastError       string    `json:"lastError,omitempty"`
	LastSuccess     time.Time `json:"lastSuccess,omitzero"`
	// InSync is true when the replica acknowledged the current table.
	InSync bool `json:"inSync"`
}

// snapshot returns the current table and the replicas' state, sorted by address.
func (p *pusher) snapshot() (*v1alpha1.RoutingTable, []ReplicaStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ips := slices.SortedFunc(maps.Keys(p.replicas), netip.Addr.Compare)
	out := make([]ReplicaStatus, 0, len(ips))
	for _, ip := range ips {
		r := p.replicas[ip]
		out = append(out, ReplicaStatus{
			Address: r.addr, Task: r.task, AckedGeneration: r.ackedGeneration, AckedEpoch: r.ackedEpoch,
			LastError: r.lastError, LastSuccess: r.lastSuccess,
			InSync: p.table != nil && r.ackedEpoch == p.table.Epoch && r.ackedGeneration == p.table.Generation,
		})
	}
	return p.table, out
}
