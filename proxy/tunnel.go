package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
)

// tunnel is a switched-protocol connection pair (WebSocket): bytes flow both
// ways until either side closes.
type tunnel struct {
	client, upstream net.Conn
	once             sync.Once
}

func (t *tunnel) close() {
	t.once.Do(func() {
		t.client.Close()
		t.upstream.Close()
	})
}

// tunnel answers a 101 from the backend: it takes over the client
// connection, relays the 101 and then copies bytes both ways.
func (p *Proxy) tunnel(w http.ResponseWriter, o *outbound, c *upConn, resp *http.Response) {
	c.stop() // the tunnel outlives the request context
	if o.upgrade == "" || !listedIn(resp.Header["Connection"], "Upgrade") {
		// A 101 nobody asked for cannot be relayed safely.
		c.close()
		plainError(w, http.StatusBadGateway, bodyBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		c.close()
		plainError(w, http.StatusBadGateway, bodyBadGateway)
		return
	}
	cc, brw, err := hj.Hijack()
	if err != nil {
		c.close()
		p.log.V(1).Info("hijack client connection failed", "error", err.Error())
		return
	}
	if err := writeSwitch(brw.Writer, resp); err != nil {
		cc.Close()
		c.close()
		return
	}
	t := &tunnel{client: cc, upstream: c.nc}
	p.tunnelsMu.Lock()
	p.tunnels[t] = struct{}{}
	p.tunnelsMu.Unlock()
	defer func() {
		t.close()
		p.tunnelsMu.Lock()
		delete(p.tunnels, t)
		p.tunnelsMu.Unlock()
	}()

	done := make(chan struct{}, 2)
	// Bytes already buffered on either side are part of the stream.
	go func() { io.Copy(c.nc, brw.Reader); done <- struct{}{} }()
	go func() { io.Copy(cc, c.br); done <- struct{}{} }()
	<-done
	t.close()
	<-done
}

// writeSwitch relays the backend's 101 response, Upgrade and Connection included.
func writeSwitch(bw *bufio.Writer, resp *http.Response) error {
	bw.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	if err := resp.Header.Write(bw); err != nil {
		return err
	}
	bw.WriteString("\r\n")
	return bw.Flush()
}
