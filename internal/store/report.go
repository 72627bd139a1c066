package store

import (
	"context"
	"database/sql"
)

// ReportFilter selects the facts of a report: an account, a time range
// [Since, Until) in unix microseconds, and optionally one inbox or one bot.
type ReportFilter struct {
	AccountID    int64
	Since, Until int64
	InboxID      int64
	AgentBotID   int64
}

// where returns the filter's conditions on a table with inbox_id (alias a)
// and the bot column botColumn, "" when the table has none, with the
// arguments after the first three ($1 account, $2 since, $3 until).
func (f ReportFilter) where(alias, botColumn string) (string, []any) {
	args := []any{f.AccountID, f.Since, f.Until}
	w := ""
	if f.InboxID != 0 {
		args = append(args, f.InboxID)
		w += ` AND ` + alias + `.inbox_id = $` + itoa(len(args))
	}
	if f.AgentBotID != 0 && botColumn != "" {
		args = append(args, f.AgentBotID)
		w += ` AND ` + botColumn + ` = $` + itoa(len(args))
	}
	return w, args
}

// BotCounts are the counts of Chatwoot's bot reports.
type BotCounts struct {
	Conversations int // created in the range in inboxes with an active bot (the bot's, with AgentBotID)
	Messages      int // outgoing messages in those conversations in the range (the bot's own, with AgentBotID)
	Resolutions   int // conversations resolved while their bot had them
	Handoffs      int // conversations handed from their bot to people
}

// BotCounts counts what Chatwoot's bot reports show.
func (q *Queries) BotCounts(ctx context.Context, f ReportFilter) (BotCounts, error) {
	var out BotCounts
	// The bot's inboxes: those where it (or, without a bot, any bot) is
	// active now, as Chatwoot counts them.
	inboxCond := `EXISTS (SELECT 1 FROM agent_bot_inboxes l WHERE l.inbox_id = v.inbox_id AND l.status = 0`
	w, args := f.where("v", "")
	if f.AgentBotID != 0 {
		args = append(args, f.AgentBotID)
		inboxCond += ` AND l.agent_bot_id = $` + itoa(len(args))
	}
	inboxCond += `)`
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations v WHERE v.account_id = $1
		AND v.created_at >= $2 AND v.created_at < $3 AND `+inboxCond+w, args...).Scan(&out.Conversations)
	if err != nil {
		return out, q.formatError(err, "report")
	}
	sender := ""
	if f.AgentBotID != 0 {
		sender = ` AND m.sender_type = 'AgentBot' AND m.sender_id = $` + itoa(len(args))
	}
	err = q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id
		WHERE m.account_id = $1 AND m.message_type = 1 AND m.created_at >= $2 AND m.created_at < $3
		AND v.created_at >= $2 AND v.created_at < $3 AND `+inboxCond+w+sender, args...).Scan(&out.Messages)
	if err != nil {
		return out, q.formatError(err, "report")
	}
	w, args = f.where("r", "r.agent_bot_id")
	err = q.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT r.conversation_id) FROM bot_resolutions r
		WHERE r.account_id = $1 AND r.created_at >= $2 AND r.created_at < $3`+w, args...).Scan(&out.Resolutions)
	if err != nil {
		return out, q.formatError(err, "report")
	}
	w, args = f.where("h", "h.agent_bot_id")
	err = q.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT h.conversation_id) FROM handoffs h
		WHERE h.account_id = $1 AND h.created_at >= $2 AND h.created_at < $3 AND h.agent_bot_id IS NOT NULL`+w,
		args...).Scan(&out.Handoffs)
	return out, q.formatError(err, "report")
}

// HandoffFact is one handoff as the handoff report reads it.
type HandoffFact struct {
	ConversationDisplayID int64
	Reason                string
	At                    int64 // unix microseconds
	FirstReplyAt          int64 // 0 when no person has replied yet
}

// HandoffFacts returns the handoffs of the range, oldest first, at most
// limit.
func (q *Queries) HandoffFacts(ctx context.Context, f ReportFilter, limit int) ([]HandoffFact, error) {
	w, args := f.where("h", "h.agent_bot_id")
	return queryAll(ctx, q, "report", `SELECT v.display_id, h.reason, h.created_at, h.first_reply_at
		FROM handoffs h JOIN conversations v ON v.id = h.conversation_id
		WHERE h.account_id = $1 AND h.created_at >= $2 AND h.created_at < $3`+w+`
		ORDER BY h.created_at, h.id LIMIT `+itoa(limit), scanHandoffFact, args...)
}

// scanHandoffFact reads a row of HandoffFacts.
func scanHandoffFact(row rowScanner) (HandoffFact, error) {
	var h HandoffFact
	var reply sql.NullInt64
	err := row.Scan(&h.ConversationDisplayID, &h.Reason, &h.At, &reply)
	h.FirstReplyAt = reply.Int64
	return h, err
}
