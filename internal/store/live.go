package store

import (
	"context"
	"database/sql"
	"time"
)

// LiveEvent is a row of the live event log: what live clients hear of,
// named by ids. Data holds the event's details as a JSON object (changed
// attributes, a typing indicator's sender).
type LiveEvent struct {
	ID             int64
	AccountID      int64
	ConversationID int64 // internal id; 0 for none
	MessageID      int64
	ContactID      int64
	Name           string
	Data           []byte
	CreatedAt      time.Time
}

// data is the event's details as stored: an empty object for none.
func (e *LiveEvent) data() string {
	if len(e.Data) == 0 {
		return "{}"
	}
	return string(e.Data)
}

// CreateLiveEvent appends e to the live event log and sets its id. Other
// processes are told after the commit (on PostgreSQL, postgres.Announcer),
// not in the transaction: a NOTIFY makes every commit that sends one wait
// for the others' (PostgreSQL takes one lock for them, held through the
// commit's flush).
func (q *Queries) CreateLiveEvent(ctx context.Context, e *LiveEvent) error {
	var err error
	e.ID, err = q.insert(ctx, `INSERT INTO live_events (account_id, conversation_id, message_id, contact_id, name,
		data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.AccountID, nullInt(e.ConversationID),
		nullInt(e.MessageID), nullInt(e.ContactID), e.Name, e.data(), toMicros(e.CreatedAt))
	return q.formatError(err, "live event")
}

// CreateLiveEventAlone is CreateLiveEvent as a transaction of its own: on
// PostgreSQL one round trip, for a live event that comes with no other
// write (a typing indicator no webhook hears).
func (s *Store) CreateLiveEventAlone(ctx context.Context, e *LiveEvent) error {
	return s.writeAlone(ctx, func(q *Queries) error { return q.CreateLiveEvent(ctx, e) })
}

// TouchConversationLive is TouchConversation and CreateLiveEvent of e,
// where the dialect can (PostgreSQL) in one statement: a message's last
// two writes, one round trip instead of two.
func (q *Queries) TouchConversationLive(ctx context.Context, id, at int64, e *LiveEvent) error {
	if q.d.Name() != "postgres" {
		if err := q.TouchConversation(ctx, id, at); err != nil {
			return err
		}
		return q.CreateLiveEvent(ctx, e)
	}
	err := q.db.QueryRowContext(ctx, `WITH t AS (UPDATE conversations SET last_activity_at = $8, updated_at = $8
		WHERE id = $9), e AS (INSERT INTO live_events (account_id, conversation_id, message_id, contact_id, name,
		data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id)
		SELECT id FROM e`,
		e.AccountID, nullInt(e.ConversationID), nullInt(e.MessageID), nullInt(e.ContactID), e.Name, e.data(),
		toMicros(e.CreatedAt), at, id).Scan(&e.ID)
	return q.formatError(err, "live event")
}

const liveEventColumns = `id, account_id, conversation_id, message_id, contact_id, name, data, created_at`

func (q *Queries) queryLiveEvents(ctx context.Context, query string, args ...any) ([]*LiveEvent, error) {
	return queryAll(ctx, q, "live event", `SELECT `+liveEventColumns+` FROM live_events `+query, scanLiveEvent, args...)
}

// scanLiveEvent reads liveEventColumns.
func scanLiveEvent(row rowScanner) (*LiveEvent, error) {
	var e LiveEvent
	var conv, msg, contact sql.NullInt64
	var data string
	var at int64
	if err := row.Scan(&e.ID, &e.AccountID, &conv, &msg, &contact, &e.Name, &data, &at); err != nil {
		return nil, err
	}
	e.ConversationID, e.MessageID, e.ContactID = conv.Int64, msg.Int64, contact.Int64
	e.Data, e.CreatedAt = []byte(data), fromMicros(at)
	return &e, nil
}

// LiveEventsAfter returns up to limit live events with ids above after,
// oldest first. On SQLite, where one writer commits at a time, that is the
// order they committed in.
func (q *Queries) LiveEventsAfter(ctx context.Context, after int64, limit int) ([]*LiveEvent, error) {
	return q.queryLiveEvents(ctx, `WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
}

// LiveEventsSince returns up to limit live events with an id after the
// given one or among also (ids read past before, whose transactions had
// not committed), by id.
func (q *Queries) LiveEventsSince(ctx context.Context, after int64, also []int64, limit int) ([]*LiveEvent, error) {
	if len(also) == 0 {
		return q.LiveEventsAfter(ctx, after, limit)
	}
	// Two reads, each by the primary key, in one statement: with an OR
	// PostgreSQL read the whole log (3–5 ms a wake-up with 2,000 events).
	// The first has a limit of its own: without one, PostgreSQL's generic
	// plan (a statement's plan once it has run five times) guessed that a
	// third of the log is past any id, and read all of it (3 ms with
	// 23,000 events).
	in, args := q.inIDs(` FROM live_events WHERE id IN `, also, 2)
	n := itoa(limit)
	return queryAll(ctx, q, "live event", `SELECT `+liveEventColumns+` FROM (SELECT `+liveEventColumns+
		` FROM live_events WHERE id > $1 ORDER BY id LIMIT `+n+`) AS a UNION ALL SELECT `+liveEventColumns+
		in+` AND id <= $1 ORDER BY id LIMIT `+n, scanLiveEvent, append([]any{after}, args...)...)
}

// LiveEventsByID returns the live events with the ids, in the order of ids;
// ids no longer in the log are left out.
func (q *Queries) LiveEventsByID(ctx context.Context, ids []int64) ([]*LiveEvent, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := q.inIDs(`WHERE id IN `, ids, 1)
	found, err := q.queryLiveEvents(ctx, in, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*LiveEvent, len(found))
	for _, e := range found {
		byID[e.ID] = e
	}
	out := make([]*LiveEvent, 0, len(found))
	for _, id := range ids {
		if e, ok := byID[id]; ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// RecentLiveEvents returns the live events of the name about the
// conversation (internal id) created at or after since.
func (q *Queries) RecentLiveEvents(ctx context.Context, conversationID int64, name string, since time.Time) ([]*LiveEvent, error) {
	return q.queryLiveEvents(ctx, `WHERE created_at >= $1 AND conversation_id = $2 AND name = $3 ORDER BY id`,
		toMicros(since), conversationID, name)
}

// LastLiveEventID returns the id of the newest live event, 0 for none.
func (q *Queries) LastLiveEventID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	err := q.db.QueryRowContext(ctx, `SELECT MAX(id) FROM live_events`).Scan(&id)
	return id.Int64, q.formatError(err, "live event")
}

// PruneLiveEvents deletes the live events older than before.
func (q *Queries) PruneLiveEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.db.ExecContext(ctx, `DELETE FROM live_events WHERE created_at < $1`, toMicros(before))
	if err != nil {
		return 0, q.formatError(err, "live event")
	}
	return res.RowsAffected()
}

// InboxAudience returns the users of the account who see the inbox's
// conversations: its administrators and the inbox's members who are still
// in the account. With inboxID 0 it returns every member of the account.
func (q *Queries) InboxAudience(ctx context.Context, accountID, inboxID int64) ([]int64, error) {
	if inboxID == 0 {
		return q.queryIDs(ctx, "account user", `SELECT user_id FROM account_users WHERE account_id = $1`, accountID)
	}
	return q.queryIDs(ctx, "account user", `SELECT user_id FROM account_users WHERE account_id = $1
		AND (role = 1 OR user_id IN (SELECT user_id FROM inbox_members WHERE inbox_id = $2))`, accountID, inboxID)
}
