package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/batonhq/baton"
)

// The delivery log as administrators read it, and its upkeep: retention
// and the numbers metrics read at scrape time. The engine's own queries
// are in deliveryqueue.go.

// DeliveryFilter selects deliveries of one target in one account.
type DeliveryFilter struct {
	Target    baton.Target
	AccountID int64
	Status    *baton.DeliveryStatus // nil for any
	LaneID    int64                 // the conversation's internal id; 0 for any
	Event     string                // the event's name; "" for any
	Since     time.Time
	Until     time.Time // exclusive; zero for no bound
	Before    int64     // only deliveries with a smaller id: the cursor; 0 for none
	Limit     int
	Offset    int
}

const loggedColumns = deliveryColumns + `, COALESCE(c.display_id, 0)`

const loggedFrom = ` FROM deliveries d JOIN events e ON e.id = d.event_id
	LEFT JOIN conversations c ON c.id = e.conversation_id `

// FindLoggedDeliveries returns the deliveries the filter selects, newest
// first, each with its attempts.
func (q *Queries) FindLoggedDeliveries(ctx context.Context, f DeliveryFilter) ([]*baton.LoggedDelivery, error) {
	where := []string{"d.target = $1", "d.account_id = $2"}
	args := []any{targetKey(f.Target), f.AccountID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.Status != nil {
		add("d.status = ?", int(*f.Status))
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

// FindLoggedDelivery returns a target's delivery in the account by its
// uuid, with its attempts.
func (q *Queries) FindLoggedDelivery(ctx context.Context, t baton.Target, accountID int64, uuid string) (*baton.LoggedDelivery, error) {
	ds, err := q.queryLogged(ctx, `WHERE d.target = $1 AND d.account_id = $2 AND d.uuid = $3`, targetKey(t), accountID, uuid)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, q.formatError(sql.ErrNoRows, "delivery")
	}
	return ds[0], nil
}

func (q *Queries) queryLogged(ctx context.Context, where string, args ...any) ([]*baton.LoggedDelivery, error) {
	out, err := queryAll(ctx, q, "delivery", `SELECT `+loggedColumns+loggedFrom+where, func(row rowScanner) (*baton.LoggedDelivery, error) {
		var l baton.LoggedDelivery
		return &l, scanDelivery(row, &l.Delivery, &l.DisplayID)
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, q.loadAttempts(ctx, out)
}

// loadAttempts fills in the deliveries' attempts, in one query.
func (q *Queries) loadAttempts(ctx context.Context, ds []*baton.LoggedDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[int64]*baton.LoggedDelivery, len(ds))
	ids := make([]int64, 0, len(ds))
	for _, d := range ds {
		byID[d.ID], d.Log = d, []*baton.Attempt{}
		ids = append(ids, d.ID)
	}
	where, args := q.inIDs(`WHERE delivery_id IN `, ids, 1)
	rows, err := q.db.QueryContext(ctx, `SELECT delivery_id, attempted_at, status_code, latency_us, error, response
		FROM delivery_attempts `+where+` ORDER BY id`, args...)
	if err != nil {
		return q.formatError(err, "delivery attempt")
	}
	defer rows.Close()
	for rows.Next() {
		var a baton.Attempt
		var at, latency int64
		if err := rows.Scan(&a.DeliveryID, &at, &a.StatusCode, &latency, &a.Error, &a.Response); err != nil {
			return err
		}
		a.AttemptedAt, a.Latency = fromMicros(at), time.Duration(latency)*time.Microsecond
		byID[a.DeliveryID].Log = append(byID[a.DeliveryID].Log, &a)
	}
	return rows.Err()
}

// DeliveryID returns the id of a target's delivery in the account by its
// uuid: the list's cursor.
func (q *Queries) DeliveryID(ctx context.Context, t baton.Target, accountID int64, uuid string) (int64, error) {
	var id int64
	err := q.db.QueryRowContext(ctx, `SELECT id FROM deliveries WHERE target = $1 AND account_id = $2 AND uuid = $3`,
		targetKey(t), accountID, uuid).Scan(&id)
	return id, q.formatError(err, "delivery")
}

// ListDeliveries returns a target's deliveries, newest first.
func (q *Queries) ListDeliveries(ctx context.Context, t baton.Target, limit int) ([]*baton.Delivery, error) {
	return q.queryDeliveries(ctx, `WHERE d.target = $1 ORDER BY d.id DESC LIMIT `+itoa(limit), targetKey(t))
}

// maxID is greater than any id.
const maxID = "9223372036854775807"

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
	// index of succeeded deliveries find the rows.
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
	// Events are read in the order they were written, up to the first one
	// that is not old enough: there is no index on their time, and without
	// that bound every prune read every event (its payload too). An old
	// event written after a newer one waits for a later prune.
	res, err = q.db.ExecContext(ctx, `DELETE FROM events WHERE id IN (SELECT e.id FROM events e
		WHERE e.id < COALESCE((SELECT y.id FROM events y WHERE y.created_at >= $1 ORDER BY y.id LIMIT 1), `+maxID+`)
		AND e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
		ORDER BY e.id LIMIT `+itoa(pruneBatch)+`)`, at)
	if err != nil {
		return 0, 0, q.formatError(err, "event")
	}
	events, err = res.RowsAffected()
	return deliveries, events, err
}

// DeliveryBacklog returns the number of pending deliveries of each target
// that has any.
func (q *Queries) DeliveryBacklog(ctx context.Context) (map[baton.Target]int64, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT target, COUNT(*) FROM deliveries WHERE status = 0 GROUP BY target`)
	if err != nil {
		return nil, q.formatError(err, "delivery")
	}
	defer rows.Close()
	out := map[baton.Target]int64{}
	for rows.Next() {
		var target, n int64
		if err := rows.Scan(&target, &n); err != nil {
			return nil, err
		}
		out[targetOf(target)] = n
	}
	return out, rows.Err()
}

// BreakersOpenUntil returns, for every target (bots and webhook
// endpoints), until when its circuit breaker is open (a past time when it
// is closed).
func (q *Queries) BreakersOpenUntil(ctx context.Context) (map[baton.Target]time.Time, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT id, breaker_open_until FROM agent_bots
		UNION ALL SELECT -id, breaker_open_until FROM webhooks`)
	if err != nil {
		return nil, q.formatError(err, "agent bot")
	}
	defer rows.Close()
	out := map[baton.Target]time.Time{}
	for rows.Next() {
		var target, until int64
		if err := rows.Scan(&target, &until); err != nil {
			return nil, err
		}
		out[targetOf(target)] = fromMicros(until)
	}
	return out, rows.Err()
}
