package reconcile

import (
	"fmt"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// routeKey is what two routes must not share: a request matching both could
// go to either.
type routeKey struct{ host, pathPrefix string }

// claim records which service, and which of its labels, holds a routeKey.
type claim struct {
	svc   *Service
	label string
}

// claim gives host and spec's path prefix to svc unless an earlier claim holds
// them, in which case it reports the loser and returns false. Services claim
// oldest first and routes in index order, so the older service and the lower
// index win, and exactly one route survives every conflict.
func (b *builder) claim(svc *Service, spec *v1alpha1.RouteSpec, host string) bool {
	k := routeKey{host: host, pathPrefix: spec.PathPrefix}
	owner, taken := b.claims[k]
	if !taken {
		b.claims[k] = claim{svc: svc, label: spec.PathLabel}
		return true
	}
	var reason string
	if owner.svc == svc {
		reason = fmt.Sprintf("%s is already routed by %s of this service; route skipped", describe(k), owner.label)
	} else {
		reason = fmt.Sprintf("%s is also claimed by service %q, which %s; service %q's route is skipped",
			describe(k), owner.svc.Name, precedence(owner.svc, svc), svc.Name)
	}
	b.problems = append(b.problems, v1alpha1.Problem{
		Service: svc.Name, Label: spec.PathLabel, Value: spec.PathPrefix,
		Reason: reason, Severity: v1alpha1.SeverityError,
	})
	return false
}

func describe(k routeKey) string {
	if k.host == "" {
		return fmt.Sprintf("path prefix %q on any host", k.pathPrefix)
	}
	return fmt.Sprintf("path prefix %q on host %q", k.pathPrefix, k.host)
}

// precedence says why winner beat loser, in the terms of routedByAge.
func precedence(winner, loser *Service) string {
	if winner.CreatedAt.Equal(loser.CreatedAt) {
		return "was created at the same time and has the lower ID"
	}
	return "is older"
}
