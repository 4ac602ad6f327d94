package testwait

import (
	"errors"
	"testing"
	"time"
)

func TestUntilReturnsOnceCondHolds(t *testing.T) {
	calls := 0
	Until(t, time.Second, "the third call", func() error {
		calls++
		if calls < 3 {
			return errors.New("too early")
		}
		return nil
	})
	if calls != 3 {
		t.Errorf("cond called %d times, want 3", calls)
	}
}

// recorder captures Fatalf instead of ending the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
	panic(r)
}

func TestUntilFailsAfterTimeout(t *testing.T) {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != any(r) {
				panic(p)
			}
		}()
		Until(r, 20*time.Millisecond, "never", True(func() bool { return false }))
	}()
	if r.failed == "" {
		t.Fatal("Until did not fail the test after its timeout")
	}
}
