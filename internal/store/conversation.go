package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/batonhq/baton"
)

const conversationColumns = `v.id, v.account_id, v.inbox_id, v.display_id, v.contact_id, v.contact_inbox_id, v.uuid,
	v.status, v.priority, v.assignee_id, v.assignee_agent_bot_id, v.team_id, v.snoozed_until, v.additional_attributes,
	v.custom_attributes, v.labels, v.muted, v.agent_last_seen_at, v.assignee_last_seen_at, v.contact_last_seen_at,
	v.first_reply_created_at, v.waiting_since, v.last_activity_at, v.created_at, v.updated_at`

func scanConversation(row interface{ Scan(...any) error }) (*baton.Conversation, error) {
	var c baton.Conversation
	dest, finish := conversationDest(&c)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	finish()
	return &c, nil
}

// conversationDest returns where the conversationColumns of a row are
// scanned to, and the function that completes c once they are (see
// inboxDest).
func conversationDest(c *baton.Conversation) ([]any, func()) {
	// One allocation for the row's temporaries, not one each: this runs
	// on every message.
	var v struct {
		priority, assignee, bot, team                                      sql.NullInt64
		snoozed, agentSeen, assigneeSeen, contactSeen, firstReply, waiting sql.NullInt64
		additional, custom, labels                                         string
		lastActivity, created, updated                                     int64
	}
	priority, assignee, bot, team := &v.priority, &v.assignee, &v.bot, &v.team
	snoozed, agentSeen, assigneeSeen, contactSeen, firstReply, waiting := &v.snoozed, &v.agentSeen, &v.assigneeSeen,
		&v.contactSeen, &v.firstReply, &v.waiting
	additional, custom, labels := &v.additional, &v.custom, &v.labels
	lastActivity, created, updated := &v.lastActivity, &v.created, &v.updated
	return []any{&c.ID, &c.AccountID, &c.InboxID, &c.DisplayID, &c.ContactID, &c.ContactInboxID, &c.UUID,
			&c.Status, priority, assignee, bot, team, snoozed, additional, custom, labels, &c.Muted,
			agentSeen, assigneeSeen, contactSeen, firstReply, waiting, lastActivity, created, updated},
		func() {
			c.Priority = baton.PriorityNone
			if v.priority.Valid {
				c.Priority = baton.Priority(v.priority.Int64)
			}
			c.AssigneeID, c.AssigneeAgentBotID, c.TeamID = v.assignee.Int64, v.bot.Int64, v.team.Int64
			c.SnoozedUntil = fromNullMicros(v.snoozed)
			c.AdditionalAttributes, c.CustomAttributes, c.Labels = parseObject(v.additional), parseObject(v.custom), parseStrings(v.labels)
			c.AgentLastSeenAt, c.AssigneeLastSeenAt = fromNullMicros(v.agentSeen), fromNullMicros(v.assigneeSeen)
			c.ContactLastSeenAt, c.FirstReplyCreatedAt = fromNullMicros(v.contactSeen), fromNullMicros(v.firstReply)
			c.WaitingSince = fromNullMicros(v.waiting)
			c.LastActivityAt, c.CreatedAt, c.UpdatedAt = fromMicros(v.lastActivity), fromMicros(v.created), fromMicros(v.updated)
		}
}

func nullPriority(p baton.Priority) sql.NullInt64 {
	if p < 0 {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(p), Valid: true}
}

// conversationArgs are the mutable columns, in the order of UpdateConversation.
func conversationArgs(c *baton.Conversation) []any {
	return []any{c.Status, nullPriority(c.Priority), nullInt(c.AssigneeID), nullInt(c.AssigneeAgentBotID),
		nullInt(c.TeamID), toNullMicros(c.SnoozedUntil), jsonObject(c.AdditionalAttributes),
		jsonObject(c.CustomAttributes), jsonStrings(c.Labels), c.Muted, toNullMicros(c.AgentLastSeenAt),
		toNullMicros(c.AssigneeLastSeenAt), toNullMicros(c.ContactLastSeenAt), toNullMicros(c.FirstReplyCreatedAt),
		toNullMicros(c.WaitingSince), toMicros(c.LastActivityAt), toMicros(c.UpdatedAt)}
}

// CreateConversation inserts c and sets its id. c.DisplayID must have come
// from NextDisplayID in the same transaction.
func (q *Queries) CreateConversation(ctx context.Context, c *baton.Conversation) error {
	args := append(conversationArgs(c), c.AccountID, c.InboxID, c.DisplayID, c.ContactID, c.ContactInboxID,
		c.UUID, toMicros(c.CreatedAt))
	err := q.db.QueryRowContext(ctx, `INSERT INTO conversations (status, priority, assignee_id,
		assignee_agent_bot_id, team_id, snoozed_until, additional_attributes, custom_attributes, labels, muted,
		agent_last_seen_at, assignee_last_seen_at, contact_last_seen_at, first_reply_created_at, waiting_since,
		last_activity_at, updated_at, account_id, inbox_id, display_id, contact_id, contact_inbox_id, uuid, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
		RETURNING id`, args...).Scan(&c.ID)
	return q.formatError(err, "conversation")
}

// UpdateConversation writes the mutable columns of c.
func (q *Queries) UpdateConversation(ctx context.Context, c *baton.Conversation) error {
	args := append(conversationArgs(c), c.ID)
	res, err := q.db.ExecContext(ctx, `UPDATE conversations SET status = $1, priority = $2, assignee_id = $3,
		assignee_agent_bot_id = $4, team_id = $5, snoozed_until = $6, additional_attributes = $7,
		custom_attributes = $8, labels = $9, muted = $10, agent_last_seen_at = $11, assignee_last_seen_at = $12,
		contact_last_seen_at = $13, first_reply_created_at = $14, waiting_since = $15, last_activity_at = $16,
		updated_at = $17 WHERE id = $18`, args...)
	return q.mustAffect(res, err, "conversation")
}

// TouchConversation records activity on a conversation without rewriting it:
// the hot path of a customer message into an open conversation.
func (q *Queries) TouchConversation(ctx context.Context, id, at int64) error {
	_, err := q.db.ExecContext(ctx, `UPDATE conversations SET last_activity_at = $1, updated_at = $1 WHERE id = $2`, at, id)
	return q.formatError(err, "conversation")
}

// FindConversation returns the conversation with the display id in the account.
func (q *Queries) FindConversation(ctx context.Context, accountID, displayID int64) (*baton.Conversation, error) {
	c, err := scanConversation(q.db.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations v
		WHERE v.account_id = $1 AND v.display_id = $2`+q.lock("v"), accountID, displayID))
	return c, q.formatError(err, "conversation")
}

// FindPublicConversation returns the conversation with the display id of
// the contact with the source id in the API inbox with the identifier, with
// its inbox, contact inbox and contact: what the public API reads first on
// every request, in one query instead of four. Another contact's
// conversation is not found.
func (q *Queries) FindPublicConversation(ctx context.Context, identifier, sourceID string, displayID int64) (*baton.Conversation, error) {
	c := &baton.Conversation{Inbox: &baton.Inbox{}, ContactInbox: &baton.ContactInbox{}, Contact: &baton.Contact{}}
	inbox, finishInbox := inboxDest(c.Inbox)
	ci, finishContactInbox := contactInboxDest(c.ContactInbox)
	contact, finishContact := contactDest(c.Contact)
	conv, finishConversation := conversationDest(c)
	err := q.db.QueryRowContext(ctx, findPublicConversation+q.lock("v"), identifier, sourceID, displayID).
		Scan(slices.Concat(inbox, ci, contact, conv)...)
	if err != nil {
		return nil, q.formatError(err, "conversation")
	}
	finishInbox()
	finishContactInbox()
	finishContact()
	finishConversation()
	return c, nil
}

// findPublicConversation is built once: the inbox's columns need their
// table's alias here, and the hot path should not join strings.
var findPublicConversation = `SELECT ` + qualified("i", inboxColumns) + `, ` + contactInboxColumns + `,
	` + contactColumns + `, ` + conversationColumns + ` FROM conversations v
	JOIN inboxes i ON i.id = v.inbox_id` + publicConversationJoins + publicConversationWhere

// publicConversationJoins find a public API caller's conversation ($1 the
// inbox identifier, $2 the contact's source id, $3 the display id) from
// the conversation out: the conversation by its unique (account_id,
// display_id) with the inbox's account and id read once as constants, then
// its contact inbox and contact by primary key. Every step is an equality
// on a unique key, a plan no planner can get wrong with or without
// statistics; the join from the inbox it replaces let PostgreSQL start from
// the contacts of the account and walk them all (4 ms a message with 800)
// on a database not yet analyzed. The source id is checked on the row, so
// another contact's conversation is not found. (The contact is not also
// matched on the account, which a contact inbox's contact always shares:
// PostgreSQL took that for a way in and read the account's contacts.)
const publicConversationJoins = `
	JOIN contact_inboxes ci ON ci.id = v.contact_inbox_id AND ci.inbox_id = v.inbox_id
	JOIN contacts c ON c.id = ci.contact_id`

const publicConversationWhere = `
	WHERE v.account_id = (SELECT account_id FROM inboxes WHERE identifier = $1)
	AND v.inbox_id = (SELECT id FROM inboxes WHERE identifier = $1)
	AND v.display_id = $3 AND ci.source_id = $2`

// qualified prefixes each column of a list with the table alias.
func qualified(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for k, c := range cols {
		cols[k] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// FindConversationByID returns the conversation with the internal id.
func (q *Queries) FindConversationByID(ctx context.Context, id int64) (*baton.Conversation, error) {
	c, err := scanConversation(q.db.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations v WHERE v.id = $1`+q.lock("v"), id))
	return c, q.formatError(err, "conversation")
}

// DueSnoozed returns the ids of up to limit conversations snoozed until at
// or before at, those due longest first. A conversation snoozed until the
// customer replies (no time) is never due.
func (q *Queries) DueSnoozed(ctx context.Context, at time.Time, limit int) ([]int64, error) {
	// The status is written out, not a parameter: only then may the
	// planners use the partial index of snoozed conversations.
	return q.queryIDs(ctx, "conversation", `SELECT id FROM conversations
		WHERE status = `+strconv.Itoa(int(baton.StatusSnoozed))+` AND snoozed_until <= $1 ORDER BY snoozed_until LIMIT $2`,
		toMicros(at), limit)
}

// LastConversationOf returns the newest conversation of a contact inbox.
func (q *Queries) LastConversationOf(ctx context.Context, contactInboxID int64) (*baton.Conversation, error) {
	c, err := scanConversation(q.db.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations v
		WHERE v.contact_inbox_id = $1 ORDER BY v.id DESC LIMIT 1`+q.lock("v"), contactInboxID))
	return c, q.formatError(err, "conversation")
}

// MarkSeenByContact records that the contact of the contact inbox read
// their latest conversation at at (its contact_last_seen_at, and nothing
// else: not its updated_at); nothing when they have none. One statement,
// on PostgreSQL outside a transaction: one round trip where a transaction
// that read the conversation to write it back took four. A widget marks
// its conversation seen whenever an answer arrives while it is open.
func (s *Store) MarkSeenByContact(ctx context.Context, contactInboxID int64, at time.Time) error {
	return s.writeAlone(ctx, func(q *Queries) error {
		_, err := q.db.ExecContext(ctx, `UPDATE conversations SET contact_last_seen_at = $1
			WHERE id = (SELECT MAX(l.id) FROM conversations l WHERE l.contact_inbox_id = $2)`, toMicros(at), contactInboxID)
		return q.formatError(err, "conversation")
	})
}

// Surroundings is what a conversation's snapshot in an event shows beside
// it, read in one statement (FindSurroundings): its inbox and account, its
// latest handoff, its unread count and, when asked for, its contact and
// contact inbox.
//
// Of the inbox and the account it holds what a snapshot shows of them
// (SnapshotInbox, SnapshotAccount), not their other settings: the
// inbox's 31 columns and the account's 10 cost the driver each column's
// reading on every event a bot hears, and an event shows five.
type Surroundings struct {
	Inbox        *baton.Inbox        // its ID, AccountID, Name and ChannelType
	Account      *baton.Account      // its ID and Name
	Contact      *baton.Contact      // nil unless asked for
	ContactInbox *baton.ContactInbox // nil unless asked for
	Handoff      *baton.Handoff      // the latest; nil when it has none
	// Unread counts the incoming messages created after the agent last
	// saw the conversation, up to the limit given.
	Unread int
}

// SnapshotInbox is the part of an inbox that Surroundings holds.
func SnapshotInbox(i *baton.Inbox) *baton.Inbox {
	return &baton.Inbox{ID: i.ID, AccountID: i.AccountID, Name: i.Name, ChannelType: i.ChannelType}
}

// SnapshotAccount is the part of an account that Surroundings holds.
func SnapshotAccount(a *baton.Account) *baton.Account {
	return &baton.Account{ID: a.ID, Name: a.Name}
}

// FindSurroundings reads the surroundings of c (of which it uses the ids
// and AgentLastSeenAt), counting unread messages up to limit: one
// statement where an event's snapshot read four to six, on PostgreSQL
// each a round trip, for every event a bot hears.
func (q *Queries) FindSurroundings(ctx context.Context, c *baton.Conversation, withContact bool, limit int) (*Surroundings, error) {
	s := &Surroundings{Inbox: &baton.Inbox{}, Account: &baton.Account{}, Handoff: &baton.Handoff{}}
	handoff, finishHandoff := nullableHandoffDest(s.Handoff)
	dest := slices.Concat([]any{&s.Inbox.ID, &s.Inbox.AccountID, &s.Inbox.Name, &s.Inbox.ChannelType,
		&s.Account.ID, &s.Account.Name}, handoff, []any{&s.Unread})
	var since int64
	if c.AgentLastSeenAt != nil {
		since = c.AgentLastSeenAt.UnixMicro()
	}
	query, args := findSurroundings, []any{c.InboxID, c.AccountID, c.ID, since, limit}
	var finishContactInbox, finishContact func()
	if withContact {
		s.ContactInbox, s.Contact = &baton.ContactInbox{}, &baton.Contact{}
		var ci, contact []any
		ci, finishContactInbox = contactInboxDest(s.ContactInbox)
		contact, finishContact = contactDest(s.Contact)
		dest = slices.Concat(dest, ci, contact)
		query, args = findSurroundingsWithContact, append(args, c.ContactInboxID, c.ContactID)
	}
	if err := q.db.QueryRowContext(ctx, query, args...).Scan(dest...); err != nil {
		return nil, q.formatError(err, "conversation")
	}
	if !finishHandoff() {
		s.Handoff = nil
	}
	if withContact {
		finishContactInbox()
		finishContact()
	}
	return s, nil
}

var findSurroundings, findSurroundingsWithContact = surroundingsQuery(false), surroundingsQuery(true)

// surroundingsQuery is FindSurroundings' statement. The latest handoff is
// the one of the greatest id, as LatestHandoff reads it; the unread count
// is CountIncomingSince's.
func surroundingsQuery(withContact bool) string {
	columns, joins := ``, ``
	if withContact {
		columns = `, ` + contactInboxColumns + `, ` + contactColumns
		joins = `
	JOIN contact_inboxes ci ON ci.id = $6
	JOIN contacts c ON c.id = $7 AND c.account_id = i.account_id`
	}
	return `SELECT i.id, i.account_id, i.name, i.channel_type, a.id, a.name,
	` + handoffColumns + `, ` + unreadCount("$3", "$4", "$5") + columns + `
	FROM inboxes i JOIN accounts a ON a.id = i.account_id` + joins + latestHandoffJoin("$3") + `
	WHERE i.id = $1 AND i.account_id = $2`
}

// unreadCount is Surroundings.Unread: the conversation's incoming messages
// created after since, counted up to limit (CountIncomingSince's count).
func unreadCount(conversation, since, limit string) string {
	return `(SELECT COUNT(*) FROM (SELECT 1 FROM messages u WHERE u.conversation_id = ` + conversation +
		` AND u.message_type = 0 AND u.created_at > ` + since + ` LIMIT ` + limit + `) n)`
}

// latestHandoffJoin joins the conversation's latest handoff as h: the one
// of the greatest id, as LatestHandoff reads it.
func latestHandoffJoin(conversation string) string {
	return `
	LEFT JOIN handoffs h ON h.id = (SELECT MAX(x.id) FROM handoffs x WHERE x.conversation_id = ` + conversation + `)`
}

// Assignee filters of the conversation list, as Chatwoot names them.
const (
	AssigneeMe         = "me"
	AssigneeUnassigned = "unassigned"
	AssigneeAssigned   = "assigned"
	AssigneeAll        = "all"
)

// ConversationFilter selects conversations of an account.
type ConversationFilter struct {
	AccountID    int64
	Status       *baton.Status // nil: every status
	AssigneeType string        // one of the Assignee* constants; "" is all
	UserID       int64         // the caller, for AssigneeMe
	InboxID      int64
	TeamID       int64
	// InboxIDs, when not nil, keeps the conversations of these inboxes
	// (an agent's, a bot's) and those assigned to Assigned wherever they
	// are: what the caller sees.
	InboxIDs []int64
	Assigned Assigned
	// LongestWaiting orders the list by how long the customer has waited,
	// longest first, instead of by last activity.
	LongestWaiting bool
	// RepliesFirst orders the conversations whose customer waits for a
	// person's reply first, longest first, then the others by last
	// activity: a person's own queue.
	RepliesFirst   bool
	ContactID      int64
	ContactInboxID int64
	Labels         []string
	Query          string // matches the content of incoming and outgoing messages
	Search         ConversationSearch
	Conditions     []FilterCondition // Chatwoot's filter: all must hold, as their ANDs and ORs say
	Offset, Limit  int
}

// ConversationSearch is the agent app's search: a conversation matches
// when its contact's name, e-mail, phone or identifier holds Text, when
// Text is its number ("#12" or "12"), or when one of its messages holds
// every one of Words. With Since (microseconds) only the messages of the
// conversations active since are read: what the search costs grows with
// the conversations of that window, not with all there ever were.
// Private notes are read, activity messages never. The case of every
// letter is ignored, as the database's LOWER folds it (on SQLite Baton's
// LOWER: see lowerFunction in store/sqlite), the search lowered by the
// same LOWER: "émile" finds "ÉMILE". A word of ASCII alone is matched
// with the messages as they are, as SQLite's LIKE ignores the case of
// ASCII letters (on PostgreSQL an ILIKE in the C collation), which reads
// a message in half the time a LOWER of its text takes; a word with
// another letter, through LOWER, which only such searches pay.
type ConversationSearch struct {
	Text  string
	Words []string
	Since int64
}

// messageMatch is the condition that the message with the alias is one
// the search reads and holds every one of its words, with its parameters
// from args' next on. (A condition on the message's time here would have
// PostgreSQL's one plan read every message of a conversation through the
// index of their times, where the newest that matches is all it needs.)
func (s ConversationSearch) messageMatch(q *Queries, alias string, args *[]any) string {
	var b strings.Builder
	b.WriteString(alias + `.message_type <> 2`)
	like := ` LIKE `
	if q.d.Name() == "postgres" {
		like = ` COLLATE "C" ILIKE `
	}
	for _, w := range s.Words {
		*args = append(*args, "%"+escapeLike(w)+"%")
		n := `$` + itoa(len(*args))
		if isASCII(w) {
			b.WriteString(` AND ` + alias + `.content` + like + n + ` ESCAPE '\'`)
		} else {
			b.WriteString(` AND LOWER(` + alias + `.content) LIKE LOWER(` + n + `) ESCAPE '\'`)
		}
	}
	return b.String()
}

// isASCII reports whether s is ASCII alone.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (f ConversationFilter) where(q *Queries, withAssignee bool) (string, []any) {
	var b strings.Builder
	args := []any{f.AccountID}
	b.WriteString(`WHERE v.account_id = $1`)
	add := func(cond string, v any) {
		args = append(args, v)
		b.WriteString(" AND " + strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.Status != nil {
		add("v.status = ?", *f.Status)
	}
	if f.InboxID != 0 {
		add("v.inbox_id = ?", f.InboxID)
	}
	if f.ContactID != 0 {
		add("v.contact_id = ?", f.ContactID)
	}
	if f.TeamID != 0 {
		add("v.team_id = ?", f.TeamID)
	}
	if f.ContactInboxID != 0 {
		add("v.contact_inbox_id = ?", f.ContactInboxID)
	}
	b.WriteString(seenWhere(f.InboxIDs, f.Assigned, &args))
	for _, l := range f.Labels {
		add(`CAST(v.labels AS TEXT) LIKE ? ESCAPE '\'`, q.labelPattern(l))
	}
	if f.Query != "" {
		// Chatwoot's q reads incoming and outgoing messages (private notes
		// are outgoing), never activity or template messages: "assigned"
		// would find every conversation ever assigned.
		add(`EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = v.id AND m.message_type IN (0, 1)
			AND LOWER(m.content) LIKE LOWER(?) ESCAPE '\')`, "%"+escapeLike(f.Query)+"%")
	}
	if f.Search.Text != "" {
		pattern := "%" + escapeLike(f.Search.Text) + "%"
		args = append(args, pattern)
		n := "LOWER($" + itoa(len(args)) + ")"
		b.WriteString(` AND (EXISTS (SELECT 1 FROM contacts ct WHERE ct.id = v.contact_id AND (LOWER(ct.name) LIKE ` + n +
			` ESCAPE '\' OR LOWER(ct.email) LIKE ` + n + ` ESCAPE '\' OR LOWER(ct.phone_number) LIKE ` + n +
			` ESCAPE '\' OR LOWER(ct.identifier) LIKE ` + n + ` ESCAPE '\'))`)
		// "#12" or "12" is also conversation 12.
		if id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(f.Search.Text), "#"), 10, 64); err == nil && id > 0 {
			args = append(args, id)
			b.WriteString(` OR v.display_id = $` + itoa(len(args)))
		}
		if len(f.Search.Words) > 0 {
			b.WriteString(` OR (`)
			if f.Search.Since > 0 {
				args = append(args, f.Search.Since)
				b.WriteString(`v.last_activity_at >= $` + itoa(len(args)) + ` AND `)
			}
			// A scalar subquery, not EXISTS: PostgreSQL would hash an
			// EXISTS's messages, reading every message of every account
			// each time; this reads each conversation's own and stops at
			// the first that matches.
			match := f.Search.messageMatch(q, "m", &args)
			b.WriteString(`(SELECT 1 FROM messages m WHERE m.conversation_id = v.id AND ` + match +
				` LIMIT 1) IS NOT NULL)`)
		}
		b.WriteString(`)`)
	}
	if len(f.Conditions) > 0 {
		b.WriteString(" AND " + q.filterWhere("v", f.Conditions, &args))
	}
	if withAssignee {
		switch f.AssigneeType {
		case AssigneeMe:
			add("v.assignee_id = ?", f.UserID)
		case AssigneeUnassigned:
			b.WriteString(" AND v.assignee_id IS NULL")
		case AssigneeAssigned:
			b.WriteString(" AND v.assignee_id IS NOT NULL")
		}
	}
	return b.String(), args
}

// ListConversations returns one page of the matching conversations, most
// recently active first.
func (q *Queries) ListConversations(ctx context.Context, f ConversationFilter) ([]*baton.Conversation, error) {
	where, args := f.where(q, true)
	limit := ""
	if f.Limit > 0 {
		limit = ` LIMIT ` + itoa(f.Limit) + ` OFFSET ` + itoa(f.Offset)
	}
	order := ` ORDER BY v.last_activity_at DESC, v.id DESC`
	switch {
	case f.LongestWaiting:
		order = ` ORDER BY COALESCE(v.waiting_since, v.created_at), v.id`
	case f.RepliesFirst:
		order = ` ORDER BY CASE WHEN v.waiting_since IS NULL THEN 1 ELSE 0 END, v.waiting_since, v.last_activity_at DESC, v.id DESC`
	}
	return queryAll(ctx, q, "conversation", `SELECT `+conversationColumns+` FROM conversations v `+where+order+limit,
		scanConversation, args...)
}

// ConversationCounts are the counts of the conversation list's meta.
type ConversationCounts struct {
	Mine, Unassigned, Assigned, All int
}

// CountConversations counts the matching conversations by assignee, ignoring
// the filter's assignee type.
func (q *Queries) CountConversations(ctx context.Context, f ConversationFilter) (ConversationCounts, error) {
	where, args := f.where(q, false)
	args = append(args, f.UserID)
	var c ConversationCounts
	err := q.db.QueryRowContext(ctx, `SELECT
		COUNT(CASE WHEN v.assignee_id = $`+itoa(len(args))+` THEN 1 END),
		COUNT(CASE WHEN v.assignee_id IS NULL THEN 1 END),
		COUNT(v.assignee_id),
		COUNT(*) FROM conversations v `+where, args...).Scan(&c.Mine, &c.Unassigned, &c.Assigned, &c.All)
	return c, q.formatError(err, "conversation")
}

// CountConversationsByStatus counts the matching conversations of each
// status by assignee, ignoring the filter's status and assignee type: in
// one statement, the counts that would otherwise read the conversations
// (and, searching, their messages) once a status. A status without
// conversations is left out.
func (q *Queries) CountConversationsByStatus(ctx context.Context, f ConversationFilter) (map[baton.Status]ConversationCounts, error) {
	f.Status = nil
	where, args := f.where(q, false)
	args = append(args, f.UserID)
	type count struct {
		status baton.Status
		ConversationCounts
	}
	cs, err := queryAll(ctx, q, "conversation", `SELECT v.status,
		COUNT(CASE WHEN v.assignee_id = $`+itoa(len(args))+` THEN 1 END),
		COUNT(CASE WHEN v.assignee_id IS NULL THEN 1 END),
		COUNT(v.assignee_id),
		COUNT(*) FROM conversations v `+where+` GROUP BY v.status`, func(row rowScanner) (c count, err error) {
		err = row.Scan(&c.status, &c.Mine, &c.Unassigned, &c.Assigned, &c.All)
		return c, err
	}, args...)
	out := make(map[baton.Status]ConversationCounts, len(cs))
	for _, c := range cs {
		out[c.status] = c.ConversationCounts
	}
	return out, err
}

// MessageTarget is what writing a message into a conversation needs beside
// the conversation, read with it in one statement: the message hot path's
// lookup (FindPublicMessageTarget, FindMessageTarget). The conversation's
// row is locked until the transaction ends, as FindConversation's is.
type MessageTarget struct {
	Conversation *baton.Conversation
	// Bot is the inbox's connection to a bot, nil when it has none, and
	// AgentBot that bot: read in the transaction, with the conversation,
	// so a bot disconnected or changed before it began is not sent the
	// message, whichever process made the change; nothing is cached.
	Bot      *baton.AgentBotInbox
	AgentBot *baton.AgentBot
	// Recent counts the conversation's messages created after the time
	// the lookup was given, up to its limit: the flood guard's count.
	Recent int
	// Around is the conversation's Surroundings as they were before the
	// message (so without it in Unread), when the lookup was asked for
	// them; nil otherwise.
	Around *Surroundings
}

// messageTargetColumns follow the conversation's (and, for the public API,
// its contact's) columns: the inbox's bot, whether the account has webhooks
// that may hear the inbox, and the flood guard's count; since and limit
// are the count's parameters ("$4").
func messageTargetColumns(since, limit string) string {
	return `, ab.id, ab.agent_bot_id, ab.status, ` + agentBotColumns + `,
	` + inboxWebhooks + `, ` + floodCount(since, limit)
}

// inboxWebhooks is whether conversation v's account has webhooks that may
// hear its inbox.
const inboxWebhooks = `EXISTS (SELECT 1 FROM webhooks w WHERE w.account_id = v.account_id AND (w.inbox_id IS NULL OR w.inbox_id = v.inbox_id))`

// floodCount is the flood guard's count: conversation v's messages in its
// flood minute (see floodCounted), if that began after since, counted up
// to limit; 0 if it began before.
func floodCount(since, limit string) string {
	since, limit = `CAST(`+since+` AS BIGINT)`, `CAST(`+limit+` AS BIGINT)` // parameters of any size
	return `(CASE WHEN v.flood_at <= ` + since + ` THEN 0 WHEN v.flood_count < ` + limit + ` THEN v.flood_count ELSE ` +
		limit + ` END)`
}

// floodCounted is the assignments that count a message written at at
// (microseconds) in its conversation's flood minute, in an UPDATE of the
// conversation: the minute begins with the first message after the last
// one ended. A burst that straddles two such minutes may so reach twice
// the limit within sixty seconds, and a conversation that writes on
// without pause still gets no more than the limit a minute: the guard is
// there to stop loops (a bot answering itself, an automation retrying),
// and every message it counts costs one row update it makes anyway.
func floodCounted(at string) string {
	at = `CAST(` + at + ` AS BIGINT)`
	current := `flood_at > ` + at + ` - 60000000` // a minute in microseconds
	return `flood_count = CASE WHEN ` + current + ` THEN flood_count + 1 ELSE 1 END,
		flood_at = CASE WHEN ` + current + ` THEN flood_at ELSE ` + at + ` END`
}

// messageTargetJoins join what messageTargetColumns read of the inbox's bot.
const messageTargetJoins = `
	LEFT JOIN agent_bot_inboxes ab ON ab.inbox_id = v.inbox_id
	LEFT JOIN agent_bots b ON b.id = ab.agent_bot_id`

// messageTargetDest returns where the messageTargetColumns are scanned to,
// and the function that completes t once they are.
func (q *Queries) messageTargetDest(t *MessageTarget) ([]any, func()) {
	var v struct {
		linkID, botID, status sql.NullInt64
		hooks                 bool
	}
	bot := &baton.AgentBot{}
	botDest, finishBot := nullableAgentBotDest(bot)
	return slices.Concat([]any{&v.linkID, &v.botID, &v.status}, botDest, []any{&v.hooks, &t.Recent}), func() {
		c := t.Conversation
		if v.linkID.Valid {
			t.Bot = &baton.AgentBotInbox{ID: v.linkID.Int64, InboxID: c.InboxID, AgentBotID: v.botID.Int64,
				AccountID: c.AccountID, Active: v.status.Int64 == 0}
		}
		if finishBot() {
			t.AgentBot = bot
		}
		if !v.hooks {
			// None to hear: InboxWebhooks need not ask in this transaction.
			q.rememberWebhooks(c.AccountID, c.InboxID, []*baton.Webhook{})
		}
	}
}

// FindPublicMessageTarget is FindPublicConversation for a customer's
// message: the conversation with its contact inbox and contact, but not its
// inbox (Conversation.Inbox is nil), and what a message needs beside (see
// MessageTarget), counting messages since the time up to limit. Another
// contact's conversation is not found. With around above zero it reads
// the conversation's Surroundings too (MessageTarget.Around), counting
// unread messages up to around.
func (q *Queries) FindPublicMessageTarget(ctx context.Context, identifier, sourceID string, displayID int64, since int64, limit, around int) (*MessageTarget, error) {
	c := &baton.Conversation{ContactInbox: &baton.ContactInbox{}, Contact: &baton.Contact{}}
	t := &MessageTarget{Conversation: c}
	ci, finishContactInbox := contactInboxDest(c.ContactInbox)
	contact, finishContact := contactDest(c.Contact)
	conv, finishConversation := conversationDest(c)
	extra, finishTarget := q.messageTargetDest(t)
	if err := q.scanTarget(ctx, t, findPublicMessageTarget, []any{identifier, sourceID, displayID, since, limit}, around,
		slices.Concat(ci, contact, conv, extra)); err != nil {
		return nil, err
	}
	finishContactInbox()
	finishContact()
	finishConversation()
	finishTarget()
	if t.Around != nil {
		t.Around.Contact, t.Around.ContactInbox = c.Contact, c.ContactInbox
	}
	return t, nil
}

// Of the inbox only its account and id are read (publicConversationJoins).
var findPublicMessageTarget = [2]string{publicMessageTargetQuery(false), publicMessageTargetQuery(true)}

func publicMessageTargetQuery(around bool) string {
	columns, joins := messageTargetColumns("$4", "$5"), ``
	if around {
		columns, joins = columns+aroundColumns("$6"), aroundJoins
	}
	return `SELECT ` + contactInboxColumns + `, ` + contactColumns + `, ` + conversationColumns + columns +
		` FROM conversations v` + publicConversationJoins + messageTargetJoins + joins + publicConversationWhere
}

// FindMessageTarget is FindConversation for a message written through the
// Application API: the conversation with the display id in the account and
// what a message needs beside (see MessageTarget), counting messages since
// the time up to limit. With around above zero it reads the conversation's
// Surroundings too, with its contact and contact inbox, counting unread
// messages up to around.
func (q *Queries) FindMessageTarget(ctx context.Context, accountID, displayID int64, since int64, limit, around int) (*MessageTarget, error) {
	c := &baton.Conversation{}
	t := &MessageTarget{Conversation: c}
	conv, finishConversation := conversationDest(c)
	extra, finishTarget := q.messageTargetDest(t)
	// The contact and contact inbox only with the surroundings.
	ci, contact := &baton.ContactInbox{}, &baton.Contact{}
	var more []any
	finishMore := func() {}
	if around > 0 {
		ciDest, finishContactInbox := contactInboxDest(ci)
		contactCols, finishContact := contactDest(contact)
		more = slices.Concat(ciDest, contactCols)
		finishMore = func() { finishContactInbox(); finishContact() }
	}
	if err := q.scanTarget(ctx, t, findMessageTarget, []any{accountID, displayID, since, limit}, around,
		slices.Concat(conv, extra), more...); err != nil {
		return nil, err
	}
	finishConversation()
	finishTarget()
	if t.Around != nil {
		finishMore()
		t.Around.Contact, t.Around.ContactInbox = contact, ci
	}
	return t, nil
}

var findMessageTarget = [2]string{messageTargetQuery(false), messageTargetQuery(true)}

func messageTargetQuery(around bool) string {
	columns, joins := messageTargetColumns("$3", "$4"), ``
	if around {
		columns = columns + aroundColumns("$5") + `, ` + contactInboxColumns + `, ` + contactColumns
		joins = aroundJoins + `
	JOIN contact_inboxes ci ON ci.id = v.contact_inbox_id
	JOIN contacts c ON c.id = v.contact_id`
	}
	return `SELECT ` + conversationColumns + columns + ` FROM conversations v` + messageTargetJoins + joins + `
	WHERE v.account_id = $1 AND v.display_id = $2`
}

// FindLatestMessageTarget is LastConversationOf for a message: the contact
// inbox's newest conversation and what a message needs beside (see
// MessageTarget), counting messages since the time up to limit; with
// around above zero its Surroundings too, without the contact and contact
// inbox, which the caller knows. Not found when the contact inbox has no
// conversation.
func (q *Queries) FindLatestMessageTarget(ctx context.Context, contactInboxID int64, since int64, limit, around int) (*MessageTarget, error) {
	c := &baton.Conversation{}
	t := &MessageTarget{Conversation: c}
	conv, finishConversation := conversationDest(c)
	extra, finishTarget := q.messageTargetDest(t)
	if err := q.scanTarget(ctx, t, findLatestMessageTarget, []any{contactInboxID, since, limit}, around,
		slices.Concat(conv, extra)); err != nil {
		return nil, err
	}
	finishConversation()
	finishTarget()
	return t, nil
}

// scanTarget reads a message target's row into dest with queries[0], or,
// with around above zero, with queries[1] (around its last parameter), the
// surroundings scanned after dest into t.Around and then more.
func (q *Queries) scanTarget(ctx context.Context, t *MessageTarget, queries [2]string, args []any, around int, dest []any, more ...any) error {
	query, finishAround := queries[0], func() {}
	if around > 0 {
		var a []any
		a, finishAround = aroundDest(t)
		dest, query, args = slices.Concat(dest, a, more), queries[1], append(args, around)
	}
	if h := q.optimistic; h != nil {
		// With the row's version and a new message id, with other callers'.
		if err := h.lookups.find(ctx, h.reader, query, args, append(dest, &h.version, &h.messageID)); err != nil {
			return q.formatError(err, "conversation")
		}
		h.conversationID = t.Conversation.ID
	} else if err := q.db.QueryRowContext(ctx, query+q.lock("v"), args...).Scan(dest...); err != nil {
		return q.formatError(err, "conversation")
	}
	finishAround()
	return nil
}

var findLatestMessageTarget = [2]string{latestMessageTargetQuery(false), latestMessageTargetQuery(true)}

func latestMessageTargetQuery(around bool) string {
	columns, joins := messageTargetColumns("$2", "$3"), ``
	if around {
		columns, joins = columns+aroundColumns("$4"), aroundJoins
	}
	return `SELECT ` + conversationColumns + columns + ` FROM conversations v` + messageTargetJoins + joins + `
	WHERE v.id = (SELECT MAX(l.id) FROM conversations l WHERE l.contact_inbox_id = $1)`
}

// aroundColumns follow messageTargetColumns in a lookup that reads the
// conversation's Surroundings (aroundJoins), as FindSurroundings does
// from the conversation's row; limit is the unread count's parameter.
func aroundColumns(limit string) string {
	return `, si.name, si.channel_type, sa.name, ` + handoffColumns + `,
	` + unreadCount("v.id", "COALESCE(v.agent_last_seen_at, 0)", limit)
}

var aroundJoins = `
	JOIN inboxes si ON si.id = v.inbox_id
	JOIN accounts sa ON sa.id = v.account_id` + latestHandoffJoin("v.id")

// aroundDest returns where the aroundColumns are scanned to, and the
// function that sets t.Around once they are.
func aroundDest(t *MessageTarget) ([]any, func()) {
	s := &Surroundings{Inbox: &baton.Inbox{}, Account: &baton.Account{}, Handoff: &baton.Handoff{}}
	handoff, finishHandoff := nullableHandoffDest(s.Handoff)
	dest := slices.Concat([]any{&s.Inbox.Name, &s.Inbox.ChannelType, &s.Account.Name}, handoff, []any{&s.Unread})
	return dest, func() {
		c := t.Conversation
		s.Inbox.ID, s.Inbox.AccountID, s.Account.ID = c.InboxID, c.AccountID, c.AccountID
		if !finishHandoff() {
			s.Handoff = nil
		}
		t.Around = s
	}
}

// ConversationView is a conversation with its inbox, contact inbox and
// contact, and what its views show beside: read for many conversations at
// once (ListConversationViews).
type ConversationView struct {
	Conversation *baton.Conversation // with Inbox, ContactInbox and Contact
	// HandoffID is its latest handoff's id (LatestHandoff), 0 for none;
	// LastMessageID its last message's (LastMessage), 0 for none.
	HandoffID, LastMessageID int64
	// Unread counts its incoming messages since an agent last saw it, up to
	// the limit given (CountIncomingSince).
	Unread int
}

// ListConversationViews returns the conversations with the ids, by id, as
// ConversationView: one statement for a batch of the live channel's
// events, where reading each conversation's took six.
func (q *Queries) ListConversationViews(ctx context.Context, ids []int64, unreadLimit int) (map[int64]*ConversationView, error) {
	out := make(map[int64]*ConversationView, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	query, args := q.inIDs(listConversationViews+itoa(unreadLimit)+`) t)
	FROM conversations v
	JOIN inboxes i ON i.id = v.inbox_id
	JOIN contact_inboxes ci ON ci.id = v.contact_inbox_id
	JOIN contacts c ON c.id = v.contact_id AND c.account_id = v.account_id
	WHERE v.id IN `, ids, 1)
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, q.formatError(err, "conversation")
	}
	defer rows.Close()
	for rows.Next() {
		c := &baton.Conversation{Inbox: &baton.Inbox{}, ContactInbox: &baton.ContactInbox{}, Contact: &baton.Contact{}}
		v := &ConversationView{Conversation: c}
		inbox, finishInbox := inboxDest(c.Inbox)
		ci, finishContactInbox := contactInboxDest(c.ContactInbox)
		contact, finishContact := contactDest(c.Contact)
		conv, finishConversation := conversationDest(c)
		if err := rows.Scan(slices.Concat(inbox, ci, contact, conv, []any{&v.HandoffID, &v.LastMessageID, &v.Unread})...); err != nil {
			return nil, q.formatError(err, "conversation")
		}
		finishInbox()
		finishContactInbox()
		finishContact()
		finishConversation()
		out[c.ID] = v
	}
	return out, q.formatError(rows.Err(), "conversation")
}

var listConversationViews = `SELECT ` + qualified("i", inboxColumns) + `, ` + contactInboxColumns + `, ` + contactColumns + `, ` + conversationColumns + `,
	COALESCE((SELECT h.id FROM handoffs h WHERE h.conversation_id = v.id ORDER BY h.id DESC LIMIT 1), 0),
	COALESCE((SELECT m.id FROM messages m WHERE m.conversation_id = v.id AND m.private = FALSE AND m.message_type <> 2
		ORDER BY m.id DESC LIMIT 1), 0),
	(SELECT COUNT(*) FROM (SELECT 1 FROM messages r WHERE r.conversation_id = v.id AND r.message_type = 0
		AND r.created_at > COALESCE(v.agent_last_seen_at, 0) LIMIT `

// Assigned is the person or the bot whose assigned conversations a caller
// who sees only some inboxes sees too, outside them: an agent sees the
// conversations assigned to them, a bot those assigned to it.
type Assigned struct {
	UserID, AgentBotID int64
}

// seenWhere is the condition, " AND …" or nothing, that keeps the
// conversations v of the inboxes (all of them when inboxIDs is nil) and
// those assigned to assigned, with its parameters from args' next on.
func seenWhere(inboxIDs []int64, assigned Assigned, args *[]any) string {
	if inboxIDs == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(" AND (v.inbox_id IN (0")
	for _, id := range inboxIDs {
		*args = append(*args, id)
		b.WriteString(", $" + itoa(len(*args)))
	}
	b.WriteString(")")
	if assigned.UserID != 0 {
		*args = append(*args, assigned.UserID)
		b.WriteString(" OR v.assignee_id = $" + itoa(len(*args)))
	}
	if assigned.AgentBotID != 0 {
		*args = append(*args, assigned.AgentBotID)
		b.WriteString(" OR v.assignee_agent_bot_id = $" + itoa(len(*args)))
	}
	b.WriteString(")")
	return b.String()
}

// ConversationTally is what a list of contacts shows of each one's
// conversations: how many, and the most recently active one.
type ConversationTally struct {
	Count           int
	LatestDisplayID int64
	LatestStatus    baton.Status
}

// TallyContactConversations returns, by contact id, the tally of the
// conversations of the account's contacts (when inboxIDs is not nil, only
// those of these inboxes and those assigned to assigned), in one
// statement. Contacts without any are left out.
func (q *Queries) TallyContactConversations(ctx context.Context, accountID int64, contactIDs, inboxIDs []int64, assigned Assigned) (map[int64]ConversationTally, error) {
	out := make(map[int64]ConversationTally, len(contactIDs))
	if len(contactIDs) == 0 {
		return out, nil
	}
	where, args := q.inIDs(`WHERE v.account_id = $1 AND v.contact_id IN `, contactIDs, 2)
	args = append([]any{accountID}, args...)
	where += seenWhere(inboxIDs, assigned, &args)
	rows, err := q.db.QueryContext(ctx, `SELECT contact_id, n, display_id, status FROM (
		SELECT v.contact_id, v.display_id, v.status, COUNT(*) OVER (PARTITION BY v.contact_id) AS n,
			ROW_NUMBER() OVER (PARTITION BY v.contact_id ORDER BY v.last_activity_at DESC, v.id DESC) AS r
		FROM conversations v `+where+`) t WHERE r = 1`, args...)
	if err != nil {
		return nil, q.formatError(err, "conversation")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t ConversationTally
		if err := rows.Scan(&id, &t.Count, &t.LatestDisplayID, &t.LatestStatus); err != nil {
			return nil, q.formatError(err, "conversation")
		}
		out[id] = t
	}
	return out, q.formatError(rows.Err(), "conversation")
}

// ListLabels returns the labels of the account's recent newest
// conversations (by creation), each once, in order, at most limit: the
// labels people use now, read from an index's range rather than every
// conversation the account ever had (Baton keeps no list of labels apart
// from the conversations).
func (q *Queries) ListLabels(ctx context.Context, accountID int64, recent, limit int) ([]string, error) {
	return queryAll(ctx, q, "label", `SELECT DISTINCT lb.value FROM (SELECT v.labels FROM conversations v
		WHERE v.account_id = $1 ORDER BY v.created_at DESC LIMIT `+itoa(recent)+`) v, `+q.labelsOf()+`
		ORDER BY lb.value LIMIT `+itoa(limit), func(row rowScanner) (string, error) {
		var s string
		return s, row.Scan(&s)
	}, accountID)
}
