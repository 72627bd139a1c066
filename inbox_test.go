package baton_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
)

// TestWorkingTime: the time of a range within an inbox's working hours, in
// its zone: all of it with working hours off; the schedule's days only
// (Chatwoot's default, Monday to Friday 9 to 5); a day open all day, a
// closed one, one whose hours close before they open, and a day the
// schedule does not list; the days of summer time's change, when a day
// has 23 or 25 hours; an unknown zone as UTC.
func TestWorkingTime(t *testing.T) {
	t.Parallel()
	lisbon, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(d, h, m int) time.Time { return time.Date(2030, 1, d, h, m, 0, 0, time.UTC) } // 2030-01-07 is a Monday
	office := &baton.Inbox{WorkingHoursEnabled: true, Timezone: "UTC", WorkingHours: baton.DefaultWorkingHours()}
	day := func(w baton.WorkingHour) *baton.Inbox {
		w.DayOfWeek = 1 // Monday only
		return &baton.Inbox{WorkingHoursEnabled: true, Timezone: "UTC", WorkingHours: []baton.WorkingHour{w}}
	}
	for _, c := range []struct {
		name     string
		inbox    *baton.Inbox
		from, to time.Time
		want     time.Duration
	}{
		{"working hours off", &baton.Inbox{WorkingHours: baton.DefaultWorkingHours()}, utc(5, 22, 0), utc(7, 1, 0), 27 * time.Hour},
		{"within a day", office, utc(7, 10, 0), utc(7, 11, 30), 90 * time.Minute},
		{"before opening until after closing", office, utc(7, 6, 0), utc(7, 20, 0), 8 * time.Hour},
		{"Friday evening to Monday morning", office, utc(11, 16, 0), utc(14, 10, 0), 2 * time.Hour},
		{"a whole week", office, utc(6, 0, 0), utc(13, 0, 0), 40 * time.Hour},
		{"the weekend", office, utc(12, 0, 0), utc(14, 0, 0), 0},
		{"an empty range", office, utc(7, 10, 0), utc(7, 10, 0), 0},
		{"a range that ends before it starts", office, utc(7, 11, 0), utc(7, 10, 0), 0},
		{"open all day", day(baton.WorkingHour{OpenAllDay: true}), utc(6, 12, 0), utc(8, 12, 0), 24 * time.Hour},
		{"closed all day", day(baton.WorkingHour{ClosedAllDay: true, OpenHour: 9, CloseHour: 17}), utc(7, 0, 0), utc(8, 0, 0), 0},
		{"closing before opening", day(baton.WorkingHour{OpenHour: 17, CloseHour: 9}), utc(7, 0, 0), utc(8, 0, 0), 0},
		{"with minutes", day(baton.WorkingHour{OpenHour: 9, OpenMinutes: 30, CloseHour: 12, CloseMinutes: 15}),
			utc(7, 0, 0), utc(8, 0, 0), 2*time.Hour + 45*time.Minute},
		{"a day the schedule does not list", day(baton.WorkingHour{OpenAllDay: true}), utc(8, 0, 0), utc(9, 0, 0), 0},
		// Kolkata is 5:30 east: its 09:00 is 03:30 UTC.
		{"in the inbox's zone", &baton.Inbox{WorkingHoursEnabled: true, Timezone: "Asia/Kolkata",
			WorkingHours: baton.DefaultWorkingHours()}, utc(7, 0, 0), utc(7, 6, 0), 2*time.Hour + 30*time.Minute},
		// Sunday 2030-03-31 has 23 hours in Lisbon, Sunday 2030-10-27 25.
		{"the day summer time begins", &baton.Inbox{WorkingHoursEnabled: true, Timezone: "Europe/Lisbon",
			WorkingHours: []baton.WorkingHour{{DayOfWeek: 0, OpenAllDay: true}}},
			time.Date(2030, 3, 30, 12, 0, 0, 0, lisbon), time.Date(2030, 4, 1, 12, 0, 0, 0, lisbon), 23 * time.Hour},
		{"the day summer time ends", &baton.Inbox{WorkingHoursEnabled: true, Timezone: "Europe/Lisbon",
			WorkingHours: []baton.WorkingHour{{DayOfWeek: 0, OpenAllDay: true}}},
			time.Date(2030, 10, 26, 12, 0, 0, 0, lisbon), time.Date(2030, 10, 28, 12, 0, 0, 0, lisbon), 25 * time.Hour},
		{"office hours in summer", &baton.Inbox{WorkingHoursEnabled: true, Timezone: "Europe/Lisbon",
			WorkingHours: baton.DefaultWorkingHours()}, time.Date(2030, 7, 1, 7, 0, 0, 0, time.UTC),
			time.Date(2030, 7, 1, 9, 0, 0, 0, time.UTC), time.Hour}, // 08:00 to 10:00 there
		{"an unknown zone is UTC", &baton.Inbox{WorkingHoursEnabled: true, Timezone: "Mars/Olympus",
			WorkingHours: baton.DefaultWorkingHours()}, utc(7, 8, 0), utc(7, 10, 0), time.Hour},
	} {
		if got := c.inbox.WorkingTime(c.from, c.to); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestParseAllowedDomains: Chatwoot's comma-separated allowed_domains,
// each entry a CSP host source (scheme, "*." and port optional); whatever
// could add a directive or a header to the widget page's answer (a
// semicolon, a quote, a space, a line break), a path, a bad port, too many
// or too long, is refused with allowed_domains named.
func TestParseAllowedDomains(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"*.chatwoot.dev,chatwoot.com", []string{"*.chatwoot.dev", "chatwoot.com"}},
		{" acme.test ,\thttps://shop.acme.test:8443/ , http://*.acme.test:* ", []string{"acme.test", "https://shop.acme.test:8443", "http://*.acme.test:*"}},
		{"127.0.0.1:8080, localhost, *, ACME.test.", []string{"127.0.0.1:8080", "localhost", "*", "ACME.test."}},
	} {
		got, err := baton.ParseAllowedDomains(c.in)
		if err != nil || strings.Join(got, "|") != strings.Join(c.want, "|") || (c.want == nil) != (got == nil) {
			t.Errorf("ParseAllowedDomains(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{
		"acme.test; script-src *", "'self'", `"acme.test"`, "acme.test other.test", "acme.test\r\nSet-Cookie: a=b",
		"acme.test\nx", "https://acme.test/path", "acme.test:0", "acme.test:65536", "acme.test:123456", "https:",
		"*.", "a..b", "*.*.acme.test", "[::1]", "ac me.test", "acme.test:", "://acme.test", "1http://acme.test",
		"acme_test.com", strings.Repeat("a", 64) + ".test",
		strings.Repeat("a.test,", baton.MaxAllowedDomains) + "b.test",
		strings.Repeat("a", baton.MaxAllowedDomainsChars-4) + ".test",
	} {
		got, err := baton.ParseAllowedDomains(in)
		var e *baton.Error
		if !errors.As(err, &e) || e.Code != baton.EINVALID || len(e.Attributes) != 1 || e.Attributes[0] != "allowed_domains" {
			t.Errorf("ParseAllowedDomains(%.80q) = %q, %v; want an EINVALID error on allowed_domains", in, got, err)
		}
	}
	_, err := baton.ParseAllowedDomains("acme.test, x;y")
	if msg := baton.ErrorMessage(err); !strings.Contains(msg, `"x;y"`) || !strings.Contains(msg, "separate domains with commas") {
		t.Errorf("the refusal says %q, want the entry and how to write one", msg)
	}
	if n := len(strings.Repeat("a.test,", baton.MaxAllowedDomains)); n > baton.MaxAllowedDomainsChars {
		t.Fatalf("the count test is %d characters, past the length bound", n)
	}
}

// TestAllowedDomainsText: an inbox's allowed domains as allowed_domains
// shows them, separated by commas; none is "".
func TestAllowedDomainsText(t *testing.T) {
	t.Parallel()
	if got := (&baton.Inbox{}).AllowedDomainsText(); got != "" {
		t.Errorf("no allowed domains: %q", got)
	}
	i := &baton.Inbox{AllowedDomains: []string{"*.chatwoot.dev", "https://chatwoot.com"}}
	if got := i.AllowedDomainsText(); got != "*.chatwoot.dev, https://chatwoot.com" {
		t.Errorf("allowed_domains %q", got)
	}
}
