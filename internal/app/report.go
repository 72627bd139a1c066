package app

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
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
	var err error
	if f.Since, f.Until, err = a.reportRange(rq.Since, rq.Until); err != nil {
		return f, err
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
	return f, nil
}

// reportRange checks a report's time range, until by default now and
// since by default a week before until, and returns it in unix
// microseconds.
func (a *App) reportRange(since, until time.Time) (int64, int64, error) {
	if until.IsZero() {
		until = a.Now()
	}
	if since.IsZero() {
		since = until.Add(-7 * 24 * time.Hour)
	}
	if !since.Before(until) {
		return 0, 0, baton.Invalid("since must be before until", "since")
	}
	if until.Sub(since) > maxReportRange {
		return 0, 0, baton.Invalid("The time range is at most a year (366 days)", "since")
	}
	return since.UnixMicro(), until.UnixMicro(), nil
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

// recordChange writes the reporting events a conversation's change
// implies, in its transaction: a resolution (the person who resolved it,
// else its assignee), a reopening, an assignment to a person.
func (a *App) recordChange(ctx context.Context, q *store.Queries, prev, c *baton.Conversation) error {
	now := a.Now()
	var inbox *baton.Inbox
	e := func(name string, user int64, start time.Time) error {
		return a.recordEvent(ctx, q, &inbox, &baton.ReportingEvent{AccountID: c.AccountID, InboxID: c.InboxID,
			ConversationID: c.ID, UserID: user, Name: name, StartedAt: start, CreatedAt: now})
	}
	switch {
	case c.Status == baton.StatusResolved && prev.Status != baton.StatusResolved:
		start, err := q.PeopleSince(ctx, c.ID, c.CreatedAt.UnixMicro())
		if err != nil {
			return err
		}
		by := c.AssigneeID
		if actor := baton.ActorFromContext(ctx); actor.Kind == baton.ActorUser {
			by = actor.User.ID
		}
		if err := e(baton.ReportResolved, by, time.UnixMicro(start)); err != nil {
			return err
		}
	case prev.Status == baton.StatusResolved && c.Status != baton.StatusResolved:
		if err := e(baton.ReportOpened, 0, now); err != nil {
			return err
		}
	}
	if c.AssigneeID != 0 && c.AssigneeID != prev.AssigneeID {
		return e(baton.ReportAssigned, c.AssigneeID, c.CreatedAt)
	}
	return nil
}

// recordReply writes the reporting event of a person's public reply, m,
// in its transaction: the conversation's first (first is set), from when
// it became people's, or one that ended the customer's wait since
// waitingSince.
func (a *App) recordReply(ctx context.Context, q *store.Queries, c *baton.Conversation, m *baton.Message, first bool, waitingSince *time.Time) error {
	e := &baton.ReportingEvent{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID, UserID: m.SenderID,
		CreatedAt: m.CreatedAt}
	switch {
	case first:
		start, err := q.PeopleSince(ctx, c.ID, c.CreatedAt.UnixMicro())
		if err != nil {
			return err
		}
		e.Name, e.StartedAt = baton.ReportFirstResponse, time.UnixMicro(start)
	case waitingSince != nil:
		e.Name, e.StartedAt = baton.ReportReplyTime, *waitingSince
	default:
		return nil
	}
	var inbox *baton.Inbox
	return a.recordEvent(ctx, q, &inbox, e)
}

// recordEvent writes a reporting event with its value in its inbox's
// working hours as they are now, reading the inbox into *inbox unless it
// was read already.
func (a *App) recordEvent(ctx context.Context, q *store.Queries, inbox **baton.Inbox, e *baton.ReportingEvent) error {
	if *inbox == nil {
		i, err := q.FindInbox(ctx, e.AccountID, e.InboxID)
		if err != nil {
			return err
		}
		*inbox = i
	}
	e.BusinessValue = (*inbox).WorkingTime(e.StartedAt, e.CreatedAt)
	return q.CreateReportingEvent(ctx, e)
}

// fillBatch bounds the reporting events one transaction of
// FillBusinessValues counts.
const fillBatch = 500

// FillBusinessValues counts the business values of the reporting events
// written before they were kept (migration 00037), with their inboxes'
// working hours as they are now, a batch a transaction, until none is
// left or ctx ends. It returns how many it counted. Processes that run it
// at once count an event once: each sets only a value still unset.
func (a *App) FillBusinessValues(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		done := 0
		err := a.store.Write(ctx, func(q *store.Queries) error {
			done = 0 // a transaction run again starts over
			events, err := q.ReportingEventsWithoutBusinessValue(ctx, fillBatch)
			if err != nil {
				return err
			}
			for _, e := range events {
				v := e.Inbox.WorkingTime(time.UnixMicro(e.StartedAt), time.UnixMicro(e.Created))
				if err := q.SetBusinessValue(ctx, e.ID, v.Microseconds()); err != nil {
					return err
				}
			}
			done = len(events)
			return nil
		})
		if err != nil {
			return n, err
		}
		n += done
		if done < fillBatch {
			break
		}
	}
	return n, nil
}

// BusinessHoursInterval is how often a process looks for reporting events
// without a business value: those the migration recorded, and those a
// process of an earlier version writes while a newer one runs beside it.
const BusinessHoursInterval = time.Minute

// BusinessHoursKeeper counts the business values of reporting events
// written without one.
type BusinessHoursKeeper struct{ periodic }

// NewBusinessHoursKeeper returns a keeper that looks at start and then
// every interval (BusinessHoursInterval when 0). Start runs it.
func (a *App) NewBusinessHoursKeeper(interval time.Duration) *BusinessHoursKeeper {
	if interval <= 0 {
		interval = BusinessHoursInterval
	}
	return &BusinessHoursKeeper{periodic{interval: interval, run: func(ctx context.Context) {
		n, err := a.FillBusinessValues(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Error("counting reporting events in business hours", "err", err)
		} else if n > 0 {
			a.log.Info("counted reporting events in business hours", "events", n)
		}
	}}}
}

// Chatwoot's account reports: the metrics of GET reports, by their wire
// names.
const (
	MetricConversations  = "conversations_count"
	MetricIncoming       = "incoming_messages_count"
	MetricOutgoing       = "outgoing_messages_count"
	MetricFirstResponse  = "avg_first_response_time"
	MetricResolutionTime = "avg_resolution_time"
	MetricResolutions    = "resolutions_count"
	MetricReplyTime      = "reply_time"
	MetricBotResolutions = "bot_resolutions_count"
	MetricBotHandoffs    = "bot_handoffs_count"
)

// metrics are what each metric measures, and whether it is an average of
// the events' values (in seconds) rather than a count.
var metrics = map[string]struct {
	measure store.Measure
	average bool
}{
	MetricConversations:  {measure: store.Measure{Kind: store.CountConversations}},
	MetricIncoming:       {measure: store.Measure{Kind: store.CountMessages, MessageType: baton.MessageIncoming}},
	MetricOutgoing:       {measure: store.Measure{Kind: store.CountMessages, MessageType: baton.MessageOutgoing}},
	MetricFirstResponse:  {measure: store.Measure{Kind: store.CountEvents, Event: baton.ReportFirstResponse}, average: true},
	MetricResolutionTime: {measure: store.Measure{Kind: store.CountEvents, Event: baton.ReportResolved}, average: true},
	MetricResolutions:    {measure: store.Measure{Kind: store.CountEvents, Event: baton.ReportResolved}},
	MetricReplyTime:      {measure: store.Measure{Kind: store.CountEvents, Event: baton.ReportReplyTime}, average: true},
	MetricBotResolutions: {measure: store.Measure{Kind: store.CountBotResolutions}},
	MetricBotHandoffs:    {measure: store.Measure{Kind: store.CountBotHandoffs, Distinct: true}},
}

// metricNames lists the metrics for an error message.
const metricNames = "conversations_count, incoming_messages_count, outgoing_messages_count, avg_first_response_time, " +
	"avg_resolution_time, resolutions_count, reply_time, bot_resolutions_count or bot_handoffs_count"

// AccountReportQuery selects what Chatwoot's account reports are of: the
// account, or one person, inbox, team or label of it, and a time range,
// grouped into periods of a zone.
type AccountReportQuery struct {
	// Type is account, agent (a person of the account), inbox, team or
	// label; ID names the agent, inbox or team by its id, the label by
	// its name.
	Type string
	ID   string
	// Since and Until bound the range (default the week before now, at
	// most a year).
	Since, Until time.Time
	// GroupBy is hour, day (default), week (from Monday), month or year.
	GroupBy string
	// Offset is the zone's offset east of UTC that periods begin in.
	Offset time.Duration
	// BusinessHours counts the times (first response, resolution and
	// reply) only within the working hours of each conversation's inbox,
	// as they were when each was recorded.
	BusinessHours bool
}

// ReportPoint is one period of a report series.
type ReportPoint struct {
	Start time.Time // the period's beginning in the query's zone
	// Value is the period's count, or the average of its events' values
	// in seconds (0 without any).
	Value float64
	Count int64 // the events averaged, or the count
}

// maxOffset bounds a report zone's offset from UTC, as the zones of the
// world are.
const maxOffset = 14 * time.Hour

// accountReportFilter checks the caller administers the account and the
// query is sound, and returns the store's filter: an agent must be a
// member of the account, an inbox or team must be the account's (else
// not found).
func (a *App) accountReportFilter(ctx context.Context, q *store.Queries, accountID int64, rq AccountReportQuery) (store.ReportFilter, error) {
	f := store.ReportFilter{AccountID: accountID, BusinessHours: rq.BusinessHours}
	if err := a.adminOf(ctx, q, accountID); err != nil {
		return f, err
	}
	var err error
	if f.Since, f.Until, err = a.reportRange(rq.Since, rq.Until); err != nil {
		return f, err
	}
	if rq.Offset < -maxOffset || rq.Offset > maxOffset {
		return f, baton.Invalid("timezone_offset must be between -14 and 14 hours", "timezone_offset")
	}
	switch rq.GroupBy {
	case "", "hour", "day", "week", "month", "year":
	default:
		return f, baton.Invalid("group_by must be hour, day, week, month or year", "group_by")
	}
	id := strings.TrimSpace(rq.ID)
	var n int64
	switch rq.Type {
	case "account":
		return f, nil
	case "agent", "inbox", "team":
		if n, err = strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
			return f, baton.Invalid("id must be the "+rq.Type+"'s id", "id")
		}
	case "label":
		if id == "" || len(id) > maxLabelLength {
			return f, baton.Invalid("id must be the label's name", "id")
		}
		f.Label = strings.ToLower(id)
		return f, nil
	default:
		return f, baton.Invalid("type must be account, agent, inbox, team or label", "type")
	}
	switch rq.Type {
	case "agent":
		_, err = q.FindAccountUser(ctx, accountID, n)
		f.UserID = n
	case "inbox":
		_, err = q.FindInbox(ctx, accountID, n)
		f.InboxID = n
	case "team":
		_, err = q.FindTeam(ctx, accountID, n)
		f.TeamID = n
	}
	return f, err
}

// ReportSeries is Chatwoot's report of one metric over time: the metric
// in each period of the range, oldest first, every period there. It
// reports whether the metric is an average. Administrators only.
func (a *App) ReportSeries(ctx context.Context, accountID int64, metric string, rq AccountReportQuery) ([]ReportPoint, bool, error) {
	m, ok := metrics[metric]
	if !ok {
		return nil, false, baton.Invalid("metric must be "+metricNames, "metric")
	}
	q := a.store.Read()
	f, err := a.accountReportFilter(ctx, q, accountID, rq)
	if err != nil {
		return nil, false, err
	}
	buckets, err := q.ReportSeries(ctx, f, m.measure, rq.Offset.Microseconds())
	if err != nil {
		return nil, false, err
	}
	zone := time.FixedZone("", int(rq.Offset.Seconds()))
	group := cmp.Or(rq.GroupBy, "day")
	var points []ReportPoint
	at := map[time.Time]int{}
	until := time.UnixMicro(f.Until)
	for p := periodStart(time.UnixMicro(f.Since).In(zone), group); p.Before(until); p = nextPeriod(p, group) {
		at[p] = len(points)
		points = append(points, ReportPoint{Start: p})
	}
	sums := make([]int64, len(points))
	for _, b := range buckets {
		// The bucket's hour as the zone's wall clock shows it.
		local := time.UnixMicro(b.Hour * int64(time.Hour/time.Microsecond)).UTC()
		p := periodStart(time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), 0, 0, 0, zone), group)
		if i, ok := at[p]; ok {
			points[i].Count += b.Count
			sums[i] += b.Sum
		}
	}
	for i := range points {
		points[i].Value = float64(points[i].Count)
		if m.average {
			points[i].Value = averageSeconds(sums[i], points[i].Count)
		}
	}
	return points, m.average, nil
}

// periodStart is the beginning of the period of group that t is in, in
// t's zone.
func periodStart(t time.Time, group string) time.Time {
	y, mo, d := t.Date()
	switch group {
	case "hour":
		return time.Date(y, mo, d, t.Hour(), 0, 0, 0, t.Location())
	case "week":
		return time.Date(y, mo, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, t.Location())
	case "month":
		return time.Date(y, mo, 1, 0, 0, 0, 0, t.Location())
	case "year":
		return time.Date(y, 1, 1, 0, 0, 0, 0, t.Location())
	}
	return time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
}

// nextPeriod is the beginning of the period after the one that begins at p.
func nextPeriod(p time.Time, group string) time.Time {
	switch group {
	case "hour":
		return p.Add(time.Hour)
	case "week":
		return p.AddDate(0, 0, 7)
	case "month":
		return p.AddDate(0, 1, 0)
	case "year":
		return p.AddDate(1, 0, 0)
	}
	return p.AddDate(0, 0, 1)
}

// averageSeconds is the average of n values that sum to sum microseconds,
// in seconds; 0 for none.
func averageSeconds(sum, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n) / 1e6
}

// ReportSummary is Chatwoot's report summary: the counts of a range and
// the averages of its events in seconds, nil with none to average.
type ReportSummary struct {
	Conversations    int64
	Incoming         int64
	Outgoing         int64
	Resolutions      int64
	AvgFirstResponse *float64
	AvgResolution    *float64
	AvgReply         *float64
	FirstResponses   int64 // the first responses averaged
}

// summaryMeasures are what a summary counts, in the order summarize reads
// them.
var summaryMeasures = []store.Measure{
	metrics[MetricConversations].measure,
	metrics[MetricIncoming].measure,
	metrics[MetricOutgoing].measure,
	metrics[MetricFirstResponse].measure,
	metrics[MetricResolutions].measure,
	metrics[MetricReplyTime].measure,
}

// summarize reads the totals of summaryMeasures.
func summarize(totals []store.ReportTotal) *ReportSummary {
	var got [6]store.ReportTotal
	for _, t := range totals {
		got[t.Measure] = t
	}
	avg := func(t store.ReportTotal) *float64 {
		if t.Count == 0 {
			return nil
		}
		v := averageSeconds(t.Sum, t.Count)
		return &v
	}
	return &ReportSummary{Conversations: got[0].Count, Incoming: got[1].Count, Outgoing: got[2].Count,
		FirstResponses: got[3].Count, AvgFirstResponse: avg(got[3]), Resolutions: got[4].Count,
		AvgResolution: avg(got[4]), AvgReply: avg(got[5])}
}

// ReportSummary is Chatwoot's report summary of a range (its grouping and
// zone play no part) and of the range of the same length before it, each
// read in one statement. Administrators only.
func (a *App) ReportSummary(ctx context.Context, accountID int64, rq AccountReportQuery) (current, previous *ReportSummary, err error) {
	q := a.store.Read()
	f, err := a.accountReportFilter(ctx, q, accountID, rq)
	if err != nil {
		return nil, nil, err
	}
	totals, err := q.ReportTotals(ctx, f, summaryMeasures, store.GroupNone)
	if err != nil {
		return nil, nil, err
	}
	before := f
	before.Since, before.Until = f.Since-(f.Until-f.Since), f.Since
	earlier, err := q.ReportTotals(ctx, before, summaryMeasures, store.GroupNone)
	if err != nil {
		return nil, nil, err
	}
	return summarize(totals), summarize(earlier), nil
}

// PersonReport is what one person did in a range.
type PersonReport struct {
	Member *baton.AccountUser // with its user
	// Assigned is the conversations given to them (or that they took).
	Assigned int64
	// Replies is their public replies: private notes left out.
	Replies int64
	// FirstResponses is the conversations whose first reply was theirs,
	// AvgFirstResponse the average time to it.
	FirstResponses   int64
	AvgFirstResponse time.Duration
	// Resolutions is the conversations they resolved (or that were
	// resolved while theirs), AvgResolution the average time to it.
	Resolutions   int64
	AvgResolution time.Duration
}

// PeopleReport is the people report of a range: each member of the
// account, by name, and the account's summary.
type PeopleReport struct {
	Since, Until time.Time
	People       []PersonReport
	Account      *ReportSummary
}

// peopleMeasures are what the people report counts by person, in the
// order PeopleReport reads them.
var peopleMeasures = []store.Measure{
	{Kind: store.CountEvents, Event: baton.ReportAssigned, Distinct: true},
	{Kind: store.CountMessages, MessageType: baton.MessageOutgoing, Public: true},
	metrics[MetricFirstResponse].measure,
	metrics[MetricResolutions].measure,
}

// PeopleReport reports what each member of the account did in the range
// [since, until) and the account's summary, in three statements whatever
// the number of people. Administrators only.
func (a *App) PeopleReport(ctx context.Context, accountID int64, since, until time.Time) (*PeopleReport, error) {
	q := a.store.Read()
	f, err := a.accountReportFilter(ctx, q, accountID, AccountReportQuery{Type: "account", Since: since, Until: until})
	if err != nil {
		return nil, err
	}
	members, err := q.ListAccountUsers(ctx, accountID)
	if err != nil {
		return nil, err
	}
	totals, err := q.ReportTotals(ctx, f, peopleMeasures, store.GroupPerson)
	if err != nil {
		return nil, err
	}
	account, err := q.ReportTotals(ctx, f, summaryMeasures, store.GroupNone)
	if err != nil {
		return nil, err
	}
	r := &PeopleReport{Since: time.UnixMicro(f.Since).UTC(), Until: time.UnixMicro(f.Until).UTC(),
		Account: summarize(account), People: make([]PersonReport, len(members))}
	row := map[int64]*PersonReport{}
	for i, m := range members {
		r.People[i].Member = m
		row[m.UserID] = &r.People[i]
	}
	avg := func(t store.ReportTotal) time.Duration {
		return time.Duration(t.Sum/t.Count) * time.Microsecond
	}
	for _, t := range totals {
		p := row[t.ID]
		if p == nil {
			continue // no longer a member
		}
		switch t.Measure {
		case 0:
			p.Assigned = t.Count
		case 1:
			p.Replies = t.Count
		case 2:
			p.FirstResponses, p.AvgFirstResponse = t.Count, avg(t)
		case 3:
			p.Resolutions, p.AvgResolution = t.Count, avg(t)
		}
	}
	slices.SortStableFunc(r.People, func(x, y PersonReport) int {
		return cmp.Or(strings.Compare(strings.ToLower(x.Member.User.AvailableName()), strings.ToLower(y.Member.User.AvailableName())),
			cmp.Compare(x.Member.UserID, y.Member.UserID))
	})
	return r, nil
}

// SummaryRow is one agent's, inbox's, team's or label's summary of a
// range, as Chatwoot's report downloads show it: its averages in seconds,
// nil with nothing to average.
type SummaryRow struct {
	ID    int64  // the agent's user id, the inbox's or the team's; 0 for a label
	Name  string // the agent's name, the inbox's, the team's, or the label
	Inbox *baton.Inbox
	// Conversations are those created in the range: assigned to the agent
	// now, of the inbox, of the team now, with the label now.
	Conversations    int64
	Resolutions      int64
	AvgFirstResponse *float64
	AvgResolution    *float64
	AvgReply         *float64
}

// Summary groups: what ReportSummaries reports by.
const (
	SummaryByAgent = "agent"
	SummaryByInbox = "inbox"
	SummaryByTeam  = "team"
	SummaryByLabel = "label"
)

// summaryRowMeasures are what a summary row counts, in the order
// ReportSummaries reads them.
var summaryRowMeasures = []store.Measure{
	metrics[MetricConversations].measure,
	metrics[MetricFirstResponse].measure,
	metrics[MetricResolutionTime].measure,
	metrics[MetricReplyTime].measure,
}

// Summaries are the summaries of a range, a row an agent, inbox, team or
// label.
type Summaries struct {
	Since, Until time.Time // the range, defaults applied
	Rows         []SummaryRow
}

// ReportSummaries is the summary of the range of each agent of the
// account (by user id), each inbox (by id), each team (by id), every
// one even with nothing, or each label that something of the range has
// (by name: labels are not kept apart from conversations), at most
// MaxLabels of them, those of the most conversations, in one statement.
// rq's type, id, grouping and zone play no part. Administrators only.
func (a *App) ReportSummaries(ctx context.Context, accountID int64, by string, rq AccountReportQuery) (*Summaries, error) {
	groups := map[string]store.ReportGroup{SummaryByAgent: store.GroupPerson, SummaryByInbox: store.GroupInbox,
		SummaryByTeam: store.GroupTeam, SummaryByLabel: store.GroupLabel}
	g, ok := groups[by]
	if !ok {
		return nil, baton.Invalid("A summary is by agent, inbox, team or label", "type")
	}
	rq.Type, rq.ID, rq.GroupBy, rq.Offset = "account", "", "", 0
	q := a.store.Read()
	f, err := a.accountReportFilter(ctx, q, accountID, rq)
	if err != nil {
		return nil, err
	}
	var rows []SummaryRow
	switch g {
	case store.GroupPerson:
		members, err := q.ListAccountUsers(ctx, accountID)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			rows = append(rows, SummaryRow{ID: m.UserID, Name: m.User.Name})
		}
	case store.GroupInbox:
		inboxes, err := q.ListInboxes(ctx, accountID, 0)
		if err != nil {
			return nil, err
		}
		for _, i := range inboxes {
			rows = append(rows, SummaryRow{ID: i.ID, Name: i.Name, Inbox: i})
		}
	case store.GroupTeam:
		teams, err := q.ListTeams(ctx, accountID)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(teams, func(x, y *baton.Team) int { return cmp.Compare(x.ID, y.ID) })
		for _, t := range teams {
			rows = append(rows, SummaryRow{ID: t.ID, Name: t.Name})
		}
	}
	totals, err := q.ReportTotals(ctx, f, summaryRowMeasures, g)
	if err != nil {
		return nil, err
	}
	at := map[int64]int{}
	for i, r := range rows {
		at[r.ID] = i
	}
	labels := map[string]int{}
	for _, t := range totals {
		i, ok := at[t.ID]
		if g == store.GroupLabel {
			if i, ok = labels[t.Label]; !ok {
				i, ok = len(rows), true
				labels[t.Label] = i
				rows = append(rows, SummaryRow{Name: t.Label})
			}
		}
		if !ok {
			continue // no longer a member, an inbox or a team of the account
		}
		r := &rows[i]
		avg := averageOrNil(t)
		switch t.Measure {
		case 0:
			r.Conversations = t.Count
		case 1:
			r.AvgFirstResponse = avg
		case 2:
			r.Resolutions, r.AvgResolution = t.Count, avg
		case 3:
			r.AvgReply = avg
		}
	}
	if g == store.GroupLabel && len(rows) > MaxLabels {
		// Widget visitors may put labels on their conversations (up to
		// maxConversationLabels each), so the labels of a range have no
		// bound of the account's making: the download keeps the most used.
		slices.SortFunc(rows, func(x, y SummaryRow) int {
			return cmp.Or(cmp.Compare(y.Conversations, x.Conversations), cmp.Compare(y.Resolutions, x.Resolutions),
				strings.Compare(x.Name, y.Name))
		})
		rows = rows[:MaxLabels]
	}
	if g == store.GroupLabel {
		slices.SortFunc(rows, func(x, y SummaryRow) int { return strings.Compare(x.Name, y.Name) })
	}
	return &Summaries{Since: time.UnixMicro(f.Since).UTC(), Until: time.UnixMicro(f.Until).UTC(), Rows: rows}, nil
}

// averageOrNil is a total's average in seconds, nil without any.
func averageOrNil(t store.ReportTotal) *float64 {
	if t.Count == 0 {
		return nil
	}
	v := averageSeconds(t.Sum, t.Count)
	return &v
}

// AccountConversations are Chatwoot's live conversation metrics of an
// account: its conversations now.
type AccountConversations struct {
	Open       int64 // open
	Unattended int64 // open, and no person has answered yet or the customer waits for a reply
	Unassigned int64 // open and nobody's
	Pending    int64 // the bots'
}

// ConversationMetrics counts the account's conversations as they are now,
// as Chatwoot's reports/conversations of type account. Administrators only.
func (a *App) ConversationMetrics(ctx context.Context, accountID int64) (*AccountConversations, error) {
	q := a.store.Read()
	if err := a.adminOf(ctx, q, accountID); err != nil {
		return nil, err
	}
	counts, err := q.OpenCounts(ctx, accountID, false)
	if err != nil {
		return nil, err
	}
	var c store.OpenCount
	if len(counts) > 0 {
		c = counts[0]
	}
	return &AccountConversations{Open: c.Open, Unattended: c.Unattended, Unassigned: c.Unassigned, Pending: c.Pending}, nil
}

// AgentConversations are one member's open conversations now.
type AgentConversations struct {
	Member     *baton.AccountUser // with its user and presence
	Open       int64
	Unattended int64
}

// AgentsPerPage is how many members a page of AgentConversationMetrics
// holds, Chatwoot's.
const AgentsPerPage = 25

// AgentConversationMetrics counts each member's open conversations now, as
// Chatwoot's reports/conversations of type agent: a page (from 1) of the
// account's members by user id, AgentsPerPage a page, the most open
// first; with userID, that member alone (another is not found).
// Administrators only.
func (a *App) AgentConversationMetrics(ctx context.Context, accountID, userID int64, page int) ([]AgentConversations, error) {
	q := a.store.Read()
	if err := a.adminOf(ctx, q, accountID); err != nil {
		return nil, err
	}
	if page < 1 {
		return nil, baton.Invalid("page must be 1 or more", "page")
	}
	members, err := q.ListAccountUsers(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if userID != 0 {
		i := slices.IndexFunc(members, func(m *baton.AccountUser) bool { return m.UserID == userID })
		if i < 0 {
			return nil, baton.ErrNotFound
		}
		members, page = members[i:i+1], 1
	}
	if page-1 > len(members)/AgentsPerPage {
		members = nil // past the last page
	} else {
		first := (page - 1) * AgentsPerPage
		members = members[first:min(first+AgentsPerPage, len(members))]
	}
	if err := a.withPresence(ctx, q, members); err != nil {
		return nil, err
	}
	counts, err := q.OpenCounts(ctx, accountID, true)
	if err != nil {
		return nil, err
	}
	of := map[int64]store.OpenCount{}
	for _, c := range counts {
		of[c.AssigneeID] = c
	}
	out := make([]AgentConversations, len(members))
	for i, m := range members {
		out[i] = AgentConversations{Member: m, Open: of[m.UserID].Open, Unattended: of[m.UserID].Unattended}
	}
	slices.SortStableFunc(out, func(x, y AgentConversations) int { return cmp.Compare(y.Open, x.Open) })
	return out, nil
}
