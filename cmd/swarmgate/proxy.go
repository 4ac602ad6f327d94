package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"

	"github.com/swarmgate/swarmgate/proxy"
)

func init() {
	register(command{
		name:    "proxy",
		summary: "Serve traffic by the routing table the controller pushes (or a static file)",
		run:     runProxy,
	})
}

// Limits of the traffic listener, in line with nginx's defaults
// (client_header_timeout, client_body_timeout, large_client_header_buffers).
const (
	trafficClientTimeout  = 60 * time.Second
	trafficMaxHeaderBytes = 64 << 10
)

type proxyFlags struct {
	listen, adminListen        string
	tokenFile, routesFile      string
	stateFile                  string
	shutdownTimeout            time.Duration
	lb                         string
	dialTimeout, headerTimeout time.Duration
	gcPercent                  int
	log                        logFlags
}

func (f *proxyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.listen, "listen", ":80", "traffic listen address")
	fs.StringVar(&f.adminListen, "admin-listen", ":8081", "admin API, health and metrics listen address")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the admin bearer token (a Docker secret); without it, pushes are refused")
	fs.StringVar(&f.routesFile, "routes-file", "", "serve this RoutingTable JSON file (static mode, no controller needed)")
	fs.StringVar(&f.stateFile, "state-file", "", "persist every accepted table here and serve it at start")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	fs.StringVar(&f.lb, "lb", string(proxy.RoundRobin), "load balancing: round-robin or least-request")
	fs.DurationVar(&f.dialTimeout, "dial-timeout", 5*time.Second, "timeout to connect to a backend")
	fs.DurationVar(&f.headerTimeout, "response-header-timeout", 60*time.Second, "timeout for a backend's response headers")
	fs.IntVar(&f.gcPercent, "gc-percent", 400, "Go GC target percentage (GOGC); ignored when GOGC is set. "+
		"A proxy's live heap is small, so trading some memory for less GC CPU pays")
	f.log.register(fs)
}

func runProxy(ctx context.Context, args []string, _ io.Writer) error {
	var f proxyFlags
	fs := newFlagSet("proxy")
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.routesFile != "" && f.stateFile != "" {
		return usageError{errors.New("--routes-file and --state-file are exclusive: a static table is never persisted")}
	}
	logger, flush, err := f.log.build()
	if err != nil {
		return err
	}
	defer flush()
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(f.gcPercent)
	}

	cfg := proxy.Config{
		StateFile:             f.stateFile,
		Logger:                logger,
		LB:                    proxy.LBPolicy(f.lb),
		DialTimeout:           f.dialTimeout,
		ResponseHeaderTimeout: f.headerTimeout,
	}
	if f.tokenFile != "" {
		if cfg.Token, err = readToken(f.tokenFile); err != nil {
			return err
		}
	} else {
		logger.Info("no --token-file: routing table pushes are refused")
	}
	p, err := proxy.New(cfg)
	if err != nil {
		return usageError{err}
	}
	defer p.Close()
	if f.routesFile != "" {
		if err := loadRoutesFile(p, f.routesFile); err != nil {
			return err
		}
	}
	return serveProxy(logr.NewContext(ctx, logger), p, &f)
}

// readToken reads the admin token, trimmed of the whitespace that editors
// and `docker secret create` from echo leave around it.
func readToken(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read --token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return nil, fmt.Errorf("read --token-file: %s is empty", path)
	}
	return []byte(tok), nil
}

func loadRoutesFile(p *proxy.Proxy, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read --routes-file: %w", err)
	}
	t, err := proxy.DecodeTable(b)
	if err != nil {
		return fmt.Errorf("--routes-file %s: %w", path, err)
	}
	if err := p.Apply(t); err != nil {
		return fmt.Errorf("--routes-file %s: %w", path, err)
	}
	return nil
}

// serveProxy runs the traffic and admin listeners until ctx ends, then shuts
// down gracefully: no new connections, in-flight requests get
// --shutdown-timeout to finish.
func serveProxy(ctx context.Context, p *proxy.Proxy, f *proxyFlags) error {
	logger := logr.FromContextOrDiscard(ctx)
	traffic := &proxy.Server{
		Proxy:          p,
		Timeout:        trafficClientTimeout,
		MaxHeaderBytes: trafficMaxHeaderBytes,
		Logger:         logger,
	}
	admin := &http.Server{
		Handler:           p.AdminHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(logWriter{logger.V(1)}, "", 0),
	}
	tl, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen --listen: %w", err)
	}
	al, err := net.Listen("tcp", f.adminListen)
	if err != nil {
		tl.Close()
		return fmt.Errorf("listen --admin-listen: %w", err)
	}
	logger.Info("proxy listening", "listen", tl.Addr().String(), "adminListen", al.Addr().String())

	g, gctx := errgroup.WithContext(ctx)
	serve := func(serve func(net.Listener) error, l net.Listener) func() error {
		return func() error {
			if err := serve(l); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
	}
	g.Go(serve(traffic.Serve, tl))
	g.Go(serve(admin.Serve, al))
	g.Go(func() error {
		<-gctx.Done()
		logger.Info("shutting down", "timeout", f.shutdownTimeout.String())
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
		defer cancel()
		err := traffic.Shutdown(sctx)
		p.Close() // ends WebSocket tunnels, which Shutdown does not track
		admin.Shutdown(sctx)
		if err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		return nil
	})
	return g.Wait()
}

// logWriter sends net/http's server errors (bad TLS, accept retries) to logr.
type logWriter struct{ logr.Logger }

func (w logWriter) Write(b []byte) (int, error) {
	w.Info("http server error", "error", strings.TrimSpace(string(b)))
	return len(b), nil
}
