package reconcile

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// Desired computes the routing table for a snapshot of services and tasks,
// and every problem that cost a route or looks like a mistake.
//
// Only services with labels under opts.Schema's prefix are routed. Each
// (host, path prefix) of a service's routes becomes one Route whose backends
// are the service's running tasks, addressed by their IP on the route's
// network. A route without running tasks stays in the table with no backends,
// so that proxies answer 503 rather than 404 while the service restarts.
// When two services claim the same host and path prefix, the older one keeps
// it. The table is canonical with Generation and Epoch left zero for the
// caller to stamp; problems are sorted.
func Desired(services []Service, tasks []Task, opts Options) (v1alpha1.RoutingTable, []v1alpha1.Problem) {
	routed := routedByAge(services, opts.Schema)
	b := builder{
		opts:   opts,
		tasks:  indexServingTasks(tasks, routed),
		claims: make(map[routeKey]claim, len(routed)),
		routes: make([]v1alpha1.Route, 0, len(routed)),
	}
	for p, svc := range routed {
		b.addService(svc, b.tasks.of(p))
	}
	table := v1alpha1.RoutingTable{Routes: b.routes}
	table.Canonicalize()
	v1alpha1.SortProblems(b.problems)
	return table, b.problems
}

// routedByAge returns the services that ask to be routed, oldest first: the
// order in which they claim routes, so that the older service wins a conflict.
func routedByAge(services []Service, schema v1alpha1.LabelSchema) []*Service {
	out := make([]*Service, 0, len(services))
	for i := range services {
		if schema.Selects(services[i].Labels) {
			out = append(out, &services[i])
		}
	}
	slices.SortFunc(out, func(a, b *Service) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// builder accumulates the table and the problems of one Desired call.
type builder struct {
	opts     Options
	tasks    taskIndex
	claims   map[routeKey]claim
	routes   []v1alpha1.Route
	problems []v1alpha1.Problem
}

// anyHost stands for a route without host labels: it matches every host.
var anyHost = []string{""}

// addService adds the routes of svc, whose serving tasks are tasks.
func (b *builder) addService(svc *Service, tasks []int32) {
	specs, problems := b.opts.Schema.Parse(svc.Name, svc.Labels)
	b.problems = append(b.problems, problems...)
	for i := range specs {
		spec := &specs[i]
		network, ok := b.network(svc, spec)
		if !ok {
			continue
		}
		backends := b.tasks.backends(tasks, network, uint16(spec.Port)) // Parse checked 1-65535
		hosts := spec.Hosts
		if len(hosts) == 0 {
			hosts = anyHost
		}
		shared := false
		for _, host := range hosts {
			if !b.claim(svc, spec, host) {
				continue
			}
			// Routes must not share a backing array: callers may edit one.
			bs := backends
			if shared {
				bs = slices.Clone(backends)
			}
			shared = true
			b.routes = append(b.routes, v1alpha1.Route{
				Service:     svc.Name,
				Host:        host,
				PathPrefix:  spec.PathPrefix,
				StripPrefix: spec.StripPrefix,
				Backends:    bs,
			})
		}
	}
}

// network returns the network whose task IPs spec's backends use, or reports
// why there is none the service can be reached on.
func (b *builder) network(svc *Service, spec *v1alpha1.RouteSpec) (string, bool) {
	network := cmp.Or(spec.Network, b.opts.ProxyNetwork)
	if network == "" {
		b.problems = append(b.problems, v1alpha1.Problem{
			Service: svc.Name, Label: spec.PathLabel, Value: spec.PathPrefix, Severity: v1alpha1.SeverityError,
			Reason: fmt.Sprintf("no network to reach the service on: set %s, or give the controller a proxy network",
				b.opts.Schema.Key(spec.Index, v1alpha1.FieldNetwork)),
		})
		return "", false
	}
	if slices.Contains(svc.Networks, network) {
		return network, true
	}
	label, value := spec.PathLabel, spec.PathPrefix
	if spec.NetworkLabel != "" {
		label, value = spec.NetworkLabel, spec.Network
	}
	b.problems = append(b.problems, v1alpha1.Problem{
		Service: svc.Name, Label: label, Value: value, Severity: v1alpha1.SeverityError,
		Reason: fmt.Sprintf("service is not attached to network %q; attach it with --network %s (docker service update --network-add %s %s)",
			network, network, network, svc.Name),
	})
	return "", false
}
