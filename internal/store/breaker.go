package store

import (
	"context"
	"time"

	"github.com/batonhq/baton"
)

// A target's circuit breaker: consecutive failed attempts and until when
// it is open, kept on the target's own row (a bot's or a webhook
// endpoint's).

// breakerTable is the table that holds the target's breaker, and the name
// errors give it.
func breakerTable(t baton.Target) (table, noun string) {
	switch t.Kind {
	case baton.TargetBot:
		return "agent_bots", "agent bot"
	case baton.TargetWebhook:
		return "webhooks", "webhook"
	}
	return "", "delivery target"
}

// RecordBreakerOutcome keeps the target's circuit breaker: a success
// closes it; a failure counts, and openUntil (when not zero) opens it
// until then.
func (q *Queries) RecordBreakerOutcome(ctx context.Context, t baton.Target, success bool, openUntil time.Time) error {
	table, noun := breakerTable(t)
	if table == "" {
		return baton.ErrNotFound
	}
	var err error
	if success {
		_, err = q.db.ExecContext(ctx, `UPDATE `+table+` SET breaker_failures = 0, breaker_open_until = 0
			WHERE id = $1 AND (breaker_failures <> 0 OR breaker_open_until <> 0)`, t.ID)
	} else {
		var until int64
		if !openUntil.IsZero() {
			until = toMicros(openUntil)
		}
		_, err = q.db.ExecContext(ctx, `UPDATE `+table+` SET breaker_failures = breaker_failures + 1,
			breaker_open_until = CASE WHEN CAST($1 AS BIGINT) > 0 THEN CAST($1 AS BIGINT) ELSE breaker_open_until END
			WHERE id = $2`, until, t.ID)
	}
	return q.formatError(err, noun)
}

// CountBreakerFailure adds a failure to the target's breaker and returns
// the count of consecutive failures, itself included. The row stays locked
// until the transaction ends, so concurrent attempts count one after
// another.
func (q *Queries) CountBreakerFailure(ctx context.Context, t baton.Target) (int, error) {
	table, noun := breakerTable(t)
	if table == "" {
		return 0, baton.ErrNotFound
	}
	var n int
	err := q.db.QueryRowContext(ctx, `UPDATE `+table+` SET breaker_failures = breaker_failures + 1
		WHERE id = $1 RETURNING breaker_failures`, t.ID).Scan(&n)
	return n, q.formatError(err, noun)
}

// OpenBreaker opens the target's breaker until the time.
func (q *Queries) OpenBreaker(ctx context.Context, t baton.Target, until time.Time) error {
	table, noun := breakerTable(t)
	if table == "" {
		return baton.ErrNotFound
	}
	_, err := q.db.ExecContext(ctx, `UPDATE `+table+` SET breaker_open_until = $1 WHERE id = $2`, toMicros(until), t.ID)
	return q.formatError(err, noun)
}
