package controllers

import (
	"testing"
	"time"
)

func TestPollInterval(t *testing.T) {
	const fast, steady = 250 * time.Millisecond, 2 * time.Second
	now := testEpoch
	tests := []struct {
		name      string
		fastUntil time.Time
		last      time.Duration
		want      time.Duration
	}{
		{"no event yet", time.Time{}, 5 * time.Millisecond, steady},
		{"inside the window after an event", now.Add(time.Second), 5 * time.Millisecond, fast},
		{"window just closed", now, 5 * time.Millisecond, steady},
		{"slow reconciles stretch the fast interval", now.Add(time.Second), 200 * time.Millisecond, 800 * time.Millisecond},
		{"and the steady one", time.Time{}, time.Second, 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pollInterval(now, tt.fastUntil, tt.last, fast, steady); got != tt.want {
				t.Errorf("pollInterval = %v, want %v", got, tt.want)
			}
		})
	}
}
