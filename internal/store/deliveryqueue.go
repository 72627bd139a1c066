package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/batonhq/baton"
)

// The delivery queue: deliveries written with the events that imply them,
// claimed lane by lane by the engine, and the attempts that move them on.
// The delivery log (deliverylog.go) reads what the queue leaves behind.

// deliveryInsertColumns are the columns a delivery is inserted with (every
// statement that inserts deliveries names them).
const deliveryInsertColumns = `uuid, event_id, target, account_id, lane_id, handoff, status, attempts,
	next_attempt_at, created_at, updated_at, agent_bot_id, webhook_id`

const insertDelivery = `INSERT INTO deliveries (` + deliveryInsertColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, $8, $9, $10)`

// headLanes is the part of a statement that gives the deliveries it
// inserted (d, returning id, target, lane_id and next_attempt_at) their
// lanes, as CreateDelivery does on PostgreSQL: a lane without a head gets
// the delivery as its head, and the update that changes nothing is there
// for the lane's row lock (see CreateDelivery). It returns their heads.
const headLanes = `l AS (INSERT INTO lanes (target, lane_id, head_id, next_attempt_at)
		SELECT target, lane_id, id, next_attempt_at FROM d ORDER BY id
		ON CONFLICT (target, lane_id) DO UPDATE SET head_id = lanes.head_id RETURNING head_id)`

// targetKey is the target as the "target" column of deliveries and lanes
// holds it: a bot's id, or minus a webhook's. Lanes are kept by it; the
// agent_bot_id and webhook_id columns are there for their foreign keys
// (a target's deliveries go when it goes).
func targetKey(t baton.Target) int64 {
	if t.Kind == baton.TargetWebhook {
		return -t.ID
	}
	return t.ID
}

// targetOf reads a "target" column.
func targetOf(key int64) baton.Target {
	if key < 0 {
		return baton.WebhookTarget(-key)
	}
	return baton.BotTarget(key)
}

// targetColumns are the values of agent_bot_id and webhook_id for t, nil
// for NULL.
func targetColumns(t baton.Target) (bot, webhook *int64) {
	id := t.ID
	if t.Kind == baton.TargetWebhook {
		return nil, &id
	}
	return &id, nil
}

// updateLanes is an UPDATE that sets set on the lanes that choose (a
// SELECT of d.head_id FROM lanes d that ends with the dialect's
// SkipLocked) picks. On PostgreSQL the lanes are chosen once (a
// MATERIALIZED CTE), then updated: as a subquery of the update's WHERE,
// PostgreSQL runs the choice again for every lane the update reads when it
// believes the table small (as it does after a VACUUM of few rows), each
// run skipping the lanes the statement has updated already. A choice with
// a LIMIT then took the next lanes, up to every one
// (testDeliveryClaimLimit), and every choice read the table once a lane:
// on a table grown since it was last vacuumed, the square of its lanes. On
// SQLite a subquery that refers to nothing outside it runs once. The
// updated lanes' head_id is unambiguous in a RETURNING clause.
func (q *Queries) updateLanes(set, choose string) string {
	if q.d.Name() == "postgres" {
		return `WITH s (id) AS MATERIALIZED (` + choose + `) UPDATE lanes SET ` + set + ` FROM s WHERE lanes.head_id = s.id`
	}
	return `UPDATE lanes SET ` + set + ` WHERE head_id IN (` + choose + `)`
}

// CreateDelivery inserts d and sets its id, and makes it its lane's head
// when the lane has none. It reports whether d became the head: only then
// is there something new for an engine to claim, and engines, this
// process's and the others' (on PostgreSQL, postgres.Announcer), need
// waking after the commit. A delivery queued behind a head is claimed
// when the head's attempt moves the lane on (RecordAttempt).
func (q *Queries) CreateDelivery(ctx context.Context, d *baton.Delivery) (head bool, err error) {
	bot, webhook := targetColumns(d.Target)
	d.ID, err = q.insert(ctx, insertDelivery, d.UUID, d.EventID, targetKey(d.Target), d.AccountID, d.LaneID, d.Handoff,
		toMicros(d.NextAttemptAt), toMicros(d.CreatedAt), bot, webhook)
	if err != nil {
		return false, q.formatError(err, "delivery")
	}
	// On PostgreSQL the update that changes nothing is there for its row
	// lock (DO NOTHING takes none): it orders this transaction with a
	// RecordAttempt moving the lane on, so that one either sees this
	// delivery or leaves the lane for this insert to create again (see
	// RecordAttempt). SQLite's one writer orders them already, and there
	// the update would rewrite the lane's row and its head_id index entry
	// for every delivery queued behind a head.
	conflict := `DO UPDATE SET head_id = lanes.head_id`
	if q.d.Name() != "postgres" {
		conflict = `DO NOTHING`
	}
	var headID int64
	err = q.db.QueryRowContext(ctx, `INSERT INTO lanes (target, lane_id, head_id, next_attempt_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (target, lane_id) `+conflict+` RETURNING head_id`,
		targetKey(d.Target), d.LaneID, d.ID, toMicros(d.NextAttemptAt)).Scan(&headID)
	if errors.Is(err, sql.ErrNoRows) { // SQLite: DO NOTHING returns no row
		return false, nil
	}
	return headID == d.ID, q.formatError(err, "delivery lane")
}

// CreateEventDeliveries is CreateEvent of e and CreateDelivery of each of
// ds, whose EventID it sets: on PostgreSQL in one statement, one round trip
// instead of one and two a delivery. The deliveries' targets must differ.
// It reports whether any of ds became its lane's head (see
// CreateDelivery).
func (q *Queries) CreateEventDeliveries(ctx context.Context, e *baton.Event, ds []*baton.Delivery) (heads bool, err error) {
	if q.optimistic != nil {
		return q.optimistic.createEventDeliveries(e, ds)
	}
	if q.d.Name() != "postgres" || len(ds) == 0 {
		if err := q.CreateEvent(ctx, e); err != nil {
			return false, err
		}
		for _, d := range ds {
			d.EventID = e.ID
			head, err := q.CreateDelivery(ctx, d)
			if err != nil {
				return false, err
			}
			heads = heads || head
		}
		return heads, nil
	}
	// The event, then its deliveries (one row of VALUES each), then their
	// lanes, as CreateDelivery writes them: the upsert takes each lane's
	// row lock for the reason given there.
	args := []any{e.AccountID, nullInt(e.ConversationID), e.Name, string(e.Payload), toMicros(e.CreatedAt)}
	var values strings.Builder
	for i, d := range ds {
		if i > 0 {
			values.WriteString(", ")
		}
		bot, webhook := targetColumns(d.Target)
		k := len(args)
		fmt.Fprintf(&values, "($%d::text, $%d::bigint, $%d::bigint, $%d::bigint, $%d::boolean, $%d::bigint, $%d::bigint, $%d::bigint, $%d::bigint, $%d::integer)",
			k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9, k+10)
		args = append(args, d.UUID, targetKey(d.Target), d.AccountID, d.LaneID, d.Handoff, toMicros(d.NextAttemptAt),
			toMicros(d.CreatedAt), bot, webhook, i)
	}
	rows, err := q.db.QueryContext(ctx, `WITH e AS (INSERT INTO events (account_id, conversation_id, name, payload, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id),
	x (uuid, target, account_id, lane_id, handoff, next_attempt_at, created_at, agent_bot_id, webhook_id, k) AS (VALUES `+values.String()+`),
	d AS (INSERT INTO deliveries (`+deliveryInsertColumns+`)
		SELECT x.uuid, e.id, x.target, x.account_id, x.lane_id, x.handoff, 0, 0, x.next_attempt_at, x.created_at,
		x.created_at, x.agent_bot_id, x.webhook_id FROM e, x ORDER BY x.k RETURNING id, uuid, target, lane_id, next_attempt_at),
	`+headLanes+`
	SELECT e.id, d.uuid, d.id, EXISTS (SELECT 1 FROM l WHERE l.head_id = d.id) FROM e, d`, args...)
	if err != nil {
		return false, q.formatError(err, "event")
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var uuid string
		var id int64
		var head bool
		if err := rows.Scan(&e.ID, &uuid, &id, &head); err != nil {
			return false, q.formatError(err, "delivery")
		}
		ids[uuid] = id
		heads = heads || head
	}
	if err := rows.Err(); err != nil {
		return false, q.formatError(err, "delivery")
	}
	for _, d := range ds {
		d.EventID, d.ID = e.ID, ids[d.UUID]
	}
	return heads, nil
}

const deliveryColumns = `d.id, d.uuid, d.event_id, d.target, d.account_id, d.lane_id, d.handoff, d.status,
	d.attempts, d.refusals, d.next_attempt_at, d.last_error, d.created_at, d.updated_at, e.name, e.payload`

func (q *Queries) queryDeliveries(ctx context.Context, where string, args ...any) ([]*baton.Delivery, error) {
	return queryAll(ctx, q, "delivery", `SELECT `+deliveryColumns+` FROM deliveries d JOIN events e ON e.id = d.event_id `+where,
		func(row rowScanner) (*baton.Delivery, error) {
			var d baton.Delivery
			return &d, scanDelivery(row, &d)
		}, args...)
}

// scanDelivery reads deliveryColumns, then the extra columns, into d.
func scanDelivery(row interface{ Scan(...any) error }, d *baton.Delivery, extra ...any) error {
	var next, created, updated int64
	var payload string
	var target int64
	dest := append([]any{&d.ID, &d.UUID, &d.EventID, &target, &d.AccountID, &d.LaneID, &d.Handoff, &d.Status,
		&d.Attempts, &d.Refusals, &next, &d.LastError, &created, &updated, &d.EventName, &payload}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	d.Target = targetOf(target)
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
	d.Payload = []byte(payload)
	return nil
}

// Endpoint is where a claimed delivery goes, as the claim read it from the
// target's row: so that an attempt reads nothing more.
type Endpoint struct {
	Found     bool   // the target's row exists
	URL       string // the bot's outgoing URL or the webhook's URL
	AccountID int64  // whose SSRF allow-list applies; 0 for a global bot
	// Secret and PreviousSecret are sealed; the previous one signs until
	// PreviousUntil.
	Secret, PreviousSecret []byte
	PreviousUntil          time.Time
	BreakerClosed          bool // no failures counted, not open
	// AllowedPrivate is the allow-list of the target's account
	// (baton.SettingAllowedPrivate): the private hosts and ranges
	// --webhook-block-private lets its targets reach. Read with the rest
	// when the claim was asked for it, so that an attempt under that flag
	// reads nothing more either.
	AllowedPrivate []string
}

// Claim is a claimed delivery and its target's endpoint.
type Claim struct {
	*baton.Delivery
	Endpoint Endpoint
}

const claimColumns = deliveryColumns + `, COALESCE(b.id, w.id, 0), COALESCE(b.outgoing_url, w.url, ''),
	COALESCE(b.account_id, w.account_id, 0), COALESCE(b.secret_enc, w.secret_enc), b.previous_secret_enc,
	COALESCE(b.previous_secret_until, 0), COALESCE(b.breaker_failures, w.breaker_failures, 0),
	COALESCE(b.breaker_open_until, w.breaker_open_until, 0)`

const claimFrom = ` JOIN events e ON e.id = d.event_id
	LEFT JOIN agent_bots b ON b.id = d.agent_bot_id LEFT JOIN webhooks w ON w.id = d.webhook_id `

// claimRead returns the columns and joins that read claims (scanClaim):
// with allowLists the settings of each target's account are read too, for
// its allow-list; without, '{}' stands for them and no account is read
// (on PostgreSQL an account's row is a busy one, locked in key-share mode
// by every write that refers to it, and reading it cost a claim about 15
// µs of the database's time a delivery).
func claimRead(allowLists bool) (columns, from string) {
	if !allowLists {
		return claimColumns + `, '{}'`, claimFrom
	}
	return claimColumns + `, COALESCE(a.settings, '{}')`,
		claimFrom + `LEFT JOIN accounts a ON a.id = COALESCE(b.account_id, w.account_id) `
}

// ClaimDeliveries is ClaimDue without the endpoints.
func (q *Queries) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*baton.Delivery, error) {
	claims, err := q.ClaimDue(ctx, owner, now, leaseUntil, limit, false)
	out := make([]*baton.Delivery, len(claims))
	for i, c := range claims {
		out[i] = c.Delivery
	}
	return out, err
}

// ClaimDue is Queries.ClaimDue in a transaction of its own, whose commit
// does not wait for its flush (see Queries.AsyncCommit): a lease lost in a
// crash of the database costs at most an attempt sent again, which
// at-least-once allows. On PostgreSQL that is the claim's one statement,
// one round trip where BEGIN, SET LOCAL, the claim and COMMIT were four.
// Under light load many claims find nothing (the engine is woken by each
// commit that queues a delivery, and the delivery may already be claimed,
// or queued behind its lane's head), so the round trips, more than the
// claim, were what the engine cost. On SQLite it is a write like any other
// (group commit).
func (s *Store) ClaimDue(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, allowLists bool) ([]*Claim, error) {
	var claimed []*Claim
	err := s.writeAlone(ctx, func(q *Queries) (err error) {
		claimed, err = q.ClaimDue(ctx, owner, now, leaseUntil, limit, allowLists)
		return err
	})
	return claimed, err
}

// ClaimDue leases to owner, until leaseUntil, the due head of up to limit
// lanes, oldest first: when its attempt is due, no other process holds the
// lane, and the bot's breaker is not open. A lane's later events wait
// behind its head, so order holds across processes; on PostgreSQL, SKIP
// LOCKED lets processes claim side by side without waiting on each other
// (the dialect locks the rows of "d", here the lanes). A bot whose breaker's
// cooldown has passed but that has not answered since (half open) gets one
// probe: only its oldest due lane head is claimed, and nothing else of the
// bot while that one is in flight.
//
// The claim walks lanes in head order and stops at the limit, so it reads
// about as many rows as it claims, however long the backlog behind them.
// It returns each delivery with its target's endpoint, read in the same
// statement: on PostgreSQL the claim is one round trip. With allowLists
// the endpoint holds its account's allow-list (Endpoint.AllowedPrivate),
// for an engine that refuses private addresses.
func (q *Queries) ClaimDue(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, allowLists bool) ([]*Claim, error) {
	// SQLite reads a LIMIT's parameter when it prepares the statement and
	// prepares it again whenever the value bound changes (measured: the
	// claim's parse was half of its cost); a unary plus hides the value.
	limitParam := `+$4`
	if q.d.Name() == "postgres" {
		limitParam = `$4`
	}
	due := `SELECT d.head_id FROM lanes d LEFT JOIN agent_bots b ON b.id = d.target
			LEFT JOIN webhooks w ON w.id = -d.target
			WHERE d.next_attempt_at <= $3 AND d.lease_until <= $3
			AND COALESCE(b.breaker_open_until, w.breaker_open_until, 0) <= $3
			AND (COALESCE(b.breaker_open_until, w.breaker_open_until, 0) = 0 OR d.head_id = (SELECT MIN(p.head_id) FROM lanes p
				WHERE p.target = d.target AND p.next_attempt_at <= $3))
			ORDER BY d.head_id LIMIT ` + limitParam + q.d.SkipLocked()
	claim := q.updateLanes(`lease_owner = $1, lease_until = $2`, due) + ` RETURNING head_id`
	// The limit is a parameter, so that the statement's text is one
	// whatever the limit: PostgreSQL plans a statement anew for each text
	// (about 1 ms for this one, when measured), and the engine's limit
	// varies from claim to claim.
	args := []any{owner, toMicros(leaseUntil), toMicros(now), limit}
	columns, from := claimRead(allowLists)
	if q.d.Name() == "postgres" {
		// A data-modifying WITH: the lanes claimed and what they hold, in
		// one statement. Run on its own (Store.ClaimDue), the statement is
		// its transaction, and set_config makes its commit one that does
		// not wait for its flush, as AsyncCommit does in a transaction:
		// the setting lasts until the commit, and a claim of nothing
		// commits nothing to flush.
		async := ``
		if q.afterCommit == nil {
			async = ` WHERE ` + asyncCommitCondition
		}
		return q.queryClaims(ctx, `WITH c AS (`+claim+`) SELECT `+columns+` FROM c
			JOIN deliveries d ON d.id = c.head_id`+from+async+` ORDER BY d.id`, args...)
	}
	ids, err := q.queryIDs(ctx, "delivery", claim, args...)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	where, inArgs := q.inIDs(`WHERE d.id IN `, ids, 1)
	return q.queryClaims(ctx, `SELECT `+columns+` FROM deliveries d`+from+where+` ORDER BY d.id`, inArgs...)
}

func (q *Queries) queryClaims(ctx context.Context, query string, args ...any) ([]*Claim, error) {
	return queryAll(ctx, q, "delivery", query, scanClaim, args...)
}

// scanClaim reads the columns of claimRead.
func scanClaim(row rowScanner) (*Claim, error) {
	c := &Claim{Delivery: &baton.Delivery{}}
	var targetID, until, failures, openUntil int64
	var settings string
	ep := &c.Endpoint
	if err := scanDelivery(row, c.Delivery, &targetID, &ep.URL, &ep.AccountID, &ep.Secret, &ep.PreviousSecret,
		&until, &failures, &openUntil, &settings); err != nil {
		return nil, err
	}
	ep.Found, ep.BreakerClosed = targetID != 0, failures == 0 && openUntil == 0
	// Most accounts have no allow-list: their settings are not decoded.
	if strings.Contains(settings, baton.SettingAllowedPrivate) {
		ep.AllowedPrivate = (&baton.Account{Settings: parseObject(settings)}).AllowedPrivate()
	}
	if until != 0 {
		ep.PreviousUntil = fromMicros(until)
	}
	return c, nil
}

// ReleaseLeases ends the leases owner holds, for a process that stops with
// nothing in flight. Lanes another transaction holds are skipped, as
// TakeOverLanes does and for the same reason: once the process has stopped
// its owner lock is free, and another process takes them over.
func (q *Queries) ReleaseLeases(ctx context.Context, owner string) error {
	_, err := q.db.ExecContext(ctx, q.updateLanes(`lease_owner = '', lease_until = 0`,
		`SELECT d.head_id FROM lanes d WHERE d.lease_owner = $1`+q.d.SkipLocked()), owner)
	return q.formatError(err, "delivery lane")
}

// ReleaseAllLeases gives up every lease, whoever holds it: for a process
// that knows it is the only one (SQLite), starting after one that died.
func (q *Queries) ReleaseAllLeases(ctx context.Context) error {
	_, err := q.db.ExecContext(ctx, `UPDATE lanes SET lease_owner = '', lease_until = 0 WHERE lease_owner <> ''`)
	return q.formatError(err, "delivery lane")
}

// recordStatement is RecordAttempt's statement on PostgreSQL, with cond
// added to the lane's condition (asyncCommit's): it ends owner's lease on
// the lane whose head is the delivery and, while owner held it, sets the
// delivery's new state; the attempt is logged either way. The lane's update
// comes first and takes its row lock; the delivery changes only while
// owner holds the lane. It returns the lane's head when owner held it.
// The lane of a delivery that is done moves on in a later statement
// (moveDoneLanes). Its arguments are recordArgs'.
func recordStatement(cond string) string {
	return `WITH l AS (UPDATE lanes SET lease_owner = '', lease_until = 0, next_attempt_at = $1
			WHERE head_id = $2 AND lease_owner = $3` + cond + ` RETURNING head_id),
		d AS (UPDATE deliveries SET status = $4, attempts = attempts + 1, refusals = refusals + $5,
			next_attempt_at = $1, last_error = $6, updated_at = $7 WHERE id = $2 AND EXISTS (SELECT 1 FROM l)),
		a AS (INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, latency_us, error, response)
			VALUES ($2, $7, $8, $9, $6, $10))
		SELECT head_id FROM l`
}

// recordArgs are recordStatement's arguments.
func recordArgs(owner string, a *baton.Attempt, status baton.DeliveryStatus, next time.Time) []any {
	refused := 0
	if a.Refused {
		refused = 1
	}
	return []any{toMicros(next), a.DeliveryID, owner, int(status), refused, a.Error,
		toMicros(a.AttemptedAt), a.StatusCode, a.Latency.Microseconds(), a.Response}
}

// recordGroupStatement is RecordAttempts' first statement on PostgreSQL,
// with cond added to the lanes' condition (asyncCommit's): recordStatement
// for several attempts, each of another lane, which logs only the attempts
// whose lanes owner held and that no other transaction had locked, and
// returns their heads. Its arguments are recordGroupArgs'.
func recordGroupStatement(cond, skipLocked string) string {
	return `WITH x AS (SELECT * FROM unnest($1::bigint[], $2::integer[], $3::bigint[],
				$4::integer[], $5::text[], $6::bigint[], $7::integer[], $8::bigint[], $9::text[])
			AS x (id, status, next_attempt_at, refused, error, attempted_at, status_code, latency_us, response)),
		s (id) AS MATERIALIZED (SELECT d.head_id FROM lanes d
			WHERE d.head_id = ANY($1) AND d.lease_owner = $10 ORDER BY d.head_id` + skipLocked + `),
		l AS (UPDATE lanes SET lease_owner = '', lease_until = 0, next_attempt_at = x.next_attempt_at FROM x JOIN s ON s.id = x.id
			WHERE lanes.head_id = x.id` + cond + `
			RETURNING lanes.head_id),
		d AS (UPDATE deliveries SET status = x.status, attempts = attempts + 1, refusals = refusals + x.refused,
			next_attempt_at = x.next_attempt_at, last_error = x.error, updated_at = x.attempted_at
			FROM x JOIN l ON l.head_id = x.id WHERE deliveries.id = x.id),
		a AS (INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, latency_us, error, response)
			SELECT x.id, x.attempted_at, x.status_code, x.latency_us, x.error, x.response FROM x JOIN l ON l.head_id = x.id)
		SELECT head_id FROM l`
}

// recordGroupArgs are recordGroupStatement's arguments.
func recordGroupArgs(owner string, rs []AttemptRecord) []any {
	n := len(rs)
	ids, statuses, nexts, refusals := make([]int64, n), make([]int32, n), make([]int64, n), make([]int32, n)
	errs, at, codes, latencies, responses := make([]string, n), make([]int64, n), make([]int32, n), make([]int64, n), make([]string, n)
	for i, r := range rs {
		a := r.Attempt
		ids[i], statuses[i], nexts[i] = a.DeliveryID, int32(r.Status), toMicros(r.Next)
		if a.Refused {
			refusals[i] = 1
		}
		errs[i], at[i], codes[i], latencies[i], responses[i] = a.Error, toMicros(a.AttemptedAt), int32(a.StatusCode),
			a.Latency.Microseconds(), a.Response
	}
	return []any{ids, statuses, nexts, refusals, errs, at, codes, latencies, responses, owner}
}

// moveDoneLanes moves on the lanes whose heads ($1) are done and whose
// leases recordStatement or recordGroupStatement ended in the same
// transaction: each to its next pending delivery, which is due then, or,
// with none, the lane goes. It returns whether a lane moved. It is a later
// statement than the record, so it has a later snapshot: a delivery
// committed while the record waited for a lane's lock is seen, and one
// committing after waits for the lock in CreateDelivery and then finds
// the lane gone or moved on. A lane the record did not end the lease of
// (owner no longer held it, or another transaction had it locked) still
// has a lease or a head that is pending, and is left alone.
const moveDoneLanes = `WITH m AS (SELECT l.target, l.lane_id FROM lanes l JOIN deliveries h ON h.id = l.head_id
		WHERE l.head_id = ANY($1) AND l.lease_owner = '' AND h.status <> 0),
	n AS (SELECT m.target, m.lane_id, h.id, h.next_attempt_at FROM m CROSS JOIN LATERAL (SELECT id, next_attempt_at
		FROM deliveries WHERE target = m.target AND lane_id = m.lane_id AND status = 0 ORDER BY id LIMIT 1) h),
	u AS (UPDATE lanes SET head_id = n.id, next_attempt_at = n.next_attempt_at FROM n
		WHERE lanes.target = n.target AND lanes.lane_id = n.lane_id RETURNING 1),
	g AS (DELETE FROM lanes USING m WHERE lanes.target = m.target AND lanes.lane_id = m.lane_id
		AND NOT EXISTS (SELECT 1 FROM n WHERE n.target = m.target AND n.lane_id = m.lane_id))
	SELECT EXISTS (SELECT 1 FROM u)`

// RecordAttempt stores an attempt by owner and, while owner still holds
// the delivery's lane, the delivery's new state: succeeded, failed, or
// pending with the next attempt's time; the lease ends and a delivery that
// is done hands the lane to the next pending one. An attempt made after the
// lease passed to another process is only logged: the lane is that
// process's now, and its own attempt decides.
//
// It reports whether the lane moved to a next head, which is due then: the
// one queued behind a delivery that is done.
//
// On PostgreSQL it is one statement, and a second for a delivery that is
// done (the lane's next head); an engine records several attempts in one
// transaction, so that they share a commit.
func (q *Queries) RecordAttempt(ctx context.Context, owner string, a *baton.Attempt, status baton.DeliveryStatus, next time.Time) (moved bool, err error) {
	refused := 0
	if a.Refused {
		refused = 1
	}
	if q.d.Name() == "postgres" {
		var head int64
		err = q.db.QueryRowContext(ctx, recordStatement(q.asyncCommit()), recordArgs(owner, a, status, next)...).Scan(&head)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		} else if err != nil {
			return false, q.formatError(err, "delivery attempt")
		}
		q.asked()
		if status == baton.DeliveryPending {
			return false, nil
		}
		err = q.db.QueryRowContext(ctx, moveDoneLanes, []int64{a.DeliveryID}).Scan(&moved)
		return moved, q.formatError(err, "delivery lane")
	}
	if _, err := q.db.ExecContext(ctx, `INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code,
		latency_us, error, response) VALUES ($1, $2, $3, $4, $5, $6)`, a.DeliveryID, toMicros(a.AttemptedAt),
		a.StatusCode, a.Latency.Microseconds(), a.Error, a.Response); err != nil {
		return false, q.formatError(err, "delivery attempt")
	}
	// One writer: the lane's statements need no order with the delivery's,
	// and each says by what it changed whether owner still holds the lane.
	held, moved, err := q.moveLane(ctx, owner, a.DeliveryID, status, next)
	if err != nil || !held {
		return false, err
	}
	res, err := q.db.ExecContext(ctx, `UPDATE deliveries SET status = $1, attempts = attempts + 1,
		refusals = refusals + $2, next_attempt_at = $3, last_error = $4, updated_at = $5 WHERE id = $6`,
		int(status), refused, toMicros(next), a.Error, toMicros(a.AttemptedAt), a.DeliveryID)
	return moved, q.mustAffect(res, err, "delivery")
}

// moveLane is RecordAttempt's move of the lane whose head is the delivery,
// on SQLite, while owner holds it: the lease ends, and a delivery still
// pending is next due at next; for one that is done the lane goes when it
// holds no other pending delivery, else moves to the next. It reports
// whether owner held the lane, and whether the lane moved to a next head.
// The delivery's own row is not updated yet, so the next head is looked
// for among the others.
func (q *Queries) moveLane(ctx context.Context, owner string, head int64, status baton.DeliveryStatus, next time.Time) (held, moved bool, err error) {
	if status == baton.DeliveryPending {
		res, err := q.db.ExecContext(ctx, `UPDATE lanes SET lease_owner = '', lease_until = 0, next_attempt_at = $1
			WHERE head_id = $2 AND lease_owner = $3`, toMicros(next), head, owner)
		held, err := q.changedLane(res, err)
		return held, false, err
	}
	res, err := q.db.ExecContext(ctx, `DELETE FROM lanes WHERE head_id = $1 AND lease_owner = $2
		AND NOT EXISTS (SELECT 1 FROM deliveries n WHERE n.target = lanes.target AND n.lane_id = lanes.lane_id
			AND n.status = 0 AND n.id <> $1)`, head, owner)
	if gone, err := q.changedLane(res, err); gone || err != nil {
		return gone, false, err
	}
	res, err = q.db.ExecContext(ctx, `UPDATE lanes SET lease_owner = '', lease_until = 0,
		(head_id, next_attempt_at) = (SELECT n.id, n.next_attempt_at FROM deliveries n
			WHERE n.target = lanes.target AND n.lane_id = lanes.lane_id AND n.status = 0 AND n.id <> $1
			ORDER BY n.id LIMIT 1)
		WHERE head_id = $1 AND lease_owner = $2`, head, owner)
	moved, err = q.changedLane(res, err)
	return moved, moved, err
}

// changedLane reports whether a statement changed a lane.
func (q *Queries) changedLane(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, q.formatError(err, "delivery lane")
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// AttemptRecord is an attempt and the state it leaves its delivery in,
// as RecordAttempt takes them: for RecordAttempts.
type AttemptRecord struct {
	Attempt *baton.Attempt
	Status  baton.DeliveryStatus
	Next    time.Time
}

// RecordAttempts is RecordAttempt of several attempts by owner, each of
// another lane, for a transaction that records them together. It returns
// the ids of the deliveries whose attempts it recorded, and whether a lane
// moved to a next head; the caller records each of the others on its own,
// with RecordAttempt.
//
// On PostgreSQL it is two statements whatever their number (RecordAttempt
// is one or two each): the first takes the lanes and moves them on, updates
// the deliveries and logs the attempts; the second, in a later snapshot for
// the reason RecordAttempt gives, moves the lanes of deliveries that are
// done to their next heads. It never waits for a lane: one another
// transaction has locked (a customer's message adding to it) is skipped,
// so that a transaction holding several lanes never waits for one and
// cannot deadlock with one that adds to several; so is a lane owner no
// longer holds, whose attempt RecordAttempt only logs. On SQLite, with one
// writer, it is RecordAttempt of each.
func (q *Queries) RecordAttempts(ctx context.Context, owner string, rs []AttemptRecord) (recorded map[int64]bool, moved bool, err error) {
	recorded = make(map[int64]bool, len(rs))
	if q.d.Name() != "postgres" {
		for _, r := range rs {
			m, err := q.RecordAttempt(ctx, owner, r.Attempt, r.Status, r.Next)
			if err != nil {
				return nil, false, err
			}
			recorded[r.Attempt.DeliveryID], moved = true, moved || m
		}
		return recorded, moved, nil
	}
	if len(rs) == 0 {
		return recorded, false, nil
	}
	rows, err := q.db.QueryContext(ctx, recordGroupStatement(q.asyncCommit(), q.d.SkipLocked()), recordGroupArgs(owner, rs)...)
	if err != nil {
		return nil, false, q.formatError(err, "delivery attempt")
	}
	for rows.Next() {
		var head int64
		if err := rows.Scan(&head); err != nil {
			rows.Close()
			return nil, false, q.formatError(err, "delivery attempt")
		}
		recorded[head] = true
		q.asked()
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, q.formatError(err, "delivery attempt")
	}
	done := doneHeads(rs, recorded)
	if len(done) == 0 {
		return recorded, false, nil
	}
	err = q.db.QueryRowContext(ctx, moveDoneLanes, done).Scan(&moved)
	if err != nil {
		return nil, false, q.formatError(err, "delivery lane")
	}
	return recorded, moved, nil
}

// doneHeads are the deliveries of rs that are done, among those recorded
// (all of them, for nil).
func doneHeads(rs []AttemptRecord, recorded map[int64]bool) []int64 {
	var done []int64
	for _, r := range rs {
		if id := r.Attempt.DeliveryID; r.Status != baton.DeliveryPending && (recorded == nil || recorded[id]) {
			done = append(done, id)
		}
	}
	return done
}

// RecordAttempts records attempts by owner in a transaction of its own, as
// Queries.RecordAttempts does them, or Queries.RecordAttempt one alone (it
// waits for its lane, and is recorded whether owner held the lane or not),
// for an engine whose record needs nothing else in the transaction. Where
// the database pipelines (PostgreSQL), the record and the move of the lanes
// of deliveries that are done go to it together, in one round trip, where
// BEGIN, the two statements and COMMIT took four; the move cannot tell
// which were recorded beforehand, so it is given every delivery done and
// leaves the lanes the record did not take (moveDoneLanes). The commit does
// not wait for its flush (AsyncCommit).
func (s *Store) RecordAttempts(ctx context.Context, owner string, rs []AttemptRecord) (recorded map[int64]bool, moved bool, err error) {
	if !s.pipelines() || len(rs) == 0 {
		err = s.Write(ctx, func(q *Queries) (err error) {
			if len(rs) == 1 {
				r := rs[0]
				recorded = map[int64]bool{r.Attempt.DeliveryID: true}
				moved, err = q.RecordAttempt(ctx, owner, r.Attempt, r.Status, r.Next)
				return err
			}
			recorded, moved, err = q.RecordAttempts(ctx, owner, rs)
			return err
		})
		return recorded, moved, err
	}
	recorded = make(map[int64]bool, len(rs))
	everyDone := doneHeads(rs, nil)
	var first Piped
	if len(rs) == 1 {
		r := rs[0]
		recorded[r.Attempt.DeliveryID] = true
		first = Piped{SQL: recordStatement(" AND " + asyncCommitCondition), Args: recordArgs(owner, r.Attempt, r.Status, r.Next)}
	} else {
		first = Piped{SQL: recordGroupStatement(" AND "+asyncCommitCondition, s.dialect.SkipLocked()),
			Args: recordGroupArgs(owner, rs), Read: func(rows Rows) error {
				for rows.Next() {
					var head int64
					if err := rows.Scan(&head); err != nil {
						return err
					}
					recorded[head] = true
				}
				return rows.Err()
			}}
	}
	ps := []Piped{first}
	if len(everyDone) > 0 {
		ps = append(ps, Piped{SQL: moveDoneLanes, Args: []any{everyDone}, Read: func(rows Rows) error {
			if rows.Next() {
				return rows.Scan(&moved)
			}
			return rows.Err()
		}})
	}
	if err := s.pipeline(ctx, ps); err != nil {
		return nil, false, s.Read().formatError(err, "delivery attempt")
	}
	return recorded, moved, nil
}

// VacuumLanes reclaims the lanes' dead rows on PostgreSQL; on SQLite, which
// reuses a deleted row's space, it does nothing. Every delivery inserts,
// updates and deletes its lane's row, so that the table, a few hundred
// live rows, leaves tens of thousands of dead ones a minute behind it, and
// autovacuum visits a table at most once a minute (once per
// autovacuum_naptime), and never when it is off. Every claim reads the
// lanes: measured in one of batonbench's tables on a server whose
// autovacuum was off, the table grew to 217 pages of 32,000 dead rows
// within a minute, and a claim took 0.5-4 ms where it had taken 0.02.
// Several processes may vacuum at once: a table another VACUUM is at is
// skipped (SKIP_LOCKED). The table is not truncated (TRUNCATE false): that
// takes its exclusive lock, and every claim and every delivery queued
// waited for it (turns' p99 went from 20-30 to 50 ms); the pages freed
// are used again. A role that does not own the table is refused with a
// warning, not an error: MayVacuumLanes tells beforehand.
func (s *Store) VacuumLanes(ctx context.Context) error {
	if s.Dialect() != "postgres" {
		return nil
	}
	_, err := s.writer.ExecContext(ctx, `VACUUM (SKIP_LOCKED, TRUNCATE false) lanes`)
	return err
}

// MayVacuumLanes reports whether the role Baton connects as may vacuum the
// lanes (VacuumLanes): on PostgreSQL, when it owns them or the database
// (a superuser counts as every role); else VACUUM would skip the table
// with a warning in the server's log, every time. On SQLite, which needs
// no VACUUM, it reports false.
func (s *Store) MayVacuumLanes(ctx context.Context) (bool, error) {
	if s.Dialect() != "postgres" {
		return false, nil
	}
	var may bool
	err := s.writer.QueryRowContext(ctx, `SELECT pg_has_role(current_user, c.relowner, 'MEMBER')
		OR pg_has_role(current_user, d.datdba, 'MEMBER')
		FROM pg_class c, pg_database d WHERE c.oid = 'lanes'::regclass AND d.datname = current_database()`).Scan(&may)
	return may, err
}

// ClearHandoff marks a delivery as one that can no longer hand its
// conversation over, and reports whether it still could: so a failure
// hands a conversation over once.
//
// On PostgreSQL it takes the delivery's lane first: the handoff that
// follows queues deliveries on that lane (CreateDelivery's upsert locks
// it), and an attempt's record locks the lane, then the delivery; taken
// the other way round, the two deadlock. SQLite's one writer orders them.
func (q *Queries) ClearHandoff(ctx context.Context, id int64) (bool, error) {
	if q.d.Name() == "postgres" {
		if _, err := q.db.ExecContext(ctx, `SELECT 1 FROM lanes l JOIN deliveries d ON d.target = l.target AND d.lane_id = l.lane_id
			WHERE d.id = $1 FOR UPDATE OF l`, id); err != nil {
			return false, q.formatError(err, "delivery lane")
		}
	}
	res, err := q.db.ExecContext(ctx, `UPDATE deliveries SET handoff = FALSE WHERE id = $1 AND handoff`, id)
	if err != nil {
		return false, q.formatError(err, "delivery")
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// StrandedDeliveries returns customers' messages that their bot has not
// acknowledged within its handoff deadline, counted from when they were
// created or from since, whichever is later: time when no engine ran is
// not the bot's. Only messages older than the shortest deadline of any bot
// are looked at, through an index of the pending handoff deliveries alone:
// while bots answer in time the look reads nothing.
func (q *Queries) StrandedDeliveries(ctx context.Context, now, since time.Time, limit int) ([]*baton.Delivery, error) {
	return q.queryDeliveries(ctx, `JOIN agent_bots b ON b.id = d.agent_bot_id
		WHERE d.handoff AND d.status = 0
		AND d.created_at <= $1 - (SELECT COALESCE(MIN(handoff_deadline_ms), 0) FROM agent_bots) * 1000
		AND d.created_at + b.handoff_deadline_ms * 1000 <= $1
		AND $2 + b.handoff_deadline_ms * 1000 <= $1
		ORDER BY d.created_at, d.id LIMIT `+itoa(limit), toMicros(now), toMicros(since))
}
