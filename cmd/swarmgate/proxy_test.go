package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if tok, err := readToken(write("ok", "  s3cret\n")); err != nil || string(tok) != "s3cret" {
		t.Errorf("got %q, %v; want the trimmed token", tok, err)
	}
	if _, err := readToken(write("empty", " \n\t")); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty token file: got %v", err)
	}
	if _, err := readToken(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "read --token-file") {
		t.Errorf("missing token file: got %v", err)
	}
}

func TestRunProxyBadInvocations(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"apiVersion":"swarmgate.io/v1alpha1","routes":[{"service":"a","pathPrefix":"a"}]}`), 0o600)
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		usage   bool
	}{
		{"routes and state", []string{"--routes-file", bad, "--state-file", filepath.Join(dir, "s")}, "exclusive", true},
		{"bad lb", []string{"--lb", "random", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, "load-balancing policy", true},
		{"invalid routes file", []string{"--routes-file", bad}, `routes[0].pathPrefix: must start with "/"`, false},
		{"missing routes file", []string{"--routes-file", filepath.Join(dir, "nope.json")}, "read --routes-file", false},
		{"missing token file", []string{"--token-file", filepath.Join(dir, "nope")}, "read --token-file", false},
	} {
		err := runProxy(context.Background(), append(tc.args, "--log-level", "error"), io.Discard)
		var ue usageError
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || errors.As(err, &ue) != tc.usage {
			t.Errorf("%s: got %v (usage %v), want %q (usage %v)", tc.name, err, errors.As(err, &ue), tc.wantErr, tc.usage)
		}
	}
}

// TestRunProxyStatic serves a --routes-file, then shuts down gracefully: a
// request in flight at SIGTERM still completes.
func TestRunProxyStatic(t *testing.T) {
	inFlight, release := make(chan struct{}), make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/app/slow" {
			close(inFlight)
			<-release
		}
		io.WriteString(w, "static "+r.URL.Path)
	}))
	defer backend.Close()
	routes := filepath.Join(t.TempDir(), "routes.json")
	os.WriteFile(routes, []byte(`{"apiVersion":"swarmgate.io/v1alpha1","generation":1,"epoch":1,"routes":[`+
		`{"service":"app","host":"","pathPrefix":"/app","stripPrefix":false,"backends":[{"address":"`+
		strings.TrimPrefix(backend.URL, "http://")+`","task":"t1"}]}]}`), 0o600)
	listen, admin := freeAddr(t), freeAddr(t)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runProxy(ctx, []string{"--listen", listen, "--admin-listen", admin, "--routes-file", routes,
			"--shutdown-timeout", "10s", "--log-level", "error"}, io.Discard)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + admin + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Get("http://" + listen + "/app/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "static /app/x" {
		t.Errorf("got %q", body)
	}

	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + listen + "/app/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	<-inFlight
	cancel() // SIGTERM
	// Shutdown closes the listener first; the slow request is still served.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", listen)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections after shutdown began")
		}
	}
	close(release)
	if got := <-slow; got != "static /app/slow" {
		t.Errorf("in-flight request at shutdown: got %q", got)
	}
	if err := <-done; err != nil {
		t.Errorf("runProxy: %v", err)
	}
}
