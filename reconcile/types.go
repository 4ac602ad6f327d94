package reconcile

import (
	"time"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// TaskStateRunning is the Swarm task state (desired and observed) of a task
// that may receive traffic.
const TaskStateRunning = "running"

// Service is the part of a Swarm service that routing depends on.
type Service struct {
	ID, Name string
	// CreatedAt decides conflicts: the older service keeps a contested route.
	CreatedAt time.Time
	Labels    map[string]string
	// Networks are the names of the networks the service's tasks attach to;
	// the controller resolves Swarm's network IDs to names.
	Networks []string
	// Global is true for mode: global. Routing treats both modes alike (a
	// backend is a running task wherever it runs); the field documents the
	// input and keeps the controller's conversion lossless for logs.
	Global bool
}

// Task is the part of a Swarm task that routing depends on.
type Task struct {
	ID, ServiceID string
	NodeID        string
	Slot          int
	// DesiredState is what Swarm wants: "running", "shutdown", "remove", ...
	// Swarm flips it away from "running" seconds before it stops the
	// container, which is the window in which proxies drain the task.
	DesiredState string
	// State is what the task is: "new", "pending", ..., "running",
	// "complete", "failed", "shutdown", "rejected", "orphaned", "remove".
	State    string
	Networks []NetworkAttachment
}

// NetworkAttachment is a task's presence on one network.
type NetworkAttachment struct {
	// Network is the network name.
	Network string
	// Addresses are in CIDR form as Swarm reports them, e.g. "10.0.1.5/24".
	Addresses []string
}

// Options configure Desired.
type Options struct {
	Schema v1alpha1.LabelSchema
	// ProxyNetwork is the network the proxies share with the services, whose
	// task IP a route uses unless its network label names another one.
	ProxyNetwork string
}
