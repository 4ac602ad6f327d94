package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// headerFlags collects repeated --header 'Name: value' flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// runProbe is a tiny curl for a scratch image: it sends one request and
// prints the status code on the first line and the body after it. It exits
// 0 whenever an HTTP answer came back, whatever its status, so the caller
// judges the status (with --fail, like curl -f, only on a 2xx: that makes it
// the image's HEALTHCHECK); 1 when the request failed; 2 on bad flags. The
// end-to-end suite runs it in a container on the swarmgate network, e.g. to
// show that an admin push without the token is refused.
func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("swarmgate-echo probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "URL to request (required)")
	method := fs.String("method", http.MethodGet, "HTTP method")
	data := fs.String("data", "", "request body")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	failNon2xx := fs.Bool("fail", false, "exit 1 unless the status is 2xx")
	var headers headerFlags
	fs.Var(&headers, "header", "request header 'Name: value' (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *url == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "swarmgate-echo probe: --url is required and takes no arguments")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, *method, *url, strings.NewReader(*data))
	if err != nil {
		fmt.Fprintf(stderr, "swarmgate-echo probe: %v\n", err)
		return 2
	}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			fmt.Fprintf(stderr, "swarmgate-echo probe: --header %q: want 'Name: value'\n", h)
			return 2
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "swarmgate-echo probe: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	fmt.Fprintln(stdout, resp.StatusCode)
	if _, err := io.Copy(stdout, io.LimitReader(resp.Body, 1<<20)); err != nil {
		fmt.Fprintf(stderr, "swarmgate-echo probe: read body: %v\n", err)
		return 1
	}
	if *failNon2xx && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		return 1
	}
	return 0
}
