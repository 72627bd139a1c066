package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/batonhq/baton"
)

const agentBotColumns = `b.id, b.account_id, b.name, b.description, b.outgoing_url, b.bot_config, b.avatar_key,
	b.handoff_deadline_ms, b.keep_pending_on_failure, b.open_while_breaker_open, b.breaker_failures, b.breaker_open_until,
	b.created_at, b.updated_at`

func scanAgentBot(row interface{ Scan(...any) error }) (*baton.AgentBot, error) {
	var b baton.AgentBot
	var account sql.NullInt64
	var config string
	var created, updated, deadline, breakerUntil int64
	if err := row.Scan(&b.ID, &account, &b.Name, &b.Description, &b.OutgoingURL, &config, &b.AvatarKey,
		&deadline, &b.KeepPendingOnFailure, &b.OpenWhileBreakerOpen, &b.BreakerFailures, &breakerUntil,
		&created, &updated); err != nil {
		return nil, err
	}
	b.HandoffDeadline = time.Duration(deadline) * time.Millisecond
	if breakerUntil > 0 {
		b.BreakerOpenUntil = fromMicros(breakerUntil)
	}
	b.AccountID, b.BotConfig = account.Int64, parseObject(config)
	b.CreatedAt, b.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &b, nil
}

// nullableAgentBotDest returns where the agentBotColumns of a row are
// scanned to when the bot may be missing (an outer join), and the function
// that completes b once they are and reports whether there was one.
func nullableAgentBotDest(b *baton.AgentBot) ([]any, func() bool) {
	// One allocation for the temporaries, not one each (see conversationDest).
	var v struct {
		id, account, deadline, failures, breakerUntil, created, updated sql.NullInt64
		name, description, url, config, avatar                          sql.NullString
		keepPending, openWhileOpen                                      sql.NullBool
	}
	id, account, deadline, failures, breakerUntil, created, updated := &v.id, &v.account, &v.deadline, &v.failures,
		&v.breakerUntil, &v.created, &v.updated
	name, description, url, config, avatar := &v.name, &v.description, &v.url, &v.config, &v.avatar
	keepPending, openWhileOpen := &v.keepPending, &v.openWhileOpen
	return []any{id, account, name, description, url, config, avatar, deadline, keepPending,
			openWhileOpen, failures, breakerUntil, created, updated},
		func() bool {
			if !id.Valid {
				return false
			}
			b.ID, b.AccountID, b.Name, b.Description, b.OutgoingURL = id.Int64, account.Int64, name.String,
				description.String, url.String
			b.BotConfig, b.AvatarKey = parseObject(config.String), avatar.String
			b.HandoffDeadline = time.Duration(deadline.Int64) * time.Millisecond
			b.KeepPendingOnFailure, b.OpenWhileBreakerOpen = keepPending.Bool, openWhileOpen.Bool
			b.BreakerFailures = int(failures.Int64)
			if breakerUntil.Int64 > 0 {
				b.BreakerOpenUntil = fromMicros(breakerUntil.Int64)
			}
			b.CreatedAt, b.UpdatedAt = fromMicros(created.Int64), fromMicros(updated.Int64)
			return true
		}
}

func (q *Queries) listAgentBots(ctx context.Context, query string, args ...any) ([]*baton.AgentBot, error) {
	return queryAll(ctx, q, "agent bot", query, scanAgentBot, args...)
}

// CreateAgentBot inserts b with its sealed secret and sets its id.
func (q *Queries) CreateAgentBot(ctx context.Context, b *baton.AgentBot, sealedSecret []byte) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO agent_bots (account_id, name, description, outgoing_url,
		bot_config, avatar_key, secret_enc, handoff_deadline_ms, keep_pending_on_failure, open_while_breaker_open,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		nullInt(b.AccountID), b.Name, b.Description, b.OutgoingURL, jsonObject(b.BotConfig), b.AvatarKey, sealedSecret,
		b.HandoffDeadline.Milliseconds(), b.KeepPendingOnFailure, b.OpenWhileBreakerOpen,
		toMicros(b.CreatedAt), toMicros(b.UpdatedAt)).Scan(&b.ID)
	return q.formatError(err, "agent bot")
}

// UpdateAgentBot writes the mutable columns of b.
func (q *Queries) UpdateAgentBot(ctx context.Context, b *baton.AgentBot) error {
	res, err := q.db.ExecContext(ctx, `UPDATE agent_bots SET name = $1, description = $2, outgoing_url = $3,
		bot_config = $4, avatar_key = $5, handoff_deadline_ms = $6, keep_pending_on_failure = $7,
		open_while_breaker_open = $8, updated_at = $9 WHERE id = $10`,
		b.Name, b.Description, b.OutgoingURL, jsonObject(b.BotConfig), b.AvatarKey, b.HandoffDeadline.Milliseconds(),
		b.KeepPendingOnFailure, b.OpenWhileBreakerOpen, toMicros(b.UpdatedAt), b.ID)
	return q.mustAffect(res, err, "agent bot")
}

// RotateAgentBotSecret gives the bot a new sealed signing secret; the one
// it replaces keeps signing until previousUntil, so bots can roll over.
func (q *Queries) RotateAgentBotSecret(ctx context.Context, id int64, sealed []byte, previousUntil, now time.Time) error {
	res, err := q.db.ExecContext(ctx, `UPDATE agent_bots SET previous_secret_enc = secret_enc,
		previous_secret_until = $1, secret_enc = $2, updated_at = $3 WHERE id = $4`,
		toMicros(previousUntil), sealed, toMicros(now), id)
	return q.mustAffect(res, err, "agent bot")
}

// AgentBotSecrets returns the bot's sealed signing secret (nil when it has
// none) and the previous one while it still signs at now (else nil).
func (q *Queries) AgentBotSecrets(ctx context.Context, id int64, now time.Time) (current, previous []byte, err error) {
	var until int64
	err = q.db.QueryRowContext(ctx, `SELECT secret_enc, previous_secret_enc, previous_secret_until FROM agent_bots WHERE id = $1`, id).
		Scan(&current, &previous, &until)
	if until <= toMicros(now) {
		previous = nil
	}
	return current, previous, q.formatError(err, "agent bot")
}

// DeleteAgentBot deletes a bot with its deliveries; its messages keep their
// rows with no sender to show, and conversations assigned to it are
// unassigned.
func (q *Queries) DeleteAgentBot(ctx context.Context, id int64) error {
	if err := q.deleteTargetDeliveries(ctx, baton.BotTarget(id)); err != nil {
		return err
	}
	res, err := q.db.ExecContext(ctx, `DELETE FROM agent_bots WHERE id = $1`, id)
	return q.mustAffect(res, err, "agent bot")
}

// FindAgentBot returns the bot with the id, global or of any account.
func (q *Queries) FindAgentBot(ctx context.Context, id int64) (*baton.AgentBot, error) {
	b, err := scanAgentBot(q.db.QueryRowContext(ctx, `SELECT `+agentBotColumns+` FROM agent_bots b WHERE b.id = $1`, id))
	return b, q.formatError(err, "agent bot")
}

// ListAgentBots returns the global bots and the account's bots, by id.
func (q *Queries) ListAgentBots(ctx context.Context, accountID int64) ([]*baton.AgentBot, error) {
	return q.listAgentBots(ctx, `SELECT `+agentBotColumns+` FROM agent_bots b
		WHERE b.account_id IS NULL OR b.account_id = $1 ORDER BY b.id`, accountID)
}

// ListAgentBotsByID returns the bots with the ids, by id.
func (q *Queries) ListAgentBotsByID(ctx context.Context, ids []int64) ([]*baton.AgentBot, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	query, args := q.inIDs(`SELECT `+agentBotColumns+` FROM agent_bots b WHERE b.id IN `, ids, 1)
	return q.listAgentBots(ctx, query+` ORDER BY b.id`, args...)
}

const agentBotInboxColumns = `id, inbox_id, agent_bot_id, account_id, status, created_at, updated_at`

func scanAgentBotInbox(row interface{ Scan(...any) error }) (*baton.AgentBotInbox, error) {
	var l baton.AgentBotInbox
	var status int
	var created, updated int64
	if err := row.Scan(&l.ID, &l.InboxID, &l.AgentBotID, &l.AccountID, &status, &created, &updated); err != nil {
		return nil, err
	}
	l.Active = status == 0
	l.CreatedAt, l.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &l, nil
}

// ConnectAgentBot connects the bot to the inbox, replacing the inbox's bot.
// A replaced connection keeps its status, as Chatwoot's does.
func (q *Queries) ConnectAgentBot(ctx context.Context, l *baton.AgentBotInbox) error {
	status := 1
	if l.Active {
		status = 0
	}
	err := q.db.QueryRowContext(ctx, `INSERT INTO agent_bot_inboxes
		(inbox_id, agent_bot_id, account_id, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (inbox_id) DO UPDATE SET agent_bot_id = excluded.agent_bot_id, updated_at = excluded.updated_at
		RETURNING id`, l.InboxID, l.AgentBotID, l.AccountID, status, toMicros(l.UpdatedAt)).Scan(&l.ID)
	return q.formatError(err, "agent bot inbox")
}

// DisconnectAgentBot removes the inbox's bot, if any.
func (q *Queries) DisconnectAgentBot(ctx context.Context, inboxID int64) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM agent_bot_inboxes WHERE inbox_id = $1`, inboxID)
	return q.formatError(err, "agent bot inbox")
}

// InboxAgentBot returns the inbox's connection to a bot.
func (q *Queries) InboxAgentBot(ctx context.Context, inboxID int64) (*baton.AgentBotInbox, error) {
	l, err := scanAgentBotInbox(q.db.QueryRowContext(ctx, `SELECT `+agentBotInboxColumns+` FROM agent_bot_inboxes WHERE inbox_id = $1`, inboxID))
	return l, q.formatError(err, "agent bot inbox")
}

// BotInboxes returns the ids of the account's inboxes the bot is connected
// to, active or not.
func (q *Queries) BotInboxes(ctx context.Context, botID, accountID int64) ([]int64, error) {
	return q.queryIDs(ctx, "agent bot inbox", `SELECT inbox_id FROM agent_bot_inboxes
		WHERE agent_bot_id = $1 AND account_id = $2 ORDER BY inbox_id`, botID, accountID)
}
