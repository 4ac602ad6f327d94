package main

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The WebSocket echo is the smallest honest RFC 6455 server: the opening
// handshake, then every data frame echoed back with its opcode, pings
// answered with pongs, and a close echoed before hanging up. It exists so the
// end-to-end suite can prove that upgrades pass through the proxy.

// websocketGUID is the fixed GUID of RFC 6455 section 1.3.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// maxFramePayload bounds what one frame may make us allocate.
const maxFramePayload = 1 << 20

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// websocketAccept computes Sec-WebSocket-Accept for a Sec-WebSocket-Key.
func websocketAccept(key string) string {
	h := sha1.Sum([]byte(key + websocketGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

func headerContainsToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func serveWebSocket(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if r.Method != http.MethodGet || !headerContainsToken(r.Header, "Connection", "upgrade") ||
		!headerContainsToken(r.Header, "Upgrade", "websocket") || key == "" {
		http.Error(w, "expected a WebSocket upgrade", http.StatusBadRequest)
		return
	}
	if v := r.Header.Get("Sec-WebSocket-Version"); v != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		http.Error(w, "unsupported WebSocket version", http.StatusUpgradeRequired)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot hijack the connection", http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", websocketAccept(key))
	if err := brw.Flush(); err != nil {
		return
	}
	_ = echoFrames(brw.Reader, brw.Writer)
}

// echoFrames echoes frames until a close frame, a protocol error or EOF.
func echoFrames(r *bufio.Reader, w *bufio.Writer) error {
	for {
		f, err := readFrame(r)
		if err != nil {
			return err
		}
		if !f.masked {
			// Clients must mask (RFC 6455 section 5.1).
			return errors.New("websocket: unmasked client frame")
		}
		switch f.opcode {
		case opPing:
			f.opcode = opPong
		case opPong:
			continue
		}
		if err := writeFrame(w, f); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if f.opcode == opClose {
			return nil
		}
	}
}

type frame struct {
	fin     bool
	opcode  byte
	masked  bool
	payload []byte
}

// readFrame reads one frame, unmasking its payload if it was masked.
func readFrame(r io.Reader) (frame, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, err
	}
	f := frame{fin: hdr[0]&0x80 != 0, opcode: hdr[0] & 0x0F, masked: hdr[1]&0x80 != 0}
	n := uint64(hdr[1] & 0x7F)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return frame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return frame{}, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	if n > maxFramePayload {
		return frame{}, fmt.Errorf("websocket: frame of %d bytes is over the %d limit", n, maxFramePayload)
	}
	var mask [4]byte
	if f.masked {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return frame{}, err
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return frame{}, err
	}
	if f.masked {
		for i := range f.payload {
			f.payload[i] ^= mask[i%4]
		}
	}
	return f, nil
}

// writeFrame writes an unmasked frame, as a server must.
func writeFrame(w io.Writer, f frame) error {
	hdr := make([]byte, 0, 10)
	b0 := f.opcode
	if f.fin {
		b0 |= 0x80
	}
	hdr = append(hdr, b0)
	switch n := len(f.payload); {
	case n < 126:
		hdr = append(hdr, byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, 126)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr = append(hdr, 127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(f.payload)
	return err
}
