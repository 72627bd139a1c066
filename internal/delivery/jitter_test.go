package delivery

import (
	"net/http"
	"testing"
	"time"
)

// TestJitterBounds: a wait is spread by at most a fifth either way, and
// over most of that range.
func TestJitterBounds(t *testing.T) {
	t.Parallel()
	const d = 10 * time.Second
	lo, hi := d, d
	for range 10000 {
		j := jitter(d)
		if j < d-d/5 || j > d+d/5 {
			t.Fatalf("jitter(%s) = %s, outside ±20%%", d, j)
		}
		lo, hi = min(lo, j), max(hi, j)
	}
	if lo > d-d/6 || hi < d+d/6 {
		t.Fatalf("10000 jitters of %s span only %s..%s", d, lo, hi)
	}
	if jitter(0) != 0 {
		t.Fatalf("jitter(0) = %s", jitter(0))
	}
}

// TestRetryAfterHeader reads seconds and HTTP dates, caps at a day and
// ignores what it cannot read or what is past.
func TestRetryAfterHeader(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 10, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"120": 2 * time.Minute, " 7 ": 7 * time.Second, "0": 0, "-3": 0, "soon": 0, "": 0, "86401": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
		now.Add(72 * time.Hour).Format(http.TimeFormat):   24 * time.Hour,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}
