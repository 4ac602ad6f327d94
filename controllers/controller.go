package controllers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
	"github.com/swarmgate/swarmgate/reconcile"
)

// Controller watches the Swarm and keeps every proxy replica at the desired
// routing table while it leads. It is safe for concurrent use.
type Controller struct {
	opts    Options
	docker  DockerAPI
	metrics *metrics
	client  *pushClient

	// dockerOK is set once the Docker API has answered, for /readyz.
	dockerOK atomic.Bool

	mu     sync.Mutex
	term   *term // nil unless Run is running
	leader string
}

// New returns a Controller; nothing runs until Run.
func New(opts Options) (*Controller, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, err
	}
	return &Controller{
		opts:    opts,
		docker:  countingDocker{api: opts.Docker, metrics: m},
		metrics: m,
		client:  newPushClient(opts.Token, opts.PushTimeout),
	}, nil
}

// SetLeader records the identity of the current leader, as the leader
// election reports it, for /status on a standby.
func (c *Controller) SetLeader(identity string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leader = identity
}

// term is the state of one leadership term.
type term struct {
	epoch      int64
	queue      *queue
	reconciler *reconciler
	pusher     *pusher
	discovery  *discovery
	watcher    *watcher

	// reconciled is set by the first successful reconcile, for /readyz.
	reconciled atomic.Bool

	mu       sync.Mutex
	problems []v1alpha1.Problem
	// lastSuccess is when the last successful reconcile started; lastError
	// is the error of the last reconcile, empty if it succeeded.
	lastSuccess time.Time
	lastError   string
}

func (c *Controller) newTerm(epoch int64) *term {
	o := &c.opts
	t := &term{epoch: epoch, queue: newQueue(o.Clock)}
	t.reconciler = &reconciler{
		api:          c.docker,
		clock:        o.Clock,
		opts:         reconcile.Options{Schema: o.Schema, ProxyNetwork: o.ProxyNetwork},
		proxyService: o.ProxyService,
		resyncPeriod: o.ResyncPeriod,
		epoch:        epoch,
		problems:     problemTracker{},
	}
	t.pusher = newPusher(c.client, o.ProxyAdminPort, o.PushConcurrency, o.ResyncPeriod, o.Clock, c.metrics,
		func(held int64) {
			t.reconciler.raiseGeneration(held)
			t.queue.Add()
		})
	t.discovery = newDiscovery(o.Resolver, o.ProxyService, o.ResolveInterval, o.Clock, t.pusher)
	t.reconciler.publish = func(table *v1alpha1.RoutingTable, problems []v1alpha1.Problem, detectedAt time.Time) {
		t.mu.Lock()
		t.problems = problems
		t.mu.Unlock()
		c.metrics.table(table, problems)
		t.pusher.setTable(table, detectedAt)
	}
	t.reconciler.proxyTasks = t.discovery.setTasks
	t.watcher = &watcher{
		events: c.docker, clock: o.Clock, queue: t.queue, reconciler: t.reconciler, discovery: t.discovery,
		proxyService: o.ProxyService,
		fastInterval: o.FastPollInterval, fastWindow: o.FastPollWindow, steadyInterval: o.SteadyPollInterval,
		eventSeen: make(chan struct{}, 1),
	}
	return t
}

// Run leads one term with epoch, which must exceed the epoch of every
// earlier term of any controller: proxies refuse tables of an older epoch.
// It watches, reconciles and pushes until ctx is cancelled (leadership lost
// or shutdown), or until a proxy reports a newer epoch, when it returns a
// *StaleEpochError (which is an ErrLostLeadership).
func (c *Controller) Run(ctx context.Context, epoch int64) error {
	log := logr.FromContextOrDiscard(ctx).WithValues("epoch", epoch)
	ctx = logr.NewContext(ctx, log)
	t := c.newTerm(epoch)
	c.mu.Lock()
	c.term = t
	c.mu.Unlock()
	c.metrics.leader.Set(1)
	defer func() {
		c.mu.Lock()
		c.term = nil
		c.mu.Unlock()
		c.metrics.standby()
	}()
	log.Info("leading: watching the swarm and pushing to proxies")

	t.queue.Add() // the first reconcile need not wait for the event stream
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return t.pusher.run(ctx) })
	g.Go(func() error { t.queue.run(ctx, c.reconcileFunc(t)); return nil })
	g.Go(func() error { t.watcher.watchEvents(ctx); return nil })
	g.Go(func() error { t.watcher.poll(ctx); return nil })
	g.Go(func() error { t.discovery.run(ctx); return nil })
	return g.Wait()
}

// reconcileFunc runs one reconcile with its own reconcileID in the logger,
// as controller-runtime does, and records its metrics.
func (c *Controller) reconcileFunc(t *term) func(context.Context) error {
	return func(ctx context.Context) error {
		log := logr.FromContextOrDiscard(ctx).WithValues("reconcileID", newReconcileID())
		ctx, cancel := context.WithTimeout(logr.NewContext(ctx, log), c.opts.ReconcileTimeout)
		defer cancel()
		start := c.opts.Clock.Now()
		err := t.reconciler.reconcile(ctx)
		c.metrics.reconciled(c.opts.Clock.Now().Sub(start), err)
		t.mu.Lock()
		defer t.mu.Unlock()
		if err != nil {
			t.lastError = err.Error()
			return err
		}
		t.lastError, t.lastSuccess = "", start
		c.dockerOK.Store(true)
		t.reconciled.Store(true)
		return nil
	}
}

func newReconcileID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
