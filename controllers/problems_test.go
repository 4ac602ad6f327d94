package controllers

import (
	"testing"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
	"github.com/swarmgate/swarmgate/internal/logtest"
)

func TestProblemTrackerLogsChangesOnly(t *testing.T) {
	port := v1alpha1.Problem{Service: "web", Label: "proxy.port", Value: "http", Reason: "must be a port number from 1 to 65535", Severity: v1alpha1.SeverityError}
	typo := v1alpha1.Problem{Service: "api", Label: "proxy.paht", Value: "/api", Reason: "unknown label, ignored", Severity: v1alpha1.SeverityWarning}
	steps := []struct {
		name              string
		current           []v1alpha1.Problem
		changed           bool
		appeared, cleared int // log lines this step adds
	}{
		{name: "none", current: nil, changed: false},
		{name: "port appears", current: []v1alpha1.Problem{port}, changed: true, appeared: 1},
		{name: "same again", current: []v1alpha1.Problem{port}, changed: false},
		{name: "typo joins", current: []v1alpha1.Problem{typo, port}, changed: true, appeared: 1},
		{name: "port fixed", current: []v1alpha1.Problem{typo}, changed: true, cleared: 1},
		{name: "all fixed", current: nil, changed: true, cleared: 1},
		{name: "still fixed", current: nil, changed: false},
	}
	tracker := problemTracker{}
	logs := &logtest.Sink{}
	var appeared, cleared int
	for _, s := range steps {
		if got := tracker.update(logs.Logger(), s.current); got != s.changed {
			t.Errorf("%s: changed = %v, want %v", s.name, got, s.changed)
		}
		appeared += s.appeared
		cleared += s.cleared
		if got := logs.Count(`"route problem"`); got != appeared {
			t.Errorf("%s: %d appearance lines, want %d", s.name, got, appeared)
		}
		if got := logs.Count(`"route problem resolved"`); got != cleared {
			t.Errorf("%s: %d resolution lines, want %d", s.name, got, cleared)
		}
	}
	if n := logs.Count(`"route problem"`, `"service"="web"`, `"label"="proxy.port"`, `"value"="http"`, `"reason"="must be a port number from 1 to 65535"`, `"severity"="error"`); n != 1 {
		t.Errorf("the port problem's line lacks its keys: %v", logs.Lines())
	}
}
