package proxy

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
)

// TestSwapUnderLoad swaps tables while clients send requests: every request
// is answered by a backend of one of the tables, none fails, and backends
// kept across tables keep their state.
func TestSwapUnderLoad(t *testing.T) {
	p, srv := newTestProxy(t, Config{LB: LeastRequest})
	a, b, c := addr(namedBackend(t, "a")), addr(namedBackend(t, "b")), addr(namedBackend(t, "c"))
	tables := [][]string{{a, b}, {b, c}, {a, b, c}, {b}}
	mustApply(t, p, table(1, 1, rt("svc", "", "/", tables[0]...)))

	var stop atomic.Bool
	var wg sync.WaitGroup
	var requests atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				code, who, err := getNoFatal(client, srv.URL+"/x")
				if err != nil || code != http.StatusOK || who == "" {
					t.Errorf("got %d from %q: %v", code, who, err)
					return
				}
				requests.Add(1)
			}
		})
	}
	kept := p.backends[b]
	for gen := int64(2); gen <= 202; gen++ { // ends on {a, b, c}
		mustApply(t, p, table(gen, 1, rt("svc", "", "/", tables[gen%int64(len(tables))]...), rt("other", "", "/other", a)))
		if gen == 100 {
			eventually(t, "requests during swaps", func() bool { return requests.Load() > 50 })
		}
	}
	stop.Store(true)
	wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.backends[b] != kept {
		t.Error("backend b was recreated although every other table kept it")
	}
	if len(p.backends) != 3 {
		t.Errorf("%d backends tracked, want 3", len(p.backends))
	}
}
