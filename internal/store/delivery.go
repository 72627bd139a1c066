package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// The delivery log as administrators and bots read it, and its upkeep:
// redelivery, replay, retention and the numbers metrics read at scrape
// time. The engine's own queries are in event.go.

// DeliveryFilter selects deliveries of one bot in one account.
type DeliveryFilter struct {
	AgentBotID int64
	AccountID  int64
	Status     *int   // one of the Delivery states; nil for any
	LaneID     int64  // the conversation's internal id; 0 for any
	Event      string // the event's name; "" for any
	Since      time.Time
	Until      time.Time // exclusive; zero for no bound
	Before     int64     // only deliveries with a smaller id: the cursor; 0 for none
	Limit      int
	Offset     int
}

// LoggedDelivery is a delivery with what its log shows beside it: the
// conversation's display id (0 for events without one) and its attempts,
// oldest first.
type LoggedDelivery struct {
	Delivery
	DisplayID int64
	Log       []*Attempt
}

const loggedColumns = deliveryColumns + `, COALESCE(c.display_id, 0)`

const loggedFrom = ` FROM deliveries d JOIN events e ON e.id = d.event_id
	LEFT JOIN conversations c ON c.id = e.conversation_id `

// FindLoggedDeliveries returns the deliveries the filter selects, newest
// first, each with its attempts.
func (q *Queries) FindLoggedDeliveries(ctx context.Context, f DeliveryFilter) ([]*LoggedDelivery, error) {
	where := []string{"d.agent_bot_id = $1", "d.account_id = $2"}
	args := []any{f.AgentBotID, f.AccountID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.Status != nil {
		add("d.status = ?", *f.Status)
	}
	if f.LaneID != 0 {
		add("d.lane_id = ?", f.LaneID)
	}
	if f.Event != "" {
		add("e.name = ?", f.Event)
	}
	if !f.Since.IsZero() {
		add("d.created_at >= ?", toMicros(f.Since))
	}
	if !f.Until.IsZero() {
		add("d.created_at < ?", toMicros(f.Until))
	}
	if f.Before != 0 {
		add("d.id < ?", f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 25
	}
	return q.queryLogged(ctx, `WHERE `+strings.Join(where, " AND ")+` ORDER BY d.id DESC LIMIT `+itoa(limit)+
		` OFFSET `+itoa(max(f.Offset, 0)), args...)
}

// FindLoggedDelivery returns a bot's delivery in the account by its uuid,
// with its attempts.
func (q *Queries) FindLoggedDelivery(ctx context.Context, botID, accountID int64, uuid string) (*LoggedDelivery, error) {
	ds, err := q.queryLogged(ctx, `WHERE d.agent_bot_id = $1 AND d.account_id = $2 AND d.uuid = $3`, botID, accountID, uuid)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, q.formatError(sql.ErrNoRows, "delivery")
	}
	return ds[0], nil
}

func (q *Queries) queryLogged(ctx context.Context, where string, args ...any) ([]*LoggedDelivery, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT `+loggedColumns+loggedFrom+where, args...)
	if err != nil {
		return nil, q.formatError(err, "delivery")
	}
	defer rows.Close()
	var out []*LoggedDelivery
	for rows.Next() {
		var l LoggedDelivery
		if err := scanDelivery(rows, &l.Delivery, &l.DisplayID); err != nil {
			return nil, err
		}
		out = append(out, &l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, q.loadAttempts(ctx, out)
}

// loadAttempts fills in the deliveries' attempts, in one query.
func (q *Queries) loadAttempts(ctx context.Context, ds []*LoggedDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[int64]*LoggedDelivery, len(ds))
	ids := make([]int64, 0, len(ds))
	for _, d := range ds {
		byID[d.ID], d.Log = d, []*Attempt{}
		ids = append(ids, d.ID)
	}
	where, args := inList(`WHERE delivery_id IN `, ids)
	rows, err := q.db.QueryContext(ctx, `SELECT delivery_id, attempted_at, status_code, latency_us, error, response
		FROM delivery_attempts `+where+` ORDER BY id`, args...)
	if err != nil {
		return q.formatError(err, "delivery attempt")
	}
	defer rows.Close()
	for rows.Next() {
		var a Attempt
		var at, latency int64
		if err := rows.Scan(&a.DeliveryID, &at, &a.StatusCode, &latency, &a.Error, &a.Response); err != nil {
			return err
		}
		a.AttemptedAt, a.Latency = fromMicros(at), time.Duration(latency)*time.Microsecond
		byID[a.DeliveryID].Log = append(byID[a.DeliveryID].Log, &a)
	}
	return rows.Err()
}

// DeliveryID returns the id of a bot's delivery in the account by its
// uuid: the list's cursor.
func (q *Queries) DeliveryID(ctx context.Context, botID, accountID int64, uuid string) (int64, error) {
	var id int64
	err := q.db.QueryRowContext(ctx, `SELECT id FROM deliveries WHERE agent_bot_id = $1 AND account_id = $2 AND uuid = $3`,
		botID, accountID, uuid).Scan(&id)
	return id, q.formatError(err, "delivery")
}

// ReplayableEvents returns the ids of a conversation's events since a time
// that were sent, or are to be sent, to the bot, in order.
func (q *Queries) ReplayableEvents(ctx context.Context, botID, conversationID int64, since time.Time) ([]int64, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT e.id FROM events e
		WHERE e.conversation_id = $1 AND e.created_at >= $2
		AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.agent_bot_id = $3)
		ORDER BY e.id`, conversationID, toMicros(since), botID)
	if err != nil {
		return nil, q.formatError(err, "event")
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// BotEvent is an event as a bot pulls it: with the state of its latest
// delivery to that bot.
type BotEvent struct {
	ID             int64
	Name           string
	DisplayID      int64 // the conversation's display id; 0 for none
	DeliveryStatus int
	Payload        []byte
	CreatedAt      time.Time
}

// BotEvents returns the events of the account that were sent, or are to be
// sent, to the bot, with ids above after, in id order, at most limit.
func (q *Queries) BotEvents(ctx context.Context, botID, accountID, after int64, limit int) ([]*BotEvent, error) {
	// A redelivered event has several deliveries to the bot: the latest
	// tells its state, and the event is listed once.
	rows, err := q.db.QueryContext(ctx, `SELECT e.id, e.name, COALESCE(c.display_id, 0), d.status, e.payload, e.created_at
		FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN conversations c ON c.id = e.conversation_id
		WHERE d.agent_bot_id = $1 AND d.account_id = $2 AND d.event_id > $3
		AND d.id = (SELECT MAX(x.id) FROM deliveries x WHERE x.event_id = d.event_id AND x.agent_bot_id = d.agent_bot_id)
		ORDER BY d.event_id LIMIT `+itoa(limit), botID, accountID, after)
	if err != nil {
		return nil, q.formatError(err, "event")
	}
	defer rows.Close()
	var out []*BotEvent
	for rows.Next() {
		var e BotEvent
		var payload string
		var created int64
		if err := rows.Scan(&e.ID, &e.Name, &e.DisplayID, &e.DeliveryStatus, &payload, &created); err != nil {
			return nil, err
		}
		e.Payload, e.CreatedAt = []byte(payload), fromMicros(created)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// pruneBatch bounds one statement of PruneDeliveries, so that on SQLite the
// one writer is never held long.
const pruneBatch = 500

// PruneDeliveries deletes up to pruneBatch succeeded deliveries
// acknowledged before a time, with their attempts, and then up to
// pruneBatch events older than that time with no delivery left. Failed,
// parked and pending deliveries, and their events, are kept. It returns
// how many deliveries and events it deleted; the caller repeats while
// either is a whole batch.
func (q *Queries) PruneDeliveries(ctx context.Context, before time.Time) (deliveries, events int64, err error) {
	// A succeeded delivery's next_attempt_at is the time of the attempt
	// that succeeded, as its updated_at is: the condition on it lets the
	// (status, next_attempt_at) index find the rows.
	old := `SELECT id FROM deliveries WHERE status = 1 AND next_attempt_at < $1 AND updated_at < $1
		ORDER BY id LIMIT ` + itoa(pruneBatch)
	at := toMicros(before)
	if _, err := q.db.ExecContext(ctx, `DELETE FROM delivery_attempts WHERE delivery_id IN (`+old+`)`, at); err != nil {
		return 0, 0, q.formatError(err, "delivery attempt")
	}
	res, err := q.db.ExecContext(ctx, `DELETE FROM deliveries WHERE id IN (`+old+`)`, at)
	if err != nil {
		return 0, 0, q.formatError(err, "delivery")
	}
	if deliveries, err = res.RowsAffected(); err != nil {
		return 0, 0, err
	}
	res, err = q.db.ExecContext(ctx, `DELETE FROM events WHERE id IN (SELECT e.id FROM events e
		WHERE e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
		ORDER BY e.id LIMIT `+itoa(pruneBatch)+`)`, at)
	if err != nil {
		return 0, 0, q.formatError(err, "event")
	}
	events, err = res.RowsAffected()
	return deliveries, events, err
}

// DeliveryBacklog returns the number of pending deliveries of each bot
// that has any.
func (q *Queries) DeliveryBacklog(ctx context.Context) (map[int64]int64, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT agent_bot_id, COUNT(*) FROM deliveries WHERE status = 0 GROUP BY agent_bot_id`)
	if err != nil {
		return nil, q.formatError(err, "delivery")
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var bot, n int64
		if err := rows.Scan(&bot, &n); err != nil {
			return nil, err
		}
		out[bot] = n
	}
	return out, rows.Err()
}

// BreakersOpenUntil returns, for every bot, until when its circuit
// breaker is open (a past time when it is closed).
func (q *Queries) BreakersOpenUntil(ctx context.Context) (map[int64]time.Time, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT id, breaker_open_until FROM agent_bots`)
	if err != nil {
		return nil, q.formatError(err, "agent bot")
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var bot, until int64
		if err := rows.Scan(&bot, &until); err != nil {
			return nil, err
		}
		out[bot] = fromMicros(until)
	}
	return out, rows.Err()
}
