package controllers

import (
	"github.com/go-logr/logr"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// problemTracker remembers the label problems already logged, so that each
// one is logged once when it appears and once when it is resolved, instead
// of on every poll.
type problemTracker map[v1alpha1.Problem]struct{}

// update logs the problems that appeared and those that went away since the
// last call, and reports whether there were any.
func (t *problemTracker) update(log logr.Logger, current []v1alpha1.Problem) (changed bool) {
	next := make(problemTracker, len(current))
	for _, p := range current {
		next[p] = struct{}{}
		if _, known := (*t)[p]; !known {
			log.Info("route problem", problemKeys(p)...)
			changed = true
		}
	}
	var resolved []v1alpha1.Problem
	for p := range *t {
		if _, still := next[p]; !still {
			resolved = append(resolved, p)
		}
	}
	v1alpha1.SortProblems(resolved)
	for _, p := range resolved {
		log.Info("route problem resolved", problemKeys(p)...)
		changed = true
	}
	*t = next
	return changed
}

func problemKeys(p v1alpha1.Problem) []any {
	return []any{"service", p.Service, "label", p.Label, "value", p.Value, "reason", p.Reason, "severity", p.Severity}
}
