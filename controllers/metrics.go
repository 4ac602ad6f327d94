package controllers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmgate/swarmgate/api/v1alpha1"
)

const metricsNamespace = "swarmgate_controller"

// metrics are the controller's Prometheus metrics. They outlive leadership
// terms, so a standby still reports swarmgate_controller_leader 0.
type metrics struct {
	reconcileDuration prometheus.Histogram
	reconcileTotal    *prometheus.CounterVec
	routes            prometheus.Gauge
	problems          *prometheus.GaugeVec
	pushDuration      *prometheus.HistogramVec
	pushErrors        *prometheus.CounterVec
	convergence       prometheus.Histogram
	dockerCalls       *prometheus.CounterVec
	leader            prometheus.Gauge
	generation        prometheus.Gauge
	epoch             prometheus.Gauge
	replicas          *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		reconcileDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "reconcile_duration_seconds",
			Help:    "Time of one reconcile: Docker API calls, computing the table and handing it to the pusher.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		reconcileTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "reconcile_total",
			Help: "Reconciles by result (success or error).",
		}, []string{"result"}),
		routes: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "routes",
			Help: "Routes in the current routing table.",
		}),
		problems: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "problems",
			Help: "Label problems found by the last reconcile, by severity.",
		}, []string{"severity"}),
		pushDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "push_duration_seconds",
			Help:    "Latency of pushing the routing table to a proxy replica, successful or not.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"replica"}),
		pushErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "push_errors_total",
			Help: "Failed pushes to a proxy replica, by replica and reason (the proxy's reason, or Unreachable).",
		}, []string{"replica", "reason"}),
		convergence: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "convergence_seconds",
			Help:    "Time from the reconcile that detected a change to every known proxy replica acknowledging it.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		dockerCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "docker_api_calls_total",
			Help: "Docker API calls by operation and result.",
		}, []string{"operation", "result"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "leader",
			Help: "1 while this controller leads and pushes, 0 on a standby.",
		}),
		generation: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "generation",
			Help: "Generation of the current routing table within the epoch.",
		}),
		epoch: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "epoch",
			Help: "Epoch of the current leadership term (0 on a standby).",
		}),
		replicas: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "replicas",
			Help: "Known proxy replicas, by whether they acknowledged the current table (in_sync true or false).",
		}, []string{"in_sync"}),
	}
	for _, c := range []prometheus.Collector{m.reconcileDuration, m.reconcileTotal, m.routes, m.problems,
		m.pushDuration, m.pushErrors, m.convergence, m.dockerCalls, m.leader, m.generation, m.epoch, m.replicas} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func result(err error) string {
	if err != nil {
		return "error"
	}
	return "success"
}

func (m *metrics) dockerCall(op string, err error) {
	m.dockerCalls.WithLabelValues(op, result(err)).Inc()
}

func (m *metrics) reconciled(d time.Duration, err error) {
	m.reconcileDuration.Observe(d.Seconds())
	m.reconcileTotal.WithLabelValues(result(err)).Inc()
}

func (m *metrics) table(t *v1alpha1.RoutingTable, problems []v1alpha1.Problem) {
	m.routes.Set(float64(len(t.Routes)))
	m.generation.Set(float64(t.Generation))
	m.epoch.Set(float64(t.Epoch))
	var errs, warns int
	for _, p := range problems {
		if p.Severity == v1alpha1.SeverityError {
			errs++
		} else {
			warns++
		}
	}
	m.problems.WithLabelValues(string(v1alpha1.SeverityError)).Set(float64(errs))
	m.problems.WithLabelValues(string(v1alpha1.SeverityWarning)).Set(float64(warns))
}

// standby zeroes the gauges that describe a term, so that a standby does
// not report its last term's table as current.
func (m *metrics) standby() {
	m.leader.Set(0)
	m.epoch.Set(0)
	m.generation.Set(0)
	m.routes.Set(0)
	m.problems.Reset()
	m.replicas.Reset()
}

// forgetReplica drops a gone replica's series, so that label values of
// rescheduled proxies (new IPs) do not accumulate forever.
func (m *metrics) forgetReplica(addr string) {
	m.pushDuration.DeletePartialMatch(prometheus.Labels{"replica": addr})
	m.pushErrors.DeletePartialMatch(prometheus.Labels{"replica": addr})
}
