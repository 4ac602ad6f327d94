package leaderelection

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// ErrLeadershipLost is returned by Run when the term ended because the lease
// could not be renewed or another candidate took it over. The process should
// exit so that Swarm restarts it as a fresh candidate.
var ErrLeadershipLost = errors.New("leadership lost")

// Elector runs leader election for one candidate. Run may be called once.
type Elector struct {
	cfg     Config
	metrics metrics
	ran     atomic.Bool

	// writeMu serializes the read-modify-writes of the record during a
	// term (renewals, RaiseEpoch, the release): each would otherwise see
	// the other's write as a conflict or as another term.
	writeMu sync.Mutex

	// mu guards the fields below: Run's goroutine writes them, the
	// accessors read them.
	mu sync.Mutex
	// observed is the last record read or written and observedTime when it
	// last changed, on the local clock: the only basis to judge expiry.
	observed     *LeaderElectionRecord
	observedTime time.Time
	// maxEpoch is the highest epoch seen, so that a recreated lock object
	// cannot make this process reuse an epoch.
	maxEpoch int64
	// reportedLeader is the last identity passed to OnNewLeader.
	reportedLeader string
	// leading and epoch describe this candidate's term; epoch stays set
	// after the term ended.
	leading bool
	epoch   int64
	// renewTime is when the last successful renewal (or the acquisition)
	// started, on the local clock.
	renewTime time.Time
}

// NewElector validates cfg, after filling zero durations and Clock with
// their defaults, and registers the metrics if cfg.Registerer is set.
func NewElector(cfg Config) (*Elector, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Elector{cfg: cfg, metrics: m}, nil
}

// IsLeader reports whether this candidate currently leads.
func (e *Elector) IsLeader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leading
}

// GetLeader returns the holder identity last observed in the lock; empty
// before the first observation or after a release.
func (e *Elector) GetLeader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.observed == nil {
		return ""
	}
	return e.observed.HolderIdentity
}

// Epoch returns the epoch of this candidate's current or last term, 0 if it
// never led; RaiseEpoch changes it.
func (e *Elector) Epoch() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.epoch
}

// Run competes for leadership until ctx is done or one term ended. It
// returns nil when ctx is done and ErrLeadershipLost when the term ended
// otherwise; the logger is taken from ctx. Run does not wait for
// OnStartedLeading to return: fencing by epoch, not Run, keeps a deposed
// leader's late pushes out.
func (e *Elector) Run(ctx context.Context) error {
	if !e.ran.CompareAndSwap(false, true) {
		return errors.New("leader election: Run called twice")
	}
	log := logr.FromContextOrDiscard(ctx).WithValues("lock", e.cfg.Lock.Describe(), "identity", e.cfg.Lock.Identity())
	ctx = logr.NewContext(ctx, log)

	if !e.acquire(ctx) {
		return nil
	}
	epoch := e.Epoch()
	leaderCtx, cancel := context.WithCancel(ctx)
	go e.cfg.Callbacks.OnStartedLeading(leaderCtx, epoch)
	lost := e.renew(leaderCtx)
	cancel()
	e.stopLeading()
	if !lost && e.cfg.ReleaseOnCancel {
		e.release(ctx)
	}
	e.cfg.Callbacks.OnStoppedLeading()
	if lost {
		log.Info("lost leadership", "epoch", e.Epoch())
		return ErrLeadershipLost
	}
	log.Info("stopped leading", "epoch", e.Epoch())
	return nil
}

// acquire tries every jittered RetryPeriod until it leads or ctx is done.
func (e *Elector) acquire(ctx context.Context) bool {
	log := logr.FromContextOrDiscard(ctx)
	log.Info("attempting to acquire leadership")
	for {
		// Bounds a hung API call, which would otherwise stall the loop.
		callCtx, cancel := context.WithTimeout(ctx, e.cfg.RenewDeadline)
		ok, err := e.tryAcquire(callCtx)
		cancel()
		switch {
		case ok:
			log.Info("acquired leadership", "epoch", e.Epoch())
			return true
		case err != nil && ctx.Err() == nil:
			log.Error(err, "acquire attempt failed")
		case err == nil:
			log.V(1).Info("lease held by another candidate", "holder", e.GetLeader())
		}
		if !e.sleep(ctx, jitter(e.cfg.RetryPeriod)) {
			return false
		}
	}
}

// renew renews every RetryPeriod until ctx is done (false) or the term is
// lost (true): superseded, or no renewal within RenewDeadline.
func (e *Elector) renew(ctx context.Context) (lost bool) {
	log := logr.FromContextOrDiscard(ctx)
	for {
		e.mu.Lock()
		deadline := e.renewTime.Add(e.cfg.RenewDeadline)
		e.mu.Unlock()
		if !e.sleep(ctx, min(e.cfg.RetryPeriod, deadline.Sub(e.cfg.Clock.Now()))) {
			return false
		}
		now := e.cfg.Clock.Now()
		if !now.Before(deadline) {
			log.Info("renew deadline exceeded", "renewDeadline", e.cfg.RenewDeadline)
			return true
		}
		// The wall-clock timeout only bounds a hung API call; the
		// decision to step down is taken on e.cfg.Clock above.
		callCtx, cancel := context.WithTimeout(ctx, deadline.Sub(now))
		err := e.tryRenew(callCtx, now)
		cancel()
		switch {
		case err == nil:
			log.V(1).Info("renewed lease")
		case errors.Is(err, errSuperseded):
			log.Info("lease taken over", "reason", err.Error())
			return true
		case ctx.Err() != nil:
			return false
		default:
			log.Error(err, "renew attempt failed")
		}
	}
}

// sleep waits d on the clock; false if ctx ended first.
func (e *Elector) sleep(ctx context.Context, d time.Duration) bool {
	t := e.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// jitter returns a duration in [d, d*(1+JitterFactor)).
func jitter(d time.Duration) time.Duration {
	return d + time.Duration(rand.Float64()*JitterFactor*float64(d))
}
