package controllers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// The production client must satisfy the narrow interfaces.
var _ DockerAPI = (*client.Client)(nil)

// fakeDaemon is an httptest Docker Engine that speaks API 1.41 (Docker
// 20.10, what Debian ships) for the calls the controller makes, and counts
// them.
type fakeDaemon struct {
	srv *httptest.Server

	mu       sync.Mutex
	services []swarm.Service
	tasks    []swarm.Task
	networks []network.Summary
	calls    map[string]int
	// tasksDown makes /tasks answer 500, as a manager without quorum may.
	tasksDown bool
	streams   map[chan events.Message]chan struct{} // open event streams and their closers
}

const fakeAPIVersion = "1.41"

func newFakeDaemon(t testing.TB) *fakeDaemon {
	d := &fakeDaemon{calls: map[string]int{}, streams: map[chan events.Message]chan struct{}{}, networks: testNetworks}
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("API-Version", fakeAPIVersion)
		w.Header().Set("OSType", "linux")
		_, _ = w.Write([]byte("OK"))
	})
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		writeFakeJSON(w, map[string]string{"ApiVersion": fakeAPIVersion, "MinAPIVersion": "1.12", "Version": "20.10.24"})
	})
	mux.HandleFunc("GET /v1.41/services", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.calls["ServiceList"]++
		writeFakeJSON(w, d.services)
	})
	mux.HandleFunc("GET /v1.41/networks", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.calls["NetworkList"]++
		writeFakeJSON(w, d.networks)
	})
	mux.HandleFunc("GET /v1.41/tasks", func(w http.ResponseWriter, r *http.Request) {
		f, err := filters.FromJSON(r.URL.Query().Get("filters"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		d.calls["TaskList"]++
		if d.tasksDown {
			http.Error(w, `{"message":"rpc error: code = Unknown desc = The swarm does not have a leader."}`, http.StatusInternalServerError)
			return
		}
		out := []swarm.Task{}
		for _, t := range d.tasks {
			if f.Contains("desired-state") && !f.ExactMatch("desired-state", string(t.DesiredState)) {
				continue
			}
			out = append(out, t)
		}
		writeFakeJSON(w, out)
	})
	mux.HandleFunc("GET /v1.41/events", d.serveEvents)
	d.srv = httptest.NewServer(mux)
	t.Cleanup(d.srv.Close)
	t.Cleanup(d.closeStreams)
	return d
}

// client returns a Docker client that negotiates its API version with d,
// as the controller's does with a real daemon.
func (d *fakeDaemon) client(t testing.TB) *client.Client {
	c, err := client.NewClientWithOpts(client.WithHost("tcp://"+strings.TrimPrefix(d.srv.URL, "http://")),
		client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	c.NegotiateAPIVersion(context.Background())
	if v := c.ClientVersion(); v != fakeAPIVersion {
		t.Fatalf("negotiated API %s, want %s", v, fakeAPIVersion)
	}
	return c
}

func (d *fakeDaemon) serveEvents(w http.ResponseWriter, r *http.Request) {
	msgs, done := make(chan events.Message, 16), make(chan struct{})
	d.mu.Lock()
	d.calls["Events"]++
	d.streams[msgs] = done
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.streams, msgs)
		d.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	enc := json.NewEncoder(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-done:
			return // as when dockerd restarts
		case m := <-msgs:
			_ = enc.Encode(m)
			w.(http.Flusher).Flush()
		}
	}
}

// emit sends an event on every open stream.
func (d *fakeDaemon) emit(typ events.Type, action events.Action, name string) {
	m := events.Message{Type: typ, Action: action, Scope: "swarm", TimeNano: time.Now().UnixNano(),
		Actor: events.Actor{ID: "id-" + name, Attributes: map[string]string{"name": name}}}
	d.mu.Lock()
	defer d.mu.Unlock()
	for s := range d.streams {
		s <- m
	}
}

// closeStreams ends every open event stream.
func (d *fakeDaemon) closeStreams() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for s, done := range d.streams {
		close(done)
		delete(d.streams, s)
	}
}

func (d *fakeDaemon) openStreams() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.streams)
}

func (d *fakeDaemon) callCounts() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.calls))
	for k, v := range d.calls {
		out[k] = v
	}
	return out
}

func (d *fakeDaemon) setTasksDown(down bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tasksDown = down
}

// set replaces the swarm's state.
func (d *fakeDaemon) set(services []swarm.Service, tasks []swarm.Task) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.services, d.tasks = slices.Clone(services), slices.Clone(tasks)
}

func writeFakeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// The overlay network every test service and proxy is attached to.
const (
	testNetworkID   = "netsg0001"
	testNetworkName = "swarmgate"
	testProxyName   = "swarmgate_proxy"
)

var testNetworks = []network.Summary{
	{ID: testNetworkID, Name: testNetworkName, Scope: "swarm", Driver: "overlay"},
	{ID: "netother01", Name: "other", Scope: "swarm", Driver: "overlay"},
}

var testEpoch = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// service returns a replicated service on the swarmgate network.
func service(id, name string, labels map[string]string) swarm.Service {
	s := swarm.Service{ID: id}
	s.CreatedAt = testEpoch
	s.Spec.Name = name
	s.Spec.Labels = labels
	s.Spec.Mode.Replicated = &swarm.ReplicatedService{}
	s.Spec.TaskTemplate.Networks = []swarm.NetworkAttachmentConfig{{Target: testNetworkID}}
	return s
}

// task returns a task of serviceID with ip on the swarmgate network.
func task(id, serviceID string, slot int, desired, state swarm.TaskState, ip string) swarm.Task {
	t := swarm.Task{ID: id, ServiceID: serviceID, NodeID: "node1", Slot: slot, DesiredState: desired}
	t.Status.State = state
	t.NetworksAttachments = []swarm.NetworkAttachment{{
		Network:   swarm.Network{ID: testNetworkID, Spec: swarm.NetworkSpec{Annotations: swarm.Annotations{Name: testNetworkName}}},
		Addresses: []string{ip + "/24"},
	}}
	return t
}

func running(id, serviceID string, slot int, ip string) swarm.Task {
	return task(id, serviceID, slot, swarm.TaskStateRunning, swarm.TaskStateRunning, ip)
}

func routeLabels(path, port string) map[string]string {
	return map[string]string{"proxy.path": path, "proxy.port": port}
}
