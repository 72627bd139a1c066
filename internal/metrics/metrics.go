// Package metrics exposes Baton's Prometheus metrics through
// prometheus/client_golang: deliveries by target and outcome, attempt
// latency, the backlog and circuit breaker of each bot and webhook, and the standard
// go_* and process_* series.
//
// Counters and the histogram count this process's attempts (Prometheus
// sums processes); the backlog and breaker gauges are read at scrape time
// through Config.Gauges, from the database, so every process reports the
// same truth. Targets are labelled by id alone, {bot="7"} or
// {webhook="3"}: their names and URLs are not for a metrics system, and
// ids keep the label set small.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/batonhq/baton"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Buckets are the upper bounds, in seconds, of the attempt latency
// histogram: Prometheus' defaults, which span a fast bot on the same host
// to one at the attempt timeout.
var Buckets = prometheus.DefBuckets

// Gauges reads the numbers of a scrape: each target's deliveries waiting
// (pending, due or retrying) and until when each target's breaker holds
// deliveries back. The delivery engine's Gauges is one.
type Gauges func(ctx context.Context) (backlog map[baton.Target]int64, breakerOpenUntil map[baton.Target]time.Time, err error)

// Config is what New needs.
type Config struct {
	// Gauges reads the gauges at scrape time; nil leaves them out.
	Gauges Gauges
	Logger *slog.Logger
	Now    func() time.Time
	// Live, when set, reports the live channel's counts (/cable).
	Live func() Live
}

// Live is the live channel's counts in this process.
type Live struct {
	Connections   int   // open /cable connections
	Subscriptions int   // their subscriptions
	Dropped       int64 // connections dropped for not keeping up
	Events        int64 // events fanned out
	Frames        int64 // frames queued for clients
}

// Metrics counts deliveries and serves the metrics.
type Metrics struct {
	gauges   Gauges
	log      *slog.Logger
	now      func() time.Time
	registry *prometheus.Registry

	mu         sync.Mutex
	deliveries map[outcomeKey]uint64
	latency    map[baton.Target]*histogram

	// The gauges of the last read, kept for gaugeTTL: a scrape needs no
	// token unless one is configured, and must not cost the database two
	// queries each time. gaugeMu also makes scrapes at once share a read.
	gaugeMu   sync.Mutex
	gaugeRead time.Time
	backlogs  map[baton.Target]int64
	openUntil map[baton.Target]time.Time
	gaugeErr  error
}

// gaugeTTL is how long the gauges read from the database are served again.
const gaugeTTL = 5 * time.Second

type outcomeKey struct {
	target  baton.Target
	outcome string
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

// Descriptions of the series, per kind of target: a family's series are
// labelled bot or webhook, which client_golang's vectors, with one label
// set a family, do not express.
var (
	deliveriesHelp = "Attempts to deliver events to bots and webhooks, by outcome: succeeded, retry (to be tried again), failed or parked (given up)."
	latencyHelp    = "How long attempts to deliver to bots and webhooks took, answer read."
	backlogHelp    = "Deliveries waiting for their bot or webhook: pending, due or retrying."
	breakerHelp    = "Whether the bot's or webhook's circuit breaker is open: 1 while deliveries to it are held back."
	descs          = map[baton.TargetKind]struct{ deliveries, latency, backlog, breaker *prometheus.Desc }{
		baton.TargetBot: {prometheus.NewDesc("baton_deliveries_total", deliveriesHelp, []string{"bot", "outcome"}, nil),
			prometheus.NewDesc("baton_delivery_attempt_seconds", latencyHelp, []string{"bot"}, nil),
			prometheus.NewDesc("baton_delivery_backlog", backlogHelp, []string{"bot"}, nil),
			prometheus.NewDesc("baton_breaker_open", breakerHelp, []string{"bot"}, nil)},
		baton.TargetWebhook: {prometheus.NewDesc("baton_deliveries_total", deliveriesHelp, []string{"webhook", "outcome"}, nil),
			prometheus.NewDesc("baton_delivery_attempt_seconds", latencyHelp, []string{"webhook"}, nil),
			prometheus.NewDesc("baton_delivery_backlog", backlogHelp, []string{"webhook"}, nil),
			prometheus.NewDesc("baton_breaker_open", breakerHelp, []string{"webhook"}, nil)},
	}
)

// New returns metrics with every count at zero.
func New(c Config) *Metrics {
	m := &Metrics{gauges: c.Gauges, log: c.Logger, now: c.Now, registry: prometheus.NewRegistry(),
		deliveries: map[outcomeKey]uint64{}, latency: map[baton.Target]*histogram{}}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.registry.MustRegister(deliveryCollector{m}, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if c.Live != nil {
		m.registry.MustRegister(liveCollector(c.Live))
	}
	return m
}

var (
	liveConnections   = prometheus.NewDesc("baton_live_connections", "Open /cable connections of this process.", nil, nil)
	liveSubscriptions = prometheus.NewDesc("baton_live_subscriptions", "RoomChannel subscriptions of the open /cable connections.", nil, nil)
	liveDropped       = prometheus.NewDesc("baton_live_dropped_total", "/cable connections dropped for not keeping up with their frames.", nil, nil)
	liveEvents        = prometheus.NewDesc("baton_live_events_total", "Live events fanned out to /cable connections.", nil, nil)
	liveFrames        = prometheus.NewDesc("baton_live_frames_total", "Frames queued for /cable clients, pings aside.", nil, nil)
)

// liveCollector gives client_golang the live channel's counts.
type liveCollector func() Live

// Describe describes the live series.
func (liveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{liveConnections, liveSubscriptions, liveDropped, liveEvents, liveFrames} {
		ch <- d
	}
}

// Collect sends the counts as they are now.
func (f liveCollector) Collect(ch chan<- prometheus.Metric) {
	l := f()
	ch <- prometheus.MustNewConstMetric(liveConnections, prometheus.GaugeValue, float64(l.Connections))
	ch <- prometheus.MustNewConstMetric(liveSubscriptions, prometheus.GaugeValue, float64(l.Subscriptions))
	ch <- prometheus.MustNewConstMetric(liveDropped, prometheus.CounterValue, float64(l.Dropped))
	ch <- prometheus.MustNewConstMetric(liveEvents, prometheus.CounterValue, float64(l.Events))
	ch <- prometheus.MustNewConstMetric(liveFrames, prometheus.CounterValue, float64(l.Frames))
}

// ObserveDelivery counts one attempt to deliver to a target (a bot or a
// webhook endpoint): its outcome ("succeeded", "retry", "failed" or
// "parked") and how long it took.
func (m *Metrics) ObserveDelivery(t baton.Target, outcome string, latency time.Duration) {
	secs := latency.Seconds()
	i, _ := slices.BinarySearch(Buckets, secs) // the first bound ≥ secs
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deliveries[outcomeKey{t, outcome}]++
	h := m.latency[t]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(Buckets)+1)}
		m.latency[t] = h
	}
	h.counts[i]++
	h.sum += secs
	h.count++
}

// deliveryCollector gives client_golang the delivery counters. It is
// unchecked (it describes nothing up front) because a family's series
// carry either a bot or a webhook label.
type deliveryCollector struct{ m *Metrics }

// Describe describes nothing: see deliveryCollector.
func (deliveryCollector) Describe(chan<- *prometheus.Desc) {}

// Collect sends the counters and histograms as they are now.
func (c deliveryCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, n := range m.deliveries {
		ch <- prometheus.MustNewConstMetric(descs[k.target.Kind].deliveries, prometheus.CounterValue, float64(n),
			strconv.FormatInt(k.target.ID, 10), k.outcome)
	}
	for t, h := range m.latency {
		buckets := make(map[float64]uint64, len(Buckets))
		var cum uint64
		for i, le := range Buckets {
			cum += h.counts[i]
			buckets[le] = cum
		}
		ch <- prometheus.MustNewConstHistogram(descs[t.Kind].latency, h.count, h.sum, buckets, strconv.FormatInt(t.ID, 10))
	}
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
	m.gaugeMu.Lock()
	now := m.now()
	if m.gaugeRead.IsZero() || now.Sub(m.gaugeRead) >= gaugeTTL || now.Before(m.gaugeRead) {
		m.backlogs, m.openUntil, m.gaugeErr = m.gauges(ctx)
		m.gaugeRead = now
	}
	backlogs, openUntil, err := m.backlogs, m.openUntil, m.gaugeErr
	m.gaugeMu.Unlock()
	if err != nil {
		m.log.Error("metrics: reading the database", "err", err)
		return reg
	}
	up.Set(1)
	reg.MustRegister(gaugeCollector{backlog: backlogs, openUntil: openUntil, now: m.now()})
	return reg
}

// gaugeCollector gives client_golang one scrape's backlog and breaker
// gauges, labelled bot or webhook (unchecked, as deliveryCollector).
type gaugeCollector struct {
	backlog   map[baton.Target]int64
	openUntil map[baton.Target]time.Time
	now       time.Time
}

// Describe describes nothing: see deliveryCollector.
func (gaugeCollector) Describe(chan<- *prometheus.Desc) {}

// Collect sends a backlog and a breaker gauge for every target with either.
func (g gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	seen := map[baton.Target]bool{}
	send := func(t baton.Target) {
		d, ok := descs[t.Kind]
		if seen[t] || !ok {
			return
		}
		seen[t] = true
		id := strconv.FormatInt(t.ID, 10)
		open := 0.0
		if g.openUntil[t].After(g.now) {
			open = 1
		}
		ch <- prometheus.MustNewConstMetric(d.backlog, prometheus.GaugeValue, float64(g.backlog[t]), id)
		ch <- prometheus.MustNewConstMetric(d.breaker, prometheus.GaugeValue, open, id)
	}
	for t := range g.openUntil {
		send(t)
	}
	for t := range g.backlog {
		send(t)
	}
}
