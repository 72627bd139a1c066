// Package metrics exposes Baton's Prometheus metrics in the text exposition
// format 0.0.4: deliveries to bots by outcome, attempt latency, the backlog
// and circuit breaker of each bot, and a few Go runtime numbers.
//
// The format is written by hand: the handful of series Baton has need no
// client library and its dependencies in the one binary. Counters and the
// histogram live in memory and count this process's attempts (Prometheus
// sums processes); the backlog and breaker gauges are read from the
// database at scrape time, so every process reports the same truth. Bots
// are labelled by id alone: their names and URLs are not for a metrics
// system, and ids keep the label set small.
package metrics

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// Buckets are the upper bounds, in seconds, of the attempt latency
// histogram: Prometheus' defaults, which span a fast bot on the same host
// to one at the attempt timeout.
var Buckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Config is what New needs.
type Config struct {
	Store  *store.Store // read at scrape time for the gauges; nil leaves them out
	Logger *slog.Logger
	Now    func() time.Time
}

// Metrics counts deliveries and serves the metrics.
type Metrics struct {
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
	start time.Time

	mu         sync.Mutex
	deliveries map[outcomeKey]uint64
	latency    map[baton.Target]*histogram
}

type outcomeKey struct {
	target  baton.Target
	outcome string
}

// label is the target as the series name it: {bot="7"} or {webhook="3"}.
func label(t baton.Target) string {
	if t.Kind == baton.TargetWebhook {
		return fmt.Sprintf("webhook=\"%d\"", t.ID)
	}
	return fmt.Sprintf("bot=\"%d\"", t.ID)
}

// compareTargets orders bots before webhooks, each by id.
func compareTargets(a, b baton.Target) int {
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

// New returns metrics with every count at zero.
func New(c Config) *Metrics {
	m := &Metrics{store: c.Store, log: c.Logger, now: c.Now, deliveries: map[outcomeKey]uint64{},
		latency: map[baton.Target]*histogram{}}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.start = m.now()
	return m
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

// ServeHTTP writes the metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	m.write(r.Context(), bw)
	_ = bw.Flush()
}

func (m *Metrics) write(ctx context.Context, w *bufio.Writer) {
	m.mu.Lock()
	keys := make([]outcomeKey, 0, len(m.deliveries))
	for k := range m.deliveries {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b outcomeKey) int {
		if c := compareTargets(a.target, b.target); c != 0 {
			return c
		}
		return cmp.Compare(a.outcome, b.outcome)
	})
	header(w, "baton_deliveries_total", "counter", "Attempts to deliver events to bots, by outcome: succeeded, retry (to be tried again), failed or parked (given up).")
	for _, k := range keys {
		fmt.Fprintf(w, "baton_deliveries_total{%s,outcome=%q} %d\n", label(k.target), k.outcome, m.deliveries[k])
	}
	targets := make([]baton.Target, 0, len(m.latency))
	for t := range m.latency {
		targets = append(targets, t)
	}
	slices.SortFunc(targets, compareTargets)
	header(w, "baton_delivery_attempt_seconds", "histogram", "How long attempts to deliver to bots took, answer read.")
	for _, t := range targets {
		h, l := m.latency[t], label(t)
		var cum uint64
		for i, le := range Buckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "baton_delivery_attempt_seconds_bucket{%s,le=\"%s\"} %d\n", l, float(le), cum)
		}
		fmt.Fprintf(w, "baton_delivery_attempt_seconds_bucket{%s,le=\"+Inf\"} %d\n", l, h.count)
		fmt.Fprintf(w, "baton_delivery_attempt_seconds_sum{%s} %s\n", l, float(h.sum))
		fmt.Fprintf(w, "baton_delivery_attempt_seconds_count{%s} %d\n", l, h.count)
	}
	m.mu.Unlock()

	if m.store != nil {
		m.writeDatabase(ctx, w)
	}
	m.writeRuntime(w)
}

// writeDatabase writes the gauges read from the database. When it does not
// answer they are left out and baton_database_up says so; the counters are
// still served.
func (m *Metrics) writeDatabase(ctx context.Context, w *bufio.Writer) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	q := m.store.Read()
	breakers, err := q.BreakersOpenUntil(ctx)
	var backlog map[int64]int64
	if err == nil {
		backlog, err = q.DeliveryBacklog(ctx)
	}
	header(w, "baton_database_up", "gauge", "Whether the database answered the queries of this scrape.")
	if err != nil {
		m.log.Error("metrics: reading the database", "err", err)
		fmt.Fprintln(w, "baton_database_up 0")
		return
	}
	fmt.Fprintln(w, "baton_database_up 1")
	bots := make([]int64, 0, len(breakers))
	for b := range breakers {
		bots = append(bots, b)
	}
	for b := range backlog {
		if _, ok := breakers[b]; !ok {
			bots = append(bots, b)
		}
	}
	slices.Sort(bots)
	header(w, "baton_delivery_backlog", "gauge", "Deliveries waiting for their bot: pending, due or retrying.")
	for _, b := range bots {
		fmt.Fprintf(w, "baton_delivery_backlog{bot=\"%d\"} %d\n", b, backlog[b])
	}
	now := m.now()
	header(w, "baton_breaker_open", "gauge", "Whether the bot's circuit breaker is open: 1 while deliveries to it are held back.")
	for _, b := range bots {
		open := 0
		if breakers[b].After(now) {
			open = 1
		}
		fmt.Fprintf(w, "baton_breaker_open{bot=\"%d\"} %d\n", b, open)
	}
}

// writeRuntime writes the Go and process basics that cost nothing to read.
func (m *Metrics) writeRuntime(w *bufio.Writer) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	header(w, "go_goroutines", "gauge", "Number of goroutines that currently exist.")
	fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	header(w, "go_info", "gauge", "Information about the Go environment.")
	fmt.Fprintf(w, "go_info{version=%q} 1\n", runtime.Version())
	header(w, "go_memstats_alloc_bytes", "gauge", "Number of bytes allocated and still in use.")
	fmt.Fprintf(w, "go_memstats_alloc_bytes %d\n", ms.Alloc)
	header(w, "go_memstats_sys_bytes", "gauge", "Number of bytes obtained from system.")
	fmt.Fprintf(w, "go_memstats_sys_bytes %d\n", ms.Sys)
	header(w, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
	fmt.Fprintf(w, "process_start_time_seconds %s\n", float(float64(m.start.UnixMilli())/1000))
}

func header(w *bufio.Writer, name, kind, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
}

func float(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
