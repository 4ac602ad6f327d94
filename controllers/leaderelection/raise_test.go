package leaderelection

import (
	"errors"
	"testing"
	"time"
)

func TestRaiseEpochKeepsLeadingWithTheNewEpoch(t *testing.T) {
	store := &fakeStore{}
	clk := newFakeClock()
	a := startCandidate(t, store, clk, "a", nil)
	tm := a.awaitTerm(t)

	// A proxy holds epoch 9 of a term whose lock was deleted.
	got, err := a.elector.RaiseEpoch(tm.ctx, 10)
	if err != nil || got != 10 {
		t.Fatalf("RaiseEpoch(10) = %d, %v; want 10", got, err)
	}
	if e := a.elector.Epoch(); e != 10 {
		t.Errorf("Epoch() = %d after the raise, want 10", e)
	}
	if rec, _ := store.record(); rec.HolderIdentity != "a" || rec.Epoch != 10 {
		t.Errorf("record = %+v, want holder a in epoch 10", rec)
	}
	// The renew loop expects the raised epoch: it keeps renewing it.
	before := len(store.history())
	for range 5 {
		step(t, clk, 1, testRetry)
	}
	if tm.ctx.Err() != nil || !a.elector.IsLeader() {
		t.Fatal("stopped leading after raising the epoch")
	}
	hist := store.history()
	if len(hist) <= before {
		t.Fatal("no renewal after the raise")
	}
	if last := hist[len(hist)-1]; last.HolderIdentity != "a" || last.Epoch != 10 || !last.RenewTime.Equal(clk.Now()) {
		t.Errorf("last renewal = %+v, want holder a in epoch 10 renewed at %v", last, clk.Now())
	}
	// Releasing expects it too.
	a.cancel()
	a.awaitDone(t, nil)
}

func TestRaiseEpochAboveEverySeenEpoch(t *testing.T) {
	store := &fakeStore{}
	a := startCandidate(t, store, newFakeClock(), "a", nil)
	tm := a.awaitTerm(t)
	if got, err := a.elector.RaiseEpoch(tm.ctx, 0); err != nil || got != 2 {
		t.Fatalf("RaiseEpoch(0) in epoch 1 = %d, %v; want 2: an epoch is never reused", got, err)
	}
}

func TestRaiseEpochFailsWithoutWritingWhenDeposed(t *testing.T) {
	for _, tc := range []struct {
		name string
		// depose changes the store after a acquired, or just before its
		// raise writes.
		depose       func(s *fakeStore)
		beforeUpdate bool
		want         error
	}{
		{name: "taken over", want: ErrLeadershipLost, depose: func(s *fakeStore) {
			s.putLocked(LeaderElectionRecord{HolderIdentity: "b", LeaseDurationSeconds: 15, Epoch: 2})
		}},
		{name: "same holder, another epoch", want: ErrLeadershipLost, depose: func(s *fakeStore) {
			// A restart of this identity acquired meanwhile.
			rec := *s.rec
			rec.Epoch++
			s.putLocked(rec)
		}},
		{name: "compare-and-swap conflict", beforeUpdate: true, want: ErrConflict, depose: func(s *fakeStore) {
			rec := *s.rec
			rec.HolderIdentity = "intruder"
			rec.Epoch++
			s.putLocked(rec)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeStore{}
			a := startCandidate(t, store, newFakeClock(), "a", nil)
			tm := a.awaitTerm(t)
			if tc.beforeUpdate {
				store.setBeforeUpdate(tc.depose)
			} else {
				store.mu.Lock()
				tc.depose(store)
				store.mu.Unlock()
			}
			intruder, _ := store.record()
			if tc.beforeUpdate {
				intruder = LeaderElectionRecord{} // written during the raise
			}
			writes := len(store.history())

			got, err := a.elector.RaiseEpoch(tm.ctx, 10)
			if !errors.Is(err, tc.want) || got != 0 {
				t.Fatalf("RaiseEpoch = %d, %v; want an error wrapping %v", got, err, tc.want)
			}
			hist := store.history()
			if !tc.beforeUpdate && len(hist) != writes {
				t.Errorf("RaiseEpoch wrote %+v over another term", hist[writes:])
			}
			if last := hist[len(hist)-1]; last.Epoch == 10 || (intruder.Epoch != 0 && !last.equal(intruder)) {
				t.Errorf("record = %+v, want the other term's", last)
			}
			if e := a.elector.Epoch(); e != 1 {
				t.Errorf("Epoch() = %d, want 1: nothing was raised", e)
			}
		})
	}
}

func TestRaiseEpochAfterTheTermFails(t *testing.T) {
	store := &fakeStore{}
	a := startCandidate(t, store, newFakeClock(), "a", nil)
	tm := a.awaitTerm(t)
	a.cancel()
	a.awaitDone(t, nil)
	writes := len(store.history())
	if _, err := a.elector.RaiseEpoch(tm.ctx, 10); !errors.Is(err, ErrLeadershipLost) {
		t.Fatalf("RaiseEpoch after the term = %v, want ErrLeadershipLost", err)
	}
	if len(store.history()) != writes {
		t.Error("RaiseEpoch after the term wrote the record")
	}
}

// The renew loop and RaiseEpoch run concurrently in production: a renewal
// must never read the record before a raise and compare it after (or the
// reverse), or the leader steps down for a term it still holds.
func TestRaiseEpochRacingRenewals(t *testing.T) {
	store := &fakeStore{}
	clk := newFakeClock()
	a := startCandidate(t, store, clk, "a", func(c *Config) {
		c.RetryPeriod = time.Millisecond
		c.RenewDeadline = time.Hour
		c.LeaseDuration = 2 * time.Hour
	})
	tm := a.awaitTerm(t)
	stop := make(chan struct{})
	stepped := make(chan struct{})
	go func() {
		defer close(stepped)
		for {
			select {
			case <-stop:
				return
			default:
				clk.Step(time.Millisecond)
			}
		}
	}()
	want := int64(1)
	for i := range 2000 {
		got, err := a.elector.RaiseEpoch(tm.ctx, want+1)
		if err != nil || got != want+1 {
			close(stop)
			<-stepped
			t.Fatalf("raise %d: RaiseEpoch(%d) = %d, %v", i, want+1, got, err)
		}
		want = got
	}
	close(stop)
	<-stepped
	if tm.ctx.Err() != nil {
		t.Fatal("the renew loop stepped down while the epoch was raised")
	}
}
