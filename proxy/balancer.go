package proxy

import "math/rand/v2"

// pick chooses the backend for one attempt, avoiding avoid (the backend that
// just failed) and ejected backends while any other is left. When every
// backend is ejected it still picks one: trying is better than a sure 503.
func (r *route) pick(policy LBPolicy, avoid *backend, now int64) *backend {
	n := len(r.backends)
	if n == 1 {
		return r.backends[0]
	}
	usable := func(b *backend) bool { return b != avoid && !b.ejected(now) }
	if policy == LeastRequest {
		i := rand.IntN(n)
		j := rand.IntN(n - 1)
		if j >= i {
			j++
		}
		a, b := r.backends[i], r.backends[j]
		switch ua, ub := usable(a), usable(b); {
		case ua && ub:
			if b.inflight.Load() < a.inflight.Load() {
				return b
			}
			return a
		case ua:
			return a
		case ub:
			return b
		}
		// Both unusable: fall back to a scan from a random start.
		return r.scan(uint64(i), usable, avoid)
	}
	start := r.next.Add(1) - 1
	if b := r.backends[start%uint64(n)]; usable(b) {
		return b
	}
	return r.scan(start+1, usable, avoid)
}

// scan returns the first usable backend from start, else the first that is
// not avoid, else avoid itself.
func (r *route) scan(start uint64, usable func(*backend) bool, avoid *backend) *backend {
	n := uint64(len(r.backends))
	for i := range n {
		if b := r.backends[(start+i)%n]; usable(b) {
			return b
		}
	}
	for i := range n {
		if b := r.backends[(start+i)%n]; b != avoid {
			return b
		}
	}
	return avoid
}
