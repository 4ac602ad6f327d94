package proxy

import (
	"sync"
	"sync/atomic"
	"time"
)

// backend is the state of one upstream address, shared by every route and
// every table that names it: its keep-alive pool, in-flight count and
// ejection survive table swaps.
type backend struct {
	addr string

	inflight atomic.Int64
	// ejectedUntil is a unix-nanosecond time before which the backend is
	// skipped, after it refused connections; failures counts them in a row.
	ejectedUntil atomic.Int64
	failures     atomic.Int32

	mu   sync.Mutex
	idle []*upConn // LIFO: the most recently used connection is the warmest
	// removed is set once no table names the backend: connections are then
	// closed instead of pooled.
	removed bool
}

func (b *backend) ejected(now int64) bool {
	u := b.ejectedUntil.Load()
	return u != 0 && now < u
}

// eject skips b for a backoff that doubles with each consecutive failure. It
// reports whether b was not already ejected.
func (b *backend) eject(now time.Time, base, maxBackoff time.Duration) bool {
	n := b.failures.Add(1)
	d := base
	for i := int32(1); i < n && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	was := b.ejected(now.UnixNano())
	b.ejectedUntil.Store(now.Add(d).UnixNano())
	return !was
}

// succeeded ends an ejection streak; the common case costs one atomic load.
func (b *backend) succeeded() {
	if b.failures.Load() != 0 {
		b.failures.Store(0)
		b.ejectedUntil.Store(0)
	}
}

// getIdle pops the warmest pooled connection, or returns nil.
func (b *backend) getIdle() *upConn {
	b.mu.Lock()
	n := len(b.idle)
	if n == 0 {
		b.mu.Unlock()
		return nil
	}
	c := b.idle[n-1]
	b.idle[n-1] = nil
	b.idle = b.idle[:n-1]
	b.mu.Unlock()
	return c
}

// putIdle pools c for reuse, or closes it if the pool is full or b is gone.
func (b *backend) putIdle(c *upConn, now time.Time, maxIdle int) {
	c.idleSince = now
	b.mu.Lock()
	if b.removed || len(b.idle) >= maxIdle {
		b.mu.Unlock()
		c.close()
		return
	}
	b.idle = append(b.idle, c)
	b.mu.Unlock()
}

// closeIdle closes every pooled connection, e.g. once the backend refused a
// new one: the old ones point at a dead process.
func (b *backend) closeIdle() {
	b.mu.Lock()
	idle := b.idle
	b.idle = nil
	b.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

// closeStale closes pooled connections idle since before cutoff. The pool is
// LIFO, so they are at the bottom.
func (b *backend) closeStale(cutoff time.Time) {
	b.mu.Lock()
	n := 0
	for n < len(b.idle) && b.idle[n].idleSince.Before(cutoff) {
		n++
	}
	stale := make([]*upConn, n)
	copy(stale, b.idle[:n])
	b.idle = append(b.idle[:0], b.idle[n:]...)
	clear(b.idle[len(b.idle):cap(b.idle)])
	b.mu.Unlock()
	for _, c := range stale {
		c.close()
	}
}

// remove marks b as no longer routed and closes its idle connections;
// requests in flight finish and close theirs.
func (b *backend) remove() {
	b.mu.Lock()
	b.removed = true
	b.mu.Unlock()
	b.closeIdle()
}
