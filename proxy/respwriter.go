package proxy

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// respWriter is the http.ResponseWriter of Server: it frames the response
// by the Content-Length the handler sets, or chunked.
type respWriter struct {
	c         *serverConn
	req       *http.Request
	header    http.Header
	keepAlive bool

	wroteHeader bool
	status      int
	bodyAllowed bool
	chunked     bool
	length      int64 // declared Content-Length, -1 if none
	written     int64
	hijacked    bool
	err         error // the first write error; the connection is then dead
}

var errBodyTooLong = errors.New("response body longer than its Content-Length")

func (w *respWriter) reset(req *http.Request, keepAlive bool) {
	h := w.header
	if h == nil {
		h = make(http.Header, 8)
	} else {
		clear(h)
	}
	*w = respWriter{c: w.c, req: req, header: h, keepAlive: keepAlive, length: -1}
}

func (w *respWriter) Header() http.Header { return w.header }

func (w *respWriter) WriteHeader(code int) {
	if w.wroteHeader || w.hijacked || code < 200 {
		return // interim responses are not relayed
	}
	w.wroteHeader = true
	w.status = code
	w.writeHead()
}

func (w *respWriter) writeHead() {
	bw := w.c.bw
	code := w.status
	w.bodyAllowed = w.req.Method != http.MethodHead && code != http.StatusNoContent && code != http.StatusNotModified
	h := w.header
	if cl := h["Content-Length"]; len(cl) == 1 {
		if n, err := strconv.ParseInt(cl[0], 10, 64); err == nil && n >= 0 {
			w.length = n
		}
	}
	if w.length < 0 {
		delete(h, "Content-Length") // malformed: frame it ourselves
		switch {
		case !w.bodyAllowed:
		case w.req.ProtoAtLeast(1, 1):
			w.chunked = true
		default:
			w.keepAlive = false // HTTP/1.0: the body ends with the connection
		}
	}
	bw.WriteString("HTTP/1.1 ")
	var num [3]byte
	bw.Write(strconv.AppendInt(num[:0], int64(code), 10))
	bw.WriteByte(' ')
	bw.WriteString(http.StatusText(code))
	bw.WriteString("\r\n")
	for k, vv := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) || k == "Trailer" && !w.chunked {
			continue
		}
		for _, v := range vv {
			writeHeader(bw, k, v)
		}
	}
	if w.chunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if !w.keepAlive {
		bw.WriteString("Connection: close\r\n")
	}
	bw.WriteString("\r\n")
}

func (w *respWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.bodyAllowed || len(p) == 0 {
		return len(p), nil
	}
	if w.length >= 0 && w.written+int64(len(p)) > w.length {
		w.err = errBodyTooLong
		return 0, w.err
	}
	w.written += int64(len(p))
	bw := w.c.bw
	if w.chunked {
		var hex [16]byte
		bw.Write(strconv.AppendInt(hex[:0], int64(len(p)), 16))
		bw.WriteString("\r\n")
	}
	if _, err := bw.Write(p); err != nil {
		w.err = err
		return 0, err
	}
	if w.chunked {
		bw.WriteString("\r\n")
	}
	return len(p), nil
}

// Flush sends what is buffered to the client.
func (w *respWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err == nil {
		w.err = w.c.bw.Flush()
	}
}

// finish completes the response; false means the connection must close.
func (w *respWriter) finish() bool {
	if !w.wroteHeader {
		// Nothing was written: the body is empty, say so without chunking.
		if w.header["Content-Length"] == nil {
			w.header["Content-Length"] = []string{"0"}
		}
		w.WriteHeader(http.StatusOK)
	}
	bw := w.c.bw
	if w.chunked && w.err == nil {
		bw.WriteString("0\r\n")
		for k, vv := range w.header {
			name, ok := strings.CutPrefix(k, http.TrailerPrefix)
			if !ok {
				continue
			}
			for _, v := range vv {
				writeHeader(bw, name, v)
			}
		}
		bw.WriteString("\r\n")
	}
	if w.err == nil {
		w.err = bw.Flush()
	}
	return w.err == nil && (!w.bodyAllowed || w.length < 0 || w.written == w.length)
}

// Hijack hands the connection to the handler (WebSocket tunnels).
func (w *respWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.wroteHeader {
		return nil, nil, errors.New("hijack after the response started")
	}
	w.hijacked = true
	w.c.nc.SetReadDeadline(time.Time{})
	return w.c.nc, bufio.NewReadWriter(w.c.br, w.c.bw), nil
}
