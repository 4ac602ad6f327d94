// Package reconcile computes the routing table that swarmgate's proxies should
// serve from a snapshot of Swarm services and tasks.
//
// It is the pure core of the controller: no I/O, no clock and no randomness,
// so the same snapshot always yields byte-identical output and every rule can
// be tested with plain values. The controller converts Docker's swarm types
// into the minimal input types below and stamps Generation and Epoch on the
// result.
package reconcile
