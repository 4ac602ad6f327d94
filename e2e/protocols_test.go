//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWebSocketThroughProxy(t *testing.T) {
	dumpOnFailure(t)
	createService(t, echoService{name: "e2e-ws", labels: []string{"proxy.path=/ws-app", "proxy.port=8000"}})
	eventually(t, routeTimeout, "/ws-app answers 200", statusIs("/ws-app", http.StatusOK))

	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(baseURL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	keyBytes := make([]byte, 16)
	_, _ = rand.Read(keyBytes)
	key := base64.StdEncoding.EncodeToString(keyBytes)
	req, _ := http.NewRequest(http.MethodGet, baseURL+"/ws-app/ws", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Key", key)
	req.Header.Set("Sec-WebSocket-Version", "13")
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("handshake through the proxy: %s %v", resp.Status, resp.Header)
	}
	// Several messages, both ways, on the one upgraded connection.
	for _, msg := range []string{"hello", strings.Repeat("x", 200), "bye"} {
		if _, err := conn.Write(maskedTextFrame([]byte(msg))); err != nil {
			t.Fatal(err)
		}
		got, err := readTextFrame(br)
		if err != nil {
			t.Fatalf("read echo of %d bytes: %v", len(msg), err)
		}
		if got != msg {
			t.Fatalf("echo = %q, want %q", got, msg)
		}
	}
}

// maskedTextFrame is one final client text frame (RFC 6455 section 5.2).
func maskedTextFrame(payload []byte) []byte {
	if len(payload) > 0xFFFF {
		panic("frame too long for this helper")
	}
	f := []byte{0x81}
	if n := len(payload); n < 126 {
		f = append(f, 0x80|byte(n))
	} else {
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	f = append(f, mask[:]...)
	for i, c := range payload {
		f = append(f, c^mask[i%4])
	}
	return f
}

// readTextFrame reads one unmasked server text frame.
func readTextFrame(r io.Reader) (string, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return "", err
	}
	if hdr[0] != 0x81 || hdr[1]&0x80 != 0 {
		return "", io.ErrUnexpectedEOF
	}
	n := int(hdr[1] & 0x7F)
	if n == 126 {
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return "", err
		}
		n = int(binary.BigEndian.Uint16(ext[:]))
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return string(b), err
}

func TestStreamingThroughProxy(t *testing.T) {
	dumpOnFailure(t)
	createService(t, echoService{name: "e2e-stream", labels: []string{"proxy.path=/stream-app", "proxy.port=8000"}})
	eventually(t, routeTimeout, "/stream-app answers 200", statusIs("/stream-app", http.StatusOK))

	t.Run("each chunk is flushed", func(t *testing.T) {
		// The backend sends its first chunk and then waits an hour: reading
		// that chunk at all proves the proxy does not buffer the response.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/stream-app/stream?n=2&interval=1h", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
		if err != nil {
			t.Fatalf("first chunk: %v (the proxy buffers streamed responses?)", err)
		}
		var chunk struct {
			Seq int `json:"seq"`
		}
		if err := json.Unmarshal(line, &chunk); err != nil || chunk.Seq != 0 {
			t.Fatalf("first chunk %q: %v", line, err)
		}
	})
	t.Run("the whole stream arrives", func(t *testing.T) {
		resp, err := client.Get(baseURL + "/stream-app/stream?n=20&interval=10ms")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(body, []byte("\n")); resp.StatusCode != http.StatusOK || n != 20 {
			t.Fatalf("status %d, %d chunks, want 200 and 20: %.300s", resp.StatusCode, n, body)
		}
	})
}
