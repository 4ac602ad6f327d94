package leaderelection

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/swarmgate/swarmgate/internal/testwait"
)

// fakeClock is a Clock that moves only when Step is called.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

// Step advances the clock and fires, synchronously, every timer due.
func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		t.ch <- c.now
		return true
	})
}

// Timers is the number of pending timers.
func (c *fakeClock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type fakeTimer struct {
	clock *fakeClock
	at    time.Time
	ch    chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	return true
}

// fakeStore is an in-memory lock object with versions shared by the
// fakeLocks of several candidates.
type fakeStore struct {
	mu      sync.Mutex
	rec     *LeaderElectionRecord
	version int
	// failFor makes every call by an identity fail.
	failFor map[string]error
	// beforeUpdate, if set, runs once under mu before the next Update
	// checks the version: another writer getting in first.
	beforeUpdate func(s *fakeStore)
	// getGate, if set, holds each Get until getGate's count of Gets
	// arrived, so that racing candidates read the same version.
	getGate *sync.WaitGroup
	// writes is every record successfully written, in order.
	writes []LeaderElectionRecord
}

func (s *fakeStore) lock(identity string) *fakeLock { return &fakeLock{store: s, identity: identity} }

func (s *fakeStore) record() (LeaderElectionRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rec == nil {
		return LeaderElectionRecord{}, false
	}
	return *s.rec, true
}

func (s *fakeStore) setFail(identity string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failFor == nil {
		s.failFor = map[string]error{}
	}
	s.failFor[identity] = err
}

func (s *fakeStore) setBeforeUpdate(fn func(s *fakeStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setBeforeUpdateLocked(fn)
}

func (s *fakeStore) setBeforeUpdateLocked(fn func(s *fakeStore)) { s.beforeUpdate = fn }

// putLocked writes rec as a new version; s.mu must be held.
func (s *fakeStore) putLocked(rec LeaderElectionRecord) {
	s.rec = &rec
	s.version++
	s.writes = append(s.writes, rec)
}

func (s *fakeStore) history() []LeaderElectionRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.writes)
}

type fakeLock struct {
	store    *fakeStore
	identity string
}

func (l *fakeLock) Identity() string { return l.identity }
func (l *fakeLock) Describe() string { return "fake lock" }

func (l *fakeLock) Get(ctx context.Context) (*LeaderElectionRecord, string, error) {
	s := l.store
	s.mu.Lock()
	gate := s.getGate
	s.mu.Unlock()
	if gate != nil {
		gate.Done()
		gate.Wait()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failFor[l.identity]; err != nil {
		return nil, "", err
	}
	if s.rec == nil {
		return nil, "", fmt.Errorf("get: %w", ErrNotFound)
	}
	rec := *s.rec
	return &rec, strconv.Itoa(s.version), nil
}

func (l *fakeLock) Create(ctx context.Context, rec LeaderElectionRecord) error {
	s := l.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failFor[l.identity]; err != nil {
		return err
	}
	if s.rec != nil {
		return fmt.Errorf("create: %w", ErrConflict)
	}
	s.putLocked(rec)
	return nil
}

func (l *fakeLock) Update(ctx context.Context, rec LeaderElectionRecord, version string) error {
	s := l.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failFor[l.identity]; err != nil {
		return err
	}
	if fn := s.beforeUpdate; fn != nil {
		s.beforeUpdate = nil
		fn(s)
	}
	if s.rec == nil {
		return fmt.Errorf("update: %w", ErrNotFound)
	}
	if version != strconv.Itoa(s.version) {
		return fmt.Errorf("update at %s, store at %d: %w", version, s.version, ErrConflict)
	}
	s.putLocked(rec)
	return nil
}

// waitUntil polls cond until it holds, failing the test after 10s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, 10*time.Second, what, testwait.True(cond))
}
