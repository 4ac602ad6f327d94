//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// probeFromNetwork runs swarmgate-echo probe in a one-off container attached
// to the swarmgate network, as any container of a user could, and returns
// the status code it got and the body.
func probeFromNetwork(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out := mustDocker(t, append([]string{"run", "--rm", "--network", networkName, "--label", e2eLabel + "=" + t.Name(),
		echoImage, "probe", "--timeout", "5s"}, args...)...)
	code, body, _ := strings.Cut(out, "\n")
	status, err := strconv.Atoi(code)
	if err != nil {
		t.Fatalf("probe output %q: %v", out, err)
	}
	return status, body
}

func TestAdminPushNeedsToken(t *testing.T) {
	dumpOnFailure(t)
	url := fmt.Sprintf("http://tasks.%s:%d/v1/routing-table", proxyService, proxyAdminPort)
	table := `{"epoch":999999,"generation":1,"routes":[]}`
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"push without a token", []string{"--method", "PUT", "--url", url, "--data", table}, 401},
		{"push with a wrong token", []string{"--method", "PUT", "--url", url, "--data", table, "--header", "Authorization: Bearer not-the-token"}, 401},
		{"read without a token", []string{"--url", url}, 401},
		// The control: the same request with the secret's token works, so
		// the 401s above are about the token and nothing else.
		{"read with the token", []string{"--url", url, "--header", "Authorization: Bearer " + token}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := probeFromNetwork(t, tt.args...); status != tt.want {
				t.Errorf("status %d, want %d; body %.300s", status, tt.want, body)
			}
		})
	}
}

// requireUnreachable fails t unless a TCP connection to addr is refused or times out.
func requireUnreachable(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("connected to %s: the admin port is reachable from the host", addr)
		return
	}
	var ne net.Error
	if !errors.Is(err, syscall.ECONNREFUSED) && !(errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("dial %s: %v, want refused or timeout", addr, err)
	}
}

func TestAdminPortUnreachableFromHost(t *testing.T) {
	dumpOnFailure(t)
	ctx := context.Background()
	t.Run("not published", func(t *testing.T) {
		ports := mustDocker(t, "service", "inspect", "--format",
			"{{range .Endpoint.Ports}}{{.TargetPort}}/{{.PublishMode}} {{end}}", proxyService)
		if want := fmt.Sprintf("%d/host", 8000); strings.TrimSpace(ports) != want {
			t.Errorf("the proxy publishes %q, want only %q", ports, want)
		}
	})
	t.Run("loopback", func(t *testing.T) {
		requireUnreachable(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(proxyAdminPort)))
	})
	// The node reaches every task on docker_gwbridge, the bridge Swarm adds
	// for host-mode ports: a local user could try the admin port there.
	t.Run("gateway bridge", func(t *testing.T) {
		tasks, err := runningTasks(ctx, proxyService)
		if err != nil || len(tasks) == 0 {
			t.Fatalf("proxy tasks: %v %v", tasks, err)
		}
		cid := mustDocker(t, "inspect", "--format", "{{.Status.ContainerStatus.ContainerID}}", tasks[0])
		addr := mustDocker(t, "network", "inspect", "--format",
			fmt.Sprintf(`{{with index .Containers %q}}{{.IPv4Address}}{{end}}`, cid), "docker_gwbridge")
		ip, _, ok := strings.Cut(addr, "/")
		if !ok {
			t.Skipf("the proxy container is not on docker_gwbridge (%q)", addr)
		}
		// The traffic port is reachable there by design (host-mode publishing
		// forwards to it); the admin port must not be.
		requireUnreachable(t, net.JoinHostPort(ip, strconv.Itoa(proxyAdminPort)))
	})
}
