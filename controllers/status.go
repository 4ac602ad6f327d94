package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

// Status is the JSON document served at /status and printed by
// `swarmgate routes`.
type Status struct {
	// Identity is this controller's; Leader the current leader's as the
	// leader election last reported it (empty when unknown).
	Identity string `json:"identity"`
	Leader   string `json:"leader,omitempty"`
	IsLeader bool   `json:"isLeader"`
	// Epoch, Generation and Hash identify the current table; all zero on a
	// standby, which computes no table.
	Epoch      int64  `json:"epoch"`
	Generation int64  `json:"generation"`
	Hash       string `json:"hash,omitempty"`
	// LastReconcile is when the last successful reconcile started;
	// ReconcileError the error of the last reconcile, if it failed.
	LastReconcile  time.Time          `json:"lastReconcile,omitzero"`
	ReconcileError string             `json:"reconcileError,omitempty"`
	Routes         []v1alpha1.Route   `json:"routes"`
	Problems       []v1alpha1.Problem `json:"problems"`
	Replicas       []ReplicaStatus    `json:"replicas"`
}

// Status returns a snapshot of the controller's state.
func (c *Controller) Status() Status {
	c.mu.Lock()
	t, leader := c.term, c.leader
	c.mu.Unlock()
	s := Status{
		Identity: c.opts.Identity, Leader: leader, IsLeader: t != nil,
		Routes: []v1alpha1.Route{}, Problems: []v1alpha1.Problem{}, Replicas: []ReplicaStatus{},
	}
	if t == nil {
		return s
	}
	s.Epoch = t.epoch
	if s.Leader == "" {
		s.Leader = c.opts.Identity
	}
	table, replicas := t.pusher.snapshot()
	s.Replicas = replicas
	if table != nil {
		s.Generation, s.Hash, s.Routes = table.Generation, table.Hash(), table.Routes
	}
	t.mu.Lock()
	if t.problems != nil {
		s.Problems = t.problems
	}
	s.LastReconcile, s.ReconcileError = t.lastSuccess, t.lastError
	t.mu.Unlock()
	return s
}

// readinessPingTimeout bounds the Docker ping of a /readyz request.
const readinessPingTimeout = 2 * time.Second

// ready reports why the controller is not ready, or nil. A leader is ready
// once its first reconcile succeeded. A standby is ready once the Docker API
// answered: it is doing its job (waiting to take over) and a probe that
// failed it would only get a healthy standby restarted.
func (c *Controller) ready(ctx context.Context) error {
	if !c.dockerOK.Load() {
		ctx, cancel := context.WithTimeout(ctx, readinessPingTimeout)
		defer cancel()
		if _, err := c.docker.Ping(ctx); err != nil {
			return fmt.Errorf("docker API does not answer: %w", err)
		}
		c.dockerOK.Store(true)
	}
	c.mu.Lock()
	t := c.term
	c.mu.Unlock()
	if t != nil && !t.reconciled.Load() {
		return errors.New("leading, and the first reconcile has not succeeded yet")
	}
	return nil
}

// Handler serves /status, /healthz and /readyz. The caller adds /metrics.
func (c *Controller) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(c.Status()) // a failed write is the client's problem
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := c.ready(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
