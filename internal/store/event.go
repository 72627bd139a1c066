package store

import (
	"context"
	"time"

	"github.com/batonhq/baton"
)

// The event log: what happened, with the payload rendered when it
// happened, and the events as their targets were sent them.

// CreateEvent appends an event with its rendered payload and sets its id.
func (q *Queries) CreateEvent(ctx context.Context, e *baton.Event) error {
	var err error
	e.ID, err = q.insert(ctx, `INSERT INTO events (account_id, conversation_id, name, payload, created_at)
		VALUES ($1, $2, $3, $4, $5)`, e.AccountID, nullInt(e.ConversationID), e.Name, string(e.Payload),
		toMicros(e.CreatedAt))
	return q.formatError(err, "event")
}

// ReplayableEvents returns the ids of a conversation's events since a time
// that were sent, or are to be sent, to the target, in order.
func (q *Queries) ReplayableEvents(ctx context.Context, t baton.Target, conversationID int64, since time.Time) ([]int64, error) {
	return q.queryIDs(ctx, "event", `SELECT e.id FROM events e
		WHERE e.conversation_id = $1 AND e.created_at >= $2
		AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.target = $3)
		ORDER BY e.id`, conversationID, toMicros(since), targetKey(t))
}

// BotEvents returns the events of the account that were sent, or are to be
// sent, to the bot, with ids above after, in id order, at most limit.
func (q *Queries) BotEvents(ctx context.Context, botID, accountID, after int64, limit int) ([]*baton.BotEvent, error) {
	// A redelivered event has several deliveries to the bot: the latest
	// tells its state, and the event is listed once.
	return queryAll(ctx, q, "event", `SELECT e.id, e.name, COALESCE(c.display_id, 0), d.status, e.payload, e.created_at
		FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN conversations c ON c.id = e.conversation_id
		WHERE d.agent_bot_id = $1 AND d.account_id = $2 AND d.event_id > $3
		AND d.id = (SELECT MAX(x.id) FROM deliveries x WHERE x.event_id = d.event_id AND x.agent_bot_id = d.agent_bot_id)
		ORDER BY d.event_id LIMIT `+itoa(limit), scanBotEvent, botID, accountID, after)
}

// scanBotEvent reads a row of BotEvents.
func scanBotEvent(row rowScanner) (*baton.BotEvent, error) {
	var e baton.BotEvent
	var payload string
	var created int64
	if err := row.Scan(&e.ID, &e.Name, &e.DisplayID, &e.DeliveryStatus, &payload, &created); err != nil {
		return nil, err
	}
	e.Payload, e.CreatedAt = []byte(payload), fromMicros(created)
	return &e, nil
}
