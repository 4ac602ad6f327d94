package leaderelection

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the elector's gauges; they are updated even when not
// registered, which keeps the elector free of nil checks.
type metrics struct {
	isLeader prometheus.Gauge
	epoch    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (metrics, error) {
	m := metrics{
		isLeader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "swarmgate_leader_is_leader",
			Help: "1 while this controller holds the leader lease, else 0.",
		}),
		epoch: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "swarmgate_leader_epoch",
			Help: "Epoch of this controller's current or last leadership term; 0 before the first.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.isLeader, m.epoch} {
		if err := reg.Register(c); err != nil {
			return metrics{}, fmt.Errorf("register leader election metrics: %w", err)
		}
	}
	return m, nil
}
