package proxy

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

const namespace = "swarmgate_proxy"

type metrics struct {
	requests         *prometheus.CounterVec
	latency          *prometheus.HistogramVec
	retries          *prometheus.CounterVec
	ejections        prometheus.Counter
	generation       prometheus.Gauge
	epoch            prometheus.Gauge
	lastUpdate       prometheus.Gauge
	routes           prometheus.Gauge
	pushes           *prometheus.CounterVec
	stateWriteErrors prometheus.Counter

	unrouted404, unrouted503 prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "requests_total",
			Help: "Requests answered, by route (host + path prefix; empty: no route), service and status code.",
		}, []string{"route", "service", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "upstream_response_seconds",
			Help:    "Time from picking a backend to its response headers, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "service"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_retries_total",
			Help: "Requests tried again on another backend after a failed connection.",
		}, []string{"route", "service"}),
		ejections: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "backend_ejections_total",
			Help: "Times a backend was ejected after it refused a connection.",
		}),
		generation: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "routing_table_generation", Help: "Generation of the routing table served.",
		}),
		epoch: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "routing_table_epoch", Help: "Epoch of the routing table served.",
		}),
		lastUpdate: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "routing_table_last_update_timestamp_seconds",
			Help: "Unix time the routing table served was installed.",
		}),
		routes: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "routing_table_routes", Help: "Routes in the routing table served.",
		}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "routing_table_updates_total",
			Help: "Routing tables offered, by result (accepted or rejected) and rejection reason.",
		}, []string{"result", "reason"}),
		stateWriteErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "state_file_write_errors_total",
			Help: "Accepted routing tables that could not be written to the state file.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.retries, m.ejections, m.generation,
		m.epoch, m.lastUpdate, m.routes, m.pushes, m.stateWriteErrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.unrouted404 = m.requests.WithLabelValues("", "", "404")
	m.unrouted503 = m.requests.WithLabelValues("", "", "503")
	return m, nil
}

// forRoute returns the metric children of one route.
func (m *metrics) forRoute(service, name string) *routeMetrics {
	return &routeMetrics{
		requests: m.requests.MustCurryWith(prometheus.Labels{"route": name, "service": service}),
		latency:  m.latency.WithLabelValues(name, service),
		retries:  m.retries.WithLabelValues(name, service),
	}
}

// forgetRoutes drops the series of routes that old has and next has not,
// so that a cluster with churning services does not grow /metrics forever.
func (m *metrics) forgetRoutes(old, next *router) {
	keep := map[[2]string]bool{}
	for i := range next.table.Routes {
		r := &next.table.Routes[i]
		keep[[2]string{r.Host + r.PathPrefix, r.Service}] = true
	}
	for i := range old.table.Routes {
		r := &old.table.Routes[i]
		if k := [2]string{r.Host + r.PathPrefix, r.Service}; !keep[k] {
			l := prometheus.Labels{"route": k[0], "service": k[1]}
			m.requests.DeletePartialMatch(l)
			m.latency.Delete(l)
			m.retries.Delete(l)
		}
	}
}

func (m *metrics) unrouted(code int) {
	if code == 404 {
		m.unrouted404.Inc()
	} else {
		m.unrouted503.Inc()
	}
}

func (m *metrics) accepted() { m.pushes.WithLabelValues("accepted", "").Inc() }

func (m *metrics) rejected(reason string) { m.pushes.WithLabelValues("rejected", reason).Inc() }

func (m *metrics) tableApplied(t *v1alpha1.RoutingTable, now time.Time) {
	m.accepted()
	m.generation.Set(float64(t.Generation))
	m.epoch.Set(float64(t.Epoch))
	m.routes.Set(float64(len(t.Routes)))
	m.lastUpdate.Set(float64(now.UnixNano()) / 1e9)
}
