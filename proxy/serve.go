package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Error bodies say what the status says and nothing about the routes.
const (
	bodyNotFound       = "404 page not found\n"
	bodyUnavailable    = "503 Service Unavailable\n"
	bodyBadGateway     = "502 Bad Gateway\n"
	bodyGatewayTimeout = "504 Gateway Timeout\n"
)

// ServeHTTP routes one request to a backend of its route.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := p.router.Load()
	if rt == nil {
		p.metrics.unrouted(http.StatusServiceUnavailable)
		plainError(w, http.StatusServiceUnavailable, bodyUnavailable)
		return
	}
	path := r.URL.EscapedPath()
	route := rt.match(normalizeHost(r.Host), path)
	if route == nil {
		p.metrics.unrouted(http.StatusNotFound)
		plainError(w, http.StatusNotFound, bodyNotFound)
		return
	}
	if len(route.backends) == 0 {
		route.metrics.observeCode(http.StatusServiceUnavailable)
		plainError(w, http.StatusServiceUnavailable, bodyUnavailable)
		return
	}
	o := outbound{r: r, path: path, upgrade: upgradeType(r.Header)}
	if route.stripPrefix {
		o.path = strings.TrimPrefix(path, route.prefix)
		if o.path == "" || o.path[0] != '/' {
			o.path = "/" + o.path
		}
	}
	if r.Method == http.MethodConnect {
		route.metrics.observeCode(http.StatusMethodNotAllowed)
		plainError(w, http.StatusMethodNotAllowed, "405 Method Not Allowed\n")
		return
	}
	p.forward(w, &o, route)
}

func plainError(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h["Content-Type"] = textPlain
	h["X-Content-Type-Options"] = nosniff
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(code)
	io.WriteString(w, body)
}

var (
	textPlain = []string{"text/plain; charset=utf-8"}
	nosniff   = []string{"nosniff"}
)

// forward sends the request to a backend, retrying on another one while it
// is safe, and copies the response back.
func (p *Proxy) forward(w http.ResponseWriter, o *outbound, rt *route) {
	r := o.r
	ctx := r.Context()
	idempotent := isIdempotent(r.Method) && (r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0)
	var avoid *backend
	for attempt := 1; ; attempt++ {
		now := p.now()
		b := rt.pick(p.cfg.LB, avoid, now.UnixNano())
		b.inflight.Add(1)
		resp, c, err := p.roundTrip(ctx, b, o, idempotent)
		if err == nil {
			b.succeeded()
			rt.metrics.latency.Observe(p.now().Sub(now).Seconds())
			aborted := p.respond(w, o, rt, c, resp)
			b.inflight.Add(-1)
			if aborted {
				// Abort the client's response so that it cannot mistake a
				// truncated body for a whole one.
				panic(http.ErrAbortHandler)
			}
			return
		}
		b.inflight.Add(-1)
		var bodyErr *clientBodyError
		if errors.As(err, &bodyErr) || ctx.Err() != nil {
			// The client went away or sent a broken body: nobody to answer,
			// and nothing to hold against the backend. 499 as in nginx.
			rt.metrics.observeCode(499)
			return
		}
		var dialErr *dialError
		retry := false
		switch {
		case errors.As(err, &dialErr):
			// Nothing was sent: any request may go to another backend.
			if p.eject(b) {
				p.log.Info("backend ejected", "backend", b.addr, "route", rt.name, "error", dialErr.err.Error())
			}
			retry = true
		case idempotent && isConnReset(err):
			// The backend reset or closed the connection before answering,
			// typically a pooled connection to a task that just stopped.
			retry = true
		}
		if retry && attempt < p.cfg.MaxAttempts {
			rt.metrics.retries.Inc()
			avoid = b
			continue
		}
		code, body := http.StatusBadGateway, bodyBadGateway
		if isTimeout(err) {
			code, body = http.StatusGatewayTimeout, bodyGatewayTimeout
		}
		p.log.Info("upstream request failed", "route", rt.name, "backend", b.addr, "attempts", attempt, "status", code, "error", err.Error())
		rt.metrics.observeCode(code)
		plainError(w, code, body)
		return
	}
}

// dialError marks a failure to connect: nothing reached the backend.
type dialError struct{ err error }

func (e *dialError) Error() string { return "dial: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func (p *Proxy) eject(b *backend) bool {
	b.closeIdle()
	first := b.eject(p.now(), p.cfg.EjectBackoff, p.cfg.MaxEjectBackoff)
	if first {
		p.metrics.ejections.Inc()
	}
	return first
}

// roundTrip sends the request on a pooled or new connection to b and reads
// the response headers. On success the caller owns c and must finish it.
func (p *Proxy) roundTrip(ctx context.Context, b *backend, o *outbound, idempotent bool) (*http.Response, *upConn, error) {
	c := b.getIdle()
	// A request that cannot be retried must not be sent on a pooled
	// connection the backend already closed; one syscall tells.
	for c != nil && !idempotent && !connAlive(c.nc) {
		c.close()
		c = b.getIdle()
	}
	if c == nil {
		var err error
		dctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
		c, err = p.dial(dctx, b)
		cancel()
		if err != nil {
			return nil, nil, &dialError{err}
		}
	}
	// Abort the exchange if the client goes away, rather than hold the
	// backend's connection until it answers. (Server's requests have no
	// cancellation; net/http's do.)
	stop := neverStopped
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { c.nc.SetDeadline(aLongTimeAgo) })
	}
	c.stop = stop
	if err := c.writeRequest(o); err != nil {
		stop()
		c.close()
		return nil, nil, err
	}
	c.armReadDeadline(p.now(), p.cfg.ResponseHeaderTimeout)
	resp, err := c.readResponse(o.r, p.cfg.MaxResponseHeaderBytes)
	if err != nil {
		stop()
		c.close()
		return nil, nil, err
	}
	return resp, c, nil
}

var aLongTimeAgo = time.Unix(1, 0)

func neverStopped() bool { return true }

// respond copies the response to the client and then pools or closes c. It
// reports whether the body was cut short, after the status was sent.
func (p *Proxy) respond(w http.ResponseWriter, o *outbound, rt *route, c *upConn, resp *http.Response) (aborted bool) {
	if resp.StatusCode == http.StatusSwitchingProtocols {
		rt.metrics.observeCode(resp.StatusCode)
		p.tunnel(w, o, c, resp)
		return false
	}
	h := w.Header()
	connTokens := resp.Header["Connection"]
	for k, vv := range resp.Header {
		if isHopByHop(k) || listedIn(connTokens, k) {
			continue
		}
		h[k] = vv
	}
	if len(resp.Trailer) > 0 {
		// Announcing the trailers makes the server send a chunked response,
		// the only framing that can carry them.
		names := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			names = append(names, k)
		}
		h["Trailer"] = names
	}
	rt.metrics.observeCode(resp.StatusCode)
	w.WriteHeader(resp.StatusCode)

	err := p.copyBody(w, resp.Body, c)
	if !c.stop() {
		err = errors.Join(err, errClientGone) // the deadline poisoned c
	}
	if err != nil {
		c.close()
		return true
	}
	for k, vv := range resp.Trailer {
		h[http.TrailerPrefix+k] = vv
	}
	if reusable(resp) {
		c.reused = true
		c.b.putIdle(c, p.now(), p.cfg.MaxIdleConnsPerBackend)
	} else {
		c.close()
	}
	return false
}

var errClientGone = errors.New("client went away")

// copyBody streams the response body to w, flushing whenever the backend has
// nothing more buffered, so that server-sent events and long polls are not
// held back. Each wait for the backend is bounded like the response headers.
func (p *Proxy) copyBody(w http.ResponseWriter, body io.Reader, c *upConn) error {
	buf := getBuf()
	defer putBuf(buf)
	flusher, _ := w.(http.Flusher)
	for {
		n, rerr := body.Read(*buf)
		if n > 0 {
			if _, err := w.Write((*buf)[:n]); err != nil {
				return err
			}
			if rerr == nil && c.br.Buffered() == 0 {
				if flusher != nil {
					flusher.Flush()
				}
				c.armReadDeadline(p.now(), p.cfg.ResponseHeaderTimeout)
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}

// upgradeType returns the protocol a request asks to switch to, if any.
func upgradeType(h map[string][]string) string {
	up := h["Upgrade"]
	if len(up) == 0 || !listedIn(h["Connection"], "Upgrade") {
		return ""
	}
	return up[0]
}

// isConnReset reports a connection the backend closed or reset before it
// answered.
func isConnReset(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}
