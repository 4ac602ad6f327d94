// Package proxy is swarmgate's data plane: an HTTP/1.1 reverse proxy that
// serves the RoutingTable a controller pushes to it (or a static file), with
// round-robin or least-request balancing, passive ejection of backends that
// refuse connections, and retries that keep task replacements invisible to
// clients.
package proxy

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// Proxy routes traffic by its current routing table. Create it with New.
type Proxy struct {
	cfg     Config
	log     logr.Logger
	now     func() time.Time
	dialer  *net.Dialer
	metrics *metrics
	gather  prometheus.Gatherer

	router atomic.Pointer[router]

	// mu serializes Apply and guards backends.
	mu sync.Mutex
	// backends holds the state of every routed address, keyed by address.
	backends map[string]*backend

	tunnelsMu sync.Mutex
	tunnels   map[*tunnel]struct{}

	stop    chan struct{}
	stopped sync.WaitGroup
	closing sync.Once
}

// New returns a Proxy. With cfg.StateFile set, it loads the table persisted
// there, if any, and serves it at once.
func New(cfg Config) (*Proxy, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	reg := cfg.Registry
	if reg == nil {
		r := prometheus.NewRegistry()
		r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg = r
	}
	p := &Proxy{
		cfg:      cfg,
		log:      cfg.Logger,
		now:      cfg.Clock,
		dialer:   &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second},
		backends: map[string]*backend{},
		tunnels:  map[*tunnel]struct{}{},
		stop:     make(chan struct{}),
	}
	p.gather = prometheus.DefaultGatherer
	if g, ok := reg.(prometheus.Gatherer); ok {
		p.gather = g
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	p.metrics = m
	if cfg.StateFile != "" {
		p.loadState()
	}
	p.stopped.Add(1)
	go p.reapIdle()
	return p, nil
}

// Current returns the table being served, nil until one is loaded. It is
// shared: do not mutate it.
func (p *Proxy) Current() *v1alpha1.RoutingTable {
	if rt := p.router.Load(); rt != nil {
		return rt.table
	}
	return nil
}

// Close stops background work and closes idle upstream connections and
// WebSocket tunnels. Stop the traffic server first: requests still in flight
// lose their upstream connection.
func (p *Proxy) Close() {
	p.closing.Do(func() {
		close(p.stop)
		p.stopped.Wait()
		p.mu.Lock()
		for _, b := range p.backends {
			b.remove()
		}
		p.mu.Unlock()
		p.tunnelsMu.Lock()
		for t := range p.tunnels {
			t.close()
		}
		p.tunnelsMu.Unlock()
	})
}

// reapIdle closes upstream connections idle longer than IdleConnTimeout.
func (p *Proxy) reapIdle() {
	defer p.stopped.Done()
	tick := time.NewTicker(max(p.cfg.IdleConnTimeout/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
			cutoff := p.now().Add(-p.cfg.IdleConnTimeout)
			p.mu.Lock()
			for _, b := range p.backends {
				b.closeStale(cutoff)
			}
			p.mu.Unlock()
		}
	}
}
