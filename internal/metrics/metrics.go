// Package metrics exposes Baton's Prometheus metrics through
// prometheus/client_golang: deliveries by outcome, attempt latency, the
// backlog and circuit breaker of each bot, and the standard go_* and
// process_* series.
//
// Counters and the histogram count this process's attempts (Prometheus
// sums processes); the backlog and breaker gauges are read at scrape time
// through Config.Gauges, from the database, so every process reports the
// same truth. Bots are labelled by id alone: their names and URLs are not
// for a metrics system, and ids keep the label set small.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Buckets are the upper bounds, in seconds, of the attempt latency
// histogram: Prometheus' defaults, which span a fast bot on the same host
// to one at the attempt timeout.
var Buckets = prometheus.DefBuckets

// Gauges reads the numbers of a scrape: each bot's deliveries waiting
// (pending, due or retrying) and until when each bot's breaker holds
// deliveries back. The delivery engine's Gauges is one.
type Gauges func(ctx context.Context) (backlog map[int64]int64, breakerOpenUntil map[int64]time.Time, err error)

// Config is what New needs.
type Config struct {
	// Gauges reads the gauges at scrape time; nil leaves them out.
	Gauges Gauges
	Logger *slog.Logger
	Now    func() time.Time
}

// Metrics counts deliveries and serves the metrics.
type Metrics struct {
	gauges     Gauges
	log        *slog.Logger
	now        func() time.Time
	registry   *prometheus.Registry
	deliveries *prometheus.CounterVec
	latency    *prometheus.HistogramVec
}

// New returns metrics with every count at zero.
func New(c Config) *Metrics {
	m := &Metrics{gauges: c.Gauges, log: c.Logger, now: c.Now, registry: prometheus.NewRegistry()}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baton_deliveries_total",
		Help: "Attempts to deliver events to bots, by outcome: succeeded, retry (to be tried again), failed or parked (given up)."},
		[]string{"bot", "outcome"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "baton_delivery_attempt_seconds",
		Help: "How long attempts to deliver to bots took, answer read.", Buckets: Buckets}, []string{"bot"})
	m.registry.MustRegister(m.deliveries, m.latency, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveDelivery counts one attempt to deliver to a bot: its outcome
// ("succeeded", "retry", "failed" or "parked") and how long it took.
func (m *Metrics) ObserveDelivery(botID int64, outcome string, latency time.Duration) {
	bot := strconv.FormatInt(botID, 10)
	m.deliveries.WithLabelValues(bot, outcome).Inc()
	m.latency.WithLabelValues(bot).Observe(latency.Seconds())
}

// ServeHTTP writes the metrics in the exposition format the scraper asks
// for, the text format by default.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := prometheus.Gatherers{m.registry}
	if m.gauges != nil {
		g = append(g, m.readGauges(r.Context()))
	}
	promhttp.HandlerFor(g, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// readGauges reads the gauges for one scrape. When the database does not
// answer they are left out and baton_database_up says so; the counters are
// still served.
func (m *Metrics) readGauges(ctx context.Context) prometheus.Gatherer {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	reg := prometheus.NewRegistry()
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "baton_database_up",
		Help: "Whether the database answered the queries of this scrape."})
	reg.MustRegister(up)
	backlogs, openUntil, err := m.gauges(ctx)
	if err != nil {
		m.log.Error("metrics: reading the database", "err", err)
		return reg
	}
	up.Set(1)
	backlog := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "baton_delivery_backlog",
		Help: "Deliveries waiting for their bot: pending, due or retrying."}, []string{"bot"})
	breaker := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "baton_breaker_open",
		Help: "Whether the bot's circuit breaker is open: 1 while deliveries to it are held back."}, []string{"bot"})
	reg.MustRegister(backlog, breaker)
	now := m.now()
	set := func(id int64) {
		bot := strconv.FormatInt(id, 10)
		backlog.WithLabelValues(bot).Set(float64(backlogs[id]))
		open := 0.0
		if openUntil[id].After(now) {
			open = 1
		}
		breaker.WithLabelValues(bot).Set(open)
	}
	for id := range openUntil {
		set(id)
	}
	for id := range backlogs {
		set(id)
	}
	return reg
}
