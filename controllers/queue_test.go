package controllers

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := backoff{base: 5 * time.Millisecond, max: 30 * time.Second}
	var got []time.Duration
	for range 16 {
		got = append(got, b.next())
	}
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 20480, 30000, 30000, 30000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays = %v, want %v ms", got, want)
		}
	}
	b.reset()
	if d := b.next(); d != 5*time.Millisecond {
		t.Errorf("after reset: %v, want 5ms", d)
	}
}

// runQueue runs q with reconcile until the test ends.
func runQueue(t *testing.T, q *queue, reconcile func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.run(ctx, reconcile)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func TestQueueCollapsesBursts(t *testing.T) {
	q := newQueue(newFakeClock())
	running := make(chan int)
	release := make(chan struct{})
	n := 0
	runQueue(t, q, func(context.Context) error {
		n++
		running <- n
		<-release
		return nil
	})
	q.Add()
	if got := <-running; got != 1 {
		t.Fatalf("first run = %d", got)
	}
	for range 100 { // a burst of events while the first reconcile runs
		q.Add()
	}
	release <- struct{}{}
	if got := <-running; got != 2 {
		t.Fatalf("second run = %d", got)
	}
	// Run 2 took the only pending request: the burst left nothing else.
	if len(q.pending) != 0 {
		t.Fatalf("%d requests still pending after the burst's run started", len(q.pending))
	}
	release <- struct{}{}
}

func TestQueueBacksOffAndResets(t *testing.T) {
	clock := newFakeClock()
	q := newQueue(clock)
	// Fail twice, succeed, fail again: the third failure starts over at 5ms.
	results := []error{errors.New("docker down"), errors.New("docker down"), nil, errors.New("docker down")}
	calls := make(chan int, len(results))
	i := 0
	runQueue(t, q, func(context.Context) error {
		err := results[min(i, len(results)-1)]
		i++
		calls <- i
		return err
	})
	q.Add()
	for _, want := range []time.Duration{5 * time.Millisecond, 10 * time.Millisecond} {
		<-calls
		if d := clock.nextWait(t); d != want {
			t.Fatalf("backoff = %v, want %v", d, want)
		}
		q.Add() // triggers during the backoff wait for it
		select {
		case n := <-calls:
			t.Fatalf("run %d started during the backoff", n)
		default:
		}
		clock.Step(want)
	}
	<-calls // the success
	q.Add()
	<-calls
	if d := clock.nextWait(t); d != 5*time.Millisecond {
		t.Fatalf("backoff after a success = %v, want 5ms", d)
	}
}
