package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/batonhq/baton"
)

// QuietMessage is a customer's message that CreateQuietMessage may write:
// its conversation is found as FindPublicMessageTarget finds it.
type QuietMessage struct {
	InboxIdentifier, SourceID string
	DisplayID                 int64
	// Message is the message, its account, inbox, conversation and sender
	// left for the statement to set from the conversation it finds.
	Message *baton.Message
	// Live is the message's live event (its ids set likewise).
	Live *LiveEvent
	// ActiveSince: the contact's last activity must be later, or the
	// message would update it. FloodSince and FloodLimit: the conversation
	// must have fewer messages than the limit since the time.
	ActiveSince, FloodSince int64
	FloodLimit              int
}

// CreateQuietMessage writes a customer's message that changes nothing but
// its conversation's activity and that no bot or webhook hears, in one
// statement that finds the conversation, checks that the message is such a
// one, and writes it with the conversation's activity and its live event.
// The message is quiet when the conversation is open and waiting for a
// reply, no bot is its assignee or connected to its inbox, no webhook of
// its account or inbox exists, the contact was active after ActiveSince,
// and the flood limit is not reached.
//
// Quiet messages that come while others are being written are written
// together, by one statement for up to maxQuiet of them (see quietBatch):
// on PostgreSQL a statement's fixed costs (the round trip, the executor's
// start, the commit) were most of what such a message cost the database.
//
// On SQLite the message is written by the group commit (Write) in four
// statements, the conversation's update first, with no lookup before: on
// SQLite's one writer the lookup, which reads every column a message of any
// kind may need, was the largest part of a message's time.
//
// It returns the conversation, with its contact (and on PostgreSQL its
// contact inbox), and ok false when no such conversation was found or the
// message is not quiet: nothing is written then, and the caller writes the
// message in a transaction, which tells which. On PostgreSQL the
// conversation's row is locked by the update, and its conditions are
// checked again on its newest version when another transaction changed it
// meanwhile, as the transaction's lookup locks it.
func (s *Store) CreateQuietMessage(ctx context.Context, in QuietMessage) (c *baton.Conversation, ok bool, err error) {
	if s.batch != nil {
		return s.writeQuietSQLite(ctx, in)
	}
	b := s.quiet
	j := &quietJob{call: newCall(ctx), in: in}
	if err := b.wait(ctx, j, j.done, b.take, s.writeQuiet); err != nil {
		return nil, false, err
	}
	return j.c, j.ok, j.err
}

// maxQuiet bounds how many quiet messages one statement writes, and
// quietStatements how many such statements a process runs at once. One at
// a time did best (batonbench -mode table, PostgreSQL without a bot, side
// by side: 4,500 messages a second with one, 3,969 with two, fewer with
// four): the messages that come while one runs wait for the next, which
// grows, and a statement's fixed costs are shared by more of them.
const (
	maxQuiet        = 64
	quietStatements = 1
)

// quietBatch is the queue of quiet messages waiting for a statement.
type quietBatch struct {
	together[*quietJob]
}

func newQuietBatch() *quietBatch {
	return &quietBatch{newTogether[*quietJob](quietStatements)}
}

// quietJob is one CreateQuietMessage call.
type quietJob struct {
	call
	in  QuietMessage
	c   *baton.Conversation
	ok  bool
	err error
}

// quietKey is the conversation a quiet message goes to.
type quietKey struct {
	inbox, source string
	display       int64
}

// take removes up to maxQuiet messages from the queue, the oldest first,
// with one flood limit, and no two to one conversation: the update writes
// a conversation once a statement, and the flood count would miss the
// first. The messages it leaves keep their place.
func (b *quietBatch) take() []*quietJob {
	return takeDistinct(&b.queue, maxQuiet, func(j *quietJob) quietKey {
		return quietKey{j.in.InboxIdentifier, j.in.SourceID, j.in.DisplayID}
	}, func(first, j *quietJob) bool { return j.in.FloodLimit == first.in.FloodLimit })
}

// writeQuiet writes jobs in one statement (createQuietMessages) and gives
// each its outcome. The statement is one transaction: all are written or
// none, and an error is every job's. It runs to its end whatever the
// callers' contexts do, as a caller's statement does (pool's detach).
func (s *Store) writeQuiet(jobs []*quietJob) {
	defer finish(jobs)
	s.transactions.Add(1)
	n := len(jobs)
	var (
		inbox, source, content, attrs, msgSource, external, additional, names, data = make([]string, n),
			make([]string, n), make([]*string, n), make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n)
		display, at, active, since, eventContact = make([]int64, n), make([]int64, n), make([]int64, n),
			make([]int64, n), make([]int64, n)
		messageType, contentType, status = make([]int32, n), make([]int32, n), make([]int32, n)
		private                          = make([]bool, n)
		senderType                       = make([]string, n)
	)
	for i, j := range jobs {
		count(j.ctx)
		in, m, e := j.in, j.in.Message, j.in.Live
		inbox[i], source[i], display[i] = in.InboxIdentifier, in.SourceID, in.DisplayID
		at[i], active[i], since[i] = toMicros(m.CreatedAt), in.ActiveSince, in.FloodSince
		messageType[i], contentType[i], status[i] = int32(m.MessageType), int32(m.ContentType), int32(m.Status)
		content[i], attrs[i], private[i] = m.Content, jsonObject(m.ContentAttributes), m.Private
		msgSource[i], senderType[i] = m.SourceID, m.SenderType
		external[i], additional[i] = jsonObject(m.ExternalSourceIDs), jsonObject(m.AdditionalAttributes)
		names[i], data[i], eventContact[i] = e.Name, e.data(), e.ContactID
	}
	ctx := context.WithoutCancel(jobs[0].ctx)
	rows, err := s.writer.QueryContext(ctx, createQuietMessages, inbox, source, display, at, active, since,
		jobs[0].in.FloodLimit, messageType, contentType, content, attrs, private, status, msgSource, senderType,
		external, additional, names, data, eventContact)
	if err == nil {
		err = scanQuiet(rows, jobs)
	}
	if err != nil {
		err = (&Queries{d: s.dialect}).formatError(err, "message")
		for _, j := range jobs {
			j.c, j.ok, j.err = nil, false, err
		}
	}
}

// scanQuiet reads createQuietMessages' rows into their jobs; a job without
// a row was not quiet.
func scanQuiet(rows *sql.Rows, jobs []*quietJob) error {
	defer rows.Close()
	for rows.Next() {
		var ord int
		var accountID, inboxID, conversationID, senderID, messageID, eventID int64
		c := &baton.Conversation{ContactInbox: &baton.ContactInbox{}, Contact: &baton.Contact{}}
		ci, finishContactInbox := contactInboxDest(c.ContactInbox)
		contact, finishContact := contactDest(c.Contact)
		conv, finishConversation := conversationDest(c)
		dest := slices.Concat([]any{&ord, &accountID, &inboxID, &conversationID, &senderID}, ci, contact, conv,
			[]any{&messageID, &eventID})
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		finishContactInbox()
		finishContact()
		finishConversation()
		j := jobs[ord-1]
		m, e := j.in.Message, j.in.Live
		m.AccountID, m.InboxID, m.ConversationID, m.SenderID, m.ID = accountID, inboxID, conversationID, senderID, messageID
		e.ID, e.AccountID, e.ConversationID, e.MessageID = eventID, accountID, conversationID, messageID
		j.c, j.ok = c, true
	}
	return rows.Err()
}

// quietConditions are the conditions of a quiet message on conversation
// v, its contact c, with the contact's last activity after active and
// fewer than limit messages since since (SQL expressions).
func quietConditions(active, since, limit string) string {
	return `v.status = ` + itoa(int(baton.StatusOpen)) + ` AND v.waiting_since IS NOT NULL AND v.assignee_agent_bot_id IS NULL
		AND c.last_activity_at > ` + active + `
		AND NOT EXISTS (SELECT 1 FROM agent_bot_inboxes ab WHERE ab.inbox_id = v.inbox_id)
		AND NOT ` + inboxWebhooks + `
		AND ` + floodCount(since, limit) + ` < ` + limit
}

// writeQuietSQLite is CreateQuietMessage on SQLite: the conversation's
// activity is updated where it is a quiet message's (touchQuietConversation),
// and the message and its live event are inserted when it was, and the
// contact read for the caller's answer, in one group-commit call: on the
// writer's open transaction the read cost less than a read transaction of
// its own on the reader pool (side by side, batonbench -mode table, SQLite
// without a bot: 9,206 messages a second against 8,246).
func (s *Store) writeQuietSQLite(ctx context.Context, in QuietMessage) (*baton.Conversation, bool, error) {
	m, e := in.Message, in.Live
	c := &baton.Conversation{}
	found := false
	err := s.Write(ctx, func(q *Queries) error {
		err := q.db.QueryRowContext(ctx, touchQuietConversation, in.InboxIdentifier, in.SourceID, in.DisplayID,
			toMicros(m.CreatedAt), in.ActiveSince, in.FloodSince, in.FloodLimit).
			Scan(&c.ID, &c.AccountID, &c.InboxID, &c.ContactID, &c.ContactInboxID, &c.DisplayID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return q.formatError(err, "conversation")
		}
		found = true
		m.AccountID, m.InboxID, m.ConversationID, m.SenderID = c.AccountID, c.InboxID, c.ID, c.ContactID
		if err := q.insertMessageRow(ctx, m); err != nil { // counted by the update
			return err
		}
		e.AccountID, e.ConversationID, e.MessageID = c.AccountID, c.ID, m.ID
		if err := q.CreateLiveEvent(ctx, e); err != nil {
			return err
		}
		c.Contact, err = q.FindContact(ctx, c.AccountID, c.ContactID)
		return err
	})
	if err != nil || !found {
		return nil, false, err
	}
	return c, true, nil
}

// touchQuietConversation is writeQuietSQLite's update: the conversation
// found as FindPublicMessageTarget finds it ($1 to $3), where the message
// is a quiet one ($5 to $7), gets its activity ($4), and the message is
// counted in its flood minute.
var touchQuietConversation = `UPDATE conversations SET last_activity_at = $4, updated_at = $4, ` + floodCounted("$4") + `
	WHERE id = (SELECT v.id FROM conversations v` + publicConversationJoins + publicConversationWhere + `
		AND ` + quietConditions("$5", "$6", "$7") + `)
	RETURNING id, account_id, inbox_id, contact_id, contact_inbox_id, display_id`

// createQuietMessages is CreateQuietMessage's statement for the messages
// given as arrays, one element each ($1 to $20; the flood limit $7 is
// theirs in common). The input i numbers them from 1 (ord), in their
// order. k finds each one's conversation as FindPublicMessageTarget does,
// by the inbox's identifier and the conversation's unique (account_id,
// display_id), and locks them, skipping any another transaction holds: a
// statement writes the messages of many conversations, and one that waited
// for the lock of one (a transaction writing there, another process's
// statement) would hold up all of them, or wait for another statement that
// waits for it (a deadlock). A message whose conversation was skipped gets
// no row, and its caller's transaction waits for the lock on its own.
// The update checks the conditions of a quiet message on it and its
// contact inbox and contact, counts the message in its flood minute, and
// returns it with the message's ord; the messages are inserted from what
// it returns, in their order, and their live events beside them, matched
// by conversation (a statement has one message a conversation, see take).
var createQuietMessages = `WITH i AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[],
		$5::bigint[], $6::bigint[], $8::int[], $9::int[], $10::text[], $11::text[], $12::bool[], $13::int[],
		$14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::bigint[])
		WITH ORDINALITY AS i(inbox, source, display, at, active, since, message_type, content_type, content,
		content_attributes, private, status, source_id, sender_type, external_source_ids, additional_attributes,
		event_name, event_data, event_contact, ord)),
	k AS (SELECT i.*, x.id AS conversation FROM i JOIN inboxes b ON b.identifier = i.inbox
		JOIN conversations x ON x.account_id = b.account_id AND x.display_id = i.display AND x.inbox_id = b.id
		FOR UPDATE OF x SKIP LOCKED),
	t AS (UPDATE conversations v SET last_activity_at = k.at, updated_at = k.at, ` + floodCounted("k.at") + `
		FROM k, contact_inboxes ci, contacts c
		WHERE v.id = k.conversation AND ci.id = v.contact_inbox_id AND ci.inbox_id = v.inbox_id
		AND c.id = ci.contact_id AND ci.source_id = k.source
		AND ` + quietConditions("k.active", "k.since", "$7") + `
		RETURNING k.ord, v.account_id AS t_account, v.inbox_id AS t_inbox, v.id AS t_conversation, c.id AS t_contact, ` +
	contactInboxColumns + `, ` + contactColumns + `, ` + conversationColumns + `),
	m AS (INSERT INTO messages (` + messageInsertColumns + `)
		SELECT t.t_account, t.t_inbox, t.t_conversation, k.message_type, k.content_type, k.content,
		k.content_attributes::jsonb, k.private, k.status, k.source_id, k.sender_type, t.t_contact,
		k.external_source_ids::jsonb, k.additional_attributes::jsonb, k.at, k.at
		FROM t JOIN k ON k.ord = t.ord ORDER BY t.ord RETURNING id, conversation_id),
	e AS (INSERT INTO live_events (account_id, conversation_id, message_id, contact_id, name, data, created_at)
		SELECT t.t_account, t.t_conversation, m.id, NULLIF(k.event_contact, 0), k.event_name, k.event_data, k.at
		FROM t JOIN k ON k.ord = t.ord JOIN m ON m.conversation_id = t.t_conversation ORDER BY t.ord
		RETURNING id, message_id, conversation_id)
	SELECT t.*, e.message_id, e.id FROM t JOIN e ON e.conversation_id = t.t_conversation`
