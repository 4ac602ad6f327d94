package controllers

import (
	"fmt"
	"testing"

	"github.com/docker/docker/api/types/swarm"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func histogramCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

func TestControllerMetrics(t *testing.T) {
	d := newFakeDaemon(t)
	d.set([]swarm.Service{service("svcweb", "web", routeLabels("/web", "8000"))},
		[]swarm.Task{running("t1", "svcweb", 1, "10.0.1.5")})
	proxies, port := startProxies(t, 2)
	resolver := resolverFor(proxies)
	resolver.set(proxies[0].ip, proxies[1].ip, "127.0.0.20") // the last refuses connections
	c, err := New(testOptions(d, t, resolver, port))
	if err != nil {
		t.Fatal(err)
	}
	runController(t, c, 7, logr.Discard())
	allServe(t, proxies, map[string][]string{"/web": {"10.0.1.5:8000"}})
	m := c.metrics
	eventually(t, "the dead replica's failures are counted", func() error {
		if n := testutil.ToFloat64(m.pushErrors.WithLabelValues(fmt.Sprintf("127.0.0.20:%d", port), reasonUnreachable)); n < 1 {
			return fmt.Errorf("%v push errors", n)
		}
		return nil
	})
	if n := histogramCount(t, m.convergence); n != 0 {
		t.Fatalf("convergence observed %d times while a replica has not acknowledged", n)
	}

	resolver.set(proxies[0].ip, proxies[1].ip) // the dead replica's task is gone
	eventually(t, "convergence observed once the dead replica is forgotten", func() error {
		if n := histogramCount(t, m.convergence); n != 1 {
			return fmt.Errorf("%d observations", n)
		}
		return nil
	})
	for name, got := range map[string]float64{
		"leader":                testutil.ToFloat64(m.leader),
		"epoch":                 testutil.ToFloat64(m.epoch),
		"generation":            testutil.ToFloat64(m.generation),
		"routes":                testutil.ToFloat64(m.routes),
		"replicas in sync":      testutil.ToFloat64(m.replicas.WithLabelValues("true")),
		"replicas out of sync":  testutil.ToFloat64(m.replicas.WithLabelValues("false")),
		"dead replica's errors": float64(testutil.CollectAndCount(m.pushErrors)),
	} {
		want := map[string]float64{"leader": 1, "epoch": 7, "generation": 1, "routes": 1,
			"replicas in sync": 2, "replicas out of sync": 0, "dead replica's errors": 0}[name]
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if n := testutil.ToFloat64(m.dockerCalls.WithLabelValues("TaskList", "success")); n < 1 {
		t.Errorf("TaskList calls = %v", n)
	}
	if n := testutil.ToFloat64(m.reconcileTotal.WithLabelValues("success")); n < 1 {
		t.Errorf("successful reconciles = %v", n)
	}
}
