package app

import (
	"context"
	"fmt"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// BotFailed is the handoff policy, called by the delivery engine when a
// delivery is given up or its bot missed the handoff deadline. When the
// delivery carried a customer's message to the bot of a pending
// conversation, the conversation goes to people: open, with an activity
// message saying why, and the usual events. The bot's own messages and
// people's notes never do this (Chatwoot's rule does, and hands over
// conversations whose bot is fine). The account's
// keep_pending_on_bot_failure setting and the bot's KeepPendingOnFailure
// keep the conversation pending instead. A delivery hands over once.
func (a *App) BotFailed(ctx context.Context, d *baton.Delivery, reason string) error {
	if !d.Handoff || !d.Target.Bot() {
		return nil
	}
	return a.store.Write(ctx, func(q *store.Queries) error {
		if still, err := q.ClearHandoff(ctx, d.ID); err != nil || !still {
			return err
		}
		c, err := q.FindConversationByID(ctx, d.LaneID)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if c.Status != baton.StatusPending {
			return nil
		}
		acc, err := q.FindAccount(ctx, c.AccountID)
		if err != nil {
			return err
		}
		if keep, _ := acc.Settings["keep_pending_on_bot_failure"].(bool); keep {
			return nil
		}
		bot, err := q.FindAgentBot(ctx, d.Target.ID)
		if err != nil {
			return err
		}
		if bot.KeepPendingOnFailure {
			return nil
		}
		prev := snapshot(c)
		c.Status, c.SnoozedUntil, c.AssigneeAgentBotID = baton.StatusOpen, nil, 0
		if err := a.activity(ctx, q, c, fmt.Sprintf("Conversation was handed to people because %s did not answer (%s)", bot.Name, reason)); err != nil {
			return err
		}
		a.log.Warn("bot failed a customer: conversation handed to people", "account", c.AccountID,
			"conversation", c.DisplayID, "bot", bot.ID, "reason", reason)
		return a.saveConversation(ctx, q, prev, c)
	})
}
