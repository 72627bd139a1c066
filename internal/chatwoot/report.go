package chatwoot

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// reportQuery reads a report's parameters: since and until as unix
// seconds (Chatwoot's), and Baton's inbox_id, agent_bot_id and
// wait_threshold (seconds).
func reportQuery(r *http.Request) (int64, app.ReportQuery, error) {
	var rq app.ReportQuery
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return 0, rq, err
	}
	seconds := map[string]int64{}
	for _, name := range []string{"since", "until", "inbox_id", "agent_bot_id", "wait_threshold"} {
		read := queryID
		if name == "since" || name == "until" {
			read = queryUnix
		}
		if seconds[name], err = read(r, name); err != nil {
			return 0, rq, err
		}
	}
	if s := seconds["since"]; s != 0 {
		rq.Since = time.Unix(s, 0).UTC()
	}
	if u := seconds["until"]; u != 0 {
		rq.Until = time.Unix(u, 0).UTC()
	}
	rq.InboxID, rq.AgentBotID = seconds["inbox_id"], seconds["agent_bot_id"]
	rq.WaitThreshold = time.Duration(seconds["wait_threshold"]) * time.Second
	return accountID, rq, nil
}

// queryUnix reads a report's time, unix seconds up to the year 9999:
// later ones overflow on the way to microseconds, and a range of them was
// answered as one of another millennium.
func queryUnix(r *http.Request, name string) (int64, error) {
	n, err := queryID(r, name)
	if err == nil && n > maxUnixSeconds {
		return 0, baton.Errorf(baton.EBADREQUEST, "%s must be a unix time from 1970 to the year 9999", name)
	}
	return n, err
}

// botMetrics is Chatwoot's GET reports/bot_metrics.
func (h *Handler) botMetrics(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := reportQuery(r)
	if err != nil {
		return err
	}
	m, err := h.app.BotMetrics(r.Context(), accountID, rq)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"conversation_count": m.ConversationCount, "message_count": m.MessageCount,
		"resolution_rate": m.ResolutionRate, "handoff_rate": m.HandoffRate})
}

// botSummary is Chatwoot's GET reports/bot_summary: the counts of the range
// and, as older Chatwoot answers, of the range of the same length before.
func (h *Handler) botSummary(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := reportQuery(r)
	if err != nil {
		return err
	}
	m, err := h.app.BotMetrics(r.Context(), accountID, rq)
	if err != nil {
		return err
	}
	out := map[string]any{"bot_resolutions_count": m.Resolutions, "bot_handoffs_count": m.Handoffs}
	if !rq.Since.IsZero() && !rq.Until.IsZero() && rq.Since.Before(rq.Until) {
		prev := rq
		prev.Since, prev.Until = rq.Since.Add(-rq.Until.Sub(rq.Since)), rq.Since
		if p, err := h.app.BotMetrics(r.Context(), accountID, prev); err == nil {
			out["previous"] = map[string]any{"bot_resolutions_count": p.Resolutions, "bot_handoffs_count": p.Handoffs}
		}
	}
	return ok(w, out)
}

// handoffReport is Baton's GET reports/handoffs.
func (h *Handler) handoffReport(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := reportQuery(r)
	if err != nil {
		return err
	}
	rep, err := h.app.Handoffs(r.Context(), accountID, rq)
	if err != nil {
		return err
	}
	reasons := make([]map[string]any, 0, len(rep.ByReason))
	for _, rc := range rep.ByReason {
		reasons = append(reasons, map[string]any{"reason": nilIfEmpty(rc.Reason), "count": rc.Count})
	}
	return ok(w, map[string]any{
		"handoffs_count": rep.Handoffs,
		"by_reason":      reasons,
		"time_to_first_human_reply": map[string]any{"count": rep.FirstReply.Count,
			"p50": rep.FirstReply.P50.Seconds(), "p90": rep.FirstReply.P90.Seconds()},
		"waited_longer_than": map[string]any{"threshold": rep.Threshold.Seconds(), "count": len(rep.Waited),
			"conversation_ids": rep.Waited},
	})
}

// accountReportQuery reads the parameters of Chatwoot's account reports:
// type and id, since and until (unix seconds), group_by and
// timezone_offset (hours east of UTC, as 5.5). Business hours are not
// kept, and asking for them is refused rather than answered with
// calendar time.
func accountReportQuery(r *http.Request) (int64, app.AccountReportQuery, error) {
	var rq app.AccountReportQuery
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return 0, rq, err
	}
	since, err := queryUnix(r, "since")
	if err != nil {
		return 0, rq, err
	}
	until, err := queryUnix(r, "until")
	if err != nil {
		return 0, rq, err
	}
	if since != 0 {
		rq.Since = time.Unix(since, 0).UTC()
	}
	if until != 0 {
		rq.Until = time.Unix(until, 0).UTC()
	}
	v := r.URL.Query()
	rq.Type, rq.ID, rq.GroupBy = v.Get("type"), v.Get("id"), v.Get("group_by")
	if s := v.Get("timezone_offset"); s != "" {
		hours, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(hours) || math.IsInf(hours, 0) {
			return 0, rq, baton.Errorf(baton.EBADREQUEST, "timezone_offset must be a number of hours")
		}
		rq.Offset = time.Duration(hours * float64(time.Hour)).Round(time.Minute)
	}
	for _, name := range []string{"business_hours", "enable_business_hours"} {
		if on, _ := strconv.ParseBool(v.Get(name)); on {
			return 0, rq, baton.Invalid("Business hours are not supported: the reports count calendar time", name)
		}
	}
	return accountID, rq, nil
}

// accountReport is Chatwoot's GET reports: one metric over time, a point
// a period, with the count of events averaged for the averages.
func (h *Handler) accountReport(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := accountReportQuery(r)
	if err != nil {
		return err
	}
	points, average, err := h.app.ReportSeries(r.Context(), accountID, r.URL.Query().Get("metric"), rq)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(points))
	for i, p := range points {
		out[i] = map[string]any{"value": p.Value, "timestamp": p.Start.Unix()}
		if average {
			out[i]["count"] = p.Count
		}
	}
	return ok(w, out)
}

// reportSummary is Chatwoot's GET reports/summary: the range's counts and
// averages, and under previous those of the range of the same length
// before it.
func (h *Handler) reportSummary(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := accountReportQuery(r)
	if err != nil {
		return err
	}
	current, previous, err := h.app.ReportSummary(r.Context(), accountID, rq)
	if err != nil {
		return err
	}
	out := summaryJSON(current)
	out["previous"] = summaryJSON(previous)
	return ok(w, out)
}

// summaryJSON is a summary as Chatwoot renders it: averages in seconds,
// null with nothing to average.
func summaryJSON(s *app.ReportSummary) map[string]any {
	return map[string]any{ // a nil average is written as null
		"conversations_count":     s.Conversations,
		"incoming_messages_count": s.Incoming,
		"outgoing_messages_count": s.Outgoing,
		"avg_first_response_time": s.AvgFirstResponse,
		"avg_resolution_time":     s.AvgResolution,
		"resolutions_count":       s.Resolutions,
		"reply_time":              s.AvgReply,
	}
}
