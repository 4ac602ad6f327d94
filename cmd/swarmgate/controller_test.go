package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmgate/swarmgate/controllers"
	"github.com/swarmgate/swarmgate/controllers/leaderelection"
)

// emptySwarm is a Docker API 1.41 daemon with no services, an event stream
// that stays open, and one Swarm Config for the leader election lock.
type emptySwarm struct {
	*httptest.Server
	mu     sync.Mutex
	config *swarm.Config // the lock, once created
}

func newEmptySwarm(t *testing.T) *emptySwarm {
	d := &emptySwarm{}
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("API-Version", "1.41")
		io.WriteString(w, "OK")
	})
	for _, p := range []string{"/v1.41/services", "/v1.41/tasks", "/v1.41/networks"} {
		mux.HandleFunc("GET "+p, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "[]") })
	}
	mux.HandleFunc("GET /v1.41/events", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /v1.41/configs/{name}", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.config == nil || d.config.Spec.Name != r.PathValue("name") {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"config not found"}`)
			return
		}
		json.NewEncoder(w).Encode(d.config)
	})
	mux.HandleFunc("POST /v1.41/configs/create", func(w http.ResponseWriter, r *http.Request) {
		var spec swarm.ConfigSpec
		if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.config != nil {
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"message":"rpc error: code = AlreadyExists desc = config already exists"}`)
			return
		}
		d.config = &swarm.Config{ID: "cfg1", Meta: swarm.Meta{Version: swarm.Version{Index: 1}}, Spec: spec}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"ID":"cfg1"}`)
	})
	mux.HandleFunc("POST /v1.41/configs/{id}/update", func(w http.ResponseWriter, r *http.Request) {
		var spec swarm.ConfigSpec
		if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.config == nil || r.PathValue("id") != d.config.ID {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"config not found"}`)
			return
		}
		if r.URL.Query().Get("version") != strconv.FormatUint(d.config.Version.Index, 10) {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"message":"rpc error: code = Unknown desc = update out of sequence"}`)
			return
		}
		d.config.Spec = spec
		d.config.Version.Index++
	})
	d.Server = httptest.NewServer(mux)
	t.Cleanup(d.Close)
	return d
}

func (d *emptySwarm) lockLabel(key string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.config == nil {
		return ""
	}
	return d.config.Spec.Labels[key]
}

// freeAddr returns an address for a subcommand to listen on. Its port is
// free when probed and could be taken again before the command binds it, so
// it is on a loopback address of its own (127.x.y.z): the rest of the
// suite listens and connects on 127.0.0.1, whose ports do not collide.
func freeAddr(t *testing.T) string {
	t.Helper()
	ip := fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 1+rand.IntN(254))
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startControllerCommand runs `swarmgate controller args...` against d
// until stop is called, which returns the command's error.
func startControllerCommand(t *testing.T, d *emptySwarm, args ...string) (listen string, stop func() error) {
	t.Setenv("DOCKER_HOST", "tcp://"+strings.TrimPrefix(d.URL, "http://"))
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	listen = freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runController(ctx, append([]string{"--token-file", tokenFile, "--metrics-listen", listen, "--log-level", "error"}, args...), io.Discard)
	}()
	stopped := false
	stop = func() error {
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("controller did not stop")
		}
	}
	t.Cleanup(func() {
		if !stopped {
			_ = stop()
		}
	})
	return listen, stop
}

// waitForStatus polls /status until ok accepts it.
func waitForStatus(t *testing.T, listen string, ok func(controllers.Status) bool) controllers.Status {
	t.Helper()
	var status controllers.Status
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := getJSON("http://"+listen+"/status", &status)
		if err == nil && ok(status) {
			return status
		}
		if time.Now().After(deadline) {
			t.Fatalf("/status never became as expected: %v, %+v", err, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestControllerCommandWithoutLeaderElection(t *testing.T) {
	before := time.Now().Unix()
	listen, stop := startControllerCommand(t, newEmptySwarm(t), "--leader-elect=false")
	status := waitForStatus(t, listen, func(s controllers.Status) bool { return s.Generation == 1 })
	if !status.IsLeader || status.Epoch < before || status.Epoch > time.Now().Unix() {
		t.Errorf("status = %+v; want a leader whose epoch is the Unix time at start", status)
	}
	for _, path := range []string{"/readyz", "/healthz", "/metrics"} {
		resp, err := http.Get("http://" + listen + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s %s", path, resp.Status, body)
		}
		if path == "/metrics" && !strings.Contains(string(body), "swarmgate_controller_leader 1") {
			t.Errorf("/metrics lacks swarmgate_controller_leader 1")
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("controller exited with %v after SIGTERM", err)
	}
}

func TestControllerCommandWithLeaderElection(t *testing.T) {
	d := newEmptySwarm(t)
	listen, stop := startControllerCommand(t, d, "--leader-elect-lease-duration=2s",
		"--leader-elect-renew-deadline=1s", "--leader-elect-retry-period=100ms")
	status := waitForStatus(t, listen, func(s controllers.Status) bool { return s.Generation == 1 })
	host, _ := os.Hostname()
	if !status.IsLeader || status.Epoch != 1 || status.Leader != host {
		t.Errorf("status = %+v; want the leader %s of epoch 1", status, host)
	}
	if got := d.lockLabel(leaderelection.LabelHolder); got != host {
		t.Errorf("lock holder = %q, want %q", got, host)
	}
	if err := stop(); err != nil {
		t.Fatalf("controller exited with %v after SIGTERM", err)
	}
	// On SIGTERM the leader releases the lock, so a standby takes over
	// without waiting for the lease to expire.
	if got := d.lockLabel(leaderelection.LabelHolder); got != "" {
		t.Errorf("lock holder after shutdown = %q, want it released", got)
	}
}

func TestControllerCommandNeedsAToken(t *testing.T) {
	err := runController(context.Background(), []string{"--token-file", filepath.Join(t.TempDir(), "missing")}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "read --token-file") {
		t.Fatalf("error = %v, want a --token-file error", err)
	}
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
