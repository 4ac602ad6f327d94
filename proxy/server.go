package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-logr/logr"
)

// Server is a minimal HTTP/1.1 server for the proxy's traffic listener.
// net/http's server costs a goroutine, a read syscall and two deadline
// updates per request to watch for the client going away; for a proxy that
// is a third of its CPU. Server reads each request with http.ReadRequest,
// hands it to the Proxy like net/http would, and writes the response itself.
// Requests are not cancelled when their client disconnects: the response
// then fails to write, as with nginx's default proxy_ignore_client_abort.
type Server struct {
	Proxy *Proxy
	// Timeout bounds each wait for the client's bytes: between requests on
	// a keep-alive connection, and while reading headers and body (like
	// nginx's client_header_timeout and client_body_timeout; default 60s).
	Timeout time.Duration
	// MaxHeaderBytes bounds a request's line and headers (default 64 KiB).
	MaxHeaderBytes int
	Logger         logr.Logger

	mu       sync.Mutex
	ln       net.Listener
	conns    map[*serverConn]struct{}
	shutdown atomic.Bool
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = http.ErrServerClosed

const (
	srvBufSize = 4 << 10
	// maxDrain bounds the unread request body discarded to keep a
	// connection alive.
	maxDrain = 256 << 10
)

// Serve accepts connections on l until Shutdown. It always returns an error.
func (s *Server) Serve(l net.Listener) error {
	if s.Timeout <= 0 {
		s.Timeout = 60 * time.Second
	}
	if s.MaxHeaderBytes <= 0 {
		s.MaxHeaderBytes = 64 << 10
	}
	s.mu.Lock()
	if s.shutdown.Load() {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.ln = l
	if s.conns == nil {
		s.conns = map[*serverConn]struct{}{}
	}
	s.mu.Unlock()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.shutdown.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				// Out of file descriptors and the like: wait, as net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.Logger.Info("accept failed; retrying", "error", err.Error(), "delay", backoff.String())
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := &serverConn{s: s, nc: nc, remote: nc.RemoteAddr().String()}
		s.mu.Lock()
		if s.shutdown.Load() {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		go c.serve()
	}
}

// Shutdown stops accepting connections, closes idle ones and waits for
// requests in flight to finish, or for ctx to end, when it closes the rest.
// WebSocket tunnels are the Proxy's: Proxy.Close ends them.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown.Store(true)
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Unlock()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		n := 0
		for c := range s.conns {
			if c.idle.Load() {
				c.nc.Close()
			}
			n++
		}
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			s.mu.Lock()
			for c := range s.conns {
				c.nc.Close()
			}
			s.mu.Unlock()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// serverConn is one client connection.
type serverConn struct {
	s      *Server
	nc     net.Conn
	remote string
	lim    budgetReader
	br     *bufio.Reader
	bw     *bufio.Writer
	// idle is set while waiting for the next request: Shutdown may close it.
	idle         atomic.Bool
	readDeadline time.Time
	w            respWriter
}

func (c *serverConn) serve() {
	defer func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	}()
	c.lim = budgetReader{r: c.nc, n: math.MaxInt64}
	c.br = bufio.NewReaderSize(&c.lim, srvBufSize)
	c.bw = bufio.NewWriterSize(c.nc, srvBufSize)
	c.w.c = c
	for c.serveOne() {
	}
}

// armReadDeadline is upConn.armReadDeadline for the client side.
func (c *serverConn) armReadDeadline() {
	now := c.s.Proxy.now()
	if t := c.s.Timeout; c.readDeadline.Sub(now) < t-t/8 {
		c.readDeadline = now.Add(t)
		c.nc.SetReadDeadline(c.readDeadline)
	}
}

// serveOne reads and answers one request; false means close the connection.
func (c *serverConn) serveOne() (keepAlive bool) {
	c.idle.Store(true)
	if c.s.shutdown.Load() {
		c.nc.Close()
		return false
	}
	c.armReadDeadline()
	c.lim.n = int64(c.s.MaxHeaderBytes) + srvBufSize
	req, err := http.ReadRequest(c.br)
	c.lim.n = math.MaxInt64
	c.idle.Store(false)
	if err != nil {
		c.rejectRequest(err)
		return false
	}
	if req.ProtoMajor != 1 {
		c.writeError(http.StatusHTTPVersionNotSupported, "505 HTTP Version Not Supported\n")
		return false
	}
	if !validHost(req.Host) || req.Host == "" && req.ProtoAtLeast(1, 1) {
		c.writeError(http.StatusBadRequest, "400 Bad Request\n")
		return false
	}
	req.RemoteAddr = c.remote
	if req.Body != http.NoBody {
		req.Body = &clientBody{c: c, r: req.Body, expect: req.ProtoAtLeast(1, 1) && listedIn(req.Header["Expect"], "100-continue")}
	}
	w := &c.w
	w.reset(req, !req.Close && req.ProtoAtLeast(1, 1) && !c.s.shutdown.Load())
	if !c.handle(w, req) || w.hijacked {
		return false
	}
	if !w.finish() || !w.keepAlive {
		c.nc.Close()
		return false
	}
	// Discard what the handler left of the body so that the next request
	// starts where it should; a large remainder is cheaper to drop with
	// the connection.
	if req.Body != http.NoBody {
		if n, err := io.CopyN(io.Discard, req.Body, maxDrain+1); n > maxDrain || err != nil && err != io.EOF {
			c.lingeringClose()
			return false
		}
	}
	return true
}

// handle runs the proxy; false means the response was aborted.
func (c *serverConn) handle(w *respWriter, req *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				c.s.Logger.Error(nil, "panic serving request", "panic", v, "remote", c.remote)
			}
			c.nc.Close()
			ok = false
		}
	}()
	c.s.Proxy.ServeHTTP(w, req)
	return true
}

// rejectRequest answers a request that could not be read, if it is worth it.
func (c *serverConn) rejectRequest(err error) {
	switch {
	case errors.Is(err, errHeaderTooLarge):
		c.writeError(http.StatusRequestHeaderFieldsTooLarge, "431 Request Header Fields Too Large\n")
		return
	case errors.Is(err, io.EOF), isTimeout(err), errors.Is(err, net.ErrClosed), isConnReset(err):
		// The client closed an idle connection or went silent.
	default:
		c.writeError(http.StatusBadRequest, "400 Bad Request\n")
		return
	}
	c.nc.Close()
}

func (c *serverConn) writeError(code int, body string) {
	w := &c.w
	w.reset(&http.Request{Method: http.MethodGet, ProtoMajor: 1, ProtoMinor: 1}, false)
	plainError(w, code, body)
	w.finish()
	c.lingeringClose()
}

// lingeringClose closes a connection whose request was not read to the end
// without losing the answer: closing with unread input makes the kernel send
// a reset, which may destroy the response before the client reads it.
func (c *serverConn) lingeringClose() {
	if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
		c.nc.SetReadDeadline(c.s.Proxy.now().Add(500 * time.Millisecond))
		io.CopyN(io.Discard, c.nc, 1<<20)
	}
	c.nc.Close()
}

// clientBody is a request body read from the connection: it answers
// "Expect: 100-continue" when the proxy first reads it, and keeps the read
// deadline moving while an upload makes progress.
type clientBody struct {
	c      *serverConn
	r      io.ReadCloser
	expect bool
}

func (b *clientBody) Read(p []byte) (int, error) {
	if b.expect {
		b.expect = false
		if !b.c.w.wroteHeader {
			b.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			if err := b.c.bw.Flush(); err != nil {
				return 0, err
			}
		}
	}
	b.c.armReadDeadline()
	return b.r.Read(p)
}

func (b *clientBody) Close() error { return b.r.Close() }

// validHost rejects Host values that cannot be a host[:port]; the upstream
// request line carries Host verbatim.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case c <= ' ', c == 0x7f, c == '/', c == '\\', c == '?', c == '#', c == '@':
			return false
		}
	}
	return true
}
