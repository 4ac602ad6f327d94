package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// ErrLostLeadership ends a leadership term: a proxy holds a table of a newer
// epoch, so another controller leads and this one must stop pushing.
var ErrLostLeadership = errors.New("lost leadership: a proxy holds a newer epoch")

// StaleEpochError is the ErrLostLeadership that Run returns, with the epoch
// the proxy holds. Usually a newer leader pushed it; but when the election
// lock was deleted the new leader's epoch restarts below what proxies hold,
// and the caller can raise its epoch above Held if the lock shows that
// nobody took over (see leaderelection.Elector.RaiseEpoch).
type StaleEpochError struct {
	// Epoch is the term's, Held the one a proxy holds (greater).
	Epoch, Held int64
}

func (e *StaleEpochError) Error() string {
	return fmt.Sprintf("lost leadership: a proxy holds epoch %d, newer than epoch %d", e.Held, e.Epoch)
}

// Unwrap makes errors.Is(err, ErrLostLeadership) hold.
func (e *StaleEpochError) Unwrap() error { return ErrLostLeadership }

// Per-replica retry backoff after a failed push. A proxy that is starting
// refuses connections for a moment, so the first retries come quickly.
const (
	pushBackoffBase = 100 * time.Millisecond
	pushBackoffMax  = 30 * time.Second
)

// pushed is the table of one fan-out, encoded once for every replica.
type pushed struct {
	epoch, generation int64
	body              []byte
}

// pusher keeps every proxy replica at the current table. Its run loop starts
// a fan-out whenever a table or replica appears, a push fails and its backoff
// ends, or it is time to re-verify; replicas with a push in flight are left
// out of new fan-outs, so a black-holed replica delays nobody.
type pusher struct {
	client      *pushClient
	port        int
	limit       int
	verifyEvery time.Duration
	clock       Clock
	metrics     *metrics
	// onStaleGeneration is told the generation a proxy holds in this epoch
	// when it refuses ours as older, or as another table under that number.
	onStaleGeneration func(held int64)

	kick chan struct{}
	// lost is closed, once, when a proxy refuses the epoch; lostErr says
	// what it holds, written before the close.
	lost    chan struct{}
	once    sync.Once
	lostErr *StaleEpochError

	mu         sync.Mutex
	table      *v1alpha1.RoutingTable
	body       []byte
	detectedAt time.Time
	converged  bool
	replicas   map[netip.Addr]*replica
}

func newPusher(client *pushClient, port, limit int, verifyEvery time.Duration, clock Clock, m *metrics, onStaleGeneration func(int64)) *pusher {
	return &pusher{
		client: client, port: port, limit: limit, verifyEvery: verifyEvery, clock: clock, metrics: m,
		onStaleGeneration: onStaleGeneration,
		kick:              make(chan struct{}, 1),
		lost:              make(chan struct{}),
		replicas:          map[netip.Addr]*replica{},
	}
}

func (p *pusher) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// setTable makes t the table every replica must hold. detectedAt is when the
// change was seen, the start of the convergence time. Only the reconciler
// calls it, from one goroutine.
func (p *pusher) setTable(t *v1alpha1.RoutingTable, detectedAt time.Time) {
	p.mu.Lock()
	same := p.table != nil && p.table.Epoch == t.Epoch && p.table.Generation == t.Generation
	p.mu.Unlock()
	if same {
		// Only the problems changed: nothing to push, and the convergence
		// of this generation is already measured from its detection.
		return
	}
	body, err := json.Marshal(t)
	if err != nil {
		// A RoutingTable holds only strings, numbers and bools.
		panic("marshal routing table: " + err.Error())
	}
	p.mu.Lock()
	p.table, p.body, p.detectedAt, p.converged = t, body, detectedAt, false
	p.updateReplicaGauges()
	p.mu.Unlock()
	p.poke()
}

// run pushes until ctx is done or a proxy reports a newer epoch. Pushes in
// flight are cancelled when it returns: a deposed leader stops at once.
func (p *pusher) run(ctx context.Context) error {
	var fanOuts sync.WaitGroup
	defer fanOuts.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // before the Wait above
	verify := p.clock.After(p.verifyEvery)
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.lost:
			return p.lostErr
		case <-p.kick:
		case <-retry:
		case <-verify:
			p.unverifyAll()
			verify = p.clock.After(p.verifyEvery)
		}
		snap, batch := p.claim()
		if len(batch) > 0 {
			fanOuts.Add(1)
			go func() {
				defer fanOuts.Done()
				p.fanOut(ctx, snap, batch)
				p.poke() // re-evaluate: the table may have changed meanwhile
			}()
		}
		retry = nil
		if d, ok := p.nextRetry(); ok {
			retry = p.clock.After(d)
		}
	}
}

// claim picks the replicas that need the current table now and marks them
// in flight.
func (p *pusher) claim() (pushed, []*replica) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.table == nil {
		return pushed{}, nil
	}
	now := p.clock.Now()
	var batch []*replica
	for _, r := range p.replicas {
		if r.inflight || r.current(p.table) || now.Before(r.retryAt) {
			continue
		}
		r.inflight, r.claimedFor = true, r.incarnation
		batch = append(batch, r)
	}
	return pushed{epoch: p.table.Epoch, generation: p.table.Generation, body: p.body}, batch
}

// nextRetry returns how long until the earliest backoff of a replica that
// still needs the table ends.
func (p *pusher) nextRetry() (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.table == nil {
		return 0, false
	}
	var next time.Time
	for _, r := range p.replicas {
		if r.inflight || r.current(p.table) || r.retryAt.IsZero() {
			continue
		}
		if next.IsZero() || r.retryAt.Before(next) {
			next = r.retryAt
		}
	}
	if next.IsZero() {
		return 0, false
	}
	return max(next.Sub(p.clock.Now()), 0), true
}

func (p *pusher) unverifyAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.replicas {
		r.verified = false
		r.incarnation++
	}
}

// fanOut pushes snap to every replica of batch, at most limit at a time. It
// uses a plain errgroup.Group: a failed push must not cancel the others.
func (p *pusher) fanOut(ctx context.Context, snap pushed, batch []*replica) {
	var g errgroup.Group
	g.SetLimit(p.limit)
	for _, r := range batch {
		g.Go(func() error {
			p.pushOne(ctx, snap, r)
			return nil
		})
	}
	_ = g.Wait() // pushOne records its own failure
}

func (p *pusher) pushOne(ctx context.Context, snap pushed, r *replica) {
	log := logr.FromContextOrDiscard(ctx).WithValues("replica", r.addr, "generation", snap.generation)
	start := p.clock.Now()
	a, err := p.client.push(ctx, r.addr, snap.body)
	now := p.clock.Now()

	p.mu.Lock()
	defer p.mu.Unlock()
	r.inflight = false
	if p.replicas[r.ip] != r {
		return // forgotten meanwhile, with its metrics
	}
	p.metrics.pushDuration.WithLabelValues(r.addr).Observe(now.Sub(start).Seconds())
	if err != nil {
		if ctx.Err() != nil {
			return // the term ended; not the replica's fault
		}
		p.failed(log, r, snap, err, now)
		return
	}
	if r.claimedFor != r.incarnation {
		// The answer came from the task this IP had before: the new one
		// still needs the table, and fanOut's closing poke pushes it.
		return
	}
	if r.lastError != "" {
		log.Info("proxy replica accepts the table again")
	}
	r.ackedEpoch, r.ackedGeneration = a.Epoch, a.Generation
	r.verified = true
	r.lastError, r.lastSuccess, r.retryAt = "", now, time.Time{}
	r.backoff.reset()
	p.updateReplicaGauges()
	log.V(1).Info("pushed routing table")
	p.observeConvergence(now)
}

// failed records a failed push and schedules its retry. Called with mu held.
func (p *pusher) failed(log logr.Logger, r *replica, snap pushed, err error, now time.Time) {
	reason := errorReason(err)
	p.metrics.pushErrors.WithLabelValues(r.addr, reason).Inc()
	delay := r.backoff.next()
	r.retryAt = now.Add(delay)
	msg := err.Error()
	repeated := msg == r.lastError
	r.lastError = msg
	p.updateReplicaGauges()
	var pe *pushError
	if errors.As(err, &pe) {
		switch {
		case pe.reason == reasonStaleEpoch:
			p.once.Do(func() {
				// The logger carries the term's epoch already.
				log.Info("lost leadership: a proxy holds a newer epoch", "heldEpoch", pe.held.Epoch)
				p.lostErr = &StaleEpochError{Epoch: snap.epoch, Held: pe.held.Epoch}
				close(p.lost)
			})
			return
		case (pe.reason == reasonStaleGeneration || pe.reason == reasonGenerationConflict) && pe.held.Epoch == snap.epoch:
			// Either way the next table must be numbered above the one
			// held: a conflict is a restart of this controller that
			// reused the epoch and numbered other routes the same.
			p.onStaleGeneration(pe.held.Generation)
		}
	}
	// Log when the error changes, not on every retry of a dead replica.
	if repeated {
		log.V(1).Info("push to proxy replica failed again", "reason", reason, "retryAfter", delay)
		return
	}
	log.Error(err, "push to proxy replica failed", "reason", reason, "retryAfter", delay)
}

// observeConvergence records, once per table, the time from its detection
// to the moment every known replica acknowledged it. Called with mu held.
func (p *pusher) observeConvergence(now time.Time) {
	if p.converged || p.table == nil || len(p.replicas) == 0 {
		return
	}
	for _, r := range p.replicas {
		if r.ackedEpoch != p.table.Epoch || r.ackedGeneration != p.table.Generation {
			return
		}
	}
	p.converged = true
	p.metrics.convergence.Observe(now.Sub(p.detectedAt).Seconds())
}
