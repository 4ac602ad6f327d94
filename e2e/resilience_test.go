//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// killTask SIGKILLs the container of svc's one running task and returns
// that task's ID.
func killTask(t *testing.T, svc string) string {
	t.Helper()
	ctx := context.Background()
	tasks, err := runningTasks(ctx, svc)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("want exactly one running task of %s, got %v (%v)", svc, tasks, err)
	}
	cid := mustDocker(t, "inspect", "--format", "{{.Status.ContainerStatus.ContainerID}}", tasks[0])
	mustDocker(t, "kill", cid)
	return tasks[0]
}

// replacementRunning waits for a running task of svc other than old and
// returns it with the time it reached running.
func replacementRunning(t *testing.T, svc, old string) (string, time.Time) {
	t.Helper()
	ctx := context.Background()
	var task string
	eventually(t, 60*time.Second, "a replacement task of "+svc+" runs", func() (bool, string) {
		tasks, err := runningTasks(ctx, svc)
		if err != nil {
			return false, err.Error()
		}
		tasks = slices.DeleteFunc(tasks, func(id string) bool { return id == old })
		if len(tasks) == 0 {
			return false, "no new running task"
		}
		task = tasks[0]
		return true, ""
	})
	since, err := taskRunningSince(ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	return task, since
}

func TestKilledProxyReplacementServes(t *testing.T) {
	dumpOnFailure(t)
	createService(t, echoService{name: "e2e-proxy-kill", labels: []string{"proxy.path=/proxy-kill", "proxy.port=8000"}})
	eventually(t, routeTimeout, "/proxy-kill answers 200", statusIs("/proxy-kill", http.StatusOK))

	old := killTask(t, proxyService)
	killed := time.Now()
	// Record the first success after the kill from a prober that starts now,
	// so that a replacement serving before Swarm calls it running counts.
	firstOK := make(chan time.Time, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if status, _, _, err := get("/proxy-kill"); err == nil && status == http.StatusOK {
				firstOK <- time.Now()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	task, running := replacementRunning(t, proxyService, old)
	var served time.Time
	select {
	case served = <-firstOK:
	case <-ctx.Done():
		t.Fatal("the replacement proxy never served /proxy-kill")
	}
	t.Logf("killed at +0s; replacement running at +%s; first 200 at +%s",
		running.Sub(killed).Round(10*time.Millisecond), served.Sub(killed).Round(10*time.Millisecond))
	if lag := served.Sub(running); lag > 2*time.Second {
		t.Errorf("the replacement served %s after it was running, want within 2s", lag.Round(10*time.Millisecond))
	}

	// It served the table it persisted before the kill; the controller must
	// also push it the current one, without waiting for a resync.
	addr := taskAddress(t, task, networkName)
	eventually(t, 10*time.Second, "the controller reports the replacement in sync", func() (bool, string) {
		st, err := controllerStatus(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, r := range st.Replicas {
			if r.Address == fmt.Sprintf("%s:%d", addr, proxyAdminPort) && r.InSync {
				return true, ""
			}
		}
		return false, fmt.Sprintf("replicas %+v", st.Replicas)
	})
	// Measured, not asserted: each poll is a docker exec, a few hundred ms.
	t.Logf("the controller reported the replacement in sync %s after it was running", time.Since(running).Round(10*time.Millisecond))
}

// taskAddress returns task's IP on network.
func taskAddress(t *testing.T, task, network string) string {
	t.Helper()
	out := mustDocker(t, "inspect", "--format",
		fmt.Sprintf(`{{range .NetworksAttachments}}{{if eq .Network.Spec.Name %q}}{{index .Addresses 0}}{{end}}{{end}}`, network), task)
	ip, _, ok := strings.Cut(out, "/")
	if !ok {
		t.Fatalf("task %s has no address on %s: %q", task, network, out)
	}
	return ip
}

// status is the part of the controller's /status the suite reads.
type status struct {
	IsLeader   bool  `json:"isLeader"`
	Generation int64 `json:"generation"`
	Replicas   []struct {
		Address string `json:"address"`
		InSync  bool   `json:"inSync"`
	} `json:"replicas"`
}

// controllerStatus asks the running controller for its status, the way an
// operator would: swarmgate routes inside the controller's container.
func controllerStatus(ctx context.Context) (status, error) {
	var st status
	tasks, err := runningTasks(ctx, controllerService)
	if err != nil || len(tasks) == 0 {
		return st, fmt.Errorf("no running controller task: %v", err)
	}
	cid, err := docker(ctx, "inspect", "--format", "{{.Status.ContainerStatus.ContainerID}}", tasks[0])
	if err != nil {
		return st, err
	}
	out, err := docker(ctx, "exec", cid, "swarmgate", "routes", "-o", "json")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return st, fmt.Errorf("decode status %q: %w", out, err)
	}
	if !st.IsLeader {
		return st, fmt.Errorf("controller %s is not the leader", cid)
	}
	return st, nil
}

func TestKilledControllerProxiesKeepServing(t *testing.T) {
	dumpOnFailure(t)
	ctx := context.Background()
	createService(t, echoService{name: "e2e-ctl-kill", replicas: 2, labels: []string{"proxy.path=/ctl-kill", "proxy.port=8000"}})
	eventually(t, routeTimeout, "both tasks answer", answeredBy(ctx, "/ctl-kill", "e2e-ctl-kill", 10))

	// Sequential traffic while there is no controller: the proxies keep the
	// last table, nothing is lost.
	l := startLoad(t, "/ctl-kill", 2, 3*time.Minute)
	old := killTask(t, controllerService)
	replacementRunning(t, controllerService, old)

	// The new controller converges: it takes over (after the dead one's
	// lease expires) and routes a service created after the kill.
	createService(t, echoService{name: "e2e-after-ctl-kill", labels: []string{"proxy.path=/after-ctl-kill", "proxy.port=8000"}})
	eventually(t, 90*time.Second, "a service created after the kill is routed", statusIs("/after-ctl-kill", http.StatusOK))
	l.requireNoFailures(t, 100)
	if ok, state := answeredBy(ctx, "/ctl-kill", "e2e-ctl-kill", 10)(); !ok {
		t.Errorf("the old route after the new controller took over: %s", state)
	}
}

// underLoad runs change against svc (3 replicas unless replicas says
// otherwise) while 20 clients hammer its route, and requires zero failed
// requests.
func underLoad(t *testing.T, svc string, replicas int, args []string, change func(t *testing.T)) {
	t.Helper()
	dumpOnFailure(t)
	ctx := context.Background()
	path := "/" + svc
	createService(t, echoService{name: svc, replicas: replicas, labels: []string{"proxy.path=" + path, "proxy.port=8000"}, args: args})
	eventually(t, 60*time.Second, fmt.Sprintf("all %d tasks answer", replicas), answeredBy(ctx, path, svc, 5*replicas))
	l := startLoad(t, path, 20, 5*time.Minute)
	change(t)
	// Some more traffic after the change settled, on the final set of tasks.
	time.Sleep(2 * time.Second)
	l.requireNoFailures(t, 2000)
}

func TestRollingUpdateUnderLoad(t *testing.T) {
	underLoad(t, "e2e-rolling", 3, nil, func(t *testing.T) {
		ctx := context.Background()
		before, _ := containers(ctx, "e2e-rolling", false)
		start := time.Now()
		mustDocker(t, "service", "update", "--detach", "--force", "e2e-rolling")
		eventually(t, 3*time.Minute, "the rolling update completes", func() (bool, string) {
			ok, state := serviceRunning(ctx, "e2e-rolling")
			if !ok {
				return false, state
			}
			now, err := containers(ctx, "e2e-rolling", false)
			return err == nil && len(now) == 3 && !slices.ContainsFunc(now, func(id string) bool { return slices.Contains(before, id) }),
				fmt.Sprintf("before %v, now %v", before, now)
		})
		t.Logf("rolling update of 3 tasks took %s", time.Since(start).Round(100*time.Millisecond))
	})
}

func TestScaleDownUnderLoad(t *testing.T) {
	underLoad(t, "e2e-scale-down", 5, nil, func(t *testing.T) {
		ctx := context.Background()
		mustDocker(t, "service", "scale", "--detach", "e2e-scale-down=1")
		eventually(t, 60*time.Second, "one container remains", func() (bool, string) {
			ids, err := containers(ctx, "e2e-scale-down", false)
			return err == nil && len(ids) == 1, fmt.Sprintf("%v %v", ids, err)
		})
	})
}

func TestBackendCrashUnderLoad(t *testing.T) {
	underLoad(t, "e2e-crash", 3, nil, func(t *testing.T) {
		ctx := context.Background()
		ids, err := containers(ctx, "e2e-crash", false)
		if err != nil || len(ids) != 3 {
			t.Fatalf("containers: %v %v", ids, err)
		}
		// An unplanned crash: no drain window, the task dies at once.
		mustDocker(t, "kill", ids[0])
		eventually(t, 60*time.Second, "Swarm replaces the crashed task", func() (bool, string) {
			now, err := containers(ctx, "e2e-crash", false)
			return err == nil && len(now) == 3 && !slices.Contains(now, ids[0]), fmt.Sprintf("%v %v", now, err)
		})
	})
}
