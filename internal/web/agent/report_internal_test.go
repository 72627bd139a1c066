package agent

import (
	"testing"
	"time"
)

// TestDuration: durations read as people say them, rounded at each unit's
// edge to the next unit rather than "60 min" or "24 h".
func TestDuration(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "—"},
		{0, "0 s"},
		{45*time.Second + 300*time.Millisecond, "45 s"},
		{59*time.Second + 600*time.Millisecond, "1 min"},
		{4*time.Minute + 10*time.Second, "4 min"},
		{59*time.Minute + 40*time.Second, "1 h"},
		{72 * time.Minute, "1 h 12 min"},
		{2*time.Hour + 20*time.Second, "2 h"},
		{23*time.Hour + 50*time.Minute, "1 d"},
		{51 * time.Hour, "2 d 3 h"},
	} {
		if got := duration(c.d); got != c.want {
			t.Errorf("duration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
