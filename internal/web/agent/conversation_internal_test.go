package agent

import (
	"testing"
	"time"
)

// TestSnoozeUntil: the times a snooze offers are the chooser's own, a
// Monday's next Monday is a week away, and bad input is refused.
func TestSnoozeUntil(t *testing.T) {
	// Sunday 23:30 in UTC is Monday 00:30 an hour east of it.
	now := time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		choice, tz, at string
		want           time.Time
	}{
		{"hour", "60", "", at("2026-11-30T00:30:00Z")},
		{"tomorrow", "60", "", at("2026-12-01T08:00:00Z")}, // Tuesday 9:00 there
		{"tomorrow", "", "", at("2026-11-30T09:00:00Z")},   // Monday 9:00 in UTC
		{"week", "60", "", at("2026-12-07T08:00:00Z")},     // it is Monday there
		{"week", "-300", "", at("2026-11-30T14:00:00Z")},   // Sunday 18:30 there: Monday 9:00
		{"custom", "60", "2026-12-24T17:45", at("2026-12-24T16:45:00Z")},
	} {
		got, err := snoozeUntil(c.choice, now, c.tz, c.at)
		if err != nil || got == nil || !got.Equal(c.want) {
			t.Errorf("%s (tz %q, at %q): %v, %v; want %v", c.choice, c.tz, c.at, got, err, c.want)
		}
	}
	if got, err := snoozeUntil("reply", now, "60", ""); got != nil || err != nil {
		t.Errorf("until the customer replies: %v, %v; want no time", got, err)
	}
	for _, c := range []struct{ choice, tz, at string }{
		{"", "", ""}, {"forever", "", ""}, {"hour", "sixty", ""}, {"hour", "100000", ""},
		{"custom", "0", ""}, {"custom", "0", "tomorrow"},
	} {
		if _, err := snoozeUntil(c.choice, now, c.tz, c.at); err == nil {
			t.Errorf("%q (tz %q, at %q) was taken", c.choice, c.tz, c.at)
		}
	}
}
