package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
)

// errSuperseded is returned by tryRenew when the record no longer holds
// this candidate's term.
var errSuperseded = errors.New("superseded")

// tryAcquire makes one attempt to start a term at now. It returns false
// without error when another candidate holds a lease that has not expired,
// or won the race for it.
func (e *Elector) tryAcquire(ctx context.Context) (bool, error) {
	lock := e.cfg.Lock
	now := e.cfg.Clock.Now()
	rec, version, err := lock.Get(ctx)
	if errors.Is(err, ErrNotFound) {
		next := e.newTerm(now, e.highestEpoch())
		if err := lock.Create(ctx, next); err != nil {
			if errors.Is(err, ErrConflict) {
				return false, nil
			}
			return false, fmt.Errorf("create %s: %w", lock.Describe(), err)
		}
		e.startTerm(next, now)
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("get %s: %w", lock.Describe(), err)
	}
	e.observe(*rec, now)
	// A record held under this identity is a previous incarnation of this
	// candidate (identities are unique per live process): take it at once,
	// in a new term.
	if rec.HolderIdentity != "" && rec.HolderIdentity != lock.Identity() && !e.leaseExpired(now) {
		return false, nil
	}
	next := e.newTerm(now, e.highestEpoch())
	if err := lock.Update(ctx, next, version); err != nil {
		if errors.Is(err, ErrConflict) {
			logr.FromContextOrDiscard(ctx).V(1).Info("lost the race to acquire")
			return false, nil
		}
		return false, fmt.Errorf("update %s: %w", lock.Describe(), err)
	}
	e.startTerm(next, now)
	return true, nil
}

// tryRenew makes one attempt to extend this candidate's term at now. The
// error wraps errSuperseded when the record shows another term.
func (e *Elector) tryRenew(ctx context.Context, now time.Time) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	lock := e.cfg.Lock
	rec, version, err := lock.Get(ctx)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %s was deleted", errSuperseded, lock.Describe())
	}
	if err != nil {
		return fmt.Errorf("get %s: %w", lock.Describe(), err)
	}
	e.observe(*rec, now)
	epoch := e.Epoch()
	if rec.HolderIdentity != lock.Identity() || rec.Epoch != epoch {
		return fmt.Errorf("%w: held by %q in epoch %d, not %q in epoch %d",
			errSuperseded, rec.HolderIdentity, rec.Epoch, lock.Identity(), epoch)
	}
	next := *rec
	next.LeaseDurationSeconds = e.leaseSeconds()
	next.RenewTime = now
	if err := lock.Update(ctx, next, version); err != nil {
		return fmt.Errorf("update %s: %w", lock.Describe(), err)
	}
	e.observe(next, now)
	e.mu.Lock()
	e.renewTime = now
	e.mu.Unlock()
	return nil
}

// release clears the holder of this candidate's term so that a successor
// does not wait for the lease to expire. It runs after ctx was cancelled,
// so it gets its own RenewDeadline.
func (e *Elector) release(ctx context.Context) {
	log := logr.FromContextOrDiscard(ctx)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.RenewDeadline)
	defer cancel()
	if err := e.tryRelease(ctx); err != nil {
		log.Error(err, "release failed")
		return
	}
	log.Info("released leadership", "epoch", e.Epoch())
}

func (e *Elector) tryRelease(ctx context.Context) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	lock := e.cfg.Lock
	rec, version, err := lock.Get(ctx)
	if err != nil {
		return fmt.Errorf("get %s: %w", lock.Describe(), err)
	}
	if epoch := e.Epoch(); rec.HolderIdentity != lock.Identity() || rec.Epoch != epoch {
		return fmt.Errorf("%w: held by %q in epoch %d, not %q in epoch %d",
			errSuperseded, rec.HolderIdentity, rec.Epoch, lock.Identity(), epoch)
	}
	next := *rec
	next.HolderIdentity = ""
	next.LeaseDurationSeconds = 1
	next.RenewTime = e.cfg.Clock.Now()
	if err := lock.Update(ctx, next, version); err != nil {
		return fmt.Errorf("update %s: %w", lock.Describe(), err)
	}
	return nil
}

// newTerm is the record that starts a term after epoch.
func (e *Elector) newTerm(now time.Time, epoch int64) LeaderElectionRecord {
	return LeaderElectionRecord{
		HolderIdentity:       e.cfg.Lock.Identity(),
		LeaseDurationSeconds: e.leaseSeconds(),
		AcquireTime:          now,
		RenewTime:            now,
		Epoch:                epoch + 1,
	}
}

func (e *Elector) leaseSeconds() int { return int(e.cfg.LeaseDuration / time.Second) }

// observe records rec as seen at now; observedTime moves only when the
// record changed, so silence is measured on the local clock.
func (e *Elector) observe(rec LeaderElectionRecord, now time.Time) {
	e.mu.Lock()
	if e.observed == nil || !e.observed.equal(rec) {
		e.observed = &rec
		e.observedTime = now
	}
	e.maxEpoch = max(e.maxEpoch, rec.Epoch)
	newLeader := rec.HolderIdentity != "" && rec.HolderIdentity != e.reportedLeader
	if newLeader {
		e.reportedLeader = rec.HolderIdentity
	}
	e.mu.Unlock()
	if newLeader && e.cfg.Callbacks.OnNewLeader != nil {
		e.cfg.Callbacks.OnNewLeader(rec.HolderIdentity)
	}
}

// leaseExpired reports whether the observed record's lease ran out: no
// change seen for its LeaseDurationSeconds on the local clock.
func (e *Elector) leaseExpired(now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	lease := time.Duration(e.observed.LeaseDurationSeconds) * time.Second
	return !now.Before(e.observedTime.Add(lease))
}

func (e *Elector) highestEpoch() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.maxEpoch
}

func (e *Elector) startTerm(rec LeaderElectionRecord, now time.Time) {
	e.observe(rec, now)
	e.mu.Lock()
	e.leading = true
	e.epoch = rec.Epoch
	e.renewTime = now
	e.mu.Unlock()
	e.metrics.isLeader.Set(1)
	e.metrics.epoch.Set(float64(rec.Epoch))
}

func (e *Elector) stopLeading() {
	e.mu.Lock()
	e.leading = false
	e.mu.Unlock()
	e.metrics.isLeader.Set(0)
}
