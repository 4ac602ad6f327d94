package leaderelection_test

import (
	"context"
	"log"
	"os"

	"github.com/docker/docker/client"

	"github.com/swarmgate/swarmgate/controllers/leaderelection"
)

// The controller elects itself on the Swarm Config "swarmgate-leader",
// stamps the term's epoch on every routing table it pushes, and exits when
// leadership is lost so that Swarm restarts it as a fresh candidate.
func Example() {
	ctx := context.Background() // in swarmgate: cancelled on SIGTERM, carries the logr logger
	// pushTables stands for the controller's reconcile loop.
	pushTables := func(ctx context.Context, epoch int64) { <-ctx.Done() }

	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		log.Fatal(err)
	}
	defer docker.Close()
	// A Swarm task's hostname is its container ID: unique per process.
	identity, err := os.Hostname()
	if err != nil {
		log.Fatal(err)
	}
	lock, err := leaderelection.NewSwarmConfigLock(docker, leaderelection.DefaultConfigName, identity)
	if err != nil {
		log.Fatal(err)
	}
	elector, err := leaderelection.NewElector(leaderelection.Config{
		Lock:            lock,
		ReleaseOnCancel: true,
		Callbacks: leaderelection.Callbacks{
			OnStartedLeading: pushTables,
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := elector.Run(ctx); err != nil {
		// ErrLeadershipLost: exit non-zero and let Swarm restart the task.
		log.Fatal(err)
	}
}
