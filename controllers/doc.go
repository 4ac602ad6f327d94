// Package controllers holds swarmgate's controller: it watches Docker Swarm,
// computes the routing table with reconcile.Desired, and pushes every new
// generation to each proxy replica found through DNS tasks.<proxy service>.
//
// A Controller lives for the whole process; Run is called once per leadership
// term with that term's epoch and returns when the term ends. Between terms
// the Controller still answers /status, /healthz and /readyz as a standby.
package controllers
