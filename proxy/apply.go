package proxy

import (
	"fmt"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// Reasons a table is rejected, as the admin API reports them.
const (
	ReasonUnauthorized    = "Unauthorized"
	ReasonForbidden       = "Forbidden"
	ReasonTooLarge        = "TooLarge"
	ReasonBadRequest      = "BadRequest"
	ReasonStaleEpoch      = "StaleEpoch"
	ReasonStaleGeneration = "StaleGeneration"
	// ReasonGenerationConflict refuses a table that has the epoch and
	// generation of the one served but other routes: a version names one
	// table, so answering "already served" would report a push as done
	// while the proxy routes by something else.
	ReasonGenerationConflict = "GenerationConflict"
	ReasonNotFound           = "NotFound"
)

// StaleError rejects a table older than the one held: it comes from a
// controller that lost its leadership (StaleEpoch), from a push that was
// overtaken by a newer one (StaleGeneration), or from a controller that
// numbered a different table with the version served (GenerationConflict).
type StaleError struct {
	Reason                  string
	Epoch, Generation       int64 // held
	GotEpoch, GotGeneration int64 // offered
}

func (e *StaleError) Error() string {
	switch e.Reason {
	case ReasonStaleEpoch:
		return fmt.Sprintf("stale epoch: got epoch %d, but epoch %d has been seen", e.GotEpoch, e.Epoch)
	case ReasonGenerationConflict:
		return fmt.Sprintf("generation conflict: got other routes as generation %d of epoch %d, which is served", e.GotGeneration, e.GotEpoch)
	}
	return fmt.Sprintf("stale generation: got generation %d of epoch %d, but generation %d is served", e.GotGeneration, e.GotEpoch, e.Generation)
}

// Apply validates t, checks it against the fence (epoch, then generation)
// and swaps it in atomically. The table served so far stays on any error.
// t is copied: the caller keeps ownership.
func (p *Proxy) Apply(t *v1alpha1.RoutingTable) error {
	if err := t.Validate(); err != nil {
		p.metrics.rejected(ReasonBadRequest)
		return fmt.Errorf("invalid routing table: %w", err)
	}
	t = t.DeepCopy()
	t.Canonicalize()
	_, err := p.apply(t)
	return err
}

// apply installs t, a valid canonical table owned by the proxy, and returns
// the table served afterwards.
func (p *Proxy) apply(t *v1alpha1.RoutingTable) (*v1alpha1.RoutingTable, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur := p.router.Load(); cur != nil {
		err := fence(cur.table, t)
		if err == nil && t.Epoch == cur.table.Epoch && t.Generation == cur.table.Generation {
			// A retried push is what is served; anything else under the
			// same version is refused, not mistaken for it.
			if t.Hash() == cur.tableHash() {
				p.metrics.accepted()
				p.log.V(1).Info("routing table already served", "epoch", t.Epoch, "generation", t.Generation)
				return cur.table, nil
			}
			err = &StaleError{Reason: ReasonGenerationConflict, Epoch: cur.table.Epoch, Generation: cur.table.Generation,
				GotEpoch: t.Epoch, GotGeneration: t.Generation}
		}
		if err != nil {
			p.metrics.rejected(err.Reason)
			p.log.Info("routing table rejected", "reason", err.Reason, "error", err.Error())
			return cur.table, err
		}
	}
	used := make(map[string]*backend, len(p.backends))
	rt := compile(t, func(addr string) *backend {
		b := p.backends[addr]
		if b == nil {
			b = &backend{addr: addr}
		}
		used[addr] = b
		return b
	}, func(service, name string) *routeMetrics {
		// Currying metric vectors is most of the cost of a large table:
		// reuse the children of the routes the served table already has.
		if old := p.router.Load(); old != nil {
			if r := old.byName[name]; r != nil && r.service == service {
				return r.metrics
			}
		}
		return p.metrics.forRoute(service, name)
	})

	if p.cfg.StateFile != "" {
		// Failing to persist costs a warm start, not the update: serve it.
		if err := writeState(p.cfg.StateFile, t); err != nil {
			p.metrics.stateWriteErrors.Inc()
			p.log.Error(err, "persist routing table", "stateFile", p.cfg.StateFile)
		}
	}

	old := p.router.Swap(rt)
	for addr, b := range p.backends {
		if used[addr] == nil {
			b.remove()
		}
	}
	p.backends = used
	if old != nil {
		p.metrics.forgetRoutes(old, rt)
	}
	p.metrics.tableApplied(t, p.now())
	p.log.Info("routing table accepted", "epoch", t.Epoch, "generation", t.Generation,
		"routes", len(t.Routes), "backends", len(used))
	return t, nil
}

// fence returns why next may not replace cur, or nil.
func fence(cur, next *v1alpha1.RoutingTable) *StaleError {
	e := &StaleError{Epoch: cur.Epoch, Generation: cur.Generation, GotEpoch: next.Epoch, GotGeneration: next.Generation}
	switch {
	case next.Epoch < cur.Epoch:
		e.Reason = ReasonStaleEpoch
	case next.Epoch == cur.Epoch && next.Generation < cur.Generation:
		e.Reason = ReasonStaleGeneration
	default:
		return nil
	}
	return e
}
