package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/batonhq/baton"
)

const messageColumns = `m.id, m.account_id, m.inbox_id, m.conversation_id, m.message_type, m.content_type, m.content,
	m.content_attributes, m.private, m.status, m.source_id, m.sender_type, m.sender_id, m.external_source_ids,
	m.additional_attributes, m.created_at, m.updated_at`

func scanMessage(row interface{ Scan(...any) error }) (*baton.Message, error) {
	var m baton.Message
	var content sql.NullString
	var attrs, external, additional string
	var created, updated int64
	if err := row.Scan(&m.ID, &m.AccountID, &m.InboxID, &m.ConversationID, &m.MessageType, &m.ContentType,
		&content, &attrs, &m.Private, &m.Status, &m.SourceID, &m.SenderType, &m.SenderID, &external, &additional,
		&created, &updated); err != nil {
		return nil, err
	}
	if content.Valid {
		m.Content = &content.String
	}
	m.ContentAttributes, m.ExternalSourceIDs = parseObject(attrs), parseObject(external)
	m.AdditionalAttributes = parseObject(additional)
	m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &m, nil
}

func nullContent(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

// messageInsertColumns are the columns a message is inserted with, in
// messageValues' order (every statement that inserts messages names them).
const messageInsertColumns = `account_id, inbox_id, conversation_id, message_type, content_type, content,
	content_attributes, private, status, source_id, sender_type, sender_id, external_source_ids,
	additional_attributes, created_at, updated_at`

// insertMessage inserts a message from messageValues ($1 to $16).
const insertMessage = `INSERT INTO messages (` + messageInsertColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`

func messageValues(m *baton.Message) []any {
	return []any{m.AccountID, m.InboxID, m.ConversationID, m.MessageType, m.ContentType, nullContent(m.Content),
		jsonObject(m.ContentAttributes), m.Private, m.Status, m.SourceID, m.SenderType, m.SenderID,
		jsonObject(m.ExternalSourceIDs), jsonObject(m.AdditionalAttributes), toMicros(m.CreatedAt),
		toMicros(m.UpdatedAt)}
}

// CreateMessage inserts m, sets its id, and counts it in its
// conversation's flood minute (floodCounted): on PostgreSQL in one
// statement.
func (q *Queries) CreateMessage(ctx context.Context, m *baton.Message) error {
	if q.d.Name() == "postgres" {
		query, args := q.insertMessage(messageValues(m))
		err := q.db.QueryRowContext(ctx, `WITH m AS (`+query+` RETURNING id),
			f AS (UPDATE conversations SET `+floodCounted("$15")+` WHERE id = $3)
			SELECT id FROM m`, args...).Scan(&m.ID)
		return q.formatError(err, "message")
	}
	if err := q.insertMessageRow(ctx, m); err != nil {
		return err
	}
	_, err := q.db.ExecContext(ctx, floodMinuteUpdate, toMicros(m.CreatedAt), m.ConversationID)
	return q.formatError(err, "conversation")
}

// floodMinuteUpdate counts a message written at $1 in conversation $2's
// flood minute.
var floodMinuteUpdate = `UPDATE conversations SET ` + floodCounted("$1") + ` WHERE id = $2`

// insertMessageRow inserts m (insertMessage) and sets its id; it does not
// count it in the flood minute, which the caller's update does.
func (q *Queries) insertMessageRow(ctx context.Context, m *baton.Message) error {
	query, args := q.insertMessage(messageValues(m))
	var err error
	m.ID, err = q.insert(ctx, query, args...)
	return q.formatError(err, "message")
}

// insertMessage is the statement that inserts a message from args, which
// begin with messageValues, and its arguments: insertMessage, or, when an
// id was reserved for the message (Queries.reserved), the insert with it,
// its parameter after args; unless the conversation has a newer message by
// then, whose id would tell the messages' order wrong: its own id then.
func (q *Queries) insertMessage(args []any) (string, []any) {
	if q.reserved == 0 {
		return insertMessage, args
	}
	id := "$" + itoa(len(args)+1)
	args = append(args, q.reserved)
	q.reserved = 0
	return `INSERT INTO messages (id, ` + messageInsertColumns + `)
		VALUES (CASE WHEN EXISTS (SELECT 1 FROM messages n WHERE n.conversation_id = $3 AND n.id > ` + id + `)
			THEN nextval('messages_id_seq') ELSE ` + id + ` END,
		$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, args
}

// touchCounted is TouchConversation's update ($1 the activity, $3 the
// conversation) with a message written at $2 counted in the flood minute.
var touchCounted = `UPDATE conversations SET last_activity_at = $1, updated_at = $1, ` + floodCounted("$2") +
	` WHERE id = $3`

// CreateMessageLive is CreateMessage, TouchConversation of its
// conversation at the time and CreateLiveEvent of e, which is about the
// message (its MessageID is set to the message's): on PostgreSQL one
// statement, a round trip instead of three.
func (q *Queries) CreateMessageLive(ctx context.Context, m *baton.Message, at int64, e *LiveEvent) error {
	if q.optimistic != nil {
		return q.optimistic.createMessageLive(m, at, e)
	}
	if q.d.Name() != "postgres" {
		// The message, then the conversation's activity with the count.
		if err := q.insertMessageRow(ctx, m); err != nil {
			return err
		}
		if _, err := q.db.ExecContext(ctx, touchCounted, at, toMicros(m.CreatedAt), m.ConversationID); err != nil {
			return q.formatError(err, "conversation")
		}
		e.MessageID = m.ID
		return q.CreateLiveEvent(ctx, e)
	}
	insert, args := q.insertMessage(append(messageValues(m), at, e.AccountID, nullInt(e.ConversationID),
		nullInt(e.ContactID), e.Name, e.data(), toMicros(e.CreatedAt)))
	err := q.db.QueryRowContext(ctx, `WITH m AS (`+insert+` RETURNING id),
		t AS (UPDATE conversations SET last_activity_at = $17, updated_at = $17, `+floodCounted("$15")+` WHERE id = $3),
		e AS (INSERT INTO live_events (account_id, conversation_id, message_id, contact_id, name, data, created_at)
		SELECT $18, $19, m.id, $20, $21, $22, $23 FROM m RETURNING id, message_id)
		SELECT message_id, id FROM e`, args...).Scan(&m.ID, &e.ID)
	e.MessageID = m.ID
	return q.formatError(err, "message")
}

// UpdateMessage writes the mutable columns of m.
func (q *Queries) UpdateMessage(ctx context.Context, m *baton.Message) error {
	res, err := q.db.ExecContext(ctx, `UPDATE messages SET content = $1, content_attributes = $2, status = $3,
		additional_attributes = $4, updated_at = $5, content_type = $7 WHERE id = $6`,
		nullContent(m.Content), jsonObject(m.ContentAttributes), m.Status, jsonObject(m.AdditionalAttributes),
		toMicros(m.UpdatedAt), m.ID, m.ContentType)
	return q.mustAffect(res, err, "message")
}

// FindMessage returns the message with the id in the conversation.
func (q *Queries) FindMessage(ctx context.Context, conversationID, id int64) (*baton.Message, error) {
	m, err := scanMessage(q.db.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages m
		WHERE m.id = $1 AND m.conversation_id = $2`+q.lock("m"), id, conversationID))
	return m, q.formatError(err, "message")
}

// FindMessagesByID returns the messages with the ids, by id; ids not found
// are left out. One statement for a batch: how the live channel loads the
// messages of the events it read together.
func (q *Queries) FindMessagesByID(ctx context.Context, ids []int64) (map[int64]*baton.Message, error) {
	return queryByID(ctx, q, "message", `SELECT `+messageColumns+` FROM messages m WHERE m.id IN `, ids,
		func(row rowScanner) (*baton.Message, error) { return scanMessage(row) },
		func(m *baton.Message) int64 { return m.ID })
}

// MatchingMessages returns, by conversation id, the newest message of
// each of the conversations that the search's words match (see
// ConversationSearch); a conversation with none, or a search without
// words, is left out. One statement: each conversation's messages are
// walked back from the newest to the first that matches.
func (q *Queries) MatchingMessages(ctx context.Context, conversationIDs []int64, s ConversationSearch) (map[int64]*baton.Message, error) {
	out := make(map[int64]*baton.Message, len(conversationIDs))
	if len(conversationIDs) == 0 || len(s.Words) == 0 {
		return out, nil
	}
	args := []any{nil} // the ids, $1
	match := s.messageMatch(q, "x", &args)
	query, ids := q.inIDs(`SELECT `+messageColumns+` FROM messages m WHERE m.id IN (
		SELECT (SELECT x.id FROM messages x WHERE x.conversation_id = c.id AND `+match+` ORDER BY x.id DESC LIMIT 1)
		FROM conversations c WHERE c.id IN `, conversationIDs, 1)
	args[0] = ids[0]
	ms, err := queryAll(ctx, q, "message", query+`)`, scanMessage, args...)
	for _, m := range ms {
		out[m.ConversationID] = m
	}
	return out, err
}

// FindInboxMessage returns the message with the id in the inbox.
func (q *Queries) FindInboxMessage(ctx context.Context, inboxID, id int64) (*baton.Message, error) {
	m, err := scanMessage(q.db.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages m
		WHERE m.id = $1 AND m.inbox_id = $2`, id, inboxID))
	return m, q.formatError(err, "message")
}

// MessageFilter selects messages of a conversation. Before and After are
// exclusive message ids; without After the newest Limit before Before are
// returned.
type MessageFilter struct {
	ConversationID int64
	Before, After  int64
	Limit          int
	Public         bool // leave out private notes and activity messages
	NoPrivate      bool // leave out private notes only
}

// ListMessages returns the matching messages, oldest first.
func (q *Queries) ListMessages(ctx context.Context, f MessageFilter) ([]*baton.Message, error) {
	where, args := `WHERE m.conversation_id = $1`, []any{f.ConversationID}
	if f.Before > 0 {
		args = append(args, f.Before)
		where += ` AND m.id < $` + itoa(len(args))
	}
	if f.After > 0 {
		args = append(args, f.After)
		where += ` AND m.id > $` + itoa(len(args))
	}
	if f.Public {
		where += ` AND m.private = FALSE AND m.message_type <> 2`
	} else if f.NoPrivate {
		where += ` AND m.private = FALSE`
	}
	order := ` ORDER BY m.id DESC`
	if f.After > 0 && f.Before == 0 {
		order = ` ORDER BY m.id ASC`
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	out, err := queryAll(ctx, q, "message", `SELECT `+messageColumns+` FROM messages m `+where+order+` LIMIT `+itoa(f.Limit),
		scanMessage, args...)
	if err != nil {
		return nil, err
	}
	if order == ` ORDER BY m.id DESC` {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// LastMessages returns, in one statement, the newest message of the
// conversation that is neither an activity nor private (what webhooks and
// live clients show) and the newest that is not an activity, private notes
// included (Chatwoot's last_non_activity_message); nil when there is none.
// Each is found walking the conversation's messages back from the newest,
// past the few it skips: a search for its newest private note instead
// walked every message of a conversation that has none (measured: bot
// turns on PostgreSQL twice as slow at 300 a second).
func (q *Queries) LastMessages(ctx context.Context, conversationID int64) (public, nonActivity *baton.Message, err error) {
	ms, err := queryAll(ctx, q, "message", `SELECT `+messageColumns+` FROM messages m WHERE m.id IN (
		(SELECT p.id FROM messages p WHERE p.conversation_id = $1 AND p.private = FALSE AND p.message_type <> 2
			ORDER BY p.id DESC LIMIT 1),
		(SELECT n.id FROM messages n WHERE n.conversation_id = $1 AND n.message_type <> 2
			ORDER BY n.id DESC LIMIT 1))
		ORDER BY m.id`, scanMessage, conversationID)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range ms {
		if !m.Private {
			public = m
		}
		nonActivity = m // the newer of the two
	}
	return public, nonActivity, nil
}

// CountIncomingSince counts the conversation's incoming messages created
// after the time, up to limit.
func (q *Queries) CountIncomingSince(ctx context.Context, conversationID, since int64, limit int) (int, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM messages
		WHERE conversation_id = $1 AND message_type = 0 AND created_at > $2 LIMIT `+itoa(limit)+`) t`,
		conversationID, since).Scan(&n)
	return n, q.formatError(err, "message")
}

// LastIncomingAt is when the conversation's newest incoming message was
// created, or nil when it has none.
func (q *Queries) LastIncomingAt(ctx context.Context, conversationID int64) (*time.Time, error) {
	var at sql.NullInt64
	err := q.db.QueryRowContext(ctx, `SELECT MAX(created_at) FROM messages WHERE conversation_id = $1 AND message_type = 0`,
		conversationID).Scan(&at)
	if err != nil {
		return nil, q.formatError(err, "message")
	}
	return fromNullMicros(at), nil
}

// FloodCount is the flood guard's count of the conversation (see
// floodCount): its messages in its flood minute, if that began after
// since, up to limit.
func (q *Queries) FloodCount(ctx context.Context, conversationID, since int64, limit int) (int, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT `+floodCount("$2", "$3")+` FROM conversations v WHERE v.id = $1`,
		conversationID, since, limit).Scan(&n)
	return n, q.formatError(err, "conversation")
}

// HasContentType says whether the conversation has a message of the
// content type (a CSAT survey is sent once).
func (q *Queries) HasContentType(ctx context.Context, conversationID int64, ct baton.ContentType) (bool, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM messages
		WHERE conversation_id = $1 AND content_type = $2 LIMIT 1) t`, conversationID, int(ct)).Scan(&n)
	return n > 0, q.formatError(err, "message")
}
