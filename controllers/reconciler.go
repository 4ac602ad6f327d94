package controllers

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/go-logr/logr"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
	"github.com/swarmgate/swarmgate/reconcile"
)

// reconciler turns a snapshot of the Swarm into a routing table. One queue
// worker drives it, so its unexported state needs no lock.
//
// A reconcile costs at most three Docker API calls, whatever the number of
// services: one TaskList always, plus ServiceList and NetworkList when a
// service or network event made the cached services stale or the resync
// period has passed. Task changes have no events, so TaskList is what the
// poll ticks pay for.
type reconciler struct {
	api          SwarmReader
	clock        Clock
	opts         reconcile.Options
	proxyService string
	resyncPeriod time.Duration
	epoch        int64

	// publish hands a new table to the pusher and the status; detectedAt is
	// when the reconcile that saw the change started.
	publish func(table *v1alpha1.RoutingTable, problems []v1alpha1.Problem, detectedAt time.Time)
	// proxyTasks receives the proxy service's running tasks, to complement
	// DNS, which lags behind the Swarm.
	proxyTasks func(tasks map[netip.Addr]string)

	// servicesStale forces the next reconcile to list services and networks.
	servicesStale atomic.Bool
	// lastDuration (nanoseconds) is how long the last successful reconcile
	// took to read and compute; the poller spaces its ticks by it.
	lastDuration atomic.Int64
	// generationFloor is the highest generation a proxy reported holding in
	// this epoch; the next table is numbered above it (see raiseGeneration).
	generationFloor atomic.Int64

	services   []reconcile.Service
	netNames   map[string]string
	listedAt   time.Time
	generation int64
	// routes are the routes of the last published table.
	routes   []v1alpha1.Route
	problems problemTracker
}

// runningTasks is the TaskList filter: tasks Swarm is stopping are dropped
// from the table anyway, and their history would multiply the payload.
var runningTasks = swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("desired-state", "running"))}

func (r *reconciler) reconcile(ctx context.Context) error {
	start := r.clock.Now()
	if r.servicesStale.Swap(false) || r.listedAt.IsZero() || start.Sub(r.listedAt) >= r.resyncPeriod {
		if err := r.listServices(ctx); err != nil {
			r.servicesStale.Store(true)
			return err
		}
		r.listedAt = start
	}
	dockerTasks, err := r.api.TaskList(ctx, runningTasks)
	if err != nil {
		return fmt.Errorf("list tasks: %w", err)
	}
	tasks := convertTasks(dockerTasks, r.netNames)
	r.proxyTasks(r.proxyTaskAddrs(tasks))

	table, problems := reconcile.Desired(r.services, tasks, r.opts)
	log := logr.FromContextOrDiscard(ctx)
	problemsChanged := r.problems.update(log, problems)
	changed := r.generation == 0 || !sameRoutes(table.Routes, r.routes)
	floor := r.generationFloor.Load()
	r.lastDuration.Store(int64(r.clock.Now().Sub(start)))
	if !changed && r.generation > floor && !problemsChanged {
		return nil
	}
	if changed {
		// Proxies validate every table and refuse a whole table for one
		// bad route; saying so here names the cause once, in this log.
		if err := table.Validate(); err != nil {
			return fmt.Errorf("computed an invalid routing table, not pushed: %w", err)
		}
	}
	if changed || r.generation <= floor {
		r.generation = max(r.generation, floor) + 1
		r.routes = table.Routes
	}
	table.Epoch, table.Generation = r.epoch, r.generation
	r.publish(&table, problems, start)
	log.Info("reconciled", "generation", r.generation, "routes", len(table.Routes),
		"problems", len(problems), "duration", r.clock.Now().Sub(start))
	return nil
}

func (r *reconciler) listServices(ctx context.Context) error {
	nets, err := r.api.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return fmt.Errorf("list networks: %w", err)
	}
	services, err := r.api.ServiceList(ctx, swarm.ServiceListOptions{})
	if err != nil {
		return fmt.Errorf("list services: %w", err)
	}
	r.netNames = networkNames(nets)
	r.services = convertServices(services, r.netNames)
	return nil
}

// sameRoutes reports whether two canonical route lists are equal. It stands
// in for comparing Hash values, which would encode and hash the whole table
// on every poll; TestSameRoutesCoversEveryField keeps it in step with Route.
func sameRoutes(a, b []v1alpha1.Route) bool {
	return slices.EqualFunc(a, b, func(x, y v1alpha1.Route) bool {
		return x.Service == y.Service && x.Host == y.Host && x.PathPrefix == y.PathPrefix &&
			x.StripPrefix == y.StripPrefix && slices.Equal(x.Backends, y.Backends)
	})
}

// raiseGeneration makes the next reconcile publish a generation above held,
// which a proxy reported holding in this epoch: only a restart of this
// controller within the same epoch (same second with --leader-elect=false)
// makes that happen, and numbering from 1 again would be refused forever.
func (r *reconciler) raiseGeneration(held int64) {
	for {
		cur := r.generationFloor.Load()
		if held <= cur || r.generationFloor.CompareAndSwap(cur, held) {
			return
		}
	}
}

// proxyTaskAddrs maps the IPs on the proxy network of the proxy service's
// running tasks to their task IDs.
func (r *reconciler) proxyTaskAddrs(tasks []reconcile.Task) map[netip.Addr]string {
	var id string
	for _, s := range r.services {
		if s.Name == r.proxyService {
			id = s.ID
		}
	}
	if id == "" {
		return nil
	}
	addrs := map[netip.Addr]string{}
	for _, t := range tasks {
		if t.ServiceID != id || t.DesiredState != reconcile.TaskStateRunning || t.State != reconcile.TaskStateRunning {
			continue
		}
		for _, a := range t.Networks {
			if a.Network != r.opts.ProxyNetwork {
				continue
			}
			for _, cidr := range a.Addresses {
				addr, _, _ := strings.Cut(cidr, "/")
				ip, err := netip.ParseAddr(addr)
				if err == nil {
					addrs[ip] = t.ID
				}
			}
		}
	}
	return addrs
}
