package v1alpha1

import (
	"errors"
	"fmt"
)

// Limits on a pushed table, so a proxy cannot be made to hold absurd state.
const (
	MaxRoutes          = 100_000
	MaxBackendsInRoute = 10_000
)

// Validate is what a proxy runs on a table it is asked to serve. It returns
// the first problem found, naming the field ("routes[3].pathPrefix: ..."),
// so the sender can tell exactly what it got wrong.
func (t *RoutingTable) Validate() error {
	if t.APIVersion != APIVersion {
		return fmt.Errorf("apiVersion: must be %q, got %q", APIVersion, t.APIVersion)
	}
	if t.Generation < 0 {
		return errors.New("generation: must not be negative")
	}
	if t.Epoch < 0 {
		return errors.New("epoch: must not be negative")
	}
	if len(t.Routes) > MaxRoutes {
		return fmt.Errorf("routes: at most %d routes, got %d", MaxRoutes, len(t.Routes))
	}
	type key struct{ host, path string }
	seen := make(map[key]int, len(t.Routes))
	for i := range t.Routes {
		r := &t.Routes[i]
		if err := r.validate(); err != nil {
			return fmt.Errorf("routes[%d].%w", i, err)
		}
		k := key{r.Host, r.PathPrefix}
		if j, dup := seen[k]; dup {
			return fmt.Errorf("routes[%d]: host %q and pathPrefix %q are already routed by routes[%d]", i, r.Host, r.PathPrefix, j)
		}
		seen[k] = i
	}
	return nil
}

func (r *Route) validate() error {
	if r.Service == "" {
		return errors.New("service: must not be empty")
	}
	if r.Host != "" {
		h, err := CleanHost(r.Host)
		if err != nil {
			return fmt.Errorf("host: %w", err)
		}
		if h != r.Host {
			return fmt.Errorf("host: must be in canonical form %q", h)
		}
	}
	p, err := CleanPathPrefix(r.PathPrefix)
	if err != nil {
		return fmt.Errorf("pathPrefix: %w", err)
	}
	if p != r.PathPrefix {
		return fmt.Errorf("pathPrefix: must be clean (%q)", p)
	}
	if len(r.Backends) > MaxBackendsInRoute {
		return fmt.Errorf("backends: at most %d backends, got %d", MaxBackendsInRoute, len(r.Backends))
	}
	for j, b := range r.Backends {
		if err := checkBackendAddress(b.Address); err != nil {
			return fmt.Errorf("backends[%d].address: %w", j, err)
		}
	}
	return nil
}
