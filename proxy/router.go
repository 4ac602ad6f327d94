package proxy

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// router is a compiled, immutable RoutingTable: requests read it without
// locks, and Apply replaces it whole with an atomic pointer swap.
type router struct {
	table *v1alpha1.RoutingTable
	// hash is table.Hash(), computed on the first push of the served
	// version (a retry, or the controller's periodic re-verification) and
	// kept: a new table, the hot path of a push, is never hashed. Only
	// apply touches it, under Proxy.mu.
	hash string
	// exact maps a lowercase host to its routes.
	exact map[string]pathRoutes
	// wildcard maps ".example.com" (from "*.example.com") to its routes.
	wildcard map[string]pathRoutes
	// anyHost holds the routes without a host.
	anyHost pathRoutes
	// byName indexes the routes by metric name, so that the next table can
	// reuse the metric children of the routes it keeps.
	byName map[string]*route
}

// pathRoutes maps a clean path prefix to its route.
type pathRoutes map[string]*route

// route is one compiled Route with its load-balancing state.
type route struct {
	service string
	// name is the route's metric label: host + path prefix.
	name        string
	prefix      string
	stripPrefix bool
	backends    []*backend
	next        atomic.Uint64 // round-robin cursor

	metrics *routeMetrics
}

// match returns the route for a request, or nil. Host precedence is exact,
// then wildcard (most specific first), then host-less; a host whose routes
// match no path falls through to the next, as with Traefik's rule priorities.
func (rt *router) match(host, path string) *route {
	if len(rt.exact) > 0 {
		if pr, ok := rt.exact[host]; ok {
			if r := pr.longest(path); r != nil {
				return r
			}
		}
	}
	if len(rt.wildcard) > 0 {
		// "a.b.example.com" tries ".b.example.com", ".example.com", ".com".
		for i := strings.IndexByte(host, '.'); i >= 0; {
			if pr, ok := rt.wildcard[host[i:]]; ok {
				if r := pr.longest(path); r != nil {
					return r
				}
			}
			j := strings.IndexByte(host[i+1:], '.')
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return rt.anyHost.longest(path)
}

// longest returns the route with the longest prefix of path that ends on a
// segment boundary: "/app" matches "/app" and "/app/x" but not "/apple".
func (pr pathRoutes) longest(path string) *route {
	if len(pr) == 0 {
		return nil
	}
	s := path
	for {
		if r, ok := pr[s]; ok {
			return r
		}
		i := strings.LastIndexByte(s, '/')
		if i <= 0 {
			break
		}
		s = s[:i]
	}
	return pr["/"]
}

// compile builds the router of t, taking each backend's state from pool so
// that an address kept across tables keeps its connections and counters.
func compile(t *v1alpha1.RoutingTable, backends func(addr string) *backend, metrics func(service, name string) *routeMetrics) *router {
	rt := &router{table: t, exact: map[string]pathRoutes{}, wildcard: map[string]pathRoutes{}, anyHost: pathRoutes{},
		byName: make(map[string]*route, len(t.Routes))}
	for i := range t.Routes {
		src := &t.Routes[i]
		r := &route{
			service:     src.Service,
			name:        src.Host + src.PathPrefix,
			prefix:      src.PathPrefix,
			stripPrefix: src.StripPrefix && src.PathPrefix != "/",
			backends:    make([]*backend, 0, len(src.Backends)),
		}
		r.metrics = metrics(r.service, r.name)
		rt.byName[r.name] = r
		seen := make(map[string]bool, len(src.Backends))
		for _, b := range src.Backends {
			if !seen[b.Address] { // the same task twice must not get twice the traffic
				seen[b.Address] = true
				r.backends = append(r.backends, backends(b.Address))
			}
		}
		var pr pathRoutes
		switch {
		case src.Host == "":
			pr = rt.anyHost
		case strings.HasPrefix(src.Host, "*."):
			suffix := src.Host[1:]
			if pr = rt.wildcard[suffix]; pr == nil {
				pr = pathRoutes{}
				rt.wildcard[suffix] = pr
			}
		default:
			if pr = rt.exact[src.Host]; pr == nil {
				pr = pathRoutes{}
				rt.exact[src.Host] = pr
			}
		}
		pr[src.PathPrefix] = r
	}
	return rt
}

// routeMetrics caches a route's metric children so that the request path
// does not hash label values.
type routeMetrics struct {
	requests *prometheus.CounterVec // curried with the route's labels
	codes    sync.Map               // int status code -> prometheus.Counter
	latency  prometheus.Observer
	retries  prometheus.Counter
}

func (m *routeMetrics) observeCode(code int) {
	if c, ok := m.codes.Load(code); ok {
		c.(prometheus.Counter).Inc()
		return
	}
	c := m.requests.WithLabelValues(strconv.Itoa(code))
	m.codes.Store(code, c)
	c.Inc()
}

// normalizeHost lowercases the Host header and drops its port and any
// trailing dot, allocating only when it must.
func normalizeHost(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		if c := h[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(h)
		}
	}
	return h
}

// tableHash returns the served table's hash, computing it once. Call it
// with Proxy.mu held.
func (rt *router) tableHash() string {
	if rt.hash == "" {
		rt.hash = rt.table.Hash()
	}
	return rt.hash
}
