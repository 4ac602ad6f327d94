package controllers

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
)

// SwarmReader is the read-only part of the Docker API a reconcile needs.
// *client.Client satisfies it.
type SwarmReader interface {
	ServiceList(ctx context.Context, options swarm.ServiceListOptions) ([]swarm.Service, error)
	TaskList(ctx context.Context, options swarm.TaskListOptions) ([]swarm.Task, error)
	NetworkList(ctx context.Context, options network.ListOptions) ([]network.Summary, error)
}

// EventSource streams Docker events. *client.Client satisfies it.
type EventSource interface {
	Events(ctx context.Context, options events.ListOptions) (<-chan events.Message, <-chan error)
}

// Pinger checks that the Docker API answers. *client.Client satisfies it.
type Pinger interface {
	Ping(ctx context.Context) (types.Ping, error)
}

// DockerAPI is everything the controller asks of Docker.
type DockerAPI interface {
	SwarmReader
	EventSource
	Pinger
}

// versionNegotiator is implemented by *client.Client.
type versionNegotiator interface {
	NegotiateAPIVersionPing(types.Ping)
}

// countingDocker counts every Docker API call by operation and result, so
// that the number of calls per reconcile is observable in production too.
//
// It also negotiates the API version once, under a lock, before the first
// call goes through: the client's own lazy negotiation is not safe when the
// first calls are concurrent (Events reads the version to build its query
// before it negotiates). Until a negotiation succeeds, calls fail with the
// ping's error and their callers retry as for any Docker failure.
type countingDocker struct {
	api     DockerAPI
	metrics *metrics

	negotiated atomic.Bool
	mu         sync.Mutex
}

func (c *countingDocker) negotiate(ctx context.Context) error {
	if c.negotiated.Load() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.negotiated.Load() {
		return nil
	}
	n, ok := c.api.(versionNegotiator)
	if !ok {
		c.negotiated.Store(true)
		return nil
	}
	ping, err := c.Ping(ctx)
	if err != nil {
		return fmt.Errorf("negotiate the docker API version: %w", err)
	}
	n.NegotiateAPIVersionPing(ping)
	c.negotiated.Store(true)
	return nil
}

func (c *countingDocker) ServiceList(ctx context.Context, o swarm.ServiceListOptions) ([]swarm.Service, error) {
	if err := c.negotiate(ctx); err != nil {
		return nil, err
	}
	s, err := c.api.ServiceList(ctx, o)
	c.metrics.dockerCall("ServiceList", err)
	return s, err
}

func (c *countingDocker) TaskList(ctx context.Context, o swarm.TaskListOptions) ([]swarm.Task, error) {
	if err := c.negotiate(ctx); err != nil {
		return nil, err
	}
	t, err := c.api.TaskList(ctx, o)
	c.metrics.dockerCall("TaskList", err)
	return t, err
}

func (c *countingDocker) NetworkList(ctx context.Context, o network.ListOptions) ([]network.Summary, error) {
	if err := c.negotiate(ctx); err != nil {
		return nil, err
	}
	n, err := c.api.NetworkList(ctx, o)
	c.metrics.dockerCall("NetworkList", err)
	return n, err
}

// Events counts the subscription; the stream's own failures show up as
// reconnects in the log.
func (c *countingDocker) Events(ctx context.Context, o events.ListOptions) (<-chan events.Message, <-chan error) {
	if err := c.negotiate(ctx); err != nil {
		errs := make(chan error, 1)
		errs <- err
		return nil, errs
	}
	c.metrics.dockerCall("Events", nil)
	return c.api.Events(ctx, o)
}

func (c *countingDocker) Ping(ctx context.Context) (types.Ping, error) {
	p, err := c.api.Ping(ctx)
	c.metrics.dockerCall("Ping", err)
	return p, err
}
