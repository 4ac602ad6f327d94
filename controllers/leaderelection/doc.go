// Package leaderelection elects one swarmgate controller among the instances
// that run on every Swarm manager, and numbers each leadership term with an
// epoch that only ever grows.
//
// It follows client-go's tools/leaderelection, adapted to Swarm, which has no
// leases: the record lives in the labels of a Swarm Config (SwarmConfigLock)
// and is written with optimistic concurrency on the Config's version.
//
// # Terms and epochs
//
// Every successful acquisition starts a new term and writes Epoch = previous
// Epoch + 1, also when a holder re-acquires after its lease expired or after a
// restart under the same identity. Renewals keep the epoch. The proxies fence
// routing-table pushes by (epoch, generation), so a deposed leader that is
// still pushing is refused by every proxy that has seen its successor's epoch.
// The epoch survives restarts because it is stored in the lock. If the lock
// object (the Config) is deleted while proxies run, the next leader starts
// again at epoch 1 and the proxies refuse it; it then raises its epoch above
// the one they hold with RaiseEpoch, which checks that nobody took over.
//
// # Time
//
// A candidate never compares the record's RenewTime with its own clock:
// managers' clocks differ. It remembers when it last saw the record change,
// on its own clock, and takes over only after the record's lease duration of
// locally observed silence. The leader stops leading when it has not renewed
// within RenewDeadline of its own clock, which is shorter than LeaseDuration,
// so it steps down before any candidate may take over (clock rates, not clock
// values, are assumed to agree).
//
// # Losing leadership
//
// As in client-go, an Elector runs one term at most: when leadership is lost
// Run cancels the context given to OnStartedLeading, calls OnStoppedLeading
// and returns ErrLeadershipLost. The controller is expected to exit non-zero
// then; Swarm restarts it and the new process competes again as a candidate.
// This keeps the state of a deposed leader from leaking into a later term.
package leaderelection
