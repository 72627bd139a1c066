package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/batonhq/baton"
)

// ReportFilter selects the facts of a report: an account, a time range
// [Since, Until) in unix microseconds, and optionally one inbox or one bot;
// for the account reports (ReportSeries, ReportTotals) also one person,
// one team or one label.
type ReportFilter struct {
	AccountID    int64
	Since, Until int64
	InboxID      int64
	AgentBotID   int64
	UserID       int64  // the person's conversations, messages and reporting events
	TeamID       int64  // the conversations of the team now, and their messages and events
	Label        string // the conversations with the label now, and their messages and events
	// BusinessHours counts the events' values within their inbox's
	// working hours (baton.ReportingEvent.BusinessValue) instead of
	// calendar time.
	BusinessHours bool

	labelPattern string // Label's LIKE pattern on this database (see Queries.labelPattern)
}

// where returns the filter's conditions on a table with inbox_id (alias a)
// and the bot column botColumn, "" when the table has none, with the
// arguments after the first three ($1 account, $2 since, $3 until).
func (f ReportFilter) where(alias, botColumn string) (string, []any) {
	args := []any{f.AccountID, f.Since, f.Until}
	w := ""
	if f.InboxID != 0 {
		args = append(args, f.InboxID)
		w += ` AND ` + alias + `.inbox_id = $` + itoa(len(args))
	}
	if f.AgentBotID != 0 && botColumn != "" {
		args = append(args, f.AgentBotID)
		w += ` AND ` + botColumn + ` = $` + itoa(len(args))
	}
	return w, args
}

// BotCounts are the counts of Chatwoot's bot reports.
type BotCounts struct {
	Conversations int // created in the range in inboxes with an active bot (the bot's, with AgentBotID)
	Messages      int // outgoing messages in those conversations in the range (the bot's own, with AgentBotID)
	Resolutions   int // conversations resolved while their bot had them
	Handoffs      int // conversations handed from their bot to people
}

// BotCounts counts what Chatwoot's bot reports show.
func (q *Queries) BotCounts(ctx context.Context, f ReportFilter) (BotCounts, error) {
	var out BotCounts
	// The bot's inboxes: those where it (or, without a bot, any bot) is
	// active now, as Chatwoot counts them.
	inboxCond := `EXISTS (SELECT 1 FROM agent_bot_inboxes l WHERE l.inbox_id = v.inbox_id AND l.status = 0`
	w, args := f.where("v", "")
	if f.AgentBotID != 0 {
		args = append(args, f.AgentBotID)
		inboxCond += ` AND l.agent_bot_id = $` + itoa(len(args))
	}
	inboxCond += `)`
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations v WHERE v.account_id = $1
		AND v.created_at >= $2 AND v.created_at < $3 AND `+inboxCond+w, args...).Scan(&out.Conversations)
	if err != nil {
		return out, q.formatError(err, "report")
	}
	sender := ""
	if f.AgentBotID != 0 {
		sender = ` AND m.sender_type = 'AgentBot' AND m.sender_id = $` + itoa(len(args))
	}
	err = q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id
		WHERE m.account_id = $1 AND m.message_type = 1 AND m.created_at >= $2 AND m.created_at < $3
		AND v.created_at >= $2 AND v.created_at < $3 AND `+inboxCond+w+sender, args...).Scan(&out.Messages)
	if err != nil {
		return out, q.formatError(err, "report")
	}
	w, args = f.where("r", "r.agent_bot_id")
	err = q.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT r.conversation_id) FROM bot_resolutions r
		WHERE r.account_id = $1 AND r.created_at >= $2 AND r.created_at < $3`+w, args...).Scan(&out.Resolutions)
	if err != nil {
		return out, q.formatError(err, "report")
	}
	w, args = f.where("h", "h.agent_bot_id")
	err = q.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT h.conversation_id) FROM handoffs h
		WHERE h.account_id = $1 AND h.created_at >= $2 AND h.created_at < $3 AND h.agent_bot_id IS NOT NULL`+w,
		args...).Scan(&out.Handoffs)
	return out, q.formatError(err, "report")
}

// HandoffFact is one handoff as the handoff report reads it.
type HandoffFact struct {
	ConversationDisplayID int64
	Reason                string
	At                    int64 // unix microseconds
	FirstReplyAt          int64 // 0 when no person has replied yet
}

// HandoffFacts returns the handoffs of the range, oldest first, at most
// limit.
func (q *Queries) HandoffFacts(ctx context.Context, f ReportFilter, limit int) ([]HandoffFact, error) {
	w, args := f.where("h", "h.agent_bot_id")
	return queryAll(ctx, q, "report", `SELECT v.display_id, h.reason, h.created_at, h.first_reply_at
		FROM handoffs h JOIN conversations v ON v.id = h.conversation_id
		WHERE h.account_id = $1 AND h.created_at >= $2 AND h.created_at < $3`+w+`
		ORDER BY h.created_at, h.id LIMIT `+itoa(limit), scanHandoffFact, args...)
}

// scanHandoffFact reads a row of HandoffFacts.
func scanHandoffFact(row rowScanner) (HandoffFact, error) {
	var h HandoffFact
	var reply sql.NullInt64
	err := row.Scan(&h.ConversationDisplayID, &h.Reason, &h.At, &reply)
	h.FirstReplyAt = reply.Int64
	return h, err
}

// CreateReportingEvent records a fact of the reports.
func (q *Queries) CreateReportingEvent(ctx context.Context, e *baton.ReportingEvent) error {
	id, err := q.insert(ctx, `INSERT INTO reporting_events (account_id, inbox_id, conversation_id, user_id, name,
		started_at, created_at, business_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.AccountID, e.InboxID,
		e.ConversationID, nullInt(e.UserID), e.Name, toMicros(e.StartedAt), toMicros(e.CreatedAt),
		e.BusinessValue.Microseconds())
	e.ID = id
	return q.formatError(err, "reporting event")
}

// PeopleSince returns when the conversation last became people's to
// answer, in unix microseconds: its latest handoff or reopening
// (baton.ReportOpened), or created, its creation, when it has neither.
func (q *Queries) PeopleSince(ctx context.Context, conversationID, created int64) (int64, error) {
	var at sql.NullInt64
	err := q.db.QueryRowContext(ctx, `SELECT MAX(t) FROM (
		SELECT MAX(h.created_at) AS t FROM handoffs h WHERE h.conversation_id = $1
		UNION ALL SELECT MAX(e.created_at) FROM reporting_events e WHERE e.conversation_id = $1 AND e.name = $2) x`,
		conversationID, baton.ReportOpened).Scan(&at)
	return max(at.Int64, created), q.formatError(err, "reporting event")
}

// MeasureKind is what a Measure counts.
type MeasureKind int

// What a Measure counts.
const (
	// CountConversations counts conversations created; a person's are
	// those assigned to them.
	CountConversations MeasureKind = iota
	// CountMessages counts messages of a type; a person's are those
	// they sent.
	CountMessages
	// CountEvents counts reporting events of a name, and sums their
	// values.
	CountEvents
	// CountBotResolutions counts conversations resolved while their bot
	// had them; nobody's a person's.
	CountBotResolutions
	// CountBotHandoffs counts conversations handed from their bot to
	// people; nobody's a person's.
	CountBotHandoffs
)

// Measure is one thing a report counts in a ReportFilter's range.
type Measure struct {
	Kind        MeasureKind
	MessageType baton.MessageType // CountMessages
	Public      bool              // CountMessages: private notes left out
	Event       string            // CountEvents: the baton.Report* name
	// Distinct counts conversations instead of rows (a conversation
	// handed over twice counts once); ReportSeries counts them once an
	// hour.
	Distinct bool

	senderType string // the parameter of a sender type the messages must have
}

// ReportGroup is what ReportTotals counts by.
type ReportGroup int

// What ReportTotals counts by.
const (
	// GroupNone counts the range's totals, one a measure.
	GroupNone ReportGroup = iota
	// GroupPerson counts by person: a message's sender, a
	// conversation's assignee, an event's person.
	GroupPerson
	// GroupInbox counts by inbox.
	GroupInbox
	// GroupTeam counts by the team of the conversation now.
	GroupTeam
	// GroupLabel counts by each label the conversation has now: a
	// conversation with two labels counts for both.
	GroupLabel
)

// reportSQL is a measure as SQL: the rows it counts (from, where, with
// the arguments args), each row's time, value and group.
type reportSQL struct {
	from, where string
	time        string // the row's time column
	value       string // its value in microseconds, "0" for none
	count       string // COUNT(*), or of distinct conversations
	user        string // the column of its person, "" for none
	group       string // the column of its group (see ReportGroup), "" for none
}

// measure turns m into SQL under f, counted by g, adding its arguments to
// args, which hold the account, since and until already ($1, $2, $3).
// labels is this database's table of a conversation's labels (see
// Queries.labelsOf).
func (f ReportFilter) measure(m Measure, args *[]any, g ReportGroup, labels string) reportSQL {
	arg := func(v any) string {
		*args = append(*args, v)
		return "$" + itoa(len(*args))
	}
	var r reportSQL
	alias := ""
	var conds []string
	switch m.Kind {
	case CountConversations:
		alias, r.from, r.user = "v", "conversations v", "v.assignee_id"
	case CountMessages:
		alias, r.from, r.user = "m", "messages m", "m.sender_id"
		conds = append(conds, "m.message_type = "+arg(int(m.MessageType)))
		if m.Public {
			conds = append(conds, "NOT m.private")
		}
		switch {
		case m.senderType != "":
			conds = append(conds, "m.sender_type = "+m.senderType)
		case f.UserID != 0:
			conds = append(conds, "m.sender_type = "+arg(baton.SenderUser))
		}
	case CountEvents:
		alias, r.from, r.user, r.value = "e", "reporting_events e", "e.user_id", "e.created_at - e.started_at"
		if f.BusinessHours {
			// An event the migration recorded has its value in working
			// hours once app.FillBusinessValues reached it; until then
			// its calendar value stands in.
			r.value = "COALESCE(e.business_value, e.created_at - e.started_at)"
		}
		conds = append(conds, "e.name = "+arg(m.Event))
	case CountBotResolutions:
		alias, r.from = "r", "bot_resolutions r"
		if f.AgentBotID != 0 {
			conds = append(conds, "r.agent_bot_id = "+arg(f.AgentBotID))
		}
	case CountBotHandoffs:
		alias, r.from = "h", "handoffs h"
		conds = append(conds, "h.agent_bot_id IS NOT NULL")
		if f.AgentBotID != 0 {
			conds = append(conds, "h.agent_bot_id = "+arg(f.AgentBotID))
		}
	}
	r.time = alias + ".created_at"
	if r.value == "" {
		r.value = "0"
	}
	r.count = "COUNT(*)"
	if m.Distinct && m.Kind != CountConversations {
		r.count = "COUNT(DISTINCT " + alias + ".conversation_id)"
	}
	r.where = alias + ".account_id = $1 AND " + r.time + " >= $2 AND " + r.time + " < $3"
	if f.InboxID != 0 {
		conds = append(conds, alias+".inbox_id = "+arg(f.InboxID))
	}
	if f.UserID != 0 {
		if r.user == "" {
			conds = append(conds, "1 = 0") // nothing of a bot's is a person's
		} else {
			conds = append(conds, r.user+" = "+arg(f.UserID))
		}
	}
	// The conversation of a message or an event, for its team or labels.
	if alias != "v" && (f.TeamID != 0 || g == GroupTeam || g == GroupLabel) {
		r.from += " JOIN conversations v ON v.id = " + alias + ".conversation_id AND v.account_id = $1"
	}
	if f.TeamID != 0 {
		conds = append(conds, "v.team_id = "+arg(f.TeamID))
	}
	if f.Label != "" {
		if alias == "v" {
			// The range's conversations, found by their index, are few
			// enough to look at each one's labels.
			conds = append(conds, `CAST(v.labels AS TEXT) LIKE `+arg(f.labelPattern)+` ESCAPE '\'`)
		} else {
			r.from += " JOIN labelled ON labelled.id = " + alias + ".conversation_id"
		}
	}
	switch g {
	case GroupPerson:
		r.group = r.user
	case GroupInbox:
		r.group = alias + ".inbox_id"
	case GroupTeam:
		r.group = "v.team_id"
	case GroupLabel:
		r.from += ", " + labels
		r.group = "lb.value"
	}
	for _, c := range conds {
		r.where += " AND " + c
	}
	return r
}

// labelsOf is this database's table of the labels of the conversation v,
// one row a label in its column value, as a FROM item after v.
func (q *Queries) labelsOf() string {
	if q.d.Name() == "postgres" {
		return "jsonb_array_elements_text(v.labels) AS lb(value)"
	}
	return "json_each(v.labels) AS lb"
}

// labelPattern is the LIKE pattern of a label in a conversation's labels
// as the database writes them out as text: the label as a JSON string,
// written as this database writes one. SQLite keeps the text the store
// wrote (jsonStrings: Go's JSON, which escapes &, < and >); PostgreSQL
// writes jsonb's text anew, escaping only quotes, backslashes and control
// characters (its escape_json). A pattern of the bare label missed every
// label with a character either escapes.
func (q *Queries) labelPattern(label string) string {
	if q.d.Name() != "postgres" {
		b, _ := json.Marshal(label)
		return "%" + escapeLike(string(b)) + "%"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range label {
		switch r {
		case '"', '\\':
			b.WriteString(`\` + string(r))
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return "%" + escapeLike(b.String()) + "%"
}

// withLabel is f with its label's pattern on this database.
func (q *Queries) withLabel(f ReportFilter) ReportFilter {
	if f.Label != "" {
		f.labelPattern = q.labelPattern(f.Label)
	}
	return f
}

// with returns the WITH clause the measures under f read, adding its
// arguments to args: with a label, the account's conversations that have
// it (labelled), found once for all the measures of a statement rather
// than in each (on PostgreSQL each measure read the account's
// conversations again, and turned each one's labels into text).
func (f ReportFilter) with(args *[]any) string {
	if f.Label == "" {
		return ""
	}
	*args = append(*args, f.labelPattern)
	return `WITH labelled AS (SELECT v.id FROM conversations v WHERE v.account_id = $1
		AND CAST(v.labels AS TEXT) LIKE $` + itoa(len(*args)) + ` ESCAPE '\') `
}

// ReportBucket is what a measure counted in one hour: the hour, numbered
// from the epoch in the report's zone, how many, and the sum of their
// values (microseconds).
type ReportBucket struct {
	Hour  int64
	Count int64
	Sum   int64
}

// hour is the length of a ReportBucket in microseconds.
const hour = 3600 * 1000 * 1000

// ReportSeries counts the measure in f's range by the hour of a zone
// offset microseconds east of UTC (ReportBucket.Hour), oldest first,
// leaving out hours with nothing. A year has 8,784 hours at most.
func (q *Queries) ReportSeries(ctx context.Context, f ReportFilter, m Measure, offset int64) ([]ReportBucket, error) {
	f = q.withLabel(f)
	args := []any{f.AccountID, f.Since, f.Until, offset}
	with := f.with(&args)
	r := f.measure(m, &args, GroupNone, "")
	return queryAll(ctx, q, "report", with+`SELECT (`+r.time+` + $4) / `+itoa(hour)+`, `+r.count+`,
		CAST(COALESCE(SUM(`+r.value+`), 0) AS BIGINT) FROM `+r.from+` WHERE `+r.where+` GROUP BY 1 ORDER BY 1`,
		func(row rowScanner) (ReportBucket, error) {
			var b ReportBucket
			err := row.Scan(&b.Hour, &b.Count, &b.Sum)
			return b, err
		}, args...)
}

// ReportTotal is what the measure numbered Measure (in the list given to
// ReportTotals) counted for one group (see ReportGroup): how many, and the
// sum of their values (microseconds).
type ReportTotal struct {
	Measure int
	// ID is the person, inbox or team counted for; 0 for the range's
	// totals and by label.
	ID int64
	// Label is the label counted for.
	Label string
	Count int64
	Sum   int64
}

// ReportTotals counts each measure in f's range, in one statement: one
// total a measure, or by g one a group and measure (what is in no group,
// as nobody's by person, and measures of no such group left out, and a
// group with nothing counted has no total).
//
// The totals of the range are one row of aggregates joined, not a UNION
// of them: PostgreSQL runs the branches of a UNION in parallel workers
// when their cost adds up, and starting them took longer than the
// statement's work (measured: 20-35 ms, against 6 ms alone).
func (q *Queries) ReportTotals(ctx context.Context, f ReportFilter, ms []Measure, g ReportGroup) ([]ReportTotal, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	f = q.withLabel(f)
	args := []any{f.AccountID, f.Since, f.Until}
	with := f.with(&args)
	if g == GroupNone {
		parts := make([]string, len(ms))
		for i, m := range ms {
			r := f.measure(m, &args, g, "")
			parts[i] = `(SELECT ` + r.count + `, CAST(COALESCE(SUM(` + r.value + `), 0) AS BIGINT) FROM ` + r.from +
				` WHERE ` + r.where + `) a` + itoa(i)
		}
		out := make([]ReportTotal, len(ms))
		dest := make([]any, 0, 2*len(ms))
		for i := range out {
			out[i].Measure = i
			dest = append(dest, &out[i].Count, &out[i].Sum)
		}
		err := q.db.QueryRowContext(ctx, with+`SELECT * FROM `+strings.Join(parts, " CROSS JOIN "), args...).Scan(dest...)
		return out, q.formatError(err, "report")
	}
	parts := make([]string, 0, len(ms))
	for i, m := range ms {
		if m.Kind == CountMessages && g == GroupPerson {
			// Only people's messages: a contact's or a bot's sender id
			// is no user's.
			args = append(args, baton.SenderUser)
			m.senderType = "$" + itoa(len(args))
		}
		r := f.measure(m, &args, g, q.labelsOf())
		if r.group == "" {
			continue
		}
		parts = append(parts, `SELECT `+itoa(i)+`, `+r.group+`, `+r.count+`, CAST(COALESCE(SUM(`+r.value+`), 0) AS BIGINT)
			FROM `+r.from+` WHERE `+r.where+` AND `+r.group+` IS NOT NULL GROUP BY `+r.group)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	return queryAll(ctx, q, "report", with+strings.Join(parts, " UNION ALL "), func(row rowScanner) (ReportTotal, error) {
		var t ReportTotal
		key := any(&t.ID)
		if g == GroupLabel {
			key = &t.Label
		}
		err := row.Scan(&t.Measure, key, &t.Count, &t.Sum)
		return t, err
	}, args...)
}

// OpenCount is what Chatwoot's live conversation metrics count of an
// account's conversations now, or of one assignee's.
type OpenCount struct {
	AssigneeID int64 // 0 for the account's, or the open conversations of nobody
	Open       int64 // open
	// Unattended are the open ones no person has answered yet, or whose
	// customer waits for a reply.
	Unattended int64
	Unassigned int64 // open and nobody's
	Pending    int64 // the bots'
}

// OpenCounts counts the account's conversations as they are now: one count
// of the account, or, byAssignee, one an assignee of open conversations
// (nobody's under 0), in one statement that reads the account's open and
// pending conversations through their index by status.
func (q *Queries) OpenCounts(ctx context.Context, accountID int64, byAssignee bool) ([]OpenCount, error) {
	assignee, group := "0", ""
	if byAssignee {
		assignee, group = "COALESCE(v.assignee_id, 0)", " GROUP BY 1"
	}
	// The statuses are written into the statement, not passed: PostgreSQL
	// plans it once for any parameters, and knows how few are open only
	// from constants (a parameter's plan read the account's conversations).
	open, pending := itoa(int(baton.StatusOpen)), itoa(int(baton.StatusPending))
	return queryAll(ctx, q, "report", `SELECT `+assignee+`,
		COALESCE(SUM(CASE WHEN v.status = `+open+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN v.status = `+open+` AND (v.first_reply_created_at IS NULL OR v.waiting_since IS NOT NULL)
			THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN v.status = `+open+` AND v.assignee_id IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN v.status = `+pending+` THEN 1 ELSE 0 END), 0)
		FROM conversations v WHERE v.account_id = $1 AND v.status IN (`+open+`, `+pending+`)`+group,
		func(row rowScanner) (OpenCount, error) {
			var c OpenCount
			err := row.Scan(&c.AssigneeID, &c.Open, &c.Unattended, &c.Unassigned, &c.Pending)
			return c, err
		}, accountID)
}

// ReportingEventHours is a reporting event whose business value is to be
// counted, with its inbox's working hours.
type ReportingEventHours struct {
	ID                 int64
	StartedAt, Created int64 // unix microseconds
	Inbox              *baton.Inbox
}

// ReportingEventsWithoutBusinessValue returns up to limit reporting events
// that have no business value yet (those written before it was kept), by
// id, each with its inbox's working hours.
func (q *Queries) ReportingEventsWithoutBusinessValue(ctx context.Context, limit int) ([]ReportingEventHours, error) {
	return queryAll(ctx, q, "reporting event", `SELECT e.id, e.started_at, e.created_at, i.working_hours_enabled,
		i.timezone, i.working_hours FROM reporting_events e JOIN inboxes i ON i.id = e.inbox_id
		WHERE e.business_value IS NULL ORDER BY e.id LIMIT `+itoa(limit),
		func(row rowScanner) (ReportingEventHours, error) {
			e := ReportingEventHours{Inbox: &baton.Inbox{}}
			var hours string
			err := row.Scan(&e.ID, &e.StartedAt, &e.Created, &e.Inbox.WorkingHoursEnabled, &e.Inbox.Timezone, &hours)
			e.Inbox.WorkingHours = workingHours.get(hours)
			return e, err
		})
}

// SetBusinessValue sets the business value (microseconds) of a reporting
// event that has none yet.
func (q *Queries) SetBusinessValue(ctx context.Context, id, value int64) error {
	_, err := q.db.ExecContext(ctx, `UPDATE reporting_events SET business_value = $1 WHERE id = $2
		AND business_value IS NULL`, value, id)
	return q.formatError(err, "reporting event")
}
