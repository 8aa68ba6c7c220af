package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eseal/eseal/verify"
)

// Metrics are the service's Prometheus metrics, served at GET /metrics in the text exposition
// format:
//
//	eseal_http_requests_total{route,method,status}            counter
//	eseal_http_request_duration_seconds{route,method,status}  histogram
//	eseal_verifications_total{format,indication}              counter, one per report
//	eseal_verifications_aborted_total{reason}                 counter: cancelled (the client went
//	                                                          away), busy (503), unusable (422)
//	eseal_verifications_in_flight                             gauge
//	eseal_signatures_total{format,outcome}                    counter (ObserveSign)
//
// and the Go runtime's and the process's own. route is the route's pattern (/v1/crl/{issuer}),
// never the path, so that its values stay few; a request that matched no route has "unmatched".
type Metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	verifications *prometheus.CounterVec
	aborted       *prometheus.CounterVec
	inFlight      prometheus.Gauge
	signatures    *prometheus.CounterVec
}

// NewMetrics returns a fresh set of metrics, in a registry of its own.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eseal_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "eseal_http_request_duration_seconds", Help: "Time from a request's headers to the end of its answer.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route", "method", "status"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eseal_verifications_total", Help: "Verification reports given, by document format and overall indication.",
		}, []string{"format", "indication"}),
		aborted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eseal_verifications_aborted_total", Help: "Verifications that gave no report: cancelled (the client went away), busy (no room in time), unusable (not a usable document).",
		}, []string{"reason"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eseal_verifications_in_flight", Help: "Verifications running now.",
		}),
		signatures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eseal_signatures_total", Help: "Documents signed through the API, by format and outcome (ok, failed).",
		}, []string{"format", "outcome"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.verifications, m.aborted, m.inFlight, m.signatures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The series exist from the start at zero, so that rates and alerts need no first event.
	for _, format := range []string{"pdf", "ofd", "detached"} {
		for _, ind := range []verify.Indication{verify.TotalPassed, verify.TotalFailed, verify.Indeterminate, verify.NoSignatureFound} {
			m.verifications.WithLabelValues(format, string(ind))
		}
		m.signatures.WithLabelValues(format, "ok")
		m.signatures.WithLabelValues(format, "failed")
	}
	for _, reason := range []string{"cancelled", "busy", "unusable"} {
		m.aborted.WithLabelValues(reason)
	}
	return m
}

// ObserveSign counts one signing through the API: format is "pdf", "ofd" or "detached", ok
// whether the signed document was produced.
func (m *Metrics) ObserveSign(format string, ok bool) {
	outcome := "failed"
	if ok {
		outcome = "ok"
	}
	m.signatures.WithLabelValues(format, outcome).Inc()
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func (m *Metrics) observeRequest(route, method string, status int, d time.Duration) {
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, method, code).Inc()
	m.latency.WithLabelValues(route, method, code).Observe(d.Seconds())
}

func (m *Metrics) observeVerification(format string, ind verify.Indication) {
	m.verifications.WithLabelValues(format, string(ind)).Inc()
}

func (m *Metrics) observeAborted(reason string) { m.aborted.WithLabelValues(reason).Inc() }
