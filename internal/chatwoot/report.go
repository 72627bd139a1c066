package chatwoot

import (
	"net/http"
	"time"

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
		if seconds[name], err = queryID(r, name); err != nil {
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
