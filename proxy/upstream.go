package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"
)

// upConn is one HTTP/1.1 connection to a backend. The proxy drives it
// directly (write request, read response, pool) instead of going through
// http.Transport, whose per-connection read and write goroutines cost more
// CPU than the rest of the proxy together.
type upConn struct {
	b         *backend
	nc        net.Conn
	lim       budgetReader
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
	// readDeadline is the read deadline set on nc, see armReadDeadline.
	readDeadline time.Time
	// stop unregisters the client-cancellation hook of the current request;
	// false means it fired and the connection is poisoned.
	stop func() bool
	// reused is set once the connection served a response: a failure before
	// the next response then most likely means the backend closed it idle.
	reused bool
}

const upBufSize = 4 << 10

func (p *Proxy) dial(ctx context.Context, b *backend) (*upConn, error) {
	nc, err := p.dialer.DialContext(ctx, "tcp", b.addr)
	if err != nil {
		return nil, err
	}
	c := &upConn{b: b, nc: nc}
	c.lim = budgetReader{r: nc, n: math.MaxInt64}
	c.br = bufio.NewReaderSize(&c.lim, upBufSize)
	c.bw = bufio.NewWriterSize(nc, upBufSize)
	return c, nil
}

func (c *upConn) close() { _ = c.nc.Close() }

// armReadDeadline bounds the wait for the backend's next bytes by timeout,
// like nginx's proxy_read_timeout. Moving a deadline costs a runtime timer
// update, so it is moved only once it is an eighth of timeout stale: reads
// are bounded by a time between 7/8 of timeout and timeout.
func (c *upConn) armReadDeadline(now time.Time, timeout time.Duration) {
	if c.readDeadline.Sub(now) < timeout-timeout/8 {
		c.readDeadline = now.Add(timeout)
		c.nc.SetReadDeadline(c.readDeadline)
	}
}

// budgetReader fails reads past a byte budget; it bounds response headers.
type budgetReader struct {
	r io.Reader
	n int64
}

var errHeaderTooLarge = errors.New("response headers too large")

func (l *budgetReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errHeaderTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// outbound is what the proxy sends for one incoming request.
type outbound struct {
	r       *http.Request
	path    string // escaped path, prefix already stripped
	upgrade string // Upgrade header value of a protocol switch, else ""
}

// writeRequest sends the request line, headers and body.
func (c *upConn) writeRequest(o *outbound) error {
	r, bw := o.r, c.bw
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(o.path)
	if r.URL.RawQuery != "" || r.URL.ForceQuery {
		bw.WriteByte('?')
		bw.WriteString(r.URL.RawQuery)
	}
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	if r.Host != "" {
		bw.WriteString(r.Host)
	} else {
		bw.WriteString(c.b.addr)
	}
	bw.WriteString("\r\n")

	connTokens := r.Header["Connection"]
	for k, vv := range r.Header {
		if skipRequestHeader(k) || listedIn(connTokens, k) {
			continue
		}
		for _, v := range vv {
			writeHeader(bw, k, v)
		}
	}
	writeForwarded(bw, r)
	if o.upgrade != "" {
		bw.WriteString("Connection: Upgrade\r\n")
		writeHeader(bw, "Upgrade", o.upgrade)
	}

	switch {
	case r.ContentLength > 0:
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.FormatInt(r.ContentLength, 10))
		bw.WriteString("\r\n\r\n")
		if _, err := io.Copy(bw, r.Body); err != nil {
			return &clientBodyError{err}
		}
	case r.ContentLength < 0:
		bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		if err := copyChunked(bw, r.Body); err != nil {
			return err
		}
	default:
		if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
			bw.WriteString("Content-Length: 0\r\n")
		}
		bw.WriteString("\r\n")
	}
	return bw.Flush()
}

// copyChunked streams a body of unknown length, flushing every chunk so that
// a streaming upload reaches the backend as it comes.
func copyChunked(bw *bufio.Writer, body io.Reader) error {
	cw := httputil.NewChunkedWriter(bw)
	buf := getBuf()
	defer putBuf(buf)
	for {
		n, rerr := body.Read(*buf)
		if n > 0 {
			if _, err := cw.Write((*buf)[:n]); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return &clientBodyError{rerr}
		}
	}
	if err := cw.Close(); err != nil {
		return err
	}
	_, err := bw.WriteString("\r\n")
	return err
}

// clientBodyError is a failure to read the client's request body: the
// client's fault, never retried, never held against the backend.
type clientBodyError struct{ err error }

func (e *clientBodyError) Error() string { return fmt.Sprintf("read request body: %v", e.err) }
func (e *clientBodyError) Unwrap() error { return e.err }

func writeHeader(bw *bufio.Writer, k, v string) {
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(v)
	bw.WriteString("\r\n")
}

// writeForwarded appends the client to X-Forwarded-For and sets
// X-Forwarded-Proto and -Host, as nginx's $proxy_add_x_forwarded_for does.
func writeForwarded(bw *bufio.Writer, r *http.Request) {
	bw.WriteString("X-Forwarded-For: ")
	for _, v := range r.Header["X-Forwarded-For"] {
		bw.WriteString(v)
		bw.WriteString(", ")
	}
	bw.WriteString(clientIP(r.RemoteAddr))
	if r.TLS != nil {
		bw.WriteString("\r\nX-Forwarded-Proto: https\r\n")
	} else {
		bw.WriteString("\r\nX-Forwarded-Proto: http\r\n")
	}
	if r.Host != "" {
		writeHeader(bw, "X-Forwarded-Host", r.Host)
	}
}

// clientIP strips the port (and IPv6 brackets) from a RemoteAddr.
func clientIP(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		addr = addr[:i]
	}
	return strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
}

// skipRequestHeader reports headers the proxy never forwards as received:
// hop-by-hop headers (RFC 9110 7.6.1), framing it sets itself, and the
// X-Forwarded headers it rewrites.
func skipRequestHeader(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Expect",
		"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host":
		return true
	}
	return false
}

// isHopByHop reports the response headers that belong to one connection.
func isHopByHop(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// listedIn reports whether header k is named by a Connection header, which
// makes it hop-by-hop too.
func listedIn(connection []string, k string) bool {
	for _, v := range connection {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(tok), k) {
				return true
			}
		}
	}
	return false
}

// readResponse reads the response headers, skipping interim 1xx responses
// other than 101, within the header size budget.
func (c *upConn) readResponse(r *http.Request, maxHeader int) (*http.Response, error) {
	for {
		// The budget also covers what bufio reads ahead of the headers.
		c.lim.n = int64(maxHeader) + upBufSize
		resp, err := http.ReadResponse(c.br, r)
		c.lim.n = math.MaxInt64
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
	}
}

// reusable reports whether the connection can carry another request once
// resp's body has been read to the end.
func reusable(resp *http.Response) bool {
	return !resp.Close && (resp.ContentLength >= 0 || len(resp.TransferEncoding) > 0 || resp.Request.Method == http.MethodHead ||
		resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified)
}
