package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/metrics"
)

// TestExposition pins the text format of the counters and the histogram:
// cumulative buckets, +Inf, sum and count, per bot.
func TestExposition(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{})
	m.ObserveDelivery(baton.BotTarget(7), "succeeded", 3*time.Millisecond)
	m.ObserveDelivery(baton.BotTarget(7), "retry", 30*time.Millisecond)
	m.ObserveDelivery(baton.BotTarget(7), "parked", 20*time.Second)
	m.ObserveDelivery(baton.BotTarget(2), "succeeded", 10*time.Millisecond) // on a bound: counted in it
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	text := string(body)
	// client_golang names the escaping of the names in the content type.
	if ct := rec.Result().Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4; charset=utf-8") {
		t.Errorf("content type %q", ct)
	}
	for _, want := range []string{
		"# TYPE baton_deliveries_total counter\n" +
			`baton_deliveries_total{bot="2",outcome="succeeded"} 1` + "\n" +
			`baton_deliveries_total{bot="7",outcome="parked"} 1` + "\n" +
			`baton_deliveries_total{bot="7",outcome="retry"} 1` + "\n" +
			`baton_deliveries_total{bot="7",outcome="succeeded"} 1` + "\n",
		`baton_delivery_attempt_seconds_bucket{bot="2",le="0.005"} 0` + "\n" +
			`baton_delivery_attempt_seconds_bucket{bot="2",le="0.01"} 1` + "\n",
		`baton_delivery_attempt_seconds_bucket{bot="7",le="0.005"} 1` + "\n" +
			`baton_delivery_attempt_seconds_bucket{bot="7",le="0.01"} 1` + "\n" +
			`baton_delivery_attempt_seconds_bucket{bot="7",le="0.025"} 1` + "\n" +
			`baton_delivery_attempt_seconds_bucket{bot="7",le="0.05"} 2` + "\n",
		`baton_delivery_attempt_seconds_bucket{bot="7",le="10"} 2` + "\n" +
			`baton_delivery_attempt_seconds_bucket{bot="7",le="+Inf"} 3` + "\n" +
			`baton_delivery_attempt_seconds_sum{bot="7"} 20.033` + "\n" +
			`baton_delivery_attempt_seconds_count{bot="7"} 3` + "\n",
		"go_goroutines ",
		"go_info{version=",
		"go_memstats_alloc_bytes ",
		"go_memstats_sys_bytes ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack\n%s\nin\n%s", want, text)
		}
	}
	if strings.Contains(text, "baton_database_up") {
		t.Errorf("database gauges without a store:\n%s", text)
	}
}

// TestGaugesCached: scrapes within five seconds of a read of the database
// gauges serve that read again; a later one reads again.
func TestGaugesCached(t *testing.T) {
	t.Parallel()
	var reads atomic.Int64
	clock := batontest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	m := metrics.New(metrics.Config{Now: clock.Now, Gauges: func(context.Context) (map[baton.Target]int64, map[baton.Target]time.Time, error) {
		reads.Add(1)
		return map[baton.Target]int64{baton.BotTarget(1): 3}, nil, nil
	}})
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	for range 5 {
		if body := scrape(); !strings.Contains(body, `baton_delivery_backlog{bot="1"} 3`) {
			t.Fatalf("the backlog is missing:\n%s", body)
		}
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("5 scrapes at once read the database %d times, want 1", n)
	}
	clock.Add(6 * time.Second)
	scrape()
	if n := reads.Load(); n != 2 {
		t.Fatalf("a scrape after 6 s made %d reads in all, want 2", n)
	}
}
