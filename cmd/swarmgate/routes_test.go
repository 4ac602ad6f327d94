package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
	"github.com/swarmgate/swarmgate/controllers"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var leaderStatus = controllers.Status{
	Identity: "manager1", Leader: "manager1", IsLeader: true, Epoch: 4, Generation: 12, Hash: "abc",
	Routes: []v1alpha1.Route{
		{Service: "web", PathPrefix: "/", Backends: []v1alpha1.Backend{{Address: "10.0.1.5:8000", Task: "t1"}, {Address: "10.0.1.6:8000", Task: "t2"}}},
		{Service: "api", Host: "api.example.com", PathPrefix: "/v1", StripPrefix: true, Backends: []v1alpha1.Backend{{Address: "10.0.1.9:9000", Task: "t3"}}},
		{Service: "batch", Host: "*.jobs.example.com", PathPrefix: "/", Backends: []v1alpha1.Backend{}},
	},
	Problems: []v1alpha1.Problem{
		{Service: "admin", Label: "proxy.port", Value: "http", Reason: "must be a port number from 1 to 65535", Severity: v1alpha1.SeverityError},
		{Service: "web", Label: "proxy.paht", Value: "/x", Reason: "unknown label, ignored; did you mean proxy.path?", Severity: v1alpha1.SeverityWarning},
	},
	Replicas: []controllers.ReplicaStatus{
		{Address: "10.0.0.3:8081", AckedGeneration: 12, AckedEpoch: 4, LastSuccess: time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC), InSync: true},
		{Address: "10.0.0.4:8081", AckedGeneration: 12, AckedEpoch: 4, LastSuccess: time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC), InSync: true},
		{Address: "10.0.0.5:8081", LastError: "dial tcp 10.0.0.5:8081: connect: connection refused"},
	},
}

var proxyTable = v1alpha1.RoutingTable{APIVersion: v1alpha1.APIVersion, Epoch: 4, Generation: 12, Routes: leaderStatus.Routes}

const routesToken = "t0ken"

// fakeEndpoints serves a controller's /status and a proxy's table.
func fakeEndpoints(t *testing.T, status controllers.Status) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(status)
	})
	mux.HandleFunc("GET /v1/routing-table", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+routesToken {
			http.Error(w, `{"error":"missing or wrong bearer token","reason":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(proxyTable)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRoutes(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(routesToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	leader := fakeEndpoints(t, leaderStatus)
	empty := leaderStatus
	empty.Routes, empty.Problems = []v1alpha1.Route{}, []v1alpha1.Problem{}
	failing := empty
	failing.ReconcileError = "list tasks: Error response from daemon: rpc error: code = Unknown desc = The swarm does not have a leader."
	standby := controllers.Status{Identity: "manager2", Leader: "manager1", Routes: []v1alpha1.Route{}, Problems: []v1alpha1.Problem{}, Replicas: []controllers.ReplicaStatus{}}
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{name: "leader", args: []string{"--controller", leader.URL}, golden: "leader.golden"},
		{name: "leader json", args: []string{"--controller", leader.URL, "-o", "json"}, golden: "leader.json.golden"},
		{name: "no routes", args: []string{"--controller", fakeEndpoints(t, empty).URL}, golden: "empty.golden"},
		{name: "reconcile failing", args: []string{"--controller", fakeEndpoints(t, failing).URL}, golden: "failing.golden"},
		{name: "standby", args: []string{"--controller", fakeEndpoints(t, standby).URL}, golden: "standby.golden"},
		{name: "proxy by host:port", args: []string{"--proxy", strings.TrimPrefix(leader.URL, "http://"), "--token-file", tokenFile}, golden: "proxy.golden"},
		{name: "proxy json", args: []string{"--proxy", leader.URL, "--token-file", tokenFile, "--output", "json"}, golden: "proxy.json.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := runRoutes(context.Background(), tt.args, &out); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "routes", tt.golden)
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != string(want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", golden, out.String())
			}
		})
	}
}

func TestRoutesErrors(t *testing.T) {
	srv := fakeEndpoints(t, leaderStatus)
	wrongToken := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(wrongToken, []byte("nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		usage     bool
		errSubstr string
	}{
		{name: "bad output", args: []string{"-o", "yaml"}, usage: true, errSubstr: "must be table or json"},
		{name: "proxy without token", args: []string{"--proxy", "10.0.0.3:8081"}, usage: true, errSubstr: "--proxy needs --token-file"},
		{name: "wrong token", args: []string{"--proxy", srv.URL, "--token-file", wrongToken}, errSubstr: "401 Unauthorized"},
		{name: "no controller", args: []string{"--controller", "http://127.0.0.1:1"}, errSubstr: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runRoutes(context.Background(), tt.args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.errSubstr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.errSubstr)
			}
			if isUsage := errors.As(err, new(usageError)); isUsage != tt.usage {
				t.Errorf("usage error = %v, want %v", isUsage, tt.usage)
			}
		})
	}
}
