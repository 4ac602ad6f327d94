package proxy

import (
	"testing"
	"time"
)

func TestPick(t *testing.T) {
	now := time.Unix(1000, 0)
	mk := func(n int) *route {
		r := &route{}
		for i := range n {
			r.backends = append(r.backends, &backend{addr: string(rune('a' + i))})
		}
		return r
	}
	count := func(r *route, policy LBPolicy, avoid *backend, n int) map[string]int {
		got := map[string]int{}
		for range n {
			got[r.pick(policy, avoid, now.UnixNano()).addr]++
		}
		return got
	}

	r := mk(3)
	if got := count(r, RoundRobin, nil, 300); got["a"] != 100 || got["b"] != 100 || got["c"] != 100 {
		t.Errorf("round robin: %v, want 100 each", got)
	}
	r.backends[1].eject(now, time.Second, time.Minute)
	for _, policy := range []LBPolicy{RoundRobin, LeastRequest} {
		if got := count(r, policy, nil, 300); got["b"] != 0 || got["a"] == 0 || got["c"] == 0 {
			t.Errorf("%s with b ejected: %v", policy, got)
		}
		if got := count(r, policy, r.backends[0], 100); got["c"] != 100 {
			t.Errorf("%s avoiding a, b ejected: %v, want all on c", policy, got)
		}
	}
	// Once the backoff is over, b is picked again.
	later := now.Add(2 * time.Second).UnixNano()
	if r.backends[1].ejected(later) {
		t.Error("b still ejected after its backoff")
	}

	// Every backend ejected: still pick one rather than fail.
	for _, b := range r.backends {
		b.eject(now, time.Second, time.Minute)
	}
	if got := count(r, RoundRobin, r.backends[0], 30); got["a"] != 0 || got["b"]+got["c"] != 30 {
		t.Errorf("all ejected, avoiding a: %v", got)
	}

	// Least request: with two backends, the idle one always wins.
	lr := mk(2)
	lr.backends[0].inflight.Store(5)
	if got := count(lr, LeastRequest, nil, 100); got["b"] != 100 {
		t.Errorf("least request: %v, want all on the idle b", got)
	}
	// A single backend is picked even when avoided: a fresh connection to
	// it may well work.
	one := mk(1)
	if b := one.pick(RoundRobin, one.backends[0], now.UnixNano()); b != one.backends[0] {
		t.Error("single backend not picked")
	}
}

func TestEjectBackoff(t *testing.T) {
	b := &backend{}
	now := time.Unix(1000, 0)
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		first := b.eject(now, time.Second, 10*time.Second)
		if got := time.Duration(b.ejectedUntil.Load() - now.UnixNano()); got != want {
			t.Errorf("failure %d: backoff %v, want %v", i+1, got, want)
		}
		if first != (i == 0) {
			t.Errorf("failure %d: reported as first ejection = %v", i+1, first)
		}
	}
	b.succeeded()
	if b.ejected(now.UnixNano()) || b.failures.Load() != 0 {
		t.Error("success did not end the ejection")
	}
}
