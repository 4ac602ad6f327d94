package controllers

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// Options configure a Controller. Zero durations and limits take the
// defaults in the field comments.
type Options struct {
	// Docker is the Docker API: a *client.Client in production, whose API
	// version must be negotiated before Run (client.NegotiateAPIVersion):
	// the client's lazy negotiation races when its first calls are
	// concurrent, as the controller's are (Events builds its query from the
	// version before negotiating).
	Docker DockerAPI
	// Resolver finds the proxy replicas; nil means net.DefaultResolver.
	Resolver Resolver
	// Clock is the time source; nil means the wall clock.
	Clock Clock
	// Registry receives the controller's metrics (required: the caller
	// serves it).
	Registry prometheus.Registerer
	// Identity names this controller in /status (the hostname in production).
	Identity string

	// Schema is the label schema services declare routes with.
	Schema v1alpha1.LabelSchema
	// ProxyService is the Swarm service of the proxies (resolved as
	// tasks.<ProxyService>), ProxyNetwork the network they share with the
	// routed services, ProxyAdminPort their admin API port.
	ProxyService   string
	ProxyNetwork   string
	ProxyAdminPort int
	// Token authenticates pushes to the proxies' admin API.
	Token []byte

	// PushTimeout bounds one push to one replica (5s).
	PushTimeout time.Duration
	// PushConcurrency bounds the pushes in flight at once (32).
	PushConcurrency int
	// FastPollInterval is the task poll interval during FastPollWindow
	// after any event (250ms, 30s); SteadyPollInterval otherwise (2s).
	FastPollInterval   time.Duration
	FastPollWindow     time.Duration
	SteadyPollInterval time.Duration
	// ResyncPeriod is how often services and networks are listed even
	// without events, and every replica is pushed to again in case it
	// restarted empty at the same address (30s).
	ResyncPeriod time.Duration
	// ResolveInterval is how often tasks.<ProxyService> is resolved (1s).
	ResolveInterval time.Duration
	// ReconcileTimeout bounds one reconcile's Docker calls (30s): a manager
	// without Raft quorum can leave API calls hanging.
	ReconcileTimeout time.Duration
}

func (o *Options) setDefaults() error {
	switch {
	case o.Docker == nil:
		return errors.New("options: Docker is required")
	case o.Registry == nil:
		return errors.New("options: Registry is required")
	case o.ProxyService == "":
		return errors.New("options: ProxyService is required")
	case o.ProxyNetwork == "":
		return errors.New("options: ProxyNetwork is required")
	case o.ProxyAdminPort < 1 || o.ProxyAdminPort > 65535:
		return fmt.Errorf("options: ProxyAdminPort must be from 1 to 65535, got %d", o.ProxyAdminPort)
	case len(o.Token) == 0:
		return errors.New("options: Token is required")
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PushTimeout, 5*time.Second)
	def(&o.FastPollInterval, 250*time.Millisecond)
	def(&o.FastPollWindow, 30*time.Second)
	def(&o.SteadyPollInterval, 2*time.Second)
	def(&o.ResyncPeriod, 30*time.Second)
	def(&o.ResolveInterval, time.Second)
	def(&o.ReconcileTimeout, 30*time.Second)
	if o.PushConcurrency <= 0 {
		o.PushConcurrency = 32
	}
	return nil
}
