package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
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
