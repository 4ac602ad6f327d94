package leaderelection

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestTryAcquire(t *testing.T) {
	start := newFakeClock().Now()
	heldByB := func(mutate func(*LeaderElectionRecord)) *LeaderElectionRecord {
		rec := &LeaderElectionRecord{HolderIdentity: "b", LeaseDurationSeconds: 15, AcquireTime: start, RenewTime: start, Epoch: 3}
		if mutate != nil {
			mutate(rec)
		}
		return rec
	}
	renewedByB := func(s *fakeStore) {
		rec := *s.rec
		rec.RenewTime = rec.RenewTime.Add(time.Hour)
		s.putLocked(rec)
	}
	// attempt is one tryAcquire after advancing the clock; before, if set,
	// writes to the store first (another candidate's write).
	type attempt struct {
		advance time.Duration
		before  func(*fakeStore)
		want    bool
	}
	waitFullLease := []attempt{{0, nil, false}, {14 * time.Second, nil, false}, {time.Second, nil, true}}
	for _, tc := range []struct {
		name      string
		initial   *LeaderElectionRecord
		attempts  []attempt
		wantEpoch int64
	}{
		{
			name:      "no record: creates epoch 1",
			attempts:  []attempt{{0, nil, true}},
			wantEpoch: 1,
		},
		{
			name:      "held by another: waits one lease from first sight",
			initial:   heldByB(nil),
			attempts:  waitFullLease,
			wantEpoch: 4,
		},
		{
			name:      "remote renew time an hour ahead changes nothing",
			initial:   heldByB(func(r *LeaderElectionRecord) { r.RenewTime = start.Add(time.Hour) }),
			attempts:  waitFullLease,
			wantEpoch: 4,
		},
		{
			name:      "remote renew time an hour behind changes nothing",
			initial:   heldByB(func(r *LeaderElectionRecord) { r.RenewTime = start.Add(-time.Hour) }),
			attempts:  waitFullLease,
			wantEpoch: 4,
		},
		{
			name:      "remote renew time zero changes nothing",
			initial:   heldByB(func(r *LeaderElectionRecord) { r.RenewTime = time.Time{} }),
			attempts:  waitFullLease,
			wantEpoch: 4,
		},
		{
			name:    "every renewal seen restarts the wait",
			initial: heldByB(nil),
			attempts: []attempt{
				{0, nil, false},
				{10 * time.Second, renewedByB, false},
				{14 * time.Second, nil, false},
				{time.Second, nil, true},
			},
			wantEpoch: 4,
		},
		{
			name:      "the record's lease duration governs",
			initial:   heldByB(func(r *LeaderElectionRecord) { r.LeaseDurationSeconds = 30 }),
			attempts:  []attempt{{0, nil, false}, {29 * time.Second, nil, false}, {time.Second, nil, true}},
			wantEpoch: 4,
		},
		{
			name:      "released record: acquires at once",
			initial:   heldByB(func(r *LeaderElectionRecord) { r.HolderIdentity = ""; r.LeaseDurationSeconds = 1 }),
			attempts:  []attempt{{0, nil, true}},
			wantEpoch: 4,
		},
		{
			name:      "own identity from a previous run: acquires at once in a new term",
			initial:   heldByB(func(r *LeaderElectionRecord) { r.HolderIdentity = "a" }),
			attempts:  []attempt{{0, nil, true}},
			wantEpoch: 4,
		},
		{
			name:    "losing the race to a released record: waits for the winner's lease",
			initial: heldByB(func(r *LeaderElectionRecord) { r.HolderIdentity = "" }),
			attempts: []attempt{
				{0, func(s *fakeStore) {
					s.setBeforeUpdateLocked(func(s *fakeStore) {
						s.putLocked(*heldByB(func(r *LeaderElectionRecord) { r.HolderIdentity = "c"; r.Epoch = 4 }))
					})
				}, false},
				{time.Second, nil, false}, // first sight of c's record
				{14 * time.Second, nil, false},
				{time.Second, nil, true},
			},
			wantEpoch: 5,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			store := &fakeStore{}
			if tc.initial != nil {
				store.putLocked(*tc.initial)
			}
			e := newTestElector(t, store.lock("a"), clk)
			for i, at := range tc.attempts {
				clk.Step(at.advance)
				if at.before != nil {
					store.mu.Lock()
					at.before(store)
					store.mu.Unlock()
				}
				got, err := e.tryAcquire(context.Background())
				if err != nil {
					t.Fatalf("attempt %d: %v", i, err)
				}
				if got != at.want || e.IsLeader() != at.want {
					t.Fatalf("attempt %d at +%v: acquired %v, IsLeader %v; want %v", i, clk.Now().Sub(start), got, e.IsLeader(), at.want)
				}
			}
			rec, _ := store.record()
			if rec.HolderIdentity != "a" || rec.Epoch != tc.wantEpoch || e.Epoch() != tc.wantEpoch {
				t.Errorf("record %+v, Epoch() %d; want holder a, epoch %d", rec, e.Epoch(), tc.wantEpoch)
			}
			if !rec.AcquireTime.Equal(clk.Now()) || !rec.RenewTime.Equal(clk.Now()) {
				t.Errorf("acquire, renew time = %v, %v; want the local clock %v", rec.AcquireTime, rec.RenewTime, clk.Now())
			}
		})
	}
}

func TestTryAcquireGetError(t *testing.T) {
	store := &fakeStore{}
	errDown := errors.New("daemon unavailable")
	store.setFail("a", errDown)
	e := newTestElector(t, store.lock("a"), newFakeClock())
	ok, err := e.tryAcquire(context.Background())
	if ok || !errors.Is(err, errDown) {
		t.Errorf("tryAcquire = %v, %v; want false, %v", ok, err, errDown)
	}
}

func newTestElector(t *testing.T, lock Lock, clk Clock) *Elector {
	t.Helper()
	e, err := NewElector(Config{
		Lock:  lock,
		Clock: clk,
		Callbacks: Callbacks{
			OnStartedLeading: func(context.Context, int64) {},
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
