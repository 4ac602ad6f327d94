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
	"time"

	"github.com/docker/docker/client"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
	"github.com/swarmgate/swarmgate/controllers"
	"github.com/swarmgate/swarmgate/controllers/leaderelection"
)

func init() {
	register(command{
		name:    "controller",
		summary: "Watch the Swarm and push the routing table to every proxy (needs the Docker socket)",
		run:     runController,
	})
}

type controllerFlags struct {
	metricsListen  string
	proxyService   string
	proxyNetwork   string
	proxyAdminPort int
	tokenFile      string
	labelPrefix    string

	pushTimeout      time.Duration
	pushConcurrency  int
	pollInterval     time.Duration
	fastPollInterval time.Duration
	fastPollWindow   time.Duration
	resyncPeriod     time.Duration
	reconcileTimeout time.Duration

	leaderElect          bool
	leaseDuration        time.Duration
	renewDeadline        time.Duration
	retryPeriod          time.Duration
	leaderElectionConfig string

	log logFlags
}

func (f *controllerFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.metricsListen, "metrics-listen", ":8080", "listen address of /metrics, /healthz, /readyz and /status")
	fs.StringVar(&f.proxyService, "proxy-service", "swarmgate_proxy", "Swarm service of the proxies; replicas are found as tasks.<proxy-service>")
	fs.StringVar(&f.proxyNetwork, "proxy-network", "swarmgate", "overlay network the proxies share with the routed services")
	fs.IntVar(&f.proxyAdminPort, "proxy-admin-port", 8081, "port of the proxies' admin API")
	fs.StringVar(&f.tokenFile, "token-file", "/run/secrets/swarmgate_token", "file holding the proxies' admin bearer token (a Docker secret)")
	fs.StringVar(&f.labelPrefix, "label-prefix", v1alpha1.DefaultLabelPrefix, "prefix of the service labels that declare routes")

	fs.DurationVar(&f.pushTimeout, "push-timeout", 5*time.Second, "timeout of one push to one proxy replica")
	fs.IntVar(&f.pushConcurrency, "push-concurrency", 32, "pushes in flight at once")
	fs.DurationVar(&f.pollInterval, "poll-interval", 2*time.Second, "task poll interval when nothing happens")
	fs.DurationVar(&f.fastPollInterval, "fast-poll-interval", 250*time.Millisecond, "task poll interval after an event")
	fs.DurationVar(&f.fastPollWindow, "fast-poll-window", 30*time.Second, "how long fast polling lasts after an event")
	fs.DurationVar(&f.resyncPeriod, "resync-period", 30*time.Second, "how often services are listed and every replica pushed to without an event")
	fs.DurationVar(&f.reconcileTimeout, "reconcile-timeout", 30*time.Second, "timeout of one reconcile's Docker API calls")

	fs.BoolVar(&f.leaderElect, "leader-elect", true, "elect one leader among the controller replicas (through a Swarm Config); "+
		"without it, the epoch is the Unix time at start, and an elected leader later raises its epoch above it")
	fs.DurationVar(&f.leaseDuration, "leader-elect-lease-duration", leaderelection.DefaultLeaseDuration, "how long standbys wait after the last renewal before taking over")
	fs.DurationVar(&f.renewDeadline, "leader-elect-renew-deadline", leaderelection.DefaultRenewDeadline, "how long the leader keeps leading without a successful renewal")
	fs.DurationVar(&f.retryPeriod, "leader-elect-retry-period", leaderelection.DefaultRetryPeriod, "interval between attempts to acquire or renew leadership")
	fs.StringVar(&f.leaderElectionConfig, "leader-elect-config-name", leaderelection.DefaultConfigName, "Swarm Config that holds the leader election record")
	f.log.register(fs)
}

func runController(ctx context.Context, args []string, _ io.Writer) error {
	var f controllerFlags
	fs := newFlagSet("controller")
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, flush, err := f.log.build()
	if err != nil {
		return err
	}
	defer flush()
	ctx = logr.NewContext(ctx, logger)

	token, err := readToken(f.tokenFile)
	if err != nil {
		return err
	}
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer docker.Close()
	identity, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("hostname for the leader identity: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	c, err := controllers.New(controllers.Options{
		Docker:             docker,
		Registry:           reg,
		Identity:           identity,
		Schema:             v1alpha1.LabelSchema{Prefix: f.labelPrefix},
		ProxyService:       f.proxyService,
		ProxyNetwork:       f.proxyNetwork,
		ProxyAdminPort:     f.proxyAdminPort,
		Token:              token,
		PushTimeout:        f.pushTimeout,
		PushConcurrency:    f.pushConcurrency,
		FastPollInterval:   f.fastPollInterval,
		FastPollWindow:     f.fastPollWindow,
		SteadyPollInterval: f.pollInterval,
		ResyncPeriod:       f.resyncPeriod,
		ReconcileTimeout:   f.reconcileTimeout,
	})
	if err != nil {
		return usageError{err}
	}

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", c.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(logWriter{logger.V(1)}, "", 0),
	}
	ln, err := net.Listen("tcp", f.metricsListen)
	if err != nil {
		return fmt.Errorf("listen --metrics-listen: %w", err)
	}
	logger.Info("controller starting", "identity", identity, "metricsListen", ln.Addr().String(),
		"proxyService", f.proxyService, "proxyNetwork", f.proxyNetwork, "leaderElect", f.leaderElect)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve --metrics-listen: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		waitForDocker(gctx, docker)
		if gctx.Err() != nil {
			return nil // stopped while waiting
		}
		if !f.leaderElect {
			return c.Run(gctx, unelectedEpoch(time.Now()))
		}
		return elect(gctx, c, docker, identity, &f, reg)
	})
	return g.Wait()
}

// Backoff of the first contact with the Docker API.
const (
	dockerWaitBase = 250 * time.Millisecond
	dockerWaitMax  = 10 * time.Second
)

// waitForDocker pings the Docker API until it answers or ctx ends, then
// negotiates the API version once, before the leader election and the
// controller make concurrent calls: the client's lazy negotiation is not
// safe for that.
func waitForDocker(ctx context.Context, docker *client.Client) {
	logger := logr.FromContextOrDiscard(ctx)
	delay := dockerWaitBase
	for {
		ping, err := docker.Ping(ctx)
		if err == nil {
			docker.NegotiateAPIVersionPing(ping)
			logger.Info("docker API answers", "apiVersion", docker.ClientVersion(), "host", docker.DaemonHost())
			return
		}
		logger.Error(err, "docker API does not answer; retrying", "retryAfter", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, dockerWaitMax)
	}
}

// unelectedEpoch is the epoch of a controller that runs without leader
// election: the current Unix time in seconds. Proxies refuse a table whose
// epoch is lower than one they have seen, so the epoch must grow across
// restarts although nothing stores it; the clock does. A restart within the
// same second reuses the epoch, and the controller then numbers its
// generations above the one the proxies hold.
func unelectedEpoch(now time.Time) int64 { return now.Unix() }

// elect competes for leadership and leads when elected. A controller leads
// at most one term per process, as client-go's leader election does: when
// the term ends, it exits (non-zero) and Swarm restarts it as a standby.
func elect(ctx context.Context, c *controllers.Controller, docker *client.Client, identity string, f *controllerFlags, reg prometheus.Registerer) error {
	lock, err := leaderelection.NewSwarmConfigLock(docker, f.leaderElectionConfig, identity)
	if err != nil {
		return usageError{err}
	}
	return electWith(ctx, c, leaderelection.Config{
		Lock:          lock,
		LeaseDuration: f.leaseDuration,
		RenewDeadline: f.renewDeadline,
		RetryPeriod:   f.retryPeriod,
		Registerer:    reg,
	})
}

// electWith is elect on any lock; cfg's callbacks are its own.
func electWith(ctx context.Context, c *controllers.Controller, cfg leaderelection.Config) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	termErr := make(chan error, 1)
	var elector *leaderelection.Elector
	cfg.ReleaseOnCancel = true
	cfg.Callbacks = leaderelection.Callbacks{
		OnStartedLeading: func(ctx context.Context, epoch int64) {
			// elector is set: Run, which calls this, starts after.
			err := lead(ctx, c, elector, epoch)
			if err != nil {
				cancel() // a proxy knows a newer leader: step down
			}
			termErr <- err
		},
		// The elector logs the end of the term; Run has returned or
		// returns at once, its context being cancelled.
		OnStoppedLeading: func() {},
		OnNewLeader:      c.SetLeader,
	}
	elector, err := leaderelection.NewElector(cfg)
	if err != nil {
		return usageError{fmt.Errorf("leader election: %w", err)}
	}
	err = elector.Run(ctx)
	if elector.Epoch() == 0 {
		return err // never led
	}
	// The elector does not wait for OnStartedLeading to return; the term's
	// pushes must end before the process does.
	if runErr := <-termErr; runErr != nil {
		return runErr
	}
	return err
}

// Spacing of epoch raises that follow each other quickly (see lead).
const (
	raiseBackoffBase = 2 * time.Second
	raiseBackoffMax  = time.Minute
	// raiseStreakReset: a term that lasted this long ends a streak of raises.
	raiseStreakReset = time.Minute
)

// lead runs the controller for this candidate's term, starting at epoch.
// A proxy that holds a newer epoch usually knows a newer leader; but when
// the lock was deleted while proxies held epoch H, this term started again
// at epoch 1, and exiting would only restart it one epoch higher, once per
// epoch up to H. So lead asks the elector to raise the term's epoch above H,
// which it does only if the lock shows nobody took over, and goes on with
// the raised epoch (a new reconciler: generations restart at 1 under it).
//
// Raises that follow each other quickly are spaced out: a proxy overtaking
// every raised epoch at once means another controller pushes under a lock of
// its own (a different --leader-elect-config-name), and raising at push speed
// would only make the two fight harder.
func lead(ctx context.Context, c *controllers.Controller, elector *leaderelection.Elector, epoch int64) error {
	var wait time.Duration
	for {
		start := time.Now()
		err := c.Run(ctx, epoch)
		var stale *controllers.StaleEpochError
		if !errors.As(err, &stale) || ctx.Err() != nil {
			return err
		}
		if time.Since(start) >= raiseStreakReset {
			wait = 0
		}
		if wait > 0 {
			logr.FromContextOrDiscard(ctx).Info("a proxy overtook the raised epoch again; is another controller using another lock?",
				"heldEpoch", stale.Held, "wait", wait)
			select {
			case <-ctx.Done():
				return err
			case <-time.After(wait):
			}
		}
		wait = min(max(2*wait, raiseBackoffBase), raiseBackoffMax)
		raised, raiseErr := elector.RaiseEpoch(ctx, stale.Held+1)
		if raiseErr != nil {
			return fmt.Errorf("%w; %w", err, raiseErr)
		}
		logr.FromContextOrDiscard(ctx).Info("raised epoch above the one a proxy holds", "heldEpoch", stale.Held, "epoch", raised)
		epoch = raised
	}
}
