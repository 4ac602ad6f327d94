//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Names fixed by deploy/stack.yml.
const (
	stackName         = "swarmgate"
	controllerService = stackName + "_controller"
	proxyService      = stackName + "_proxy"
	networkName       = "swarmgate"
	tokenSecret       = "swarmgate_token"
	leaderConfig      = "swarmgate-leader"
	stateVolume       = stackName + "_proxy-state"
	stackFile         = "../deploy/stack.yml"

	// e2eLabel marks every service the suite creates, so teardown finds them.
	e2eLabel = "io.swarmgate.e2e"
	// proxyAdminPort is the proxies' admin port (--admin-listen in the stack).
	proxyAdminPort = 8081
)

var (
	swarmgateImage = envOr("SWARMGATE_IMAGE", "swarmgate:dev")
	echoImage      = envOr("ECHO_IMAGE", "swarmgate-echo:dev")

	// httpPort is the host port the proxies publish for this run.
	httpPort int
	// baseURL is http://127.0.0.1:<httpPort>.
	baseURL string
	// token is the admin token the suite put into the swarmgate_token secret.
	token string
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	if err := preflight(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	start := time.Now()
	defer teardown(ctx)
	if err := setup(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: setup: %v\n", err)
		dumpStackLogs(os.Stderr, start)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: stack %s serving on %s after %s\n", stackName, baseURL, time.Since(start).Round(100*time.Millisecond))
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "e2e: the suite failed; the logs of the whole run follow")
		dumpStackLogs(os.Stderr, start)
	}
	return code
}

// preflight fails early, with what to do, when the machine is not ready.
func preflight(ctx context.Context) error {
	if _, err := docker(ctx, "version"); err != nil {
		return fmt.Errorf("no Docker engine is reachable (run make swarm-up): %w", err)
	}
	out, err := docker(ctx, "info", "--format", "{{.Swarm.ControlAvailable}}")
	if err != nil || out != "true" {
		return fmt.Errorf("this engine is not a Swarm manager (run make swarm-up)")
	}
	for _, img := range []string{swarmgateImage, echoImage} {
		if _, err := docker(ctx, "image", "inspect", img); err != nil {
			return fmt.Errorf("image %s is missing (run make docker-build, or make e2e which builds it)", img)
		}
	}
	stacks, err := docker(ctx, "stack", "ls", "--format", "{{.Name}}")
	if err != nil {
		return err
	}
	for _, s := range strings.Fields(stacks) {
		if s == stackName {
			return fmt.Errorf("stack %s is already deployed; the suite deploys its own and removes it at the end: run make undeploy first", stackName)
		}
	}
	if _, err := docker(ctx, "network", "inspect", networkName); err == nil {
		return fmt.Errorf("network %s exists already (left by a previous run or a service of yours?): remove it first", networkName)
	}
	return nil
}

func setup(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	httpPort, baseURL = port, "http://127.0.0.1:"+strconv.Itoa(port)

	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	token = hex.EncodeToString(b)
	// Left over from an aborted run: the stack is not deployed (preflight).
	_, _ = docker(ctx, "secret", "rm", tokenSecret)
	_, _ = docker(ctx, "volume", "rm", stateVolume)
	_, _ = docker(ctx, "config", "rm", leaderConfig)
	if _, err := dockerStdin(ctx, strings.NewReader(token), "secret", "create", tokenSecret, "-"); err != nil {
		return err
	}
	imageID, err := docker(ctx, "image", "inspect", "--format", "{{.Id}}", swarmgateImage)
	if err != nil {
		return err
	}
	env := []string{"SWARMGATE_HTTP_PORT=" + strconv.Itoa(port), "SWARMGATE_IMAGE=" + swarmgateImage, "SWARMGATE_IMAGE_ID=" + imageID}
	if _, err := dockerEnv(ctx, env, "stack", "deploy", "--resolve-image", "never", "-c", stackFile, stackName); err != nil {
		return err
	}
	for _, svc := range []string{controllerService, proxyService} {
		if err := poll(ctx, 90*time.Second, func() (bool, string) { return serviceRunning(ctx, svc) }); err != nil {
			return fmt.Errorf("%s does not run: %w", svc, err)
		}
	}
	// The proxy answers (404: no route yet) once it listens.
	return poll(ctx, 30*time.Second, func() (bool, string) {
		resp, err := http.Get(baseURL + "/")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return true, ""
	})
}

// teardown removes everything the suite created, whatever state it is in.
func teardown(ctx context.Context) {
	start := time.Now()
	if ids, err := docker(ctx, "service", "ls", "-q", "--filter", "label="+e2eLabel); err == nil && ids != "" {
		_, _ = docker(ctx, append([]string{"service", "rm"}, strings.Fields(ids)...)...)
	}
	_, _ = docker(ctx, "stack", "rm", stackName)
	// The network, the secret and the volume go once no container uses them.
	_ = poll(ctx, 60*time.Second, func() (bool, string) {
		out, err := docker(ctx, "ps", "-a", "-q", "--filter", "label=com.docker.stack.namespace="+stackName)
		if err != nil || out != "" {
			return false, "stack containers still exist: " + out
		}
		out, err = docker(ctx, "ps", "-a", "-q", "--filter", "label="+e2eLabel)
		return err == nil && out == "", "test containers still exist: " + out
	})
	_ = poll(ctx, 30*time.Second, func() (bool, string) {
		_, err := docker(ctx, "network", "inspect", networkName)
		if err == nil {
			_, _ = docker(ctx, "network", "rm", networkName)
		}
		return err != nil, "network " + networkName + " still exists"
	})
	_, _ = docker(ctx, "secret", "rm", tokenSecret)
	_, _ = docker(ctx, "volume", "rm", stateVolume)
	_, _ = docker(ctx, "config", "rm", leaderConfig)
	fmt.Fprintf(os.Stderr, "e2e: teardown took %s\n", time.Since(start).Round(100*time.Millisecond))
}

// freePort returns a TCP port that is free on the host right now, or
// E2E_HTTP_PORT when it is set.
func freePort() (int, error) {
	if s := os.Getenv("E2E_HTTP_PORT"); s != "" {
		return strconv.Atoi(s)
	}
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// dumpStackLogs writes the controller's and the proxies' logs since since.
func dumpStackLogs(w io.Writer, since time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, svc := range []string{controllerService, proxyService} {
		fmt.Fprintf(w, "\n==== docker service ps %s\n", svc)
		out, _ := docker(ctx, "service", "ps", "--no-trunc", svc)
		fmt.Fprintln(w, out)
		fmt.Fprintf(w, "==== docker service logs %s (since %s)\n", svc, since.UTC().Format(time.RFC3339))
		out, err := serviceLogs(ctx, svc, since, "--no-task-ids")
		if err != nil {
			out = err.Error()
		}
		fmt.Fprintln(w, out)
	}
}
