package reconcile

import (
	"fmt"
	"testing"
)

// BenchmarkDesired measures one full computation for a cluster of n services
// with 10 running tasks each, every service with one route on its own host.
func BenchmarkDesired(b *testing.B) {
	for _, n := range []int{10, 100, 2000} {
		services, tasks := benchSnapshot(n, 10)
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				table, _ := Desired(services, tasks, defaultOpts)
				if len(table.Routes) != n {
					b.Fatalf("got %d routes, want %d", len(table.Routes), n)
				}
			}
		})
	}
}

func benchSnapshot(services, tasksPerService int) ([]Service, []Task) {
	ss := make([]Service, 0, services)
	ts := make([]Task, 0, services*tasksPerService)
	for s := range services {
		id := fmt.Sprintf("service%05d", s)
		ss = append(ss, svc(id, "svc"+id, s%50, labels(
			"proxy.path", fmt.Sprintf("/api/%d", s),
			"proxy.port", "8080",
			"proxy.host", fmt.Sprintf("svc%d.example.com", s),
			"com.docker.stack.namespace", "bench",
		), proxyNet, "backend"))
		for k := range tasksPerService {
			ip := fmt.Sprintf("10.%d.%d.%d/16", 1+s/250, s%250, k+2)
			ts = append(ts, task(fmt.Sprintf("%s-task%02d", id, k), id, "running", "running",
				on("backend", "192.168.0.1/24"), on(proxyNet, ip)))
		}
	}
	return ss, ts
}
