package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
)

// shown writes an excerpt's parts with its marks as [brackets].
func shown(parts []part) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Mark {
			b.WriteString("[" + p.Text + "]")
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 40) + "my ORDER 5521 never came " + strings.Repeat("more ", 40)
	for _, c := range []struct {
		name, text string
		words      []string
		n          int
		want       string
	}{
		{"short, every occurrence marked in any case", "Order 5521: the order came twice", []string{"order", "5521"}, 140,
			"[Order] [5521]: the [order] came twice"},
		{"part of a word", "I was refunded", []string{"refund"}, 140, "I was [refund]ed"},
		{"clipped at both ends, at words", long, []string{"5521"}, 40, "…my ORDER [5521] never came more more more…"},
		{"spaces made single", "a\n\n  b  order", []string{"order"}, 140, "a b [order]"},
		{"not found (folded otherwise): the start", "İstanbul order", []string{"zzz"}, 5, "İstan…"},
		{"non-ASCII, a rune at a time", "Çok teşekkürler, SİPARİŞ 12", []string{"teşekkür"}, 140, "Çok [teşekkür]ler, SİPARİŞ 12"},
	} {
		if got := shown(excerpt(c.text, c.words, c.n)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestMatchRendersMarksAsText(t *testing.T) {
	t.Parallel()
	h := New(Config{})
	content := `<script>alert(1)</script> order <b>5521</b>`
	m := &baton.Message{MessageType: baton.MessageOutgoing, SenderType: baton.SenderUser, Private: true, Content: &content}
	var b strings.Builder
	if err := h.pages["conversations"].ExecuteTemplate(&b, "match", matchOf(m, []string{"5521"})); err != nil {
		t.Fatal(err)
	}
	want := `<span class="match-from badge note">Private note:</span> <span class="match-text" dir="auto">&lt;script&gt;alert(1)&lt;/script&gt; order &lt;b&gt;<mark>5521</mark>&lt;/b&gt;</span>`
	if !strings.Contains(b.String(), want) {
		t.Errorf("rendered %s\nwant it to hold %s", b.String(), want)
	}
}

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
		got, err := snoozeUntil(c.choice, now, "", c.tz, c.at)
		if err != nil || got == nil || !got.Equal(c.want) {
			t.Errorf("%s (tz %q, at %q): %v, %v; want %v", c.choice, c.tz, c.at, got, err, c.want)
		}
	}
	// Friday 23 October 2026 in Berlin, summer time (UTC+2) until the
	// 25th: next Monday 9:00 and 3 November 9:00 are in winter time
	// (UTC+1), whatever the page's offset today says. A zone the server
	// does not know falls back to the offset.
	fri := time.Date(2026, 10, 23, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		choice, zone, at string
		want             time.Time
	}{
		{"week", "Europe/Berlin", "", at("2026-10-26T08:00:00Z")},
		{"custom", "Europe/Berlin", "2026-11-03T09:00", at("2026-11-03T08:00:00Z")},
		{"tomorrow", "Europe/Berlin", "", at("2026-10-24T07:00:00Z")},
		{"custom", "Nowhere/Atlantis", "2026-11-03T09:00", at("2026-11-03T07:00:00Z")},
		{"custom", "../../etc/passwd", "2026-11-03T09:00", at("2026-11-03T07:00:00Z")},
	} {
		got, err := snoozeUntil(c.choice, fri, c.zone, "120", c.at)
		if err != nil || got == nil || !got.Equal(c.want) {
			t.Errorf("%s (zone %q, at %q): %v, %v; want %v", c.choice, c.zone, c.at, got, err, c.want)
		}
	}
	if got, err := snoozeUntil("reply", now, "", "60", ""); got != nil || err != nil {
		t.Errorf("until the customer replies: %v, %v; want no time", got, err)
	}
	for _, c := range []struct{ choice, tz, at string }{
		{"", "", ""}, {"forever", "", ""}, {"hour", "sixty", ""}, {"hour", "100000", ""},
		{"custom", "0", ""}, {"custom", "0", "tomorrow"},
	} {
		if _, err := snoozeUntil(c.choice, now, "", c.tz, c.at); err == nil {
			t.Errorf("%q (tz %q, at %q) was taken", c.choice, c.tz, c.at)
		}
	}
}
