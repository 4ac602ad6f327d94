package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swarmgate/swarmgate/controllers"
)

// emptySwarm is a Docker API 1.41 daemon with no services and an event
// stream that stays open.
func emptySwarm(t *testing.T) *httptest.Server {
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
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestControllerCommandWithoutLeaderElection(t *testing.T) {
	docker := emptySwarm(t)
	t.Setenv("DOCKER_HOST", "tcp://"+strings.TrimPrefix(docker.URL, "http://"))
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	before := time.Now().Unix()
	go func() {
		done <- runController(ctx, []string{"--leader-elect=false", "--token-file", tokenFile,
			"--metrics-listen", listen, "--log-level", "error"}, io.Discard)
	}()

	var status controllers.Status
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := getJSON("http://"+listen+"/status", &status)
		if err == nil && status.Generation == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no first table in /status: %v, %+v", err, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
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

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("controller exited with %v after SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("controller did not stop")
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
