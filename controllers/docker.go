package controllers

import (
	"context"

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

// countingDocker counts every Docker API call by operation and result, so
// that the number of calls per reconcile is observable in production too.
type countingDocker struct {
	api     DockerAPI
	metrics *metrics
}

func (c countingDocker) ServiceList(ctx context.Context, o swarm.ServiceListOptions) ([]swarm.Service, error) {
	s, err := c.api.ServiceList(ctx, o)
	c.metrics.dockerCall("ServiceList", err)
	return s, err
}

func (c countingDocker) TaskList(ctx context.Context, o swarm.TaskListOptions) ([]swarm.Task, error) {
	t, err := c.api.TaskList(ctx, o)
	c.metrics.dockerCall("TaskList", err)
	return t, err
}

func (c countingDocker) NetworkList(ctx context.Context, o network.ListOptions) ([]network.Summary, error) {
	n, err := c.api.NetworkList(ctx, o)
	c.metrics.dockerCall("NetworkList", err)
	return n, err
}

// Events counts the subscription; the stream's own failures show up as
// reconnects in the log.
func (c countingDocker) Events(ctx context.Context, o events.ListOptions) (<-chan events.Message, <-chan error) {
	c.metrics.dockerCall("Events", nil)
	return c.api.Events(ctx, o)
}

func (c countingDocker) Ping(ctx context.Context) (types.Ping, error) {
	p, err := c.api.Ping(ctx)
	c.metrics.dockerCall("Ping", err)
	return p, err
}
