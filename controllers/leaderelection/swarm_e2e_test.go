//go:build e2e

package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// realSwarm returns a client of the local Docker daemon, which must be a
// Swarm manager, and a Config name no one else uses, removed at the end.
func realSwarm(t *testing.T) (*client.Client, string) {
	t.Helper()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatalf("docker info: %v", err)
	}
	if !info.Swarm.ControlAvailable {
		t.Fatal("the local Docker daemon is not a Swarm manager")
	}
	name := fmt.Sprintf("swarmgate-leader-e2e-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		if err := c.ConfigRemove(context.Background(), name); err != nil {
			t.Logf("remove config %s: %v", name, err)
		}
	})
	return c, name
}

// racingAPI makes another write to the Config just before forwarding the
// next ConfigUpdate, so that the daemon refuses the update's version.
type racingAPI struct {
	*client.Client
	once sync.Once
}

func (r *racingAPI) ConfigUpdate(ctx context.Context, id string, version swarm.Version, spec swarm.ConfigSpec) error {
	var raceErr error
	r.once.Do(func() {
		labels := map[string]string{}
		for k, v := range spec.Labels {
			labels[k] = v
		}
		labels["racer"] = "won"
		other := spec
		other.Labels = labels
		raceErr = r.Client.ConfigUpdate(ctx, id, version, other)
	})
	if raceErr != nil {
		return fmt.Errorf("racing write: %w", raceErr)
	}
	return r.Client.ConfigUpdate(ctx, id, version, spec)
}

func TestE2ESwarmConfigLockErrors(t *testing.T) {
	c, name := realSwarm(t)
	ctx := context.Background()
	lock, err := NewSwarmConfigLock(c, name, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lock.Get(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Create: %v, want ErrNotFound", err)
	}
	now := time.Now()
	rec := LeaderElectionRecord{HolderIdentity: "a", LeaseDurationSeconds: 15, AcquireTime: now, RenewTime: now, Epoch: 1}
	if err := lock.Create(ctx, rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := lock.Create(ctx, rec); !errors.Is(err, ErrConflict) {
		t.Fatalf("second Create: %v, want ErrConflict", err)
	}
	got, version, err := lock.Get(ctx)
	if err != nil || !got.equal(rec) {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, rec)
	}
	racing, err := NewSwarmConfigLock(&racingAPI{Client: c}, name, "a")
	if err != nil {
		t.Fatal(err)
	}
	err = racing.Update(ctx, rec, version)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "update out of sequence") {
		t.Fatalf("Update racing another writer: %v, want ErrConflict from update out of sequence", err)
	}
	_, version, err = lock.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec.RenewTime = now.Add(time.Second)
	if err := lock.Update(ctx, rec, version); err != nil {
		t.Fatalf("Update: %v", err)
	}
	cfg, _, err := c.ConfigInspectWithRaw(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Spec.Labels["racer"] != "won" || string(cfg.Spec.Data) != string(configData) {
		t.Errorf("Update lost another label or the data: %+v", cfg.Spec)
	}
}

func TestE2EElectorsOnRealSwarm(t *testing.T) {
	c, name := realSwarm(t)
	started := make(chan leading, 3)
	run := func(id string, release bool) (stop func() error) {
		lock, err := NewSwarmConfigLock(c, name, id)
		if err != nil {
			t.Fatal(err)
		}
		return runElector(t, lock, 2*time.Second, time.Second, 200*time.Millisecond, release, started)
	}
	await := func(want leading) time.Time {
		t.Helper()
		select {
		case got := <-started:
			if got != want {
				t.Fatalf("leader %+v, want %+v", got, want)
			}
			return time.Now()
		case <-time.After(30 * time.Second):
			t.Fatalf("%+v did not start leading", want)
			return time.Time{}
		}
	}

	stopA := run("a", true)
	await(leading{"a", 1})
	stopB := run("b", false)
	if err := stopA(); err != nil {
		t.Fatalf("a: Run = %v", err)
	}
	await(leading{"b", 2})
	run("c", false)
	if err := stopB(); err != nil {
		t.Fatalf("b: Run = %v", err)
	}
	stoppedB := time.Now()
	tookOver := await(leading{"c", 3})
	// Without a release c must wait out the lease from its last sight of
	// b's renewal, which came before b stopped.
	if d := tookOver.Sub(stoppedB); d < time.Second {
		t.Errorf("c took over %v after b stopped without releasing, want about the 2s lease", d)
	}
}
