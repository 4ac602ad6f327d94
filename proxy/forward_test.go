package proxy

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// echoBackend answers with a JSON echo of what it received.
func echoBackend(t testing.TB) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "must not reach the client")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-End", "kept")
		json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "host": r.Host, "uri": r.RequestURI, "header": r.Header,
			"body": string(body), "contentLength": r.ContentLength, "te": r.TransferEncoding,
		})
	}))
	t.Cleanup(s.Close)
	return s
}

type echo struct {
	Method, Host, URI, Body string
	Header                  http.Header
	ContentLength           int64
	TE                      []string
}

func TestForwardedHeaders(t *testing.T) {
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("echo", "", "/", addr(echoBackend(t)))))

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/a/b?x=1&y", strings.NewReader("payload"))
	req.Host = "Shop.Example.com:8080"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("X-Forwarded-Proto", "spoofed")
	req.Header.Set("Connection", "keep-alive, X-Secret")
	req.Header.Set("X-Secret", "hop-by-hop by Connection")
	req.Header.Set("Proxy-Authorization", "Basic Zm9v")
	req.Header.Set("Te", "gzip")
	req.Header.Set("X-End", "end-to-end")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got echo
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Method != "POST" || got.URI != "/a/b?x=1&y" || got.Body != "payload" || got.ContentLength != 7 {
		t.Errorf("request line or body changed: %+v", got)
	}
	if got.Host != "Shop.Example.com:8080" {
		t.Errorf("Host = %q, want the client's Host preserved", got.Host)
	}
	for k, want := range map[string]string{
		"X-Forwarded-For":   "203.0.113.7, 127.0.0.1",
		"X-Forwarded-Proto": "http",
		"X-Forwarded-Host":  "Shop.Example.com:8080",
		"X-End":             "end-to-end",
	} {
		if v := strings.Join(got.Header[k], "|"); v != want {
			t.Errorf("backend got %s %q, want %q", k, v, want)
		}
	}
	for _, k := range []string{"X-Secret", "Proxy-Authorization", "Te", "Keep-Alive"} {
		if v, ok := got.Header[k]; ok {
			t.Errorf("hop-by-hop %s = %q reached the backend", k, v)
		}
	}
	for _, k := range []string{"X-Hop", "Keep-Alive"} {
		if v := resp.Header.Get(k); v != "" {
			t.Errorf("hop-by-hop response header %s = %q reached the client", k, v)
		}
	}
	if resp.Header.Get("X-End") != "kept" {
		t.Errorf("end-to-end response header lost: %v", resp.Header)
	}
}

func TestChunkedRequestBodyStreams(t *testing.T) {
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("echo", "", "/", addr(echoBackend(t)))))
	pr, pw := io.Pipe()
	go func() {
		for _, s := range []string{"one ", "two ", "three"} {
			pw.Write([]byte(s))
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/up", pr)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got echo
	json.NewDecoder(resp.Body).Decode(&got)
	if got.Body != "one two three" || len(got.TE) != 1 || got.TE[0] != "chunked" {
		t.Errorf("backend got body %q with transfer-encoding %v, want the chunked body", got.Body, got.TE)
	}
}

// TestRetryDeadBackend: a backend that refuses connections costs no client
// an error, and is ejected.
func TestRetryDeadBackend(t *testing.T) {
	p, srv := newTestProxy(t, Config{})
	live := namedBackend(t, "live")
	dead := deadAddr(t)
	mustApply(t, p, table(1, 1, rt("svc", "", "/", dead, addr(live))))
	for i := range 50 {
		method := http.MethodGet
		if i%2 == 1 {
			method = http.MethodPost // nothing was sent: even POST is retried
		}
		req, _ := http.NewRequest(method, srv.URL+"/x", nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Backend") != "live" {
			t.Fatalf("request %d: got %d from %q, want 200 from live", i, resp.StatusCode, resp.Header.Get("X-Backend"))
		}
	}
	p.mu.Lock()
	b := p.backends[dead]
	p.mu.Unlock()
	if !b.ejected(time.Now().UnixNano()) {
		t.Error("the dead backend is not ejected")
	}
	if got := testutilCount(t, p, "swarmgate_proxy_backend_ejections_total"); got < 1 {
		t.Errorf("ejections metric = %v, want >= 1", got)
	}
}

// TestBackendStopsMidTraffic: a task that stops (listener closed, its
// keep-alive connections closed) while requests flow costs no client an error.
func TestBackendStopsMidTraffic(t *testing.T) {
	for _, lb := range []LBPolicy{RoundRobin, LeastRequest} {
		t.Run(string(lb), func(t *testing.T) {
			p, srv := newTestProxy(t, Config{LB: lb})
			a, b := namedBackend(t, "a"), namedBackend(t, "b")
			mustApply(t, p, table(1, 1, rt("svc", "", "/", addr(a), addr(b))))
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
			defer client.CloseIdleConnections()

			const workers, perWorker = 4, 100
			errs := make(chan error, workers*perWorker)
			done := make(chan struct{})
			stopped := make(chan struct{})
			seen := make(chan string, workers*perWorker)
			for range workers {
				go func() {
					defer func() { done <- struct{}{} }()
					for i := range perWorker {
						if i == perWorker/3 {
							<-stopped
						}
						code, who, _ := getNoFatal(client, srv.URL+"/x")
						if code != http.StatusOK {
							errs <- &statusError{code}
						}
						seen <- who
					}
				}()
			}
			// Stop a once traffic has warmed the pools to both backends.
			eventually(t, "traffic on both backends", func() bool { return len(seen) >= workers*10 })
			a.Close()
			close(stopped)
			for range workers {
				<-done
			}
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "client got status " + http.StatusText(e.code) }

func getNoFatal(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Backend"), nil
}

func TestAllBackendsDown(t *testing.T) {
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("svc", "", "/", deadAddr(t), deadAddr(t))))
	code, _, body := get(t, srv.Client(), srv.URL+"/", "")
	if code != http.StatusBadGateway || body != bodyBadGateway {
		t.Errorf("got %d %q, want 502 %q", code, body, bodyBadGateway)
	}
}

func TestResponseHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	p, srv := newTestProxy(t, Config{ResponseHeaderTimeout: 100 * time.Millisecond})
	mustApply(t, p, table(1, 1, rt("svc", "", "/", addr(slow))))
	code, _, body := get(t, srv.Client(), srv.URL+"/", "")
	if code != http.StatusGatewayTimeout || body != bodyGatewayTimeout {
		t.Errorf("got %d %q, want 504", code, body)
	}
}

// TestStreaming: the client reads the first chunk before the backend has
// written the second.
func TestStreaming(t *testing.T) {
	next := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-next:
		case <-time.After(10 * time.Second):
		}
		io.WriteString(w, "data: second\n\n")
	}))
	defer backend.Close()
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("sse", "", "/", addr(backend))))

	resp, err := srv.Client().Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: first\n" {
		t.Fatalf("first chunk: %q, %v", line, err)
	}
	close(next)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "\ndata: second\n\n" {
		t.Fatalf("rest: %q, %v", rest, err)
	}
}

func TestTrailersAndHead(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		if r.Method == http.MethodHead {
			w.Header().Set("Content-Length", "5")
			return
		}
		io.WriteString(w, "hello")
		w.Header().Set("X-Checksum", "abc")
	}))
	defer backend.Close()
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("t", "", "/", addr(backend))))

	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello" || resp.Trailer.Get("X-Checksum") != "abc" {
		t.Errorf("got body %q trailer %v, want hello with X-Checksum abc", b, resp.Trailer)
	}

	resp, err = srv.Client().Head(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != 5 {
		t.Errorf("HEAD: got %d with length %d, want 200 with 5", resp.StatusCode, resp.ContentLength)
	}
	// The connection is reused after HEAD: a second request still works.
	if code, _, body := get(t, srv.Client(), srv.URL+"/", ""); code != 200 || body != "hello" {
		t.Errorf("after HEAD: got %d %q", code, body)
	}
}

// TestKeepAliveUpstream: sequential requests reuse one upstream connection.
func TestKeepAliveUpstream(t *testing.T) {
	var conns atomic.Int32
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	}))
	backend.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	backend.Start()
	defer backend.Close()
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("k", "", "/", addr(backend))))
	for range 20 {
		if code, _, _ := get(t, srv.Client(), srv.URL+"/", ""); code != 200 {
			t.Fatalf("got %d", code)
		}
	}
	if conns.Load() != 1 {
		t.Errorf("backend accepted %d connections for 20 sequential requests, want 1", conns.Load())
	}
}

// TestPostAfterBackendClosedIdle: a POST, which is never retried once sent,
// is not sent on a pooled connection the backend has closed meanwhile.
func TestPostAfterBackendClosedIdle(t *testing.T) {
	backend := echoBackend(t)
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("echo", "", "/", addr(backend))))
	post := func() int {
		resp, err := srv.Client().Post(srv.URL+"/form", "text/plain", strings.NewReader("data"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(); code != http.StatusOK {
		t.Fatalf("first POST: %d", code)
	}
	b := p.backends[addr(backend)]
	b.mu.Lock()
	pooled := len(b.idle)
	b.mu.Unlock()
	if pooled != 1 {
		t.Fatalf("%d pooled connections after one request, want 1", pooled)
	}
	backend.CloseClientConnections() // what a backend's idle timeout does
	eventually(t, "the pooled connection to see the close", func() bool {
		c := b.getIdle()
		if c == nil {
			return true
		}
		defer c.b.putIdle(c, time.Now(), 10)
		return !connAlive(c.nc)
	})
	if code := post(); code != http.StatusOK {
		t.Errorf("POST after the backend closed its idle connection: %d, want 200", code)
	}
}
