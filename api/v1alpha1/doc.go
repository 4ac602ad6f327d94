// Package v1alpha1 holds swarmgate's user-facing schema: the service labels
// that declare routes, and the RoutingTable that the controller pushes to every
// proxy replica. It does no I/O, so the controller, the proxy and the tests
// share one definition of what is valid.
package v1alpha1
