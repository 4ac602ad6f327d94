package controllers

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/go-logr/logr"
)

// Reconnect backoff of the Docker event stream.
const (
	eventsBackoffBase = 250 * time.Millisecond
	eventsBackoffMax  = 30 * time.Second
	// eventsHealthy is how long a stream must have lived for its failure to
	// count as new rather than as one more failed reconnect.
	eventsHealthy = 30 * time.Second
)

// watchedEvents are the event types that can change the routing table.
// Swarm sends no task events: tasks are polled.
var watchedEvents = events.ListOptions{Filters: filters.NewArgs(
	filters.Arg("type", string(events.ServiceEventType)),
	filters.Arg("type", string(events.NodeEventType)),
	filters.Arg("type", string(events.NetworkEventType)),
)}

var errStreamClosed = errors.New("event stream closed")

// watcher turns Docker events and poll ticks into reconcile requests.
type watcher struct {
	events       EventSource
	clock        Clock
	queue        *queue
	reconciler   *reconciler
	discovery    *discovery
	proxyService string

	fastInterval, fastWindow, steadyInterval time.Duration

	// fastUntil (unix nanoseconds) ends the fast-poll window that each
	// event opens: tasks change for a while after a spec changes.
	fastUntil atomic.Int64
	// eventSeen wakes the poller so that it switches to fast polling now
	// rather than after the current steady interval.
	eventSeen chan struct{}
}

// watchEvents subscribes to Docker events until ctx is done, reconnecting
// with backoff when the stream fails (dockerd restarted, socket closed).
func (w *watcher) watchEvents(ctx context.Context) {
	log := logr.FromContextOrDiscard(ctx)
	b := backoff{base: eventsBackoffBase, max: eventsBackoffMax}
	for {
		connected := w.clock.Now()
		msgs, errs := w.events.Events(ctx, watchedEvents)
		// Events may have been missed while disconnected: relist everything.
		w.changed(true)
		err := w.consume(ctx, msgs, errs)
		if ctx.Err() != nil {
			return
		}
		if w.clock.Now().Sub(connected) >= eventsHealthy {
			b.reset()
		}
		delay := b.next()
		log.Error(err, "docker event stream failed; reconnecting", "retryAfter", delay)
		select {
		case <-ctx.Done():
			return
		case <-w.clock.After(delay):
		}
	}
}

// consume handles messages until the stream fails, and returns why.
func (w *watcher) consume(ctx context.Context, msgs <-chan events.Message, errs <-chan error) error {
	log := logr.FromContextOrDiscard(ctx)
	for {
		select {
		case m := <-msgs:
			log.V(1).Info("docker event", "type", m.Type, "action", m.Action, "actor", m.Actor.ID)
			if m.Type == events.ServiceEventType && m.Actor.Attributes["name"] == w.proxyService {
				w.discovery.resolveNow()
			}
			w.changed(needsRelist(m))
		case err := <-errs:
			if err == nil {
				return errStreamClosed
			}
			return err
		}
	}
}

// changed requests a reconcile and opens the fast-poll window; relist makes
// that reconcile list services and networks rather than use its cache.
func (w *watcher) changed(relist bool) {
	if relist {
		w.reconciler.servicesStale.Store(true)
	}
	w.fastUntil.Store(w.clock.Now().Add(w.fastWindow).UnixNano())
	w.queue.Add()
	select {
	case w.eventSeen <- struct{}{}:
	default:
	}
}

// maxPollDuty bounds the share of time spent reconciling: the poll interval
// is at least maxPollDuty times the last reconcile's duration. A swarm of
// 20,000 tasks takes a few hundred milliseconds to list and decode, and
// polling it every 250 ms would keep a core busy.
const maxPollDuty = 4

// poll requests a reconcile every fastInterval while the window of the last
// event is open and every steadyInterval otherwise: a TaskList is the only
// way to see tasks start and stop.
func (w *watcher) poll(ctx context.Context) {
	for {
		interval := pollInterval(w.clock.Now(), time.Unix(0, w.fastUntil.Load()),
			time.Duration(w.reconciler.lastDuration.Load()), w.fastInterval, w.steadyInterval)
		select {
		case <-ctx.Done():
			return
		case <-w.eventSeen:
		case <-w.clock.After(interval):
			w.queue.Add()
		}
	}
}

// pollInterval is fast until fastUntil and steady after, and never shorter
// than maxPollDuty times the last reconcile.
func pollInterval(now, fastUntil time.Time, lastReconcile, fast, steady time.Duration) time.Duration {
	interval := steady
	if now.Before(fastUntil) {
		interval = fast
	}
	return max(interval, maxPollDuty*lastReconcile)
}

// needsRelist reports whether an event can change services or network
// names, which reconciles cache. Node events and containers connecting to
// or leaving a network (every task start and stop on this node) change
// tasks only, which every reconcile lists anyway.
func needsRelist(m events.Message) bool {
	switch m.Type {
	case events.ServiceEventType:
		return true
	case events.NetworkEventType:
		return m.Action != events.ActionConnect && m.Action != events.ActionDisconnect
	}
	return false
}
