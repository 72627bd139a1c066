package app

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// ReportQuery selects a report's facts: a time range, and optionally one
// inbox or one bot of the account.
type ReportQuery struct {
	Since, Until time.Time
	InboxID      int64
	AgentBotID   int64
	// WaitThreshold is the wait the handoff report counts customers over
	// (default 5 minutes).
	WaitThreshold time.Duration
}

// BotMetrics are Chatwoot's bot metrics: counts and whole-number rates in
// percent of the bot's conversations.
type BotMetrics struct {
	ConversationCount int
	MessageCount      int
	ResolutionRate    int
	HandoffRate       int
	Resolutions       int
	Handoffs          int
}

// maxReportRange bounds a report's time range.
const maxReportRange = 366 * 24 * time.Hour

// reportFilter checks the caller administers the account and the query is
// sound, and returns the store's filter.
func (a *App) reportFilter(ctx context.Context, q *store.Queries, accountID int64, rq ReportQuery) (store.ReportFilter, error) {
	f := store.ReportFilter{AccountID: accountID, InboxID: rq.InboxID, AgentBotID: rq.AgentBotID}
	if err := a.adminOf(ctx, q, accountID); err != nil {
		return f, err
	}
	if rq.Until.IsZero() {
		rq.Until = a.Now()
	}
	if rq.Since.IsZero() {
		rq.Since = rq.Until.Add(-7 * 24 * time.Hour)
	}
	if !rq.Since.Before(rq.Until) {
		return f, baton.Invalid("since must be before until", "since")
	}
	if rq.Until.Sub(rq.Since) > maxReportRange {
		return f, baton.Invalid("The time range is at most a year", "since")
	}
	if rq.InboxID != 0 {
		if _, err := q.FindInbox(ctx, accountID, rq.InboxID); err != nil {
			return f, err
		}
	}
	if rq.AgentBotID != 0 {
		if _, err := findUsableBot(ctx, q, accountID, rq.AgentBotID); err != nil {
			return f, err
		}
	}
	f.Since, f.Until = rq.Since.UnixMicro(), rq.Until.UnixMicro()
	return f, nil
}

// BotMetrics computes Chatwoot's bot metrics from stored facts: the bot
// conversations created in the range, their outgoing messages, and the
// share of them resolved by the bot or handed to people. Administrators
// only.
func (a *App) BotMetrics(ctx context.Context, accountID int64, rq ReportQuery) (*BotMetrics, error) {
	q := a.store.Read()
	f, err := a.reportFilter(ctx, q, accountID, rq)
	if err != nil {
		return nil, err
	}
	c, err := q.BotCounts(ctx, f)
	if err != nil {
		return nil, err
	}
	m := &BotMetrics{ConversationCount: c.Conversations, MessageCount: c.Messages, Resolutions: c.Resolutions, Handoffs: c.Handoffs}
	if c.Conversations > 0 {
		m.ResolutionRate = c.Resolutions * 100 / c.Conversations
		m.HandoffRate = c.Handoffs * 100 / c.Conversations
	}
	return m, nil
}

// HandoffReport is Baton's own handoff report.
type HandoffReport struct {
	Handoffs int
	ByReason []ReasonCount // most frequent first
	// FirstReply is the time from a handoff to a person's first public
	// reply, over the handoffs that have one.
	FirstReply struct {
		Count    int
		P50, P90 time.Duration
	}
	// Waited are the handoffs whose customer waited longer than the
	// threshold for a person's reply (or still waits), by conversation.
	Threshold time.Duration
	Waited    []int64
}

// ReasonCount is how many handoffs gave a reason; "" is none.
type ReasonCount struct {
	Reason string
	Count  int
}

// maxReportFacts bounds the handoffs one report reads.
const maxReportFacts = 100000

// Handoffs computes Baton's handoff report from stored facts: handoffs by
// reason, the time from handoff to a person's first reply (p50, p90), and
// the customers who waited longer than the threshold. Administrators only.
func (a *App) Handoffs(ctx context.Context, accountID int64, rq ReportQuery) (*HandoffReport, error) {
	q := a.store.Read()
	f, err := a.reportFilter(ctx, q, accountID, rq)
	if err != nil {
		return nil, err
	}
	facts, err := q.HandoffFacts(ctx, f, maxReportFacts)
	if err != nil {
		return nil, err
	}
	r := &HandoffReport{Handoffs: len(facts), Threshold: rq.WaitThreshold, ByReason: []ReasonCount{}, Waited: []int64{}}
	if r.Threshold <= 0 {
		r.Threshold = 5 * time.Minute
	}
	now := a.Now().UnixMicro()
	reasons := map[string]int{}
	var waits []int64
	waited := map[int64]bool{}
	for _, h := range facts {
		reasons[h.Reason]++
		end := h.FirstReplyAt
		if end != 0 {
			waits = append(waits, end-h.At)
		} else {
			end = now
		}
		if time.Duration(end-h.At)*time.Microsecond > r.Threshold && !waited[h.ConversationDisplayID] {
			waited[h.ConversationDisplayID] = true
			r.Waited = append(r.Waited, h.ConversationDisplayID)
		}
	}
	for reason, n := range reasons {
		r.ByReason = append(r.ByReason, ReasonCount{Reason: reason, Count: n})
	}
	sort.Slice(r.ByReason, func(i, j int) bool {
		if r.ByReason[i].Count != r.ByReason[j].Count {
			return r.ByReason[i].Count > r.ByReason[j].Count
		}
		return r.ByReason[i].Reason < r.ByReason[j].Reason
	})
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	r.FirstReply.Count = len(waits)
	r.FirstReply.P50 = percentile(waits, 0.5)
	r.FirstReply.P90 = percentile(waits, 0.9)
	return r, nil
}

// percentile is the nearest-rank percentile of sorted microseconds.
func percentile(sorted []int64, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	if k < 0 {
		k = 0
	}
	return time.Duration(sorted[k]) * time.Microsecond
}
