package app

import (
	"context"
	"errors"
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
		if errors.Is(err, baton.ErrNotFound) {
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
		text := fmt.Sprintf("Conversation was handed to people because %s did not answer (%s)", bot.Name, reason)
		if err := a.handOff(ctx, q, baton.SystemActor, c, HandoffInput{Reason: baton.HandoffBotFailure, Summary: reason}, text); err != nil {
			return err
		}
		a.log.Warn("bot failed a customer: conversation handed to people", "account", c.AccountID,
			"conversation", c.DisplayID, "bot", bot.ID, "reason", reason)
		return a.saveConversation(ctx, q, prev, c)
	})
}

// HandoffInput is the handoff object of a toggle_status to open: why the
// conversation goes to people and to whom. Every field is optional.
type HandoffInput struct {
	Reason     string
	Summary    string
	AssigneeID int64
	TeamID     int64
}

// validate checks the texts' sizes.
func (in *HandoffInput) validate() error {
	switch {
	case len(in.Reason) > baton.HandoffReasonMax:
		return baton.Invalid(fmt.Sprintf("Handoff reason is too long (maximum is %d characters)", baton.HandoffReasonMax), "handoff")
	case len(in.Summary) > baton.HandoffSummaryMax:
		return baton.Invalid(fmt.Sprintf("Handoff summary is too long (maximum is %d characters)", baton.HandoffSummaryMax), "handoff")
	}
	return nil
}

// owningBot returns the bot that has the conversation: the one assigned,
// else the inbox's active bot, else 0.
func owningBot(ctx context.Context, q *store.Queries, c *baton.Conversation) (int64, error) {
	if c.AssigneeAgentBotID != 0 {
		return c.AssigneeAgentBotID, nil
	}
	l, err := inboxBot(ctx, q, c.InboxID)
	if err != nil || l == nil || !l.Active {
		return 0, err
	}
	return l.AgentBotID, nil
}

// handOff gives a conversation to people: open, no longer the bot's, with
// the handoff recorded, one activity message that says who and why, and
// the conversation routed to a person who is there. It does not save the
// conversation; the caller's save raises the events, which carry the
// handoff. text is the activity message, "" for the usual one.
func (a *App) handOff(ctx context.Context, q *store.Queries, actor *baton.Actor, c *baton.Conversation, in HandoffInput, text string) error {
	if err := in.validate(); err != nil {
		return err
	}
	inbox, err := q.FindInbox(ctx, c.AccountID, c.InboxID)
	if err != nil {
		return err
	}
	var assignee *baton.AccountUser
	if in.AssigneeID != 0 {
		if assignee, err = worksInbox(ctx, q, inbox, in.AssigneeID); err != nil {
			return err
		}
	}
	if in.TeamID != 0 {
		if _, err := q.FindTeam(ctx, c.AccountID, in.TeamID); baton.ErrorCode(err) == baton.ENOTFOUND {
			return baton.Invalid("Team must be a team of the account", "team_id")
		} else if err != nil {
			return err
		}
		c.TeamID = in.TeamID
	}
	bot, err := owningBot(ctx, q, c)
	if err != nil {
		return err
	}
	h := &baton.Handoff{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID, AgentBotID: bot,
		Reason: in.Reason, Summary: in.Summary, AssigneeID: in.AssigneeID, TeamID: in.TeamID, CreatedAt: a.Now()}
	h.ByType, h.ByID = actorRef(actor, c)
	if err := q.CreateHandoff(ctx, h); err != nil {
		return err
	}
	c.Status, c.SnoozedUntil, c.AssigneeAgentBotID = baton.StatusOpen, nil, 0
	if c.WaitingSince == nil {
		now := a.Now()
		c.WaitingSince = &now
	}
	if text == "" {
		text = actor.Name + " handed the conversation to people"
		if in.Reason != "" {
			text += " (reason: " + in.Reason + ")"
		}
	}
	if err := a.activity(ctx, q, c, text); err != nil {
		return err
	}
	// An agent who hands over to no one in particular takes it, as an
	// agent opening a conversation always has.
	if assignee == nil && actor.User != nil && c.AssigneeID == 0 {
		au, err := q.FindAccountUser(ctx, c.AccountID, actor.User.ID)
		if err != nil {
			return err
		}
		if au.Role == baton.RoleAgent {
			return a.assign(ctx, q, c, actor.User, actor)
		}
	}
	// A person it was left with (handed back to the bot with the status
	// alone, which keeps the assignee, as Chatwoot's) keeps it when they are
	// there; one who is not would hold it unseen: it is routed afresh.
	if c.AssigneeID != 0 && c.AssigneeID != in.AssigneeID {
		there, err := a.online(ctx, q, c.AccountID, c.AssigneeID)
		if err != nil {
			return err
		}
		if !there {
			if err := a.assign(ctx, q, c, nil, autoAssigner); err != nil {
				return err
			}
		}
	}
	return a.route(ctx, q, c, inbox, h)
}

// online reports whether the member of the account is there to take a
// conversation: connected, with availability online.
func (a *App) online(ctx context.Context, q *store.Queries, accountID, userID int64) (bool, error) {
	au, err := q.FindAccountUser(ctx, accountID, userID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if au.Connected, err = q.Connected(ctx, userID, a.liveSince()); err != nil {
		return false, err
	}
	return au.Online(), nil
}

// worksInbox returns the membership of a user who may be given the inbox's
// conversations: a member of the inbox, or an administrator of its account.
func worksInbox(ctx context.Context, q *store.Queries, inbox *baton.Inbox, userID int64) (*baton.AccountUser, error) {
	au, err := q.FindAccountUser(ctx, inbox.AccountID, userID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil, baton.Invalid("Assignee must be a member of the account", "assignee_id")
	} else if err != nil {
		return nil, err
	}
	if au.Role == baton.RoleAdministrator {
		return au, nil
	}
	member, err := q.IsInboxMember(ctx, inbox.ID, userID)
	if err != nil {
		return nil, err
	}
	if !member {
		return nil, baton.Invalid("Assignee must be a member of the inbox", "assignee_id")
	}
	return au, nil
}

// actorRef is who did something, as a handoff's by: {type, id}.
func actorRef(actor *baton.Actor, c *baton.Conversation) (string, int64) {
	switch {
	case actor.User != nil:
		return baton.SenderUser, actor.User.ID
	case actor.Bot != nil:
		return baton.SenderAgentBot, actor.Bot.ID
	case actor.Kind == baton.ActorContact:
		return baton.SenderContact, c.ContactID
	}
	return "System", 0
}

// autoAssigner is the actor of auto assignment's activity messages.
var autoAssigner = &baton.Actor{Kind: baton.ActorSystem, Name: "auto assignment"}

// route assigns a conversation waiting for a person, when the inbox has
// auto assignment: to the requested agent if they are online and work the
// inbox; else among the requested team's online members; else among the
// inbox's online agents, the one with the fewest open conversations, within
// the inbox's max_assignment_limit. When nobody is there, the customer of a
// handoff is told once, and asked for an e-mail when none is known. h is
// the latest handoff, or nil (then the conversation's own team is the
// requested one). It does not save the conversation.
func (a *App) route(ctx context.Context, q *store.Queries, c *baton.Conversation, inbox *baton.Inbox, h *baton.Handoff) error {
	if c.AssigneeID != 0 || c.AssigneeAgentBotID != 0 || c.Status != baton.StatusOpen {
		return nil
	}
	var wantUser, wantTeam int64
	if h != nil {
		wantUser, wantTeam = h.AssigneeID, h.TeamID
	} else {
		wantTeam = c.TeamID // its team's people first
	}
	if !inbox.EnableAutoAssignment {
		if wantUser != 0 {
			return a.assignUser(ctx, q, c, wantUser)
		}
		return nil
	}
	live := a.liveSince()
	pick := func(teamID, userID int64) (int64, error) {
		cands, err := q.OnlineCandidates(ctx, c.AccountID, inbox.ID, teamID, userID, live)
		if err != nil {
			return 0, err
		}
		for _, k := range cands {
			if inbox.MaxAssignmentLimit == 0 || k.Inbox < inbox.MaxAssignmentLimit {
				return k.UserID, nil
			}
		}
		return 0, nil
	}
	var chosen int64
	if wantUser != 0 {
		// A requested agent is given the conversation if online, whatever
		// the limit: they were asked for.
		there, err := a.online(ctx, q, c.AccountID, wantUser)
		if err != nil {
			return err
		}
		if there {
			chosen = wantUser
		}
	}
	var err error
	if chosen == 0 && wantTeam != 0 {
		if chosen, err = pick(wantTeam, 0); err != nil {
			return err
		}
	}
	if chosen == 0 {
		if chosen, err = pick(0, 0); err != nil {
			return err
		}
	}
	if chosen != 0 {
		return a.assignUser(ctx, q, c, chosen)
	}
	if h == nil || h.CustomerTold {
		return nil
	}
	h.CustomerTold = true
	if err := q.MarkCustomerTold(ctx, h.ID); err != nil {
		return err
	}
	return a.tellNobodyThere(ctx, q, c, inbox)
}

// assignUser assigns the conversation to a member of its account by auto
// assignment.
func (a *App) assignUser(ctx context.Context, q *store.Queries, c *baton.Conversation, userID int64) error {
	u, err := q.FindUser(ctx, userID)
	if err != nil {
		return err
	}
	return a.assign(ctx, q, c, u, autoAssigner)
}

// DefaultAwayMessage is what a customer waiting for a person is told when
// nobody is there and the inbox has no out-of-office text.
const DefaultAwayMessage = "Nobody is available right now. We will get back to you as soon as someone is."

// tellNobodyThere tells the customer that nobody is there, with the
// inbox's out-of-office text, and asks for an e-mail when none is known:
// last in the transaction, so that the messages' events follow those of
// the handoff that the caller's save raises.
func (a *App) tellNobodyThere(ctx context.Context, q *store.Queries, c *baton.Conversation, inbox *baton.Inbox) error {
	return q.Last(func() error { return a.tellNobodyThereNow(ctx, q, c, inbox) })
}

// tellNobodyThereNow is tellNobodyThere, at once: unless someone took the
// conversation meanwhile in the same transaction (a person taking it over
// from the bot hands it over, then takes it).
func (a *App) tellNobodyThereNow(ctx context.Context, q *store.Queries, c *baton.Conversation, inbox *baton.Inbox) error {
	if c.AssigneeID != 0 {
		return nil
	}
	text := inbox.OutOfOfficeMessage
	if text == "" {
		text = DefaultAwayMessage
	}
	if err := a.systemMessage(ctx, q, c, text, baton.ContentText); err != nil {
		return err
	}
	contact, err := q.FindContact(ctx, c.AccountID, c.ContactID)
	if err != nil {
		return err
	}
	if contact.Email != "" {
		return nil
	}
	return a.systemMessage(ctx, q, c, "Get notified by email", baton.ContentInputEmail)
}

// systemMessage adds a template message, without a sender, as Chatwoot's
// out-of-office and e-mail-collect messages are, and reports it as any
// message is: to live clients, to the bots that hear the conversation and
// to the webhooks, an API inbox's among them, which is how a customer of
// such an inbox is told at all.
func (a *App) systemMessage(ctx context.Context, q *store.Queries, c *baton.Conversation, text string, ct baton.ContentType) error {
	now := a.Now()
	m := &baton.Message{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
		MessageType: baton.MessageTemplate, ContentType: ct, Content: &text, ContentAttributes: map[string]any{},
		CreatedAt: now, UpdatedAt: now}
	if err := q.CreateMessage(ctx, m); err != nil {
		return err
	}
	return a.emitMessage(ctx, q, baton.EventMessageCreated, c, m, nil)
}

// RouteWaiting routes the account's conversations that wait for a person,
// oldest first, each in its own transaction, until nobody online can take
// more of any inbox's.
func (a *App) RouteWaiting(ctx context.Context, accountID int64) error {
	ids, err := a.store.Read().WaitingConversations(ctx, accountID, 500)
	if err != nil {
		return err
	}
	// An inbox one of whose conversations asked for nobody in particular
	// and found nobody has nobody online who can take more: the rest of
	// its conversations wait too. Other inboxes have other people.
	full := map[int64]bool{}
	for _, id := range ids {
		assigned, general, inboxID := false, true, int64(0)
		err := a.store.Write(ctx, func(q *store.Queries) error {
			c, err := q.FindConversationByID(ctx, id)
			if baton.ErrorCode(err) == baton.ENOTFOUND {
				return nil
			} else if err != nil {
				return err
			}
			if c.Status != baton.StatusOpen || c.AssigneeID != 0 || c.AssigneeAgentBotID != 0 || full[c.InboxID] {
				assigned = true // nothing learnt of the inbox
				return nil
			}
			inboxID = c.InboxID
			inbox, err := q.FindInbox(ctx, c.AccountID, c.InboxID)
			if err != nil {
				return err
			}
			h, err := q.LatestHandoff(ctx, c.ID)
			if baton.ErrorCode(err) == baton.ENOTFOUND {
				h = nil
			} else if err != nil {
				return err
			}
			if h != nil {
				h.CustomerTold = true // told at the handoff if it had to be; never again
				general = h.AssigneeID == 0 && h.TeamID == 0
			}
			prev := snapshot(c)
			if err := a.route(ctx, q, c, inbox, h); err != nil {
				return err
			}
			if c.AssigneeID == 0 {
				return nil
			}
			assigned = true
			return a.saveConversation(ctx, q, prev, c)
		})
		if err != nil {
			return err
		}
		if !assigned && general && inboxID != 0 {
			full[inboxID] = true
		}
	}
	return nil
}

// RouteAllWaiting routes what waits for a person in every account where
// someone is online to take it.
func (a *App) RouteAllWaiting(ctx context.Context) error {
	ids, err := a.store.Read().AccountsWaiting(ctx, a.liveSince())
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := a.RouteWaiting(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// errNotOwner refuses a bot's public message into a conversation that is
// people's.
var errNotOwner = &baton.Error{Code: baton.ENOTOWNER, Message: "The conversation is with people now: " +
	"a bot may only add private notes to it (the inbox's bot_replies_when_open lets bots reply)"}

// checkOwner enforces one owner at a time: a bot writes publicly only into
// a conversation that is its own, pending, unless the inbox lets bots reply
// when people have it. Private notes are always allowed, and so are
// customers' messages that an integration posts with a bot's token.
func (a *App) checkOwner(ctx context.Context, q *store.Queries, actor *baton.Actor, c *baton.Conversation, m *baton.Message) error {
	if actor.Bot == nil || m.Private || m.MessageType != baton.MessageOutgoing || c.Status == baton.StatusPending {
		return nil
	}
	inbox, err := q.FindInbox(ctx, c.AccountID, c.InboxID)
	if err != nil {
		return err
	}
	if inbox.BotRepliesWhenOpen {
		return nil
	}
	return errNotOwner
}

// takeOver gives the bot's conversation to the person replying in it: open,
// theirs when it had no assignee, with a handoff and an activity message.
// It does not save the conversation.
func (a *App) takeOver(ctx context.Context, q *store.Queries, actor *baton.Actor, c *baton.Conversation) error {
	bot, err := owningBot(ctx, q, c)
	if err != nil {
		return err
	}
	h := &baton.Handoff{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID, AgentBotID: bot,
		Reason: baton.HandoffAgentTakeover, ByType: baton.SenderUser, ByID: actor.User.ID, CreatedAt: a.Now()}
	if err := q.CreateHandoff(ctx, h); err != nil {
		return err
	}
	c.Status, c.SnoozedUntil, c.AssigneeAgentBotID = baton.StatusOpen, nil, 0
	if err := a.activity(ctx, q, c, actor.User.AvailableName()+" took the conversation over from the bot"); err != nil {
		return err
	}
	if c.AssigneeID != 0 {
		return nil
	}
	c.AssigneeID = actor.User.ID
	return a.activity(ctx, q, c, actor.User.AvailableName()+" self-assigned this conversation")
}

// requestHuman hands the customer's conversation from the bot to people
// at the customer's request (reason customer_request), when the inbox lets
// customers ask. Asking for a conversation that is people's already
// changes nothing, so asking twice hands over once. It does not save the
// conversation. The public client API and the widget API both call it.
func (a *App) requestHuman(ctx context.Context, q *store.Queries, actor *baton.Actor, c *baton.Conversation, inbox *baton.Inbox) error {
	if !inbox.CustomerCanRequestHuman {
		return baton.Invalid("This inbox does not let customers ask for a person", "status")
	}
	switch c.Status {
	case baton.StatusOpen:
		return nil
	case baton.StatusPending:
	default:
		return baton.Invalid("Only a conversation with the bot can be handed to a person", "status")
	}
	who := actor.Name
	if who == "" {
		who = "The customer"
	}
	return a.handOff(ctx, q, actor, c, HandoffInput{Reason: baton.HandoffCustomerRequest}, who+" asked to talk to a person")
}

// PublicRequestHuman hands one of the contact's conversations from the bot
// to people, as the public client API's toggle_status with status open.
func (a *App) PublicRequestHuman(ctx context.Context, displayID int64) (*baton.Conversation, []*baton.Message, error) {
	err := a.store.Write(ctx, func(q *store.Queries) error {
		p, c, err := a.publicConversation(ctx, q, displayID)
		if err != nil {
			return err
		}
		return a.saveChanged(ctx, q, c, func() error { return a.requestHuman(ctx, q, p.actor(), c, p.Inbox) })
	})
	if err != nil {
		return nil, nil, err
	}
	return a.PublicConversation(ctx, displayID)
}
