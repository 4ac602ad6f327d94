package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// wsEchoBackend accepts an Upgrade: websocket handshake (without the
// WebSocket framing, which the proxy does not look at) and echoes
// newline-terminated lines in upper case.
func wsEchoBackend(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || !strings.EqualFold(r.Header.Get("Connection"), "Upgrade") {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: test\r\n\r\n")
		brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString(strings.ToUpper(line))
			brw.Flush()
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestWebSocket(t *testing.T) {
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("ws", "", "/ws", addr(wsEchoBackend(t)))))

	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET /ws/chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "websocket" ||
		resp.Header.Get("Sec-WebSocket-Accept") != "test" {
		t.Fatalf("handshake: got %d %v", resp.StatusCode, resp.Header)
	}
	for _, msg := range []string{"hello\n", "over the tunnel\n"} {
		io.WriteString(conn, msg)
		got, err := br.ReadString('\n')
		if err != nil || got != strings.ToUpper(msg) {
			t.Fatalf("echo of %q: got %q, %v", msg, got, err)
		}
	}
	// Closing the client ends the tunnel and frees its backend connection.
	conn.Close()
	eventually(t, "tunnel closed", func() bool {
		p.tunnelsMu.Lock()
		defer p.tunnelsMu.Unlock()
		return len(p.tunnels) == 0
	})
}

func TestUpgradeRefusedByBackend(t *testing.T) {
	p, srv := newTestProxy(t, Config{})
	mustApply(t, p, table(1, 1, rt("plain", "", "/", addr(namedBackend(t, "plain")))))
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "plain /" {
		t.Errorf("got %d %q, want the backend's plain answer", resp.StatusCode, body)
	}
}
