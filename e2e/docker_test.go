//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docker runs the docker CLI and returns its trimmed stdout; on failure the
// error carries stderr.
func docker(ctx context.Context, args ...string) (string, error) {
	return dockerCmd(ctx, nil, nil, args...)
}

func dockerStdin(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	return dockerCmd(ctx, stdin, nil, args...)
}

func dockerEnv(ctx context.Context, env []string, args ...string) (string, error) {
	return dockerCmd(ctx, nil, env, args...)
}

func dockerCmd(ctx context.Context, stdin io.Reader, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdin = stdin
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return strings.TrimSpace(stdout.String()), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// mustDocker runs docker and fails the test when it fails.
func mustDocker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := docker(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// poll calls cond every 200 ms until it holds or timeout passes; the error
// carries cond's last description of what it saw.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not true after %s; last seen: %s", timeout, state)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// eventually fails t unless cond holds within timeout, and returns how long
// it took.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	if err := poll(context.Background(), timeout, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	took := time.Since(start)
	t.Logf("%s: after %s", what, took.Round(10*time.Millisecond))
	return took
}

// serviceRunning reports whether every desired task of svc runs and no
// update of it is under way.
func serviceRunning(ctx context.Context, svc string) (bool, string) {
	out, err := docker(ctx, "service", "ls", "--filter", "name="+svc, "--format", "{{.Name}} {{.Replicas}}")
	if err != nil {
		return false, err.Error()
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != svc {
			continue
		}
		running, desired, _ := strings.Cut(f[1], "/")
		if running != desired || desired == "0" {
			return false, line
		}
		state, err := docker(ctx, "service", "inspect", "--format", "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}", svc)
		if err != nil {
			return false, err.Error()
		}
		return state == "" || state == "completed", line + " update: " + state
	}
	return false, "no service " + svc
}

// echoService describes a swarmgate-echo service for createService.
type echoService struct {
	name     string
	replicas int
	// labels are service labels, "key=value".
	labels []string
	// args are extra docker service create flags.
	args []string
}

// createService creates a swarmgate-echo service on the swarmgate network
// and removes it when the test ends. It does not wait: tests wait for what
// they need to see.
func createService(t *testing.T, s echoService) {
	t.Helper()
	if s.replicas == 0 {
		s.replicas = 1
	}
	args := []string{"service", "create", "--detach", "--quiet", "--no-resolve-image",
		"--name", s.name, "--replicas", strconv.Itoa(s.replicas), "--network", networkName,
		"--label", e2eLabel + "=" + t.Name(), "--container-label", e2eLabel + "=" + t.Name()}
	for _, l := range s.labels {
		args = append(args, "--label", l)
	}
	args = append(args, s.args...)
	args = append(args, echoImage)
	mustDocker(t, args...)
	t.Cleanup(func() { removeService(t, s.name) })
}

// removeService removes svc and waits until its containers are gone, so the
// next test starts from a quiet node.
func removeService(t *testing.T, svc string) {
	ctx := context.Background()
	if _, err := docker(ctx, "service", "rm", svc); err != nil && !strings.Contains(err.Error(), "not found") {
		t.Errorf("remove service %s: %v", svc, err)
		return
	}
	if err := poll(ctx, 60*time.Second, func() (bool, string) {
		ids, err := containers(ctx, svc, true)
		return err == nil && len(ids) == 0, fmt.Sprintf("containers %v, err %v", ids, err)
	}); err != nil {
		t.Errorf("containers of %s: %v", svc, err)
	}
}

// containers returns the short IDs (which are the containers' hostnames) of
// svc's containers: running ones, or all of them.
func containers(ctx context.Context, svc string, all bool) ([]string, error) {
	args := []string{"ps", "-q", "--filter", "label=com.docker.swarm.service.name=" + svc}
	if all {
		args = append(args, "-a")
	}
	out, err := docker(ctx, args...)
	if err != nil {
		return nil, err
	}
	ids := strings.Fields(out)
	slices.Sort(ids)
	return ids, nil
}

// runningTasks returns the IDs of svc's tasks whose desired and current
// state are both running.
func runningTasks(ctx context.Context, svc string) ([]string, error) {
	out, err := docker(ctx, "service", "ps", "-q", "--no-trunc", "--filter", "desired-state=running", svc)
	if err != nil {
		return nil, err
	}
	var running []string
	for _, id := range strings.Fields(out) {
		state, err := docker(ctx, "inspect", "--format", "{{.Status.State}}", id)
		if err == nil && state == "running" {
			running = append(running, id)
		}
	}
	return running, nil
}

// taskRunningSince returns when task id reached the running state.
func taskRunningSince(ctx context.Context, id string) (time.Time, error) {
	out, err := docker(ctx, "inspect", "--format", "{{.Status.State}} {{.Status.Timestamp.Format \"2006-01-02T15:04:05.999999999Z07:00\"}}", id)
	if err != nil {
		return time.Time{}, err
	}
	state, ts, _ := strings.Cut(out, " ")
	if state != "running" {
		return time.Time{}, fmt.Errorf("task %s is %s", id, state)
	}
	return time.Parse(time.RFC3339Nano, ts)
}

// dumpOnFailure writes the controller's and proxies' logs since the test
// started into the test log when the test fails.
func dumpOnFailure(t *testing.T) {
	start := time.Now()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		var b strings.Builder
		dumpStackLogs(&b, start.Add(-time.Second))
		t.Logf("logs since the test started:\n%s", b.String())
	})
}

// serviceLogs returns svc's log lines since since, without prefixes. The
// services log to stderr, which docker service logs replays on its stderr.
func serviceLogs(ctx context.Context, svc string, since time.Time, extra ...string) (string, error) {
	args := append([]string{"service", "logs", "--since", since.UTC().Format(time.RFC3339Nano)}, extra...)
	out, err := exec.CommandContext(ctx, "docker", append(args, svc)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("docker service logs %s: %w: %s", svc, err, out)
	}
	return string(out), nil
}
