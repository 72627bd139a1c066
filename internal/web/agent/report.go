package agent

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// reportDays is how many days the bot reports chart, one bar a day.
const reportDays = 14

// bar is one day of a chart, with its geometry precomputed for the SVG.
type bar struct {
	Label  string // the day, as the axis shows it
	Value  string // the value, as the bar's text shows it
	X, Y   int
	Width  int
	Height int
	Title  string // for screen readers and tooltips
}

// chart is an inline SVG bar chart.
type chart struct {
	Title   string
	Unit    string
	Max     string
	Bars    []bar
	Width   int
	Height  int
	Summary string
}

type reportPage struct {
	base
	Bots      []*app.AgentBotView
	BotID     int64
	Metrics   *app.BotMetrics
	Handoffs  *app.HandoffReport
	P50, P90  string
	Rate      chart
	TimeToHum chart
}

// newChart lays out values (one per day, oldest first) as bars.
func newChart(title, unit string, days []time.Time, values []float64, format func(float64) string) chart {
	const width, height, top, bottom, left = 640, 220, 20, 30, 10
	c := chart{Title: title, Unit: unit, Width: width, Height: height}
	maxV := 0.0
	for _, v := range values {
		maxV = max(maxV, v)
	}
	c.Max = format(maxV)
	slot := (width - left) / len(values)
	for i, v := range values {
		h := 0
		if maxV > 0 {
			h = int(v / maxV * float64(height-top-bottom))
		}
		b := bar{Label: days[i].Format("01-02"), Value: format(v), X: left + i*slot + 4, Width: slot - 8,
			Height: h, Y: height - bottom - h}
		b.Title = fmt.Sprintf("%s: %s", days[i].Format("2006-01-02"), b.Value)
		c.Bars = append(c.Bars, b)
	}
	return c
}

func (h *Handler) showBotReport(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	ctx := r.Context()
	botID, err := formID(r, "bot_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	bots, err := h.app.AgentBots(ctx, b.AccountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	today := h.now().UTC().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, -(reportDays - 1))
	until := today.Add(24 * time.Hour)
	p := reportPage{base: b, Bots: bots, BotID: botID}
	rq := app.ReportQuery{Since: since, Until: until, AgentBotID: botID}
	if p.Metrics, err = h.app.BotMetrics(ctx, b.AccountID, rq); err != nil {
		h.fail(w, r, err)
		return
	}
	if p.Handoffs, err = h.app.Handoffs(ctx, b.AccountID, rq); err != nil {
		h.fail(w, r, err)
		return
	}
	p.P50, p.P90 = "—", "—"
	if p.Handoffs.FirstReply.Count > 0 {
		p.P50, p.P90 = duration(p.Handoffs.FirstReply.P50), duration(p.Handoffs.FirstReply.P90)
	}
	days := make([]time.Time, reportDays)
	rates := make([]float64, reportDays)
	waits := make([]float64, reportDays)
	for i := range reportDays {
		day := since.AddDate(0, 0, i)
		days[i] = day
		q := app.ReportQuery{Since: day, Until: day.Add(24 * time.Hour), AgentBotID: botID}
		m, err := h.app.BotMetrics(ctx, b.AccountID, q)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		rates[i] = float64(m.HandoffRate)
		hr, err := h.app.Handoffs(ctx, b.AccountID, q)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		waits[i] = hr.FirstReply.P50.Seconds()
	}
	p.Rate = newChart("Handoff rate", "percent of the bot's conversations handed to people", days, rates,
		func(v float64) string { return strconv.Itoa(int(v)) + "%" })
	p.TimeToHum = newChart("Time to a human", "median time from handoff to a person's first reply", days, waits,
		func(v float64) string { return duration(time.Duration(v * float64(time.Second))) })
	b.Title, b.Section = "Bot reports", "reports"
	p.base = b
	h.render(w, http.StatusOK, "report", p)
}

// duration says a duration as people read it, to the second under a
// minute, then to the minute, then to the hour: "45 s", "4 min",
// "1 h 12 min", "2 d 3 h".
func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "—"
	case d < time.Minute-time.Second/2:
		return strconv.Itoa(int(d.Round(time.Second).Seconds())) + " s"
	case d < time.Hour-30*time.Second:
		return strconv.Itoa(int(d.Round(time.Minute).Minutes())) + " min"
	case d < 24*time.Hour-30*time.Minute:
		d = d.Round(time.Minute)
		return unit(int(d/time.Hour), "h", int(d%time.Hour/time.Minute), "min")
	}
	d = d.Round(time.Hour)
	return unit(int(d/(24*time.Hour)), "d", int(d%(24*time.Hour)/time.Hour), "h")
}

// unit says a whole number of one unit and the rest in the next: "1 h
// 12 min", or "2 h" when the rest is none.
func unit(n int, u string, rest int, restUnit string) string {
	if rest == 0 {
		return fmt.Sprintf("%d %s", n, u)
	}
	return fmt.Sprintf("%d %s %d %s", n, u, rest, restUnit)
}

// peoplePeriods are the periods the people report offers, in days; the
// first is the default.
var peoplePeriods = []int{7, 30}

// peoplePage is the people report: a row a member of the account, and the
// account's totals.
type peoplePage struct {
	base
	Days         int
	Periods      []int
	Since, Until time.Time
	Rows         []personRow
	Account      accountTotals
	CSV          string // the download of the table, of the same range
}

// personRow is one person's row, its durations said as people read them
// ("—" without any).
type personRow struct {
	Name                                        string
	Assigned, Replies, FirstResponses, Resolved int64
	FirstResponse, Resolution                   string
}

// accountTotals are the account's totals, as reports/summary gives them.
type accountTotals struct {
	Conversations, Incoming, Outgoing, Resolutions int64
	FirstResponse, Resolution, Reply               string
	Averaged                                       string // the conversations of the first response time
}

// orDash says an average of seconds, or "—" without one.
func orDash(seconds *float64) string {
	if seconds == nil {
		return "—"
	}
	return duration(time.Duration(*seconds * float64(time.Second)))
}

// showPeopleReport shows what each person did in the last 7 or 30 days
// (days=30) and the account's totals: the numbers of Chatwoot's reports
// API (reports/summary), the average first response and resolution times
// included.
func (h *Handler) showPeopleReport(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	p := peoplePage{Periods: peoplePeriods, Days: peoplePeriods[0]}
	if d, err := strconv.Atoi(r.URL.Query().Get("days")); err == nil && slices.Contains(peoplePeriods, d) {
		p.Days = d
	}
	// Whole seconds, so that the download's link names the same range:
	// until the end of the second now is in.
	p.Until = h.now().UTC().Truncate(time.Second).Add(time.Second)
	p.Since = p.Until.AddDate(0, 0, -p.Days)
	rep, err := h.app.PeopleReport(r.Context(), b.AccountID, p.Since, p.Until)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, pr := range rep.People {
		row := personRow{Name: pr.Member.User.AvailableName(), Assigned: pr.Assigned, Replies: pr.Replies,
			FirstResponses: pr.FirstResponses, Resolved: pr.Resolutions, FirstResponse: "—", Resolution: "—"}
		if pr.FirstResponses > 0 {
			row.FirstResponse = duration(pr.AvgFirstResponse)
		}
		if pr.Resolutions > 0 {
			row.Resolution = duration(pr.AvgResolution)
		}
		p.Rows = append(p.Rows, row)
	}
	a := rep.Account
	p.Account = accountTotals{Conversations: a.Conversations, Incoming: a.Incoming, Outgoing: a.Outgoing,
		Resolutions: a.Resolutions, FirstResponse: orDash(a.AvgFirstResponse), Resolution: orDash(a.AvgResolution),
		Reply: orDash(a.AvgReply), Averaged: fmt.Sprintf("%d conversations", a.FirstResponses)}
	if a.FirstResponses == 1 {
		p.Account.Averaged = "1 conversation"
	}
	p.CSV = fmt.Sprintf("/app/accounts/%d/reports/people.csv?since=%d&until=%d", b.AccountID, p.Since.Unix(), p.Until.Unix())
	b.Title, b.Section = "People reports", "people"
	p.base = b
	h.render(w, http.StatusOK, "report_people", p)
}

// peopleCSVHeader is the header of the people report's download: the
// page's table, its average times in seconds.
var peopleCSVHeader = []string{"Person", "Conversations assigned", "Replies", "First responses",
	"Average first response time (seconds)", "Resolutions", "Average resolution time (seconds)"}

// downloadPeopleReport is the people report's table as a CSV file, of the
// range since and until (unix seconds) that the page's link gives: what
// each person did, a row each as the page shows them, the average times
// in whole seconds, the fraction cut (empty without any), every cell safe
// to open in a spreadsheet.
func (h *Handler) downloadPeopleReport(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	var at [2]time.Time
	for i, name := range []string{"since", "until"} {
		n, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
		if err != nil || n < 0 || n > maxUnix {
			h.fail(w, r, baton.Invalid("The download's "+name+" must be a unix time", name))
			return
		}
		at[i] = time.Unix(n, 0).UTC()
	}
	rep, err := h.app.PeopleReport(r.Context(), b.AccountID, at[0], at[1])
	if err != nil {
		h.fail(w, r, err)
		return
	}
	seconds := func(n int64, d time.Duration) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(int64(d/time.Second), 10) // whole seconds, cut as Chatwoot's downloads cut them
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(peopleCSVHeader)
	for _, p := range rep.People {
		_ = cw.Write([]string{csvCell(p.Member.User.AvailableName()), strconv.FormatInt(p.Assigned, 10),
			strconv.FormatInt(p.Replies, 10), strconv.FormatInt(p.FirstResponses, 10),
			seconds(p.FirstResponses, p.AvgFirstResponse), strconv.FormatInt(p.Resolutions, 10),
			seconds(p.Resolutions, p.AvgResolution)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="people_report_%s_%s.csv"`,
		rep.Since.Format(time.DateOnly), rep.Until.Format(time.DateOnly)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// maxUnix is the latest time a download may name, the last second of the
// year 9999: later ones overflow on the way to microseconds.
const maxUnix = 253402300799

// csvCell is a cell a spreadsheet shows as the text it is: one that begins
// with what would make it a formula (=, +, -, @, or a tab or carriage
// return before one) gets a leading apostrophe. The CSV writer quotes what
// needs quoting.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
