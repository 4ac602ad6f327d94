package controllers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-logr/logr"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestHandlerOnAStandby(t *testing.T) {
	d := newFakeDaemon(t)
	c, err := New(testOptions(d, t, &fakeResolver{}, 8081))
	if err != nil {
		t.Fatal(err)
	}
	c.SetLeader("manager1")
	h := c.Handler()

	if code, body := get(t, h, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %s", code, body)
	}
	// A standby whose Docker API answers is ready: it is doing its job.
	if code, body := get(t, h, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, body)
	}
	code, body := get(t, h, "/status")
	if code != http.StatusOK {
		t.Fatalf("/status: %d %s", code, body)
	}
	want := `{"identity":"test-controller","leader":"manager1","isLeader":false,"epoch":0,"generation":0,"routes":[],"problems":[],"replicas":[]}`
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if compact.String() != want {
		t.Errorf("/status = %s, want %s", compact.String(), want)
	}
}

func TestReadyzWithoutDocker(t *testing.T) {
	d := newFakeDaemon(t)
	c, err := New(testOptions(d, t, &fakeResolver{}, 8081))
	if err != nil {
		t.Fatal(err)
	}
	d.srv.Close()
	if code, body := get(t, c.Handler(), "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "docker API does not answer") {
		t.Errorf("/readyz without Docker: %d %s", code, body)
	}
}

func TestReadyzWhileLeading(t *testing.T) {
	d := newFakeDaemon(t)
	proxies, port := startProxies(t, 1)
	c, err := New(testOptions(d, t, resolverFor(proxies), port))
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	eventually(t, "ready after the first reconcile", func() error {
		if code, body := get(t, c.Handler(), "/readyz"); code != http.StatusOK {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	})
	if s := c.Status(); !s.IsLeader || s.Leader != "test-controller" || s.Generation != 1 || s.Hash == "" {
		t.Errorf("status = %+v", s)
	}
}

func TestControllerPushesToNewReplica(t *testing.T) {
	d := newFakeDaemon(t)
	proxies, port := startProxies(t, 2)
	resolver := &fakeResolver{}
	resolver.set(proxies[0].ip)
	c, err := New(testOptions(d, t, resolver, port))
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	allServe(t, proxies[:1], map[string][]string{})
	if proxies[1].proxy.Current() != nil {
		t.Fatal("a replica that is not resolvable got a table")
	}
	resolver.set(proxies[0].ip, proxies[1].ip) // scaled up: DNS now answers both
	allServe(t, proxies, map[string][]string{})
	if s := c.Status(); len(s.Replicas) != 2 {
		t.Errorf("status has %d replicas, want 2", len(s.Replicas))
	}
	resolver.set(proxies[1].ip) // scaled down: the first is gone
	eventually(t, "the gone replica is forgotten", func() error {
		if s := c.Status(); len(s.Replicas) != 1 || !strings.HasPrefix(s.Replicas[0].Address, proxies[1].ip+":") {
			return fmt.Errorf("replicas %+v", s.Replicas)
		}
		return nil
	})
}

func TestStatusReportsReconcileErrors(t *testing.T) {
	d := newFakeDaemon(t)
	proxies, port := startProxies(t, 1)
	c, err := New(testOptions(d, t, resolverFor(proxies), port))
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	allServe(t, proxies, map[string][]string{})
	d.setTasksDown(true)
	eventually(t, "the error is in /status", func() error {
		if s := c.Status(); !strings.Contains(s.ReconcileError, "The swarm does not have a leader") || s.LastReconcile.IsZero() {
			return fmt.Errorf("reconcileError %q, lastReconcile %v", s.ReconcileError, s.LastReconcile)
		}
		return nil
	})
	d.setTasksDown(false)
	eventually(t, "the error clears", func() error {
		if s := c.Status(); s.ReconcileError != "" {
			return fmt.Errorf("reconcileError %q", s.ReconcileError)
		}
		return nil
	})
}
