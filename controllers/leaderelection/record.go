package leaderelection

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound is wrapped by Lock.Get and Lock.Update when the lock
	// object does not exist.
	ErrNotFound = errors.New("lock not found")
	// ErrConflict is wrapped by Lock.Create when the lock object already
	// exists and by Lock.Update when the version is stale: another writer
	// won the race.
	ErrConflict = errors.New("lock conflict")
)

// LeaderElectionRecord is the state shared by all candidates through a Lock.
type LeaderElectionRecord struct {
	// HolderIdentity is the identity of the leader; empty when the lease
	// was released.
	HolderIdentity string
	// LeaseDurationSeconds is how long candidates wait, after they last saw
	// the record change, before taking over.
	LeaseDurationSeconds int
	// AcquireTime and RenewTime are the holder's clock: informative only,
	// never used to judge expiry.
	AcquireTime time.Time
	RenewTime   time.Time
	// Epoch counts leadership terms: it grows on every acquisition.
	Epoch int64
}

// equal reports whether two records hold the same values; time.Time is
// compared with Equal because decoded times carry no monotonic reading.
func (r LeaderElectionRecord) equal(o LeaderElectionRecord) bool {
	return r.HolderIdentity == o.HolderIdentity &&
		r.LeaseDurationSeconds == o.LeaseDurationSeconds &&
		r.AcquireTime.Equal(o.AcquireTime) &&
		r.RenewTime.Equal(o.RenewTime) &&
		r.Epoch == o.Epoch
}

// Lock stores a LeaderElectionRecord with optimistic concurrency.
type Lock interface {
	// Get returns the record and an opaque version to pass to Update. The
	// error wraps ErrNotFound when the lock object does not exist.
	Get(ctx context.Context) (*LeaderElectionRecord, string, error)
	// Create creates the lock object; the error wraps ErrConflict when it
	// already exists.
	Create(ctx context.Context, rec LeaderElectionRecord) error
	// Update replaces the record if the lock object is still at version;
	// the error wraps ErrConflict otherwise.
	Update(ctx context.Context, rec LeaderElectionRecord, version string) error
	// Identity is the candidate identity written as HolderIdentity. It must
	// be unique among live processes (a Swarm task's hostname is).
	Identity() string
	// Describe names the lock object for logs and errors.
	Describe() string
}
