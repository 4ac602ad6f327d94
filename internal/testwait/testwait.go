// Package testwait polls a condition until it holds or a deadline passes,
// so that tests wait for asynchronous work without sleeping a guessed time.
package testwait

import (
	"errors"
	"testing"
	"time"
)

// Interval is how often Until checks its condition.
const Interval = 5 * time.Millisecond

// Until calls cond until it returns nil and fails the test, naming what it
// waited for and cond's last error, if that has not happened within timeout.
func Until(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(Interval)
	}
}

// True adapts a boolean condition for Until.
func True(cond func() bool) func() error {
	return func() error {
		if cond() {
			return nil
		}
		return errNotYet
	}
}

var errNotYet = errors.New("condition not met")
