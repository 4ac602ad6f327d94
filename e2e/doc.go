// Package e2e is swarmgate's end-to-end suite: it deploys the real stack on
// the local Docker Swarm and checks, through the published proxy port, what a
// user would see when services are created, scaled, updated, relabelled,
// crashed and removed.
//
// It is built only with the e2e tag and needs a Swarm manager with the
// swarmgate:dev and swarmgate-echo:dev images:
//
//	make swarm-up
//	make e2e
//
// Docker is driven through the docker CLI, the way users drive it. The suite
// deploys the stack "swarmgate" on a free port and removes everything it
// created at the end, on failure too.
package e2e
