package agent

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

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
	p.P50, p.P90 = duration(p.Handoffs.FirstReply.P50), duration(p.Handoffs.FirstReply.P90)
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

// duration says a duration briefly: 45s, 3m 20s, 2h 5m.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
}
