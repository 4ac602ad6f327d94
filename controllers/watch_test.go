package controllers

import (
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
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

func TestNeedsRelist(t *testing.T) {
	tests := []struct {
		typ    events.Type
		action events.Action
		want   bool
	}{
		{events.ServiceEventType, events.ActionCreate, true},
		{events.ServiceEventType, events.ActionUpdate, true},
		{events.ServiceEventType, events.ActionRemove, true},
		{events.NetworkEventType, events.ActionCreate, true},
		{events.NetworkEventType, events.ActionRemove, true},
		{events.NetworkEventType, events.ActionConnect, false},
		{events.NetworkEventType, events.ActionDisconnect, false},
		{events.NodeEventType, events.ActionUpdate, false},
	}
	for _, tt := range tests {
		if got := needsRelist(events.Message{Type: tt.typ, Action: tt.action}); got != tt.want {
			t.Errorf("%s %s: needsRelist = %v, want %v", tt.typ, tt.action, got, tt.want)
		}
	}
}
