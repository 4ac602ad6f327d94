package controllers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// The proxy admin API's refusal reasons that the controller acts on.
const (
	reasonStaleEpoch      = "StaleEpoch"
	reasonStaleGeneration = "StaleGeneration"
	// reasonGenerationConflict: the proxy serves another table under the
	// same epoch and generation.
	reasonGenerationConflict = "GenerationConflict"
	// reasonUnreachable is ours: no HTTP answer at all.
	reasonUnreachable = "Unreachable"
)

// routingTablePath is the proxy admin endpoint that takes a RoutingTable.
const routingTablePath = "/v1/routing-table"

// maxAdminResponse bounds what is read of a proxy's answer: it is a short
// JSON object, anything longer is not the admin API.
const maxAdminResponse = 64 << 10

// ack is a proxy's answer to a push: the version it now holds (on 200), or
// the newer one it keeps (on 409).
type ack struct {
	Epoch      int64  `json:"epoch"`
	Generation int64  `json:"generation"`
	Error      string `json:"error"`
	Reason     string `json:"reason"`
}

// pushError is a push a proxy refused or never answered.
type pushError struct {
	// reason is the proxy's reason (StaleEpoch, Unauthorized, ...),
	// reasonUnreachable, or HTTP<status> when the answer had none.
	reason string
	// held is the version the proxy keeps, on a 409.
	held ack
	err  error
}

func (e *pushError) Error() string { return e.err.Error() }
func (e *pushError) Unwrap() error { return e.err }

// pushClient PUTs routing tables to proxy admin endpoints.
type pushClient struct {
	http    *http.Client
	auth    string
	timeout time.Duration
}

func newPushClient(token []byte, timeout time.Duration) *pushClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Proxies are reached at task IPs on an overlay network: an HTTP_PROXY
	// set for the image's other uses must not capture the admin traffic.
	t.Proxy = nil
	t.MaxIdleConnsPerHost = 2
	// A table of thousands of routes is hundreds of KiB: write it in large
	// chunks rather than the default 4 KiB.
	t.WriteBufferSize = 64 << 10
	return &pushClient{http: &http.Client{Transport: t}, auth: "Bearer " + string(token), timeout: timeout}
}

// push sends body, an encoded RoutingTable, to the proxy at addr (host:port).
// The timeout is per push, so a black-holed replica holds up nobody else.
func (c *pushClient) push(ctx context.Context, addr string, body []byte) (ack, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+addr+routingTablePath, bytes.NewReader(body))
	if err != nil {
		return ack{}, &pushError{reason: reasonUnreachable, err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return ack{}, &pushError{reason: reasonUnreachable, err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminResponse))
	if err != nil {
		return ack{}, &pushError{reason: reasonUnreachable, err: fmt.Errorf("read answer: %w", err)}
	}
	var a ack
	decodeErr := json.Unmarshal(raw, &a)
	if resp.StatusCode == http.StatusOK {
		if decodeErr != nil {
			return ack{}, &pushError{reason: "BadAnswer", err: fmt.Errorf("decode answer: %w", decodeErr)}
		}
		return a, nil
	}
	reason := a.Reason
	if decodeErr != nil || reason == "" {
		reason = fmt.Sprintf("HTTP%d", resp.StatusCode)
	}
	msg := a.Error
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return ack{}, &pushError{reason: reason, held: a,
		err: fmt.Errorf("proxy refused the table: %d %s: %s", resp.StatusCode, reason, msg)}
}

// errorReason returns the metrics reason of a push error.
func errorReason(err error) string {
	if pe := (*pushError)(nil); errors.As(err, &pe) {
		return pe.reason
	}
	return reasonUnreachable
}
