package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// APIVersion is the only apiVersion a RoutingTable may carry.
const APIVersion = "swarmgate.io/v1alpha1"

// RoutingTable is the whole desired state of a proxy: every route it serves.
// It is what the controller pushes (PUT /v1/routing-table), what a proxy
// persists in its state file and what a static --routes-file holds.
//
// Generation grows whenever the routes change; Epoch identifies the leader
// term that produced the table. A proxy accepts a table only if (Epoch,
// Generation) is not older than the newest it has seen, which fences out a
// controller that lost its leadership.
type RoutingTable struct {
	APIVersion string  `json:"apiVersion"`
	Generation int64   `json:"generation"`
	Epoch      int64   `json:"epoch"`
	Routes     []Route `json:"routes"`
}

// Route sends requests whose Host matches Host (empty: any host) and whose
// path starts with PathPrefix (on a segment boundary) to one of Backends.
type Route struct {
	// Service is the Swarm service the route belongs to; used in metrics and logs.
	Service string `json:"service"`
	// Host is an exact lowercase hostname, a "*.example.com" wildcard, or empty.
	Host string `json:"host"`
	// PathPrefix is a clean absolute path, "/" for everything.
	PathPrefix string `json:"pathPrefix"`
	// StripPrefix removes PathPrefix from the path before forwarding.
	StripPrefix bool `json:"stripPrefix"`
	// Backends may be empty: the proxy then answers 503 rather than 404, so a
	// service scaled to zero or mid-restart is not mistaken for a missing route.
	Backends []Backend `json:"backends"`
}

// Backend is one task of the service, reached directly at its task IP.
type Backend struct {
	Address string `json:"address"`
	Task    string `json:"task"`
}

// Canonicalize sorts routes and backends into the canonical order and turns
// nil slices into empty ones, so that equal tables serialize byte-identically.
func (t *RoutingTable) Canonicalize() {
	if t.APIVersion == "" {
		t.APIVersion = APIVersion
	}
	if t.Routes == nil {
		t.Routes = []Route{}
	}
	for i := range t.Routes {
		r := &t.Routes[i]
		if r.Backends == nil {
			r.Backends = []Backend{}
		}
		slices.SortFunc(r.Backends, compareBackends)
	}
	slices.SortFunc(t.Routes, compareRoutes)
}

// The comparisons below compare each string once and stop at the first
// difference (cmp.Or would evaluate every cmp.Compare, each of which compares
// twice): the controller canonicalizes tens of thousands of backends per
// reconcile.

func compareBackends(a, b Backend) int {
	if c := strings.Compare(a.Address, b.Address); c != 0 {
		return c
	}
	return strings.Compare(a.Task, b.Task)
}

func compareRoutes(a, b Route) int {
	if c := strings.Compare(a.Host, b.Host); c != 0 {
		return c
	}
	if c := strings.Compare(a.PathPrefix, b.PathPrefix); c != 0 {
		return c
	}
	return strings.Compare(a.Service, b.Service)
}

// Hash identifies the routes of a canonical table, ignoring Generation and
// Epoch: two tables with the same hash route every request the same way.
func (t *RoutingTable) Hash() string {
	b, err := json.Marshal(t.Routes)
	if err != nil {
		// Routes hold only strings, bools and slices of them: Marshal cannot fail.
		panic("marshal routes: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// DeepCopy returns a copy that shares no slices with t.
func (t *RoutingTable) DeepCopy() *RoutingTable {
	out := *t
	out.Routes = make([]Route, len(t.Routes))
	for i, r := range t.Routes {
		r.Backends = slices.Clone(r.Backends)
		out.Routes[i] = r
	}
	return &out
}
