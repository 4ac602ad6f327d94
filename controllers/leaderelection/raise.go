package leaderelection

import (
	"context"
	"fmt"
)

// RaiseEpoch moves this candidate's current term to an epoch of at least
// atLeast (and above every epoch it has seen), and returns it. The caller
// stamps that epoch on everything it pushes from then on.
//
// It exists for a lock object that was deleted (by an operator, or by
// restoring the cluster) while proxies hold a table of epoch H: the next
// leader recreates the lock at epoch 1, every proxy refuses its pushes as
// stale, and without this it would exit and restart once per epoch up to H.
//
// Fencing stays safe because the raise is a compare-and-swap on the record
// just read, done only if that record still names this identity in this
// term's epoch: every acquisition by another candidate writes the record (a
// new holder or a new epoch), so no newer leader exists at that version, and
// a candidate that acquires later reads the raised epoch and starts above
// it. The term that pushed H is over (its record is gone), so superseding
// its tables is what a fresh acquisition would have done had the lock
// survived. If the record names another holder or epoch, or the Update
// conflicts, RaiseEpoch writes nothing and fails: leadership is really lost,
// and the caller ends its term. Any other error also fails it; the caller
// must not push with a higher epoch it has not written.
//
// The renew loop keeps leading with the raised epoch; renewals and raises
// are serialized so that neither reads a record the other is replacing.
func (e *Elector) RaiseEpoch(ctx context.Context, atLeast int64) (int64, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	lock := e.cfg.Lock
	e.mu.Lock()
	leading, epoch := e.leading, e.epoch
	e.mu.Unlock()
	if !leading {
		return 0, fmt.Errorf("raise epoch: %w: not leading", ErrLeadershipLost)
	}
	// Bounds a hung API call, as for a renewal.
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RenewDeadline)
	defer cancel()
	now := e.cfg.Clock.Now()
	rec, version, err := lock.Get(ctx)
	if err != nil {
		return 0, fmt.Errorf("raise epoch: get %s: %w", lock.Describe(), err)
	}
	e.observe(*rec, now)
	if rec.HolderIdentity != lock.Identity() || rec.Epoch != epoch {
		return 0, fmt.Errorf("raise epoch: %w: %w: held by %q in epoch %d, not %q in epoch %d",
			ErrLeadershipLost, errSuperseded, rec.HolderIdentity, rec.Epoch, lock.Identity(), epoch)
	}
	next := *rec
	next.Epoch = max(atLeast, e.highestEpoch()+1)
	next.LeaseDurationSeconds = e.leaseSeconds()
	next.RenewTime = now
	if err := lock.Update(ctx, next, version); err != nil {
		return 0, fmt.Errorf("raise epoch: update %s: %w", lock.Describe(), err)
	}
	e.observe(next, now)
	e.mu.Lock()
	// The record holds next.Epoch now, so the renew loop and a release
	// must expect it, even if the term ended while the Update ran.
	e.epoch = next.Epoch
	e.renewTime = now
	leading = e.leading
	e.mu.Unlock()
	e.metrics.epoch.Set(float64(next.Epoch))
	if !leading {
		return 0, fmt.Errorf("raise epoch: %w: the term ended meanwhile", ErrLeadershipLost)
	}
	return next.Epoch, nil
}
