package store

import (
	"context"
	"database/sql"

	"github.com/batonhq/baton"
)

const handoffColumns = `h.id, h.account_id, h.inbox_id, h.conversation_id, h.agent_bot_id, h.reason, h.summary, h.by_type,
	h.by_id, h.assignee_id, h.team_id, h.customer_told, h.first_reply_at, h.created_at`

func scanHandoff(row interface{ Scan(...any) error }) (*baton.Handoff, error) {
	var h baton.Handoff
	var bot, assignee, team, firstReply sql.NullInt64
	var created int64
	if err := row.Scan(&h.ID, &h.AccountID, &h.InboxID, &h.ConversationID, &bot, &h.Reason, &h.Summary, &h.ByType,
		&h.ByID, &assignee, &team, &h.CustomerTold, &firstReply, &created); err != nil {
		return nil, err
	}
	h.AgentBotID, h.AssigneeID, h.TeamID = bot.Int64, assignee.Int64, team.Int64
	h.FirstReplyAt, h.CreatedAt = fromNullMicros(firstReply), fromMicros(created)
	return &h, nil
}

// nullableHandoffDest returns where the handoffColumns of an outer join
// are scanned to, and the function that completes h once they are and
// reports whether the row had a handoff.
func nullableHandoffDest(h *baton.Handoff) ([]any, func() bool) {
	var v struct {
		id, account, inbox, conversation, bot, byID, assignee, team, firstReply, created sql.NullInt64
		reason, summary, byType                                                          sql.NullString
		told                                                                             sql.NullBool
	}
	return []any{&v.id, &v.account, &v.inbox, &v.conversation, &v.bot, &v.reason, &v.summary, &v.byType, &v.byID,
			&v.assignee, &v.team, &v.told, &v.firstReply, &v.created}, func() bool {
			*h = baton.Handoff{ID: v.id.Int64, AccountID: v.account.Int64, InboxID: v.inbox.Int64,
				ConversationID: v.conversation.Int64, AgentBotID: v.bot.Int64, Reason: v.reason.String,
				Summary: v.summary.String, ByType: v.byType.String, ByID: v.byID.Int64, AssigneeID: v.assignee.Int64,
				TeamID: v.team.Int64, CustomerTold: v.told.Bool, FirstReplyAt: fromNullMicros(v.firstReply),
				CreatedAt: fromMicros(v.created.Int64)}
			return v.id.Valid
		}
}

// CreateHandoff inserts h and sets its id.
func (q *Queries) CreateHandoff(ctx context.Context, h *baton.Handoff) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO handoffs (account_id, inbox_id, conversation_id, agent_bot_id,
		reason, summary, by_type, by_id, assignee_id, team_id, customer_told, first_reply_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		h.AccountID, h.InboxID, h.ConversationID, nullInt(h.AgentBotID), h.Reason, h.Summary, h.ByType, h.ByID,
		nullInt(h.AssigneeID), nullInt(h.TeamID), h.CustomerTold, toNullMicros(h.FirstReplyAt),
		toMicros(h.CreatedAt)).Scan(&h.ID)
	return q.formatError(err, "handoff")
}

// LatestHandoff returns the conversation's latest handoff.
func (q *Queries) LatestHandoff(ctx context.Context, conversationID int64) (*baton.Handoff, error) {
	h, err := scanHandoff(q.db.QueryRowContext(ctx, `SELECT `+handoffColumns+` FROM handoffs h
		WHERE h.conversation_id = $1 ORDER BY h.id DESC LIMIT 1`, conversationID))
	return h, q.formatError(err, "handoff")
}

// MarkCustomerTold records that the customer was told nobody is there.
func (q *Queries) MarkCustomerTold(ctx context.Context, id int64) error {
	_, err := q.db.ExecContext(ctx, `UPDATE handoffs SET customer_told = TRUE WHERE id = $1`, id)
	return q.formatError(err, "handoff")
}

// RecordFirstReply records a person's public reply at the time on the
// conversation's latest handoff, if it has none yet.
func (q *Queries) RecordFirstReply(ctx context.Context, conversationID, at int64) error {
	_, err := q.db.ExecContext(ctx, `UPDATE handoffs SET first_reply_at = $1 WHERE id = (SELECT MAX(id) FROM handoffs
		WHERE conversation_id = $2) AND first_reply_at IS NULL`, at, conversationID)
	return q.formatError(err, "handoff")
}

// CreateBotResolution records that a conversation was resolved while its
// bot had it.
func (q *Queries) CreateBotResolution(ctx context.Context, accountID, inboxID, conversationID, botID, at int64) error {
	_, err := q.db.ExecContext(ctx, `INSERT INTO bot_resolutions (account_id, inbox_id, conversation_id,
		agent_bot_id, created_at) VALUES ($1, $2, $3, $4, $5)`, accountID, inboxID, conversationID, nullInt(botID), at)
	return q.formatError(err, "bot resolution")
}

// Candidate is a person auto assignment may give a conversation to, with
// the open conversations they have.
type Candidate struct {
	UserID int64
	Open   int // open conversations assigned in the account
	Inbox  int // of those, in the inbox
}

// OnlineCandidates returns the people who are online (availability online
// in the account and a connection on a live process, see Connected) and work the inbox, fewest open conversations first; with
// teamID, only the team's members; with userID, only that user.
func (q *Queries) OnlineCandidates(ctx context.Context, accountID, inboxID, teamID, userID, liveSince int64) ([]Candidate, error) {
	query := `SELECT au.user_id,
		(SELECT COUNT(*) FROM conversations c WHERE c.account_id = $1 AND c.assignee_id = au.user_id AND c.status = 0),
		(SELECT COUNT(*) FROM conversations c WHERE c.inbox_id = $2 AND c.assignee_id = au.user_id AND c.status = 0)
		FROM account_users au JOIN inbox_members im ON im.user_id = au.user_id AND im.inbox_id = $2
		WHERE au.account_id = $1 AND au.availability = 0
		AND EXISTS (SELECT 1 FROM presence_connections pc JOIN presence_processes pp ON pp.process_id = pc.process_id
			WHERE pc.user_id = au.user_id AND ` + q.liveProcess("$3") + `)`
	args := []any{accountID, inboxID, liveSince}
	if teamID != 0 {
		args = append(args, teamID)
		query += ` AND EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = $4 AND tm.user_id = au.user_id)`
	}
	if userID != 0 {
		args = append(args, userID)
		query += ` AND au.user_id = $` + itoa(len(args))
	}
	return queryAll(ctx, q, "candidate", query+` ORDER BY 2, au.user_id`, func(row rowScanner) (Candidate, error) {
		var c Candidate
		err := row.Scan(&c.UserID, &c.Open, &c.Inbox)
		return c, err
	}, args...)
}

// WaitingConversations returns the ids of the account's conversations that
// wait for a person (open, with neither a person nor a bot assigned) in
// inboxes with auto assignment, oldest wait first, at most limit.
func (q *Queries) WaitingConversations(ctx context.Context, accountID int64, limit int) ([]int64, error) {
	return q.queryIDs(ctx, "conversation", `SELECT v.id FROM conversations v JOIN inboxes i ON i.id = v.inbox_id
		WHERE v.account_id = $1 AND v.status = 0 AND v.assignee_id IS NULL AND v.assignee_agent_bot_id IS NULL
		AND i.enable_auto_assignment
		ORDER BY COALESCE(v.waiting_since, v.created_at), v.id LIMIT `+itoa(limit), accountID)
}

// AccountsWaiting returns the accounts with conversations waiting for a
// person in inboxes with auto assignment and someone online to take them.
func (q *Queries) AccountsWaiting(ctx context.Context, liveSince int64) ([]int64, error) {
	return q.queryIDs(ctx, "conversation", `SELECT DISTINCT v.account_id FROM conversations v
		JOIN inboxes i ON i.id = v.inbox_id
		WHERE v.status = 0 AND v.assignee_id IS NULL AND v.assignee_agent_bot_id IS NULL AND i.enable_auto_assignment
		AND EXISTS (SELECT 1 FROM account_users au JOIN presence_connections pc ON pc.user_id = au.user_id
			JOIN presence_processes pp ON pp.process_id = pc.process_id
			WHERE au.account_id = v.account_id AND au.availability = 0 AND `+q.liveProcess("$1")+`)`, liveSince)
}

// FindHandoffsByID returns the handoffs with the ids, by id.
func (q *Queries) FindHandoffsByID(ctx context.Context, ids []int64) (map[int64]*baton.Handoff, error) {
	return queryByID(ctx, q, "handoff", `SELECT `+handoffColumns+` FROM handoffs h WHERE h.id IN `, ids,
		func(row rowScanner) (*baton.Handoff, error) { return scanHandoff(row) },
		func(h *baton.Handoff) int64 { return h.ID })
}
