package store

import (
	"context"
	"database/sql"

	"github.com/batonhq/baton"
)

const agentBotColumns = `b.id, b.account_id, b.name, b.description, b.outgoing_url, b.bot_config, b.created_at, b.updated_at`

func scanAgentBot(row interface{ Scan(...any) error }) (*baton.AgentBot, error) {
	var b baton.AgentBot
	var account sql.NullInt64
	var config string
	var created, updated int64
	if err := row.Scan(&b.ID, &account, &b.Name, &b.Description, &b.OutgoingURL, &config, &created, &updated); err != nil {
		return nil, err
	}
	b.AccountID, b.BotConfig = account.Int64, parseObject(config)
	b.CreatedAt, b.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &b, nil
}

// FindAgentBot returns the bot with the id, global or of any account.
func (q *Queries) FindAgentBot(ctx context.Context, id int64) (*baton.AgentBot, error) {
	b, err := scanAgentBot(q.db.QueryRowContext(ctx, `SELECT `+agentBotColumns+` FROM agent_bots b WHERE b.id = $1`, id))
	return b, q.formatError(err, "agent bot")
}
