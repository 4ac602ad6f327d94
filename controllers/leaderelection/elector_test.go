package leaderelection

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
)

const (
	testLease = DefaultLeaseDuration
	testRenew = DefaultRenewDeadline
	testRetry = DefaultRetryPeriod
	// maxRetryWait is the longest jittered wait between acquire attempts.
	maxRetryWait = testRetry + time.Duration(JitterFactor*float64(testRetry))
)

// candidate is one running Elector and what its callbacks reported.
type candidate struct {
	id        string
	elector   *Elector
	cancel    context.CancelFunc
	started   chan term
	stopped   chan struct{}
	done      chan error
	newLeader chan string
}

// term is what OnStartedLeading received.
type term struct {
	ctx   context.Context
	epoch int64
}

func startCandidate(t *testing.T, store *fakeStore, clk Clock, id string, mutate func(*Config)) *candidate {
	t.Helper()
	c := &candidate{
		id:        id,
		started:   make(chan term, 1),
		stopped:   make(chan struct{}),
		done:      make(chan error, 1),
		newLeader: make(chan string, 100),
	}
	cfg := Config{
		Lock:  store.lock(id),
		Clock: clk,
		Callbacks: Callbacks{
			OnStartedLeading: func(ctx context.Context, epoch int64) { c.started <- term{ctx, epoch} },
			OnStoppedLeading: func() { close(c.stopped) },
			OnNewLeader:      func(identity string) { c.newLeader <- identity },
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	e, err := NewElector(cfg)
	if err != nil {
		t.Fatalf("NewElector: %v", err)
	}
	c.elector = e
	ctx, cancel := context.WithCancel(logrContext(t))
	c.cancel = cancel
	t.Cleanup(func() {
		cancel()
		<-c.done
	})
	go func() { c.done <- e.Run(ctx) }()
	return c
}

func logrContext(t *testing.T) context.Context {
	return logr.NewContext(context.Background(), testr.NewWithOptions(t, testr.Options{Verbosity: 1}))
}

// awaitTerm waits for the candidate to start leading.
func (c *candidate) awaitTerm(t *testing.T) term {
	t.Helper()
	select {
	case tm := <-c.started:
		return tm
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not start leading", c.id)
		return term{}
	}
}

// awaitDone waits for Run to return and checks its error.
func (c *candidate) awaitDone(t *testing.T, want error) {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err // for the cleanup
		if !errors.Is(err, want) || (want == nil && err != nil) {
			t.Fatalf("%s: Run returned %v, want %v", c.id, err, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: Run did not return", c.id)
	}
}

func (c *candidate) isStarted() bool { return len(c.started) > 0 }

// step advances clk by d once every candidate's loop is idle on its timer
// (n timers pending), then waits for them to be idle again.
func step(t *testing.T, clk *fakeClock, n int, d time.Duration) {
	t.Helper()
	waitUntil(t, "candidates idle", func() bool { return clk.Timers() == n })
	clk.Step(d)
	waitUntil(t, "candidates idle", func() bool { return clk.Timers() == n })
}

// stepUntil steps by d, at most limit times, until c started leading.
func stepUntil(t *testing.T, clk *fakeClock, n int, d time.Duration, limit int, c *candidate) {
	t.Helper()
	for range limit {
		if c.isStarted() {
			return
		}
		step(t, clk, n, d)
	}
	if !c.isStarted() {
		t.Fatalf("%s did not start leading within %v", c.id, time.Duration(limit)*d)
	}
}

func TestSingleCandidateAcquiresEpochOne(t *testing.T) {
	store := &fakeStore{}
	a := startCandidate(t, store, newFakeClock(), "a", nil)

	tm := a.awaitTerm(t)
	if tm.epoch != 1 {
		t.Errorf("epoch = %d, want 1", tm.epoch)
	}
	if !a.elector.IsLeader() || a.elector.GetLeader() != "a" || a.elector.Epoch() != 1 {
		t.Errorf("IsLeader, GetLeader, Epoch = %v, %q, %d; want true, a, 1", a.elector.IsLeader(), a.elector.GetLeader(), a.elector.Epoch())
	}
	if got := <-a.newLeader; got != "a" {
		t.Errorf("OnNewLeader(%q), want a", got)
	}
	rec, _ := store.record()
	if rec.HolderIdentity != "a" || rec.Epoch != 1 || rec.LeaseDurationSeconds != 15 {
		t.Errorf("record = %+v, want holder a, epoch 1, 15s", rec)
	}

	a.cancel()
	a.awaitDone(t, nil)
	<-a.stopped
	if tm.ctx.Err() == nil {
		t.Error("leader context not cancelled after Run returned")
	}
	if a.elector.IsLeader() {
		t.Error("IsLeader after Run returned")
	}
	if rec, _ := store.record(); rec.HolderIdentity != "a" {
		t.Errorf("holder = %q after cancel without ReleaseOnCancel, want a", rec.HolderIdentity)
	}
}

func TestTakeoverOnlyAfterLocallyObservedSilence(t *testing.T) {
	store := &fakeStore{}
	clk := newFakeClock()
	a := startCandidate(t, store, clk, "a", nil)
	a.awaitTerm(t)
	b := startCandidate(t, store, clk, "b", nil)

	// a renews every RetryPeriod: b must keep waiting however long.
	for range 60 {
		step(t, clk, 2, time.Second)
		if b.isStarted() {
			t.Fatalf("b started leading at %v while a renews", clk.Now())
		}
	}
	a.cancel()
	a.awaitDone(t, nil)
	lastRenew, _ := store.record()

	stepUntil(t, clk, 1, time.Second, 30, b)
	tm := b.awaitTerm(t)
	if tm.epoch != 2 {
		t.Errorf("b epoch = %d, want 2", tm.epoch)
	}
	rec, _ := store.record()
	silence := rec.AcquireTime.Sub(lastRenew.RenewTime)
	// b saw a's last renewal at its first attempt after it, at most one
	// jittered retry later, and tries again at most one retry after expiry.
	if silence < testLease || silence > testLease+2*maxRetryWait {
		t.Errorf("b took over after %v of silence, want within [%v, %v]", silence, testLease, testLease+2*maxRetryWait)
	}
}

func TestLeaderStopsWhenRenewFailsUntilDeadline(t *testing.T) {
	store := &fakeStore{}
	clk := newFakeClock()
	a := startCandidate(t, store, clk, "a", nil)
	tm := a.awaitTerm(t)
	store.setFail("a", errors.New("daemon unavailable"))

	for elapsed := time.Second; elapsed < testRenew; elapsed += time.Second {
		step(t, clk, 1, time.Second)
		if tm.ctx.Err() != nil || !a.elector.IsLeader() {
			t.Fatalf("stopped leading %v after the last renewal, want %v", elapsed, testRenew)
		}
	}
	clk.Step(time.Second)
	a.awaitDone(t, ErrLeadershipLost)
	<-a.stopped
	if tm.ctx.Err() == nil {
		t.Error("leader context not cancelled")
	}
	if a.elector.IsLeader() {
		t.Error("IsLeader after leadership lost")
	}
}

func TestLeaderStopsAtOnceWhenSuperseded(t *testing.T) {
	store := &fakeStore{}
	clk := newFakeClock()
	a := startCandidate(t, store, clk, "a", nil)
	tm := a.awaitTerm(t)
	// Another writer gets in between a's Get and Update: a's renewal
	// conflicts, and its next attempt sees the intruder's term.
	store.setBeforeUpdate(func(s *fakeStore) {
		rec := *s.rec
		rec.HolderIdentity = "intruder"
		rec.Epoch++
		s.putLocked(rec)
	})

	step(t, clk, 1, testRetry)
	if tm.ctx.Err() != nil {
		t.Fatal("stopped leading on a conflict alone")
	}
	clk.Step(testRetry)
	a.awaitDone(t, ErrLeadershipLost)
	if got := a.elector.GetLeader(); got != "intruder" {
		t.Errorf("GetLeader = %q, want intruder", got)
	}
	if rec, _ := store.record(); rec.HolderIdentity != "intruder" {
		t.Errorf("holder = %q, want intruder: the deposed leader must not write", rec.HolderIdentity)
	}
}

func TestRacingCandidatesElectOneLeader(t *testing.T) {
	for _, tc := range []struct {
		name    string
		initial *LeaderElectionRecord
	}{
		{name: "all create", initial: nil},
		{name: "all update a released record", initial: &LeaderElectionRecord{LeaseDurationSeconds: 1, Epoch: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := []string{"a", "b", "c"}
			store := &fakeStore{rec: tc.initial, getGate: &sync.WaitGroup{}}
			store.getGate.Add(len(ids))
			clk := newFakeClock()
			var leaders atomic.Int32
			var mu sync.Mutex
			var epochs []int64
			var cands []*candidate
			for _, id := range ids {
				cands = append(cands, startCandidate(t, store, clk, id, func(cfg *Config) {
					started := cfg.Callbacks.OnStartedLeading
					cfg.Callbacks.OnStartedLeading = func(ctx context.Context, epoch int64) {
						if n := leaders.Add(1); n > 1 {
							t.Errorf("%d leaders at once", n)
						}
						mu.Lock()
						epochs = append(epochs, epoch)
						mu.Unlock()
						started(ctx, epoch)
					}
				}))
			}
			waitUntil(t, "a leader", func() bool { return leaders.Load() == 1 })
			store.mu.Lock()
			store.getGate = nil
			store.mu.Unlock()

			for range 30 {
				step(t, clk, len(ids), time.Second)
			}
			var leading []string
			for _, c := range cands {
				if c.elector.IsLeader() {
					leading = append(leading, c.id)
				}
			}
			want := int64(1)
			if tc.initial != nil {
				want = tc.initial.Epoch + 1
			}
			mu.Lock()
			defer mu.Unlock()
			if len(leading) != 1 || !slices.Equal(epochs, []int64{want}) {
				t.Errorf("leaders %v with epochs %v, want one leader with epoch %d", leading, epochs, want)
			}
		})
	}
}

func TestReleaseOnCancelLetsSuccessorAcquireAtOnce(t *testing.T) {
	store := &fakeStore{}
	clk := newFakeClock()
	release := func(cfg *Config) { cfg.ReleaseOnCancel = true }
	a := startCandidate(t, store, clk, "a", release)
	a.awaitTerm(t)
	b := startCandidate(t, store, clk, "b", release)
	step(t, clk, 2, time.Second)

	a.cancel()
	a.awaitDone(t, nil)
	released, _ := store.record()
	if released.HolderIdentity != "" || released.LeaseDurationSeconds != 1 || released.Epoch != 1 {
		t.Fatalf("released record = %+v, want no holder, 1s lease, epoch 1", released)
	}
	stepUntil(t, clk, 1, time.Second, 5, b)
	if tm := b.awaitTerm(t); tm.epoch != 2 {
		t.Errorf("b epoch = %d, want 2", tm.epoch)
	}
	rec, _ := store.record()
	if wait := rec.AcquireTime.Sub(released.RenewTime); wait > maxRetryWait {
		t.Errorf("b took over %v after the release, want at most one retry (%v)", wait, maxRetryWait)
	}
}

func TestEpochIncreasesAcrossHoldersAndRestarts(t *testing.T) {
	store := &fakeStore{}
	clk := newFakeClock()
	var epochs []int64
	lead := func(c *candidate) {
		t.Helper()
		epochs = append(epochs, c.awaitTerm(t).epoch)
	}

	a1 := startCandidate(t, store, clk, "a", nil)
	lead(a1)
	a1.cancel()
	a1.awaitDone(t, nil)

	// A restart under the same identity takes over at once, in a new term.
	a2 := startCandidate(t, store, clk, "a", func(cfg *Config) { cfg.ReleaseOnCancel = true })
	lead(a2)
	b := startCandidate(t, store, clk, "b", nil)
	step(t, clk, 2, time.Second)
	a2.cancel()
	a2.awaitDone(t, nil)
	stepUntil(t, clk, 1, time.Second, 5, b)
	lead(b)

	// b fails to renew; c takes over after the lease expired.
	c := startCandidate(t, store, clk, "c", nil)
	step(t, clk, 2, time.Second)
	store.setFail("b", errors.New("partitioned"))
	for i := time.Duration(0); i < testRenew && len(b.done) == 0; i += time.Second {
		waitUntil(t, "candidates idle", func() bool { return clk.Timers() == 2 })
		clk.Step(time.Second)
		waitUntil(t, "candidates idle or b done", func() bool { return clk.Timers() == 2 || len(b.done) > 0 })
	}
	b.awaitDone(t, ErrLeadershipLost)
	stepUntil(t, clk, 1, time.Second, 30, c)
	lead(c)

	if want := []int64{1, 2, 3, 4}; !slices.Equal(epochs, want) {
		t.Errorf("epochs = %v, want %v", epochs, want)
	}
	var last int64
	for _, rec := range store.history() {
		if rec.Epoch < last {
			t.Errorf("epoch went back from %d to %d: %+v", last, rec.Epoch, rec)
		}
		last = rec.Epoch
	}
}

func TestRunTwice(t *testing.T) {
	store := &fakeStore{}
	a := startCandidate(t, store, newFakeClock(), "a", nil)
	a.awaitTerm(t)
	if err := a.elector.Run(context.Background()); err == nil {
		t.Error("second Run returned nil, want an error")
	}
}
