package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// healthcheck exists because the image is FROM scratch: there is no curl or
// wget for a Docker HEALTHCHECK, so the binary probes itself.
func init() {
	register(command{name: "healthcheck", summary: "Probe a health endpoint (for Docker HEALTHCHECK): exit 0 on 2xx", run: runHealthcheck})
}

func runHealthcheck(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("healthcheck")
	url := fs.String("url", "http://127.0.0.1:8081/healthz", "URL to GET; any 2xx answer is healthy")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *timeout <= 0 {
		return usageError{fmt.Errorf("--timeout: must be positive, got %s", *timeout)}
	}
	status, err := probe(ctx, http.DefaultTransport, *url, *timeout)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s: %d\n", *url, status)
	return err
}

// probe GETs url and returns its status code, or an error when the request
// fails or the answer is not 2xx.
func probe(ctx context.Context, rt http.RoundTripper, url string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, usageError{fmt.Errorf("--url: %w", err)}
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	// Drain a little so the connection closes cleanly; the body is not needed.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("get %s: unhealthy status %d", url, resp.StatusCode)
	}
	return resp.StatusCode, nil
}
