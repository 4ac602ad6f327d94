package controllers

import (
	"context"
	"time"

	"github.com/go-logr/logr"
)

// Backoff of the reconcile queue after a failed reconcile, as in client-go's
// default controller rate limiter.
const (
	queueBackoffBase = 5 * time.Millisecond
	queueBackoffMax  = 30 * time.Second
)

// queue is a work queue with a single key: the whole cluster. Reconciles are
// level-based (each one reads the full state), so any number of triggers
// that arrive while one is pending or running collapse into one more run.
type queue struct {
	clock   Clock
	pending chan struct{}
	backoff backoff
}

func newQueue(clock Clock) *queue {
	return &queue{
		clock:   clock,
		pending: make(chan struct{}, 1),
		backoff: backoff{base: queueBackoffBase, max: queueBackoffMax},
	}
}

// Add asks for a reconcile. It never blocks.
func (q *queue) Add() {
	select {
	case q.pending <- struct{}{}:
	default: // one is already pending: it will see this change too
	}
}

// run calls reconcile once per Add until ctx is done. A failed reconcile is
// retried after a backoff that grows from 5 ms to 30 s; triggers that arrive
// during the backoff are folded into that retry, so a failing Docker API is
// not hammered by the poll ticks. The reconcile logs nothing about its own
// failure: run logs it once, with the retry delay.
func (q *queue) run(ctx context.Context, reconcile func(context.Context) error) {
	log := logr.FromContextOrDiscard(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.pending:
		}
		err := reconcile(ctx)
		if err == nil {
			q.backoff.reset()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		delay := q.backoff.next()
		log.Error(err, "reconcile failed", "retryAfter", delay)
		select {
		case <-ctx.Done():
			return
		case <-q.clock.After(delay):
			q.Add()
		}
	}
}
