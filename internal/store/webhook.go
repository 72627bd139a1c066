package store

import (
	"context"
	"database/sql"

	"github.com/batonhq/baton"
)

const webhookColumns = `w.id, w.account_id, w.inbox_id, w.kind, w.name, w.url, w.subscriptions, w.breaker_failures,
	w.breaker_open_until, w.created_at, w.updated_at`

func scanWebhook(row interface{ Scan(...any) error }) (*baton.Webhook, error) {
	var w baton.Webhook
	var inbox sql.NullInt64
	var subs string
	var breakerUntil, created, updated int64
	if err := row.Scan(&w.ID, &w.AccountID, &inbox, &w.Kind, &w.Name, &w.URL, &subs, &w.BreakerFailures,
		&breakerUntil, &created, &updated); err != nil {
		return nil, err
	}
	w.InboxID, w.Subscriptions = inbox.Int64, parseStrings(subs)
	if breakerUntil > 0 {
		w.BreakerOpenUntil = fromMicros(breakerUntil)
	}
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &w, nil
}

func (q *Queries) listWebhooks(ctx context.Context, where string, args ...any) ([]*baton.Webhook, error) {
	out, err := queryAll(ctx, q, "webhook", `SELECT `+webhookColumns+` FROM webhooks w `+where, scanWebhook, args...)
	if out == nil && err == nil {
		out = []*baton.Webhook{} // an empty list, not none
	}
	return out, err
}

// CreateWebhook inserts w with its sealed signing secret and sets its id.
func (q *Queries) CreateWebhook(ctx context.Context, w *baton.Webhook, sealedSecret []byte) error {
	q.forgetWebhooks()
	err := q.db.QueryRowContext(ctx, `INSERT INTO webhooks (account_id, inbox_id, kind, name, url, subscriptions,
		secret_enc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		w.AccountID, nullInt(w.InboxID), int(w.Kind), w.Name, w.URL, jsonStrings(w.Subscriptions), sealedSecret,
		toMicros(w.CreatedAt), toMicros(w.UpdatedAt)).Scan(&w.ID)
	return q.formatError(err, "webhook")
}

// UpdateWebhook writes w's name, URL, subscriptions and inbox.
func (q *Queries) UpdateWebhook(ctx context.Context, w *baton.Webhook) error {
	q.forgetWebhooks()
	res, err := q.db.ExecContext(ctx, `UPDATE webhooks SET inbox_id = $1, name = $2, url = $3, subscriptions = $4,
		updated_at = $5 WHERE id = $6`, nullInt(w.InboxID), w.Name, w.URL, jsonStrings(w.Subscriptions),
		toMicros(w.UpdatedAt), w.ID)
	return q.mustAffect(res, err, "webhook")
}

// SetWebhookSecret replaces a webhook's sealed signing secret.
func (q *Queries) SetWebhookSecret(ctx context.Context, id int64, sealed []byte) error {
	q.forgetWebhooks()
	res, err := q.db.ExecContext(ctx, `UPDATE webhooks SET secret_enc = $1 WHERE id = $2`, sealed, id)
	return q.mustAffect(res, err, "webhook")
}

// WebhookSecret returns a webhook's sealed signing secret.
func (q *Queries) WebhookSecret(ctx context.Context, id int64) ([]byte, error) {
	var sealed []byte
	err := q.db.QueryRowContext(ctx, `SELECT secret_enc FROM webhooks WHERE id = $1`, id).Scan(&sealed)
	return sealed, q.formatError(err, "webhook")
}

// DeleteWebhook deletes a webhook with its deliveries.
func (q *Queries) DeleteWebhook(ctx context.Context, id int64) error {
	q.forgetWebhooks()
	if err := q.deleteTargetDeliveries(ctx, baton.WebhookTarget(id)); err != nil {
		return err
	}
	res, err := q.db.ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	return q.mustAffect(res, err, "webhook")
}

// FindWebhook returns the account's webhook with the id.
func (q *Queries) FindWebhook(ctx context.Context, accountID, id int64) (*baton.Webhook, error) {
	w, err := scanWebhook(q.db.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks w
		WHERE w.id = $1 AND w.account_id = $2`, id, accountID))
	return w, q.formatError(err, "webhook")
}

// FindWebhookByID returns the webhook with the id, of any account.
func (q *Queries) FindWebhookByID(ctx context.Context, id int64) (*baton.Webhook, error) {
	w, err := scanWebhook(q.db.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = $1`, id))
	return w, q.formatError(err, "webhook")
}

// ListWebhooks returns the account's webhooks, by id.
func (q *Queries) ListWebhooks(ctx context.Context, accountID int64) ([]*baton.Webhook, error) {
	return q.listWebhooks(ctx, `WHERE w.account_id = $1 ORDER BY w.id`, accountID)
}

// InboxWebhooks returns the webhooks that may hear an inbox's events: the
// account's webhooks for every inbox or for this one, and the inbox's own
// (an API channel's webhook_url). inboxID 0 returns the account webhooks
// for every inbox. baton.Webhook.Hears decides per event.
//
// Within a write transaction the answer is remembered until the
// transaction writes a webhook; the callers only read what it returns.
func (q *Queries) InboxWebhooks(ctx context.Context, accountID, inboxID int64) ([]*baton.Webhook, error) {
	key := [2]int64{accountID, inboxID}
	if ws, ok := q.webhooks[key]; ok {
		return ws, nil
	}
	ws, err := q.listWebhooks(ctx, `WHERE w.account_id = $1 AND (w.inbox_id IS NULL OR w.inbox_id = $2) ORDER BY w.id`,
		accountID, inboxID)
	if err == nil {
		q.rememberWebhooks(accountID, inboxID, ws)
	}
	return ws, err
}

// rememberWebhooks keeps what InboxWebhooks answers for the account and
// inbox for the rest of the transaction; outside one it keeps nothing.
func (q *Queries) rememberWebhooks(accountID, inboxID int64, ws []*baton.Webhook) {
	if q.afterCommit == nil {
		return
	}
	if q.webhooks == nil {
		q.webhooks = map[[2]int64][]*baton.Webhook{}
	}
	q.webhooks[[2]int64{accountID, inboxID}] = ws
}

// forgetWebhooks drops what InboxWebhooks remembered, after a write to
// webhooks.
func (q *Queries) forgetWebhooks() { q.webhooks = nil }

// APIInboxWebhook returns an API inbox's webhook, the one its webhook_url
// names.
func (q *Queries) APIInboxWebhook(ctx context.Context, inboxID int64) (*baton.Webhook, error) {
	w, err := scanWebhook(q.db.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks w
		WHERE w.inbox_id = $1 AND w.kind = $2`, inboxID, int(baton.WebhookAPIInbox)))
	return w, q.formatError(err, "webhook")
}
