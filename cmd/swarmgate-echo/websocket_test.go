package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWebSocketAccept(t *testing.T) {
	// The example of RFC 6455 section 1.3.
	if got := websocketAccept("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("accept = %q", got)
	}
}

// clientFrame encodes a masked client frame.
func clientFrame(fin bool, opcode byte, payload []byte) []byte {
	var buf bytes.Buffer
	f := frame{fin: fin, opcode: opcode, payload: payload}
	_ = writeFrame(&buf, f)
	b := buf.Bytes()
	hdrLen := 2
	switch b[1] {
	case 126:
		hdrLen = 4
	case 127:
		hdrLen = 10
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	out := append([]byte{}, b[:hdrLen]...)
	out[1] |= 0x80
	out = append(out, mask[:]...)
	for i, c := range payload {
		out = append(out, c^mask[i%4])
	}
	return out
}

func TestWebSocketEcho(t *testing.T) {
	srv := newTestServer(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	_, _ = conn.Write([]byte("GET /demo/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != websocketAccept(key) {
		t.Fatalf("handshake: %d %v", resp.StatusCode, resp.Header)
	}
	big := bytes.Repeat([]byte("z"), 70000)
	steps := []struct {
		send frame
		want frame
	}{
		{frame{fin: true, opcode: opText, payload: []byte("hello")}, frame{fin: true, opcode: opText, payload: []byte("hello")}},
		{frame{fin: true, opcode: opBinary, payload: bytes.Repeat([]byte{1}, 300)}, frame{fin: true, opcode: opBinary, payload: bytes.Repeat([]byte{1}, 300)}},
		{frame{fin: true, opcode: opBinary, payload: big}, frame{fin: true, opcode: opBinary, payload: big}},
		{frame{fin: true, opcode: opPing, payload: []byte("p")}, frame{fin: true, opcode: opPong, payload: []byte("p")}},
		{frame{fin: false, opcode: opText, payload: []byte("frag")}, frame{fin: false, opcode: opText, payload: []byte("frag")}},
		{frame{fin: true, opcode: opContinuation, payload: []byte("ment")}, frame{fin: true, opcode: opContinuation, payload: []byte("ment")}},
		{frame{fin: true, opcode: opClose, payload: []byte{0x03, 0xE8}}, frame{fin: true, opcode: opClose, payload: []byte{0x03, 0xE8}}},
	}
	for _, s := range steps {
		if _, err := conn.Write(clientFrame(s.send.fin, s.send.opcode, s.send.payload)); err != nil {
			t.Fatal(err)
		}
		got, err := readFrame(br)
		if err != nil {
			t.Fatal(err)
		}
		if got.masked {
			t.Fatal("server frame is masked")
		}
		if got.fin != s.want.fin || got.opcode != s.want.opcode || !bytes.Equal(got.payload, s.want.payload) {
			t.Fatalf("sent op %d (%d bytes): got fin %v op %d (%d bytes)", s.send.opcode, len(s.send.payload), got.fin, got.opcode, len(got.payload))
		}
	}
	// After the close the server hangs up.
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("connection still open after close")
	}
}

func TestWebSocketRejectsBadHandshake(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"no upgrade", map[string]string{"Sec-WebSocket-Key": "k", "Sec-WebSocket-Version": "13"}, 400},
		{"no key", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13"}, 400},
		{"old version", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Key": "k", "Sec-WebSocket-Version": "8"}, 426},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ws", nil)
		for k, v := range tt.headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
}

func TestReadFrameRejects(t *testing.T) {
	unmasked := []byte{0x81, 0x01, 'x'}
	err := echoFrames(bufio.NewReader(bytes.NewReader(unmasked)), bufio.NewWriter(io.Discard))
	if err == nil || !strings.Contains(err.Error(), "unmasked") {
		t.Fatalf("unmasked client frame: err %v", err)
	}
	huge := []byte{0x82, 0xFF, 0, 0, 0, 0, 0x10, 0, 0, 0}
	if _, err := readFrame(bytes.NewReader(huge)); err == nil || !strings.Contains(err.Error(), "over the") {
		t.Fatalf("huge frame: err %v", err)
	}
}
