package proxy

import (
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
)

// LBPolicy chooses the backend of a route for each request.
type LBPolicy string

const (
	// RoundRobin cycles through a route's backends.
	RoundRobin LBPolicy = "round-robin"
	// LeastRequest picks the less busy of two random backends (power of two
	// choices): it adapts to slow backends without a global scan.
	LeastRequest LBPolicy = "least-request"
)

// Config configures a Proxy. Zero values mean the production defaults below.
type Config struct {
	// Token is the admin bearer token. Empty disables PUT and GET
	// /v1/routing-table (403): the proxy then only serves a static or
	// persisted table.
	Token []byte
	// StateFile, if set, receives every accepted table (written atomically)
	// and is loaded by New, so a restarted proxy serves before any push.
	StateFile string
	Logger    logr.Logger
	// Registry receives the proxy's metrics; nil means a fresh registry with
	// the Go and process collectors (never the global one, so that tests can
	// create many proxies in one process).
	Registry prometheus.Registerer

	// LB is the load-balancing policy; empty means RoundRobin.
	LB LBPolicy
	// DialTimeout bounds connecting to a backend (default 5s).
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for a backend's response headers
	// once the request is sent (default 60s, like nginx's proxy_read_timeout).
	ResponseHeaderTimeout time.Duration
	// IdleConnTimeout closes upstream keep-alive connections idle this long
	// (default 90s).
	IdleConnTimeout time.Duration
	// MaxIdleConnsPerBackend bounds the keep-alive pool of each backend
	// (default 1024: enough for a few thousand requests in flight on one proxy).
	MaxIdleConnsPerBackend int
	// MaxResponseHeaderBytes bounds a backend's response headers (default 64 KiB).
	MaxResponseHeaderBytes int
	// MaxAttempts bounds the tries of one request, first one included (default 3).
	MaxAttempts int
	// EjectBackoff is how long a backend that refused a connection is
	// skipped; it doubles with each consecutive failure up to
	// MaxEjectBackoff (defaults 1s and 30s).
	EjectBackoff    time.Duration
	MaxEjectBackoff time.Duration

	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

func (c *Config) setDefaults() error {
	switch c.LB {
	case "":
		c.LB = RoundRobin
	case RoundRobin, LeastRequest:
	default:
		return fmt.Errorf("load-balancing policy: must be %q or %q, got %q", RoundRobin, LeastRequest, c.LB)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.DialTimeout, 5*time.Second)
	def(&c.ResponseHeaderTimeout, 60*time.Second)
	def(&c.IdleConnTimeout, 90*time.Second)
	def(&c.EjectBackoff, time.Second)
	def(&c.MaxEjectBackoff, 30*time.Second)
	if c.MaxIdleConnsPerBackend <= 0 {
		c.MaxIdleConnsPerBackend = 1024
	}
	if c.MaxResponseHeaderBytes <= 0 {
		c.MaxResponseHeaderBytes = 64 << 10
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return nil
}
