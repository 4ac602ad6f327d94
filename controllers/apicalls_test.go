package controllers

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

// bigSwarm returns n routed services with tasksPer running tasks each.
func bigSwarm(n, tasksPer int) ([]swarm.Service, []swarm.Task) {
	var services []swarm.Service
	var tasks []swarm.Task
	for i := range n {
		id := fmt.Sprintf("svc%04d", i)
		services = append(services, service(id, fmt.Sprintf("app%04d", i), routeLabels(fmt.Sprintf("/app%d", i), "8080")))
		for j := range tasksPer {
			ip := fmt.Sprintf("10.%d.%d.%d", 1+i/250, i%250, 2+j)
			tasks = append(tasks, running(fmt.Sprintf("%s-t%d", id, j), id, j+1, ip))
		}
	}
	return services, tasks
}

// The number of Docker API calls of a reconcile does not grow with the
// number of services: one TaskList per poll, plus ServiceList and
// NetworkList when an event or the resync asks for a relist.
func TestReconcileAPICallsAreConstant(t *testing.T) {
	d := newFakeDaemon(t)
	services, tasks := bigSwarm(500, 3)
	d.set(services, tasks)
	c, err := New(testOptions(d, t, &fakeResolver{}, 8081))
	if err != nil {
		t.Fatal(err)
	}
	term := c.newTerm(7)
	reconcile := c.reconcileFunc(term)
	ctx := context.Background()

	steps := []struct {
		name   string
		relist bool
		want   map[string]int // cumulative
	}{
		{name: "first reconcile lists everything", want: map[string]int{"NetworkList": 1, "ServiceList": 1, "TaskList": 1}},
		{name: "a poll lists tasks only", want: map[string]int{"NetworkList": 1, "ServiceList": 1, "TaskList": 2}},
		{name: "another poll", want: map[string]int{"NetworkList": 1, "ServiceList": 1, "TaskList": 3}},
		{name: "after a service event", relist: true, want: map[string]int{"NetworkList": 2, "ServiceList": 2, "TaskList": 4}},
		{name: "poll again", want: map[string]int{"NetworkList": 2, "ServiceList": 2, "TaskList": 5}},
	}
	for _, s := range steps {
		if s.relist {
			term.reconciler.servicesStale.Store(true)
		}
		if err := reconcile(ctx); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := d.callCounts(); !maps.Equal(got, s.want) {
			t.Fatalf("%s: calls = %v, want %v", s.name, got, s.want)
		}
	}
	if table, _ := term.pusher.snapshot(); len(table.Routes) != 500 || table.Generation != 1 {
		t.Errorf("table: %d routes at generation %d, want 500 at 1", len(table.Routes), table.Generation)
	}
}
