package controllers

import "time"

// backoff is a capped exponential backoff: base, 2*base, 4*base, ... max.
// It is not safe for concurrent use; each owner keeps its own.
type backoff struct {
	base, max time.Duration
	failures  int
}

// next records a failure and returns how long to wait before retrying.
func (b *backoff) next() time.Duration {
	d := b.base
	for i := 0; i < b.failures && d < b.max; i++ {
		d *= 2
	}
	b.failures++
	return min(d, b.max)
}

// reset forgets past failures after a success.
func (b *backoff) reset() { b.failures = 0 }
