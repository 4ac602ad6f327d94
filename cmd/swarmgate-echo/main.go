// Command swarmgate-echo is the demo and end-to-end test backend of
// swarmgate. It answers every request with JSON that names the task that
// served it, and can be told to fail its health, answer slowly, stream,
// speak WebSocket, and either exit at once on SIGTERM (as many real servers
// do, the hard case for a proxy) or keep serving for a while first.
//
//	swarmgate-echo [--listen :8000] [--stop-delay 0s]
//	swarmgate-echo probe --url URL [--method PUT] [--data BODY] [--header 'K: V']
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "probe" {
		os.Exit(runProbe(context.Background(), os.Args[2:], os.Stdout, os.Stderr))
	}
	if err := serve(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		log.Printf("swarmgate-echo: %v", err)
		os.Exit(1)
	}
}

// envOr returns the environment variable key, or def when it is unset, so
// that `docker service create --env` can set what a flag would.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func serve(args []string) error {
	fs := flag.NewFlagSet("swarmgate-echo", flag.ContinueOnError)
	listen := fs.String("listen", envOr("LISTEN", ":8000"), "address to serve on (env LISTEN)")
	stopDelayFlag := fs.String("stop-delay", envOr("STOP_DELAY", "0s"), "keep serving this long after SIGTERM; 0 exits at once (env STOP_DELAY, a duration or seconds)")
	healthFail := fs.Bool("health-fail", envOr("HEALTH_FAIL", "") == "1", "start with a failing /healthz (env HEALTH_FAIL=1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stopDelay, err := parseDelay(*stopDelayFlag)
	if err != nil {
		return fmt.Errorf("--stop-delay: %w", err)
	}
	hostname, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("hostname: %w", err)
	}
	e := &echo{hostname: hostname}
	e.healthy.Store(!*healthFail)

	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: e.routes(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("swarmgate-echo %s: serving on %s, stop delay %s", hostname, l.Addr(), stopDelay)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case s := <-sig:
		if stopDelay == 0 {
			// Like many real servers: drop everything, in-flight requests included.
			log.Printf("swarmgate-echo %s: %s, exiting at once", hostname, s)
			return nil
		}
		log.Printf("swarmgate-echo %s: %s, serving %s more", hostname, s, stopDelay)
		time.Sleep(stopDelay)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		log.Printf("swarmgate-echo %s: stopped", hostname)
		return nil
	}
}

// parseDelay accepts a Go duration ("2s") or a plain number of seconds ("2").
func parseDelay(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, serr := strconv.ParseFloat(s, 64)
		if serr != nil {
			return 0, fmt.Errorf("not a duration or a number of seconds: %q", s)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative: %q", s)
	}
	return d, nil
}
