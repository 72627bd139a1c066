package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// MaxBulkIDs is how many conversations one bulk action may name: a page of
// the agent app's list is half of it, and each conversation is a
// transaction of its own, so the request stays short.
const MaxBulkIDs = 100

// BulkAction is one change to many conversations, Chatwoot's bulk_actions:
// each field left nil leaves that attribute as it is.
type BulkAction struct {
	IDs          []int64 // display ids
	Status       *string // open, resolved, pending or snoozed
	SnoozedUntil *time.Time
	AssigneeID   *int64 // 0: nobody
	TeamID       *int64 // 0: no team
	AddLabels    []string
	RemoveLabels []string
}

// BulkResult says what a bulk action did, conversation by conversation, in
// the order the ids were given.
type BulkResult struct {
	// Done are the conversations that are now as asked (some may have
	// been so already).
	Done []int64
	// Skipped are the conversations left as they were, each with why.
	Skipped []BulkSkip
	// Assignee and Team are the person and the team given, when one was.
	Assignee *baton.User
	Team     *baton.Team
}

// BulkSkip is a conversation a bulk action left as it was, and why: not
// found (another account's, or one the caller may not see, is the same), or
// what the change refused there (an assignee who does not work its inbox).
type BulkSkip struct {
	ID  int64
	Err error
}

// validate checks the action before anything is read: ids, status, snooze
// time and labels, and that it changes something. It leaves the ids
// without repeats and the labels clean.
func (in *BulkAction) validate(now time.Time) error {
	switch {
	case len(in.IDs) == 0:
		return baton.Invalid("ids must name at least one conversation", "ids")
	case len(in.IDs) > MaxBulkIDs:
		return baton.Invalid(fmt.Sprintf("ids may name at most %d conversations, not %d", MaxBulkIDs, len(in.IDs)), "ids")
	}
	ids := make([]int64, 0, len(in.IDs))
	for _, id := range in.IDs {
		if id <= 0 {
			return baton.Invalid(fmt.Sprintf("ids must be positive whole numbers, not %d", id), "ids")
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	in.IDs = ids
	snoozed := false
	if in.Status != nil {
		st, ok := baton.ParseStatus(*in.Status)
		if !ok {
			return baton.Invalid("Status is not included in the list", "status")
		}
		snoozed = st == baton.StatusSnoozed
	}
	if in.SnoozedUntil != nil {
		if !snoozed {
			return baton.Invalid("snoozed_until goes with the status snoozed", "snoozed_until")
		}
		if err := checkSnoozedUntil(in.SnoozedUntil, now); err != nil {
			return err
		}
	}
	if len(in.AddLabels) > maxAttributes || len(in.RemoveLabels) > maxAttributes {
		return baton.Invalid(fmt.Sprintf("labels may add and remove at most %d each", maxAttributes), "labels")
	}
	var err error
	if in.AddLabels, err = cleanLabels(in.AddLabels, "labels"); err != nil {
		return err
	}
	if in.RemoveLabels, err = cleanLabels(in.RemoveLabels, "labels"); err != nil {
		return err
	}
	if in.Status == nil && in.AssigneeID == nil && in.TeamID == nil && len(in.AddLabels) == 0 && len(in.RemoveLabels) == 0 {
		return baton.Invalid("Nothing to change: give a status, an assignee, a team or labels", "fields")
	}
	return nil
}

// BulkUpdateConversations makes one change to many conversations, each in
// a transaction of its own with the rules and events of the single
// conversation's actions: whoever may not see a conversation (another
// account's, or an agent's outside their inboxes) has it skipped as not
// found; an assignee who does not work a conversation's inbox has that one
// skipped; opening the bot's conversation hands it to people; pending
// gives it back to the bot. Labels are removed, then added, then the team,
// the assignee and the status are set, and the conversation's events are
// raised once for all of it. Bots may not (Chatwoot's bulk_actions is not
// among their endpoints). An invalid action, assignee or team changes
// nothing and is the error; a conversation that could not be changed is
// in the result, with why.
func (a *App) BulkUpdateConversations(ctx context.Context, accountID int64, in BulkAction) (*BulkResult, error) {
	if err := in.validate(a.Now()); err != nil {
		return nil, err
	}
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	if s.actor.Bot != nil {
		return nil, auth.ErrBotNotPermitted
	}
	res := &BulkResult{}
	if in.AssigneeID != nil && *in.AssigneeID != 0 {
		au, err := q.FindAccountUser(ctx, accountID, *in.AssigneeID)
		if errors.Is(err, baton.ErrNotFound) {
			return nil, baton.Invalid("Assignee must be a member of the account", "assignee_id")
		} else if err != nil {
			return nil, err
		}
		res.Assignee = au.User
	}
	if in.TeamID != nil && *in.TeamID != 0 {
		if res.Team, err = findTeam(ctx, q, accountID, *in.TeamID); err != nil {
			return nil, err
		}
	}
	for _, id := range in.IDs {
		// A caller who went away stops the rest; what is done stays done.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		_, err := a.changeVisible(ctx, accountID, id, func(q *store.Queries, s *scope, c *baton.Conversation) error {
			return a.bulkChange(ctx, q, s, c, in)
		})
		if err != nil {
			res.Skipped = append(res.Skipped, BulkSkip{ID: id, Err: err})
			continue
		}
		res.Done = append(res.Done, id)
	}
	return res, nil
}

// bulkChange makes a bulk action's change to one conversation. It does not
// save.
func (a *App) bulkChange(ctx context.Context, q *store.Queries, s *scope, c *baton.Conversation, in BulkAction) error {
	if len(in.AddLabels) > 0 || len(in.RemoveLabels) > 0 {
		var added, removed []string
		labels := make([]string, 0, len(c.Labels)+len(in.AddLabels))
		for _, l := range c.Labels {
			if slices.Contains(in.RemoveLabels, l) {
				removed = append(removed, l)
			} else {
				labels = append(labels, l)
			}
		}
		for _, l := range in.AddLabels {
			if !slices.Contains(labels, l) {
				labels = append(labels, l)
				added = append(added, l)
			}
		}
		if len(labels) > maxConversationLabels {
			return baton.Invalid("Too many labels", "labels")
		}
		c.Labels = labels
		if err := a.labelled(ctx, q, c, s.actor, added, removed); err != nil {
			return err
		}
	}
	if in.TeamID != nil {
		if err := a.setTeam(ctx, q, s, c, *in.TeamID); err != nil {
			return err
		}
	}
	if in.AssigneeID != nil {
		var u *baton.User
		if *in.AssigneeID != 0 {
			inbox, err := q.FindInbox(ctx, c.AccountID, c.InboxID)
			if err != nil {
				return err
			}
			au, err := worksInbox(ctx, q, inbox, *in.AssigneeID)
			if err != nil {
				return err
			}
			u = au.User
		}
		if err := a.assign(ctx, q, c, u, s.actor); err != nil {
			return err
		}
	}
	if in.Status != nil {
		return a.changeStatus(ctx, q, s, c, StatusChange{Status: in.Status, SnoozedUntil: in.SnoozedUntil}, in.AssigneeID != nil)
	}
	return nil
}
