//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// client talks to the proxy. Keep-alive, like real clients and load
// balancers: stale pooled connections are part of what the proxy must get
// right.
var client = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second},
}

// echoReply is what swarmgate-echo answers.
type echoReply struct {
	Hostname string              `json:"hostname"`
	Method   string              `json:"method"`
	Host     string              `json:"host"`
	Path     string              `json:"path"`
	Query    string              `json:"query"`
	Headers  map[string][]string `json:"headers"`
}

// get GETs path through the proxy.
func get(path string) (status int, reply echoReply, body string, err error) {
	resp, err := client.Get(baseURL + path)
	if err != nil {
		return 0, reply, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, reply, string(b), err
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &reply); err != nil {
			return resp.StatusCode, reply, string(b), fmt.Errorf("decode echo reply: %w", err)
		}
	}
	return resp.StatusCode, reply, string(b), nil
}

// statusIs is a poll condition: GET path answers want.
func statusIs(path string, want int) func() (bool, string) {
	return func() (bool, string) {
		status, _, body, err := get(path)
		if err != nil {
			return false, err.Error()
		}
		return status == want, fmt.Sprintf("GET %s: %d %.200s", path, status, body)
	}
}

// hostnames GETs path n times and returns the sorted distinct hostnames that
// answered, or an error on the first answer that is not a 200.
func hostnames(path string, n int) ([]string, error) {
	seen := map[string]bool{}
	for range n {
		status, reply, body, err := get(path)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %d %.200s", path, status, body)
		}
		seen[reply.Hostname] = true
	}
	out := make([]string, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	slices.Sort(out)
	return out, nil
}

// answeredBy is a poll condition: n requests to path are all answered, by
// exactly the containers of svc that run now.
func answeredBy(ctx context.Context, path, svc string, n int) func() (bool, string) {
	return func() (bool, string) {
		want, err := containers(ctx, svc, false)
		if err != nil {
			return false, err.Error()
		}
		got, err := hostnames(path, n)
		if err != nil {
			return false, err.Error()
		}
		return slices.Equal(got, want), fmt.Sprintf("answered by %v, running %v", got, want)
	}
}

// load is continuous traffic from many clients, each with its own
// keep-alive connection pool.
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	failures   []string // the first few, for the report
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	start      time.Time
}

// maxLoadRequests bounds a load run whatever happens to its deadline.
const maxLoadRequests = 300_000

// startLoad starts clients goroutines that GET path until stopped, for at
// most maxDuration and maxLoadRequests requests. Each client pauses
// briefly between requests so that the 2-core machine keeps CPU for Swarm
// and the controller, whose reaction is what is under test.
func startLoad(t *testing.T, path string, clients int, maxDuration time.Duration) *load {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), maxDuration)
	l := &load{cancel: cancel, start: time.Now()}
	var issued atomic.Int64
	for range clients {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer c.CloseIdleConnections()
			for ctx.Err() == nil && issued.Add(1) <= maxLoadRequests {
				l.do(ctx, c, path)
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	t.Cleanup(l.stop)
	return l
}

func (l *load) do(ctx context.Context, c *http.Client, path string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+path, nil)
	resp, err := c.Do(req)
	if ctx.Err() != nil {
		return // stopped mid-request: not the proxy's fault
	}
	var failure string
	if err != nil {
		failure = err.Error()
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode != http.StatusOK:
			failure = fmt.Sprintf("status %d", resp.StatusCode)
		case err != nil:
			failure = "read body: " + err.Error()
		}
	}
	if failure == "" {
		l.ok.Add(1)
		return
	}
	l.failed.Add(1)
	l.mu.Lock()
	if len(l.failures) < 10 {
		l.failures = append(l.failures, fmt.Sprintf("+%s %s", time.Since(l.start).Round(time.Millisecond), failure))
	}
	l.mu.Unlock()
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// requireNoFailures stops the load and fails t if any request failed.
func (l *load) requireNoFailures(t *testing.T, minRequests int64) {
	t.Helper()
	l.stop()
	took := time.Since(l.start)
	ok, failed := l.ok.Load(), l.failed.Load()
	t.Logf("load: %d requests in %s (%.0f/s), %d failed", ok+failed, took.Round(time.Millisecond), float64(ok+failed)/took.Seconds(), failed)
	if failed > 0 {
		t.Errorf("%d of %d requests failed; first failures: %v", failed, ok+failed, l.failures)
	}
	if ok+failed < minRequests {
		t.Errorf("only %d requests were sent, want at least %d: the load did not load", ok+failed, minRequests)
	}
}
