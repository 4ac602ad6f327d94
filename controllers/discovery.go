package controllers

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// Resolver looks up the IPs behind a name; net.DefaultResolver satisfies it.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// discovery finds the proxy replicas: the union of what Swarm's DNS answers
// for tasks.<proxy service>, resolved every second, and the proxy service's
// running tasks from the last TaskList. DNS lags behind a new task by a
// moment and the TaskList by up to a poll interval; either one is enough
// for a new replica to be pushed to at once.
type discovery struct {
	resolver Resolver
	name     string // tasks.<proxy service>
	interval time.Duration
	clock    Clock
	pusher   *pusher

	kick chan struct{}

	mu      sync.Mutex
	fromDNS []netip.Addr
	// fromTasks maps proxy task IPs to task IDs.
	fromTasks map[netip.Addr]string
	dnsErr    error
}

func newDiscovery(resolver Resolver, proxyService string, interval time.Duration, clock Clock, p *pusher) *discovery {
	return &discovery{
		resolver: resolver, name: "tasks." + proxyService, interval: interval, clock: clock, pusher: p,
		kick: make(chan struct{}, 1),
	}
}

// resolveNow asks for a DNS lookup before the next tick: an event about the
// proxy service means its tasks are changing.
func (d *discovery) resolveNow() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// setTasks records the proxy tasks seen by the last reconcile.
func (d *discovery) setTasks(tasks map[netip.Addr]string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fromTasks = tasks
	d.publish()
}

func (d *discovery) run(ctx context.Context) {
	for {
		d.resolve(ctx)
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-d.clock.After(d.interval):
		}
	}
}

func (d *discovery) resolve(ctx context.Context) {
	log := logr.FromContextOrDiscard(ctx).WithValues("name", d.name)
	lookupCtx, cancel := context.WithTimeout(ctx, d.interval)
	addrs, err := d.resolver.LookupHost(lookupCtx, d.name)
	cancel()
	if ctx.Err() != nil {
		return
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		// No running proxy task: a real answer, not a failure.
		addrs, err = nil, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	defer d.publish()
	if err != nil {
		// Keep the last answer: a flaky resolver must not make every
		// replica look gone.
		if d.dnsErr == nil {
			log.Error(err, "resolve proxy replicas failed; keeping the last answer")
		}
		d.dnsErr = err
		return
	}
	if d.dnsErr != nil {
		log.Info("resolving proxy replicas works again")
		d.dnsErr = nil
	}
	d.fromDNS = d.fromDNS[:0]
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			log.Error(err, "resolver returned a bad address", "address", a)
			continue
		}
		d.fromDNS = append(d.fromDNS, ip.Unmap())
	}
}

// publish hands the union of both sources to the pusher. It is called with
// mu held, so that two updates cannot reach the pusher out of order.
func (d *discovery) publish() {
	all := maps.Clone(d.fromTasks)
	if all == nil {
		all = map[netip.Addr]string{}
	}
	for _, ip := range d.fromDNS {
		if _, ok := all[ip]; !ok {
			all[ip] = "" // task unknown until the TaskList shows it
		}
	}
	d.pusher.setReplicas(all)
}
