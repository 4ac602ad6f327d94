package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rawExchange writes raw to the server and returns everything it answers
// until it closes the connection.
func rawExchange(t *testing.T, url, raw string) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, raw)
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, b)
	}
	return string(b)
}

func TestServerProtocol(t *testing.T) {
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("echo", "", "/", addr(echoBackend(t)))))

	for _, tc := range []struct {
		name, raw string
		want      []string // substrings of the whole exchange, in order
		not       []string
	}{
		{"two requests on one connection, the second closes",
			"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			[]string{"HTTP/1.1 200 OK", `"uri":"/1"`, "HTTP/1.1 200 OK", "Connection: close", `"uri":"/2"`}, nil},
		{"HTTP/1.0 gets its answer and the connection closes",
			"GET /old HTTP/1.0\r\n\r\n", []string{"HTTP/1.1 200 OK", "Connection: close", `"uri":"/old"`}, nil},
		{"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", []string{"HTTP/1.1 400 Bad Request"}, []string{"uri"}},
		{"garbage", "HELLO\r\n\r\n", []string{"HTTP/1.1 400 Bad Request"}, nil},
		{"headers too large", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("x", 80<<10) + "\r\n\r\n",
			[]string{"HTTP/1.1 431 Request Header Fields Too Large"}, nil},
		{"expect 100-continue", "POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
			[]string{"HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200 OK", `"body":"hello"`}, []string{`"Expect"`}},
		{"chunked upload", "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
			[]string{"HTTP/1.1 200 OK", `"body":"abcde"`}, nil},
		{"unread body is drained for the next request",
			"POST /nope HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			[]string{`"uri":"/nope"`, `"uri":"/next"`}, nil},
	} {
		got := rawExchange(t, srv.URL, tc.raw)
		rest := got
		for _, w := range tc.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: %q missing (in order) from %q", tc.name, w, got)
				break
			}
			rest = rest[i+len(w):]
		}
		for _, n := range tc.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q should not be in %q", tc.name, n, got)
			}
		}
	}
}

// TestServerChunksUnknownLength: a response of unknown length is chunked,
// and a truncated upstream body is not passed off as complete.
func TestServerTruncatedBody(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "only part")
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer backend.Close()
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("t", "", "/", addr(backend))))
	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("a truncated body read as complete")
	}
}

// TestServerShutdown: Shutdown closes idle connections at once and lets a
// request in flight finish.
func TestServerShutdown(t *testing.T) {
	inFlight, release := make(chan struct{}), make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(inFlight)
		<-release
		io.WriteString(w, "done")
	}))
	defer backend.Close()
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	mustApply(t, p, table(1, 1, rt("t", "", "/", addr(backend))))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Proxy: p}
	go s.Serve(l)

	idle, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + l.Addr().String() + "/")
		if err != nil {
			answer <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer <- string(b)
	}()
	<-inFlight
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()

	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bufio.NewReader(idle).ReadByte(); err != io.EOF {
		t.Errorf("idle connection: got %v, want it closed (EOF)", err)
	}
	close(release)
	if got := <-answer; got != "done" {
		t.Errorf("in-flight request: got %q", got)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestServeHTTPOnNetHTTP: the Proxy is also a plain http.Handler.
func TestServeHTTPOnNetHTTP(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv := httptest.NewServer(p)
	defer srv.Close()
	mustApply(t, p, table(1, 1, rt("app", "", "/app", addr(namedBackend(t, "app")))))
	if code, who, body := get(t, srv.Client(), srv.URL+"/app/x?y", ""); code != 200 || who != "app" || body != "app /app/x?y" {
		t.Errorf("got %d %q %q", code, who, body)
	}
	if code, _, _ := get(t, srv.Client(), srv.URL+"/other", ""); code != 404 {
		t.Errorf("no route: got %d", code)
	}
}
