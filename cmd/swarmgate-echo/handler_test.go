package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	e := &echo{hostname: "task-1"}
	e.healthy.Store(true)
	srv := httptest.NewServer(e.routes())
	t.Cleanup(srv.Close)
	return srv
}

func TestEchoReply(t *testing.T) {
	srv := newTestServer(t)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/demo/x?a=1&sleep=1ms", strings.NewReader("body"))
	req.Host = "app.example"
	req.Header.Set("X-Forwarded-For", "10.0.0.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got reply
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || got.Hostname != "task-1" || got.Method != "POST" || got.Host != "app.example" ||
		got.Path != "/demo/x" || got.Query != "a=1&sleep=1ms" || got.Headers["X-Forwarded-For"][0] != "10.0.0.9" {
		t.Fatalf("status %d, reply %+v", resp.StatusCode, got)
	}
}

func TestEchoBadKnobs(t *testing.T) {
	srv := newTestServer(t)
	for _, path := range []string{"/?sleep=soon", "/?sleep=-1s", "/stream?n=x", "/stream?n=-1", "/stream?interval=x", "/ws"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 400", path, resp.StatusCode)
		}
	}
}

func TestStreamFlushesEachChunk(t *testing.T) {
	srv := newTestServer(t)
	// The server waits an hour between chunks: reading the first one at all
	// proves it was flushed rather than buffered until the end.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/app/stream?n=2&interval=1h", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var chunk struct {
		Hostname string `json:"hostname"`
		Seq      int    `json:"seq"`
	}
	if err := json.Unmarshal(line, &chunk); err != nil || chunk.Hostname != "task-1" || chunk.Seq != 0 {
		t.Fatalf("first chunk %q: %+v, %v", line, chunk, err)
	}
}

func TestStreamAll(t *testing.T) {
	srv := newTestServer(t)
	resp, err := http.Get(srv.URL + "/stream?n=3&interval=0s")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if n := bytes.Count(body, []byte("\n")); n != 3 {
		t.Fatalf("got %d lines, want 3: %q", n, body)
	}
}

func TestHealthSwitch(t *testing.T) {
	srv := newTestServer(t)
	steps := []struct {
		method, path string
		want         int
	}{
		{"GET", "/healthz", 200},
		{"POST", "/__echo/health?fail=1", 204},
		{"GET", "/healthz", 503},
		{"POST", "/__echo/health?fail=maybe", 400},
		{"GET", "/healthz", 503},
		{"POST", "/__echo/health?fail=0", 204},
		{"GET", "/healthz", 200},
	}
	for _, s := range steps {
		req, _ := http.NewRequest(s.method, srv.URL+s.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != s.want {
			t.Fatalf("%s %s: status %d, want %d", s.method, s.path, resp.StatusCode, s.want)
		}
	}
}

func TestParseDelay(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "0s"}, {in: "0"}, {in: "1.5", want: 1500 * time.Millisecond}, {in: "250ms", want: 250 * time.Millisecond},
		{in: "2x", wantErr: true}, {in: "-1s", wantErr: true}, {in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseDelay(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseDelay(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestProbe(t *testing.T) {
	var gotAuth, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	code := runProbe(context.Background(), []string{"--method", "PUT", "--url", srv.URL, "--data", "{}", "--header", "Authorization: Bearer x"}, &out, &errOut)
	if code != 0 || out.String() != "401\nunauthorized\n" || gotAuth != "Bearer x" || gotBody != "{}" {
		t.Fatalf("code %d, out %q, stderr %q, auth %q, body %q", code, out.String(), errOut.String(), gotAuth, gotBody)
	}
	if code := runProbe(context.Background(), []string{"--fail", "--url", srv.URL}, &out, &errOut); code != 1 {
		t.Fatalf("probe --fail of a 401: code %d, want 1", code)
	}
	srv.Close()
	if code := runProbe(context.Background(), []string{"--url", srv.URL}, &out, &errOut); code != 1 {
		t.Fatalf("probe of a closed server: code %d, want 1", code)
	}
	for _, args := range [][]string{{}, {"--url", srv.URL, "extra"}, {"--url", srv.URL, "--header", "nocolon"}, {"--bogus"}} {
		if code := runProbe(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("probe %q: code %d, want 2", args, code)
		}
	}
}
