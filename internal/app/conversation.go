package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// ConversationInput holds the fields of a conversation create.
type ConversationInput struct {
	InboxID              int64
	ContactID            int64
	SourceID             string
	Status               string
	SnoozedUntil         *time.Time
	AssigneeID           int64
	TeamID               int64
	AdditionalAttributes map[string]any
	CustomAttributes     map[string]any
	Message              *MessageInput // a first message, made in the same transaction
}

// CreateConversation opens a conversation with a contact in an inbox: the
// contact's identity there is found by source id, or made for contact id.
func (a *App) CreateConversation(ctx context.Context, accountID int64, in ConversationInput) (*baton.Conversation, error) {
	var requested *baton.Status
	if in.Status != "" {
		st, ok := baton.ParseStatus(in.Status)
		if !ok {
			return nil, baton.Invalid("Status is not included in the list", "status")
		}
		requested = &st
	}
	var files []stored
	if in.Message != nil {
		var err error
		if files, err = a.storeFiles(ctx, accountID, in.Message.Files); err != nil {
			return nil, err
		}
	}
	var c *baton.Conversation
	err := a.store.Write(ctx, func(q *store.Queries) error {
		s, err := a.accountScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		ci, contact, inbox, err := a.conversationParty(ctx, q, s, in)
		if err != nil {
			return err
		}
		// An inbox locked to one conversation a contact answers with the
		// contact's last one, and the message, if any, goes there.
		if inbox.LockToSingleConversation {
			if err := q.LockContactInbox(ctx, ci.ID); err != nil {
				return err
			}
			if c, err = q.LastConversationOf(ctx, ci.ID); err == nil {
				return a.addFirstMessage(ctx, q, s, c, inbox, in.Message, files)
			} else if !errors.Is(err, baton.ErrNotFound) {
				return err
			}
		}
		if in.AssigneeID != 0 {
			if _, err := q.FindAccountUser(ctx, accountID, in.AssigneeID); errors.Is(err, baton.ErrNotFound) {
				return baton.Invalid("Assignee must be a member of the account", "assignee_id")
			} else if err != nil {
				return err
			}
		}
		if in.TeamID != 0 {
			if _, err := q.FindTeam(ctx, accountID, in.TeamID); baton.ErrorCode(err) == baton.ENOTFOUND {
				return baton.Invalid("Team must be a team of the account", "team_id")
			} else if err != nil {
				return err
			}
		}
		c, err = a.newConversation(ctx, q, inbox, contact, ci, requested)
		if err != nil {
			return err
		}
		c.AssigneeID, c.TeamID = in.AssigneeID, in.TeamID
		c.AdditionalAttributes, c.CustomAttributes = orEmpty(in.AdditionalAttributes), orEmpty(in.CustomAttributes)
		if err := additionalFit(c); err != nil {
			return err
		}
		if err := customFit(c); err != nil {
			return err
		}
		if c.Status == baton.StatusSnoozed {
			c.SnoozedUntil = in.SnoozedUntil
		}
		if err := a.createConversation(ctx, q, c, inbox); err != nil {
			return err
		}
		return a.addFirstMessage(ctx, q, s, c, inbox, in.Message, files)
	})
	if err != nil {
		a.deleteFiles(files)
		return nil, err
	}
	return a.loadConversation(ctx, c)
}

// addFirstMessage adds the message a conversation create carried, if any.
func (a *App) addFirstMessage(ctx context.Context, q *store.Queries, s *scope, c *baton.Conversation, inbox *baton.Inbox, in *MessageInput, files []stored) error {
	if in == nil {
		return nil
	}
	m, err := a.messageFrom(s.actor, c, inbox, *in)
	if err != nil {
		return err
	}
	return a.addMessage(ctx, q, s.actor, c, m, files, nil)
}

// conversationParty finds who a new conversation is with in the inbox: the
// contact whose identity there is the source id, or the contact by id (with
// a new identity when they have none there). Unlike Chatwoot, a source id
// is looked up only within the given inbox, never across the installation.
func (a *App) conversationParty(ctx context.Context, q *store.Queries, s *scope, in ConversationInput) (*baton.ContactInbox, *baton.Contact, *baton.Inbox, error) {
	if in.InboxID == 0 {
		return nil, nil, nil, baton.Invalid("inbox_id is required", "inbox_id")
	}
	inbox, err := s.inbox(ctx, q, in.InboxID)
	if err != nil {
		return nil, nil, nil, err
	}
	var ci *baton.ContactInbox
	if in.SourceID != "" {
		ci, err = q.FindContactInboxBySource(ctx, inbox.ID, in.SourceID)
		if err != nil && !errors.Is(err, baton.ErrNotFound) {
			return nil, nil, nil, err
		}
	}
	if ci == nil && in.ContactID == 0 {
		return nil, nil, nil, baton.Invalid("contact_id or an existing source_id is required", "contact_id")
	}
	if ci != nil {
		if in.ContactID != 0 && in.ContactID != ci.ContactID {
			return nil, nil, nil, baton.Invalid("source_id should be unique", "source_id")
		}
		contact, err := q.FindContact(ctx, s.account.ID, ci.ContactID)
		return ci, contact, inbox, err
	}
	contact, err := q.FindContact(ctx, s.account.ID, in.ContactID)
	if err != nil {
		return nil, nil, nil, err
	}
	// A bot reaches only the contacts of conversations it serves, as when
	// it reads one: any other is not found, whether or not it exists.
	if s.actor.Bot != nil {
		if ok, err := servesContact(ctx, q, s, contact.ID); err != nil || !ok {
			return nil, nil, nil, errOr(err, baton.ErrNotFound)
		}
	}
	if in.SourceID == "" {
		if ci, err = q.FindContactInboxOf(ctx, contact.ID, inbox.ID); err == nil {
			return ci, contact, inbox, nil
		} else if !errors.Is(err, baton.ErrNotFound) {
			return nil, nil, nil, err
		}
	}
	ci, err = a.createContactInbox(ctx, q, contact, inbox, in.SourceID, false)
	return ci, contact, inbox, err
}

// createConversation inserts a new conversation and announces it. One for
// people from the start (open and unassigned: the inbox has no bot) goes
// to someone online at once, as a handoff does, not at the next beat of
// presence (PresenceKeeper).
func (a *App) createConversation(ctx context.Context, q *store.Queries, c *baton.Conversation, inbox *baton.Inbox) error {
	if err := q.CreateConversation(ctx, c); err != nil {
		return err
	}
	if err := a.emitConversationCreated(ctx, q, c); err != nil {
		return err
	}
	if c.Status != baton.StatusOpen || c.AssigneeID != 0 {
		return nil
	}
	prev := snapshot(c)
	if err := a.route(ctx, q, c, inbox, nil); err != nil || c.AssigneeID == 0 {
		return err
	}
	return a.saveConversation(ctx, q, prev, c)
}

// newConversation builds a conversation with its display id and starting
// status; the caller inserts it.
func (a *App) newConversation(ctx context.Context, q *store.Queries, inbox *baton.Inbox, contact *baton.Contact, ci *baton.ContactInbox, requested *baton.Status) (*baton.Conversation, error) {
	displayID, err := q.NextDisplayID(ctx, inbox.AccountID)
	if err != nil {
		return nil, err
	}
	link, err := inboxBot(ctx, q, inbox.ID)
	if err != nil {
		return nil, err
	}
	hasBot, err := a.botTakesNew(ctx, q, link)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	return &baton.Conversation{AccountID: inbox.AccountID, InboxID: inbox.ID, DisplayID: displayID,
		ContactID: contact.ID, ContactInboxID: ci.ID, UUID: newUUID(), Priority: baton.PriorityNone,
		Status: baton.StatusAtCreation(requested, contact.Blocked, hasBot), Labels: []string{},
		AdditionalAttributes: map[string]any{}, CustomAttributes: map[string]any{},
		WaitingSince: &now, LastActivityAt: now, CreatedAt: now, UpdatedAt: now,
		Inbox: inbox, Contact: contact, ContactInbox: ci}, nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// loadConversation reads back a conversation with what its views show.
func (a *App) loadConversation(ctx context.Context, c *baton.Conversation) (*baton.Conversation, error) {
	q := a.store.Read()
	fresh, err := q.FindConversationByID(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return fresh, newLoader(q, a.liveSince()).conversation(ctx, fresh)
}

// MaxPage is the last page a list serves: pages past it are as empty as it
// is, and their offset would overflow.
const MaxPage = 1 << 20

// ConversationPageSize is how many conversations one page of the list holds.
const ConversationPageSize = 25

// ConversationQuery selects conversations for the list.
type ConversationQuery struct {
	Status       string // open (default), resolved, pending, snoozed or all
	AssigneeType string // me, unassigned, assigned or all (default)
	InboxID      int64
	TeamID       int64
	// Queue, beyond Chatwoot, names a list the agent app shows and
	// overrides Status and AssigneeType: bot (pending), waiting (open and
	// unassigned, longest wait first), mine, team (TeamID's, open), all,
	// resolved.
	Queue  string
	Labels []string
	Query  string
	Page   int
	// Search is the agent app's search: it matches the contact's name,
	// e-mail, phone or identifier, the conversation's number, or a
	// message (private notes too) that holds each of its words
	// (SearchWords) in a conversation active within SearchWindow.
	Search string
	// PageSize is how many conversations a page holds; 0 is
	// ConversationPageSize, and at most 100.
	PageSize int
	// CountOnly skips the page: the counts alone; PageOnly skips the
	// counts (ConversationList.Counts are zero): the page alone.
	CountOnly bool
	PageOnly  bool
}

// Queues of the conversation list.
const (
	QueueBot      = "bot"
	QueueWaiting  = "waiting"
	QueueMine     = "mine"
	QueueTeam     = "team"
	QueueAll      = "all"
	QueueResolved = "resolved"
)

// applyQueue turns a queue into the status and assignee filters it means.
func (cq *ConversationQuery) applyQueue() error {
	switch cq.Queue {
	case "":
	case QueueBot:
		cq.Status, cq.AssigneeType = "pending", store.AssigneeAll
	case QueueWaiting:
		cq.Status, cq.AssigneeType = "open", store.AssigneeUnassigned
	case QueueMine:
		cq.Status, cq.AssigneeType = "open", store.AssigneeMe
	case QueueTeam:
		if cq.TeamID == 0 {
			return baton.Invalid("team_id is required for the team queue", "team_id")
		}
		cq.Status, cq.AssigneeType = "open", store.AssigneeAll
	case QueueAll:
		cq.Status, cq.AssigneeType = "all", store.AssigneeAll
	case QueueResolved:
		cq.Status, cq.AssigneeType = "resolved", store.AssigneeAll
	default:
		return baton.Invalid("Queue must be bot, waiting, mine, team, all or resolved", "queue")
	}
	return nil
}

// ConversationList is one page of conversations with Chatwoot's counts.
type ConversationList struct {
	Conversations []*baton.Conversation
	Counts        store.ConversationCounts
	// Matches are, for a search with words (ConversationQuery.Search),
	// the newest message of each listed conversation that holds
	// them, by conversation id: why it was found. A conversation found
	// by its contact or number alone has none.
	Matches map[int64]*baton.Message
}

// Conversations lists the conversations the caller may see.
func (a *App) Conversations(ctx context.Context, accountID int64, cq ConversationQuery) (*ConversationList, error) {
	q := a.store.Read()
	f, err := a.conversationFilter(ctx, q, accountID, &cq)
	if err != nil {
		return nil, err
	}
	list := &ConversationList{}
	if !cq.PageOnly {
		if list.Counts, err = q.CountConversations(ctx, f); err != nil {
			return nil, err
		}
	}
	if cq.CountOnly {
		return list, nil
	}
	cq.Page = min(max(cq.Page, 1), MaxPage)
	size := cq.PageSize
	if size <= 0 || size > 100 {
		size = ConversationPageSize
	}
	f.Offset, f.Limit = (cq.Page-1)*size, size
	if list.Conversations, err = a.listConversations(ctx, q, f); err != nil {
		return nil, err
	}
	if len(f.Search.Words) > 0 {
		ids := make([]int64, len(list.Conversations))
		for i, c := range list.Conversations {
			ids[i] = c.ID
		}
		if list.Matches, err = q.MatchingMessages(ctx, ids, f.Search); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// ConversationCounts counts the conversations the caller may see under
// the query's filters, by status and assignee (the query's status, queue,
// assignee type and page are not read): every queue's count in one
// statement. A status without conversations is left out.
func (a *App) ConversationCounts(ctx context.Context, accountID int64, cq ConversationQuery) (map[baton.Status]store.ConversationCounts, error) {
	q := a.store.Read()
	cq.Queue, cq.Status, cq.AssigneeType = "", "all", ""
	f, err := a.conversationFilter(ctx, q, accountID, &cq)
	if err != nil {
		return nil, err
	}
	return q.CountConversationsByStatus(ctx, f)
}

// conversationFilter is the store's filter for the query, within what the
// caller may see; it applies the query's queue to it.
func (a *App) conversationFilter(ctx context.Context, q *store.Queries, accountID int64, cq *ConversationQuery) (store.ConversationFilter, error) {
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return store.ConversationFilter{}, err
	}
	if err := cq.applyQueue(); err != nil {
		return store.ConversationFilter{}, err
	}
	if err := checkSearch(cq.Query, "q"); err != nil {
		return store.ConversationFilter{}, err
	}
	if err := checkSearch(cq.Search, "q"); err != nil {
		return store.ConversationFilter{}, err
	}
	if len(cq.Labels) > maxConversationLabels {
		// None has more; each is a condition of the statement, and
		// SQLite refuses a thousand of them (a 500).
		return store.ConversationFilter{}, baton.Invalid(fmt.Sprintf("labels may name at most %d labels", maxConversationLabels), "labels")
	}
	// Labels are kept lower case (cleanLabels), and found in any case as
	// Chatwoot's are: the databases' LIKE folds ASCII on SQLite alone.
	var labels []string
	for _, l := range cq.Labels {
		if l = strings.ToLower(strings.TrimSpace(l)); l != "" {
			labels = append(labels, l)
		}
	}
	f := store.ConversationFilter{AccountID: accountID, AssigneeType: cq.AssigneeType, UserID: s.userID(),
		InboxID: cq.InboxID, TeamID: cq.TeamID, InboxIDs: s.inboxIDs, Assigned: s.assigned(), Labels: labels, Query: cq.Query,
		LongestWaiting: cq.Queue == QueueWaiting, RepliesFirst: cq.Queue == QueueMine}
	if cq.Search != "" {
		f.Search = store.ConversationSearch{Text: cq.Search, Words: SearchWords(cq.Search),
			Since: a.Now().Add(-SearchWindow).UnixMicro()}
	}
	switch cq.Status {
	case "", "open":
		st := baton.StatusOpen
		f.Status = &st
	case "all":
	default:
		st, ok := baton.ParseStatus(cq.Status)
		if !ok {
			return f, baton.Invalid("Status is not included in the list", "status")
		}
		f.Status = &st
	}
	switch cq.AssigneeType {
	case "", store.AssigneeAll, store.AssigneeMe, store.AssigneeUnassigned, store.AssigneeAssigned:
	default:
		return f, baton.Invalid("Assignee type is not included in the list", "assignee_type")
	}
	return f, nil
}

// SearchWindow is how far back the agent app's search reads messages: it
// reads those of the conversations active within it, so that what a
// search costs follows the recent traffic, not all there ever was; an
// older conversation is found by its contact or number.
const SearchWindow = 90 * 24 * time.Hour

// MaxSearchLength is the most bytes a search may hold: a conversation's
// (Chatwoot's q, the agent app's search), a contact's or a canned
// response's. The databases match a search with LIKE in every text they
// read, at a cost of the text's length times the search's: a search of
// 4,000 characters took 7 s over three long messages a customer had sent,
// and one against the canned responses ran into the request's deadline.
const MaxSearchLength = 200

// checkSearch refuses a search longer than MaxSearchLength; attr names
// its parameter.
func checkSearch(search, attr string) error {
	if len(search) > MaxSearchLength {
		return baton.Invalid(fmt.Sprintf("%s may hold at most %d bytes", attr, MaxSearchLength), attr)
	}
	return nil
}

// MaxSearchWords is how many of a search's words a message must hold;
// those after are not looked for.
const MaxSearchWords = 5

// SearchWords are the words of a search that a message must hold for the
// agent app's search to find its conversation: split at spaces, their
// ASCII letters lower case, each once, at most MaxSearchWords. Other
// letters stay as typed: the database lowers a word that has them as it
// lowers the messages (store.ConversationSearch), never Go, whose
// lowering might differ from the database's.
func SearchWords(search string) []string {
	var words []string
	for _, w := range strings.Fields(asciiLower(search)) {
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
		if len(words) == MaxSearchWords {
			break
		}
	}
	return words
}

// asciiLower is s with its ASCII letters lower case.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// listConversations lists the conversations the filter selects, each
// loaded for its view.
func (a *App) listConversations(ctx context.Context, q *store.Queries, f store.ConversationFilter) ([]*baton.Conversation, error) {
	cs, err := q.ListConversations(ctx, f)
	if err != nil {
		return nil, err
	}
	l := newLoader(q, a.liveSince())
	for _, c := range cs {
		if err := l.conversation(ctx, c); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// ContactConversations lists the conversations of a contact the caller may see.
func (a *App) ContactConversations(ctx context.Context, accountID, contactID int64) ([]*baton.Conversation, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	if _, err := q.FindContact(ctx, accountID, contactID); err != nil {
		return nil, err
	}
	return a.listConversations(ctx, q, store.ConversationFilter{AccountID: accountID, ContactID: contactID,
		InboxIDs: s.inboxIDs, Assigned: s.assigned(), Limit: 100})
}

// Conversation returns a conversation the caller may see, by display id.
func (a *App) Conversation(ctx context.Context, accountID, displayID int64) (*baton.Conversation, error) {
	q := a.store.Read()
	_, c, err := a.visibleConversation(ctx, q, accountID, displayID)
	if err != nil {
		return nil, err
	}
	return c, newLoader(q, a.liveSince()).conversation(ctx, c)
}

// visibleConversation resolves the caller's scope in the account and finds
// a conversation they may see there, by display id.
func (a *App) visibleConversation(ctx context.Context, q *store.Queries, accountID, displayID int64) (*scope, *baton.Conversation, error) {
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, nil, err
	}
	c, err := findVisible(ctx, q, s, displayID)
	if err != nil {
		return nil, nil, err
	}
	return s, c, nil
}

// findVisible finds a conversation of the scope's account that the caller
// may see, by display id: any other is not found.
func findVisible(ctx context.Context, q *store.Queries, s *scope, displayID int64) (*baton.Conversation, error) {
	c, err := q.FindConversation(ctx, s.account.ID, displayID)
	if err != nil {
		return nil, err
	}
	if !s.seesConversation(c) {
		return nil, baton.ErrNotFound
	}
	return c, nil
}

// changeConversation runs fn on a conversation the caller may see, in one
// transaction, saves it, and reads it back for the view.
func (a *App) changeConversation(ctx context.Context, accountID, displayID int64, fn func(q *store.Queries, s *scope, c *baton.Conversation) error) (*baton.Conversation, error) {
	c, err := a.changeVisible(ctx, accountID, displayID, fn)
	if err != nil {
		return nil, err
	}
	return a.loadConversation(ctx, c)
}

// changeVisible is changeConversation without the read back: the
// conversation as saved.
func (a *App) changeVisible(ctx context.Context, accountID, displayID int64, fn func(q *store.Queries, s *scope, c *baton.Conversation) error) (*baton.Conversation, error) {
	var c *baton.Conversation
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		var s *scope
		if s, c, err = a.visibleConversation(ctx, q, accountID, displayID); err != nil {
			return err
		}
		return a.saveChanged(ctx, q, c, func() error { return fn(q, s, c) })
	})
	return c, err
}

// StatusChange is a requested toggle_status: a status, or nil to toggle.
type StatusChange struct {
	Status       *string
	SnoozedUntil *time.Time
	Handoff      *HandoffInput // with status open: why and to whom
}

// ToggleStatus sets a conversation's status, or toggles it between open and
// resolved when no status is given (anything not open opens).
func (a *App) ToggleStatus(ctx context.Context, accountID, displayID int64, ch StatusChange) (*baton.Conversation, error) {
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		return a.changeStatus(ctx, q, s, c, ch, false)
	})
}

// changeStatus is a toggle_status on a conversation the caller may see. It
// does not save. assigned says that the same change set the assignee
// (a bulk action's): that person keeps it, and an agent who opens it does
// not take it.
func (a *App) changeStatus(ctx context.Context, q *store.Queries, s *scope, c *baton.Conversation, ch StatusChange, assigned bool) error {
	next := baton.StatusOpen
	if ch.Status != nil {
		st, ok := baton.ParseStatus(*ch.Status)
		if !ok {
			return baton.Invalid("Status is not included in the list", "status")
		}
		next = st
	} else if c.Status == baton.StatusOpen {
		next = baton.StatusResolved
	}
	// Opening the bot's conversation, or any with a handoff object,
	// hands it to people (see handOff). Opening an open one changes
	// nothing: of two handoffs at once, one wins.
	if next == baton.StatusOpen && c.Status != baton.StatusOpen && (c.Status == baton.StatusPending || ch.Handoff != nil) {
		var in HandoffInput
		if ch.Handoff != nil {
			in = *ch.Handoff
		}
		if assigned && in.AssigneeID == 0 {
			in.AssigneeID = c.AssigneeID
		}
		return a.handOff(ctx, q, s.actor, c, in, "")
	}
	if err := a.setStatus(ctx, q, c, next, ch.SnoozedUntil, s.actor); err != nil {
		return err
	}
	// An agent (not an administrator) who opens a conversation takes it.
	if next == baton.StatusOpen && !assigned && s.actor.User != nil && s.role == baton.RoleAgent && c.AssigneeID == 0 {
		return a.assign(ctx, q, c, s.actor.User, s.actor)
	}
	return nil
}

// setStatus moves a conversation to a status and leaves the activity message
// that says who did it. It does not save the conversation.
func (a *App) setStatus(ctx context.Context, q *store.Queries, c *baton.Conversation, next baton.Status, snoozedUntil *time.Time, actor *baton.Actor) error {
	if next == baton.StatusSnoozed {
		if err := checkSnoozedUntil(snoozedUntil, a.Now()); err != nil {
			return err
		}
		c.SnoozedUntil = snoozedUntil
	} else {
		c.SnoozedUntil = nil
	}
	if c.Status == next {
		return nil
	}
	c.Status = next
	if next == baton.StatusOpen && c.WaitingSince == nil {
		now := a.Now()
		c.WaitingSince = &now
	}
	if err := a.activity(ctx, q, c, statusActivity(next, actor)); err != nil {
		return err
	}
	if next == baton.StatusResolved {
		// Last, so that its events follow the resolution's, as Chatwoot's
		// survey is sent once the resolution is saved.
		return q.Last(func() error { return a.csatSurvey(ctx, q, c) })
	}
	return nil
}

// lastSnooze is the last second of the year 9999: a snooze that ends
// later is a mistake (a time zone's offset added to a date typed as
// 9999-12-31), and the answers would write its year in five digits.
var lastSnooze = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// checkSnoozedUntil refuses the end of a snooze that is not in the future,
// or is past the year 9999; nil is until the customer replies.
func checkSnoozedUntil(until *time.Time, now time.Time) error {
	switch {
	case until == nil:
	case !until.After(now):
		return baton.Invalid("Snoozed until must be in the future", "snoozed_until")
	case until.After(lastSnooze):
		return baton.Invalid("Snoozed until must be before the year 10000", "snoozed_until")
	}
	return nil
}

// snoozeEnded is who reopens a conversation whose snooze ended.
var snoozeEnded = &baton.Actor{Kind: baton.ActorSystem, Name: "the end of its snooze"}

// WakeSnoozed reopens the conversations whose snooze has ended, as
// Chatwoot's ReopenSnoozedConversationsJob does, each in a transaction of
// its own, and routes those nobody has to someone online as a new
// conversation is. It returns how many it reopened. Run from several
// processes at once, each conversation is reopened once: it is read again,
// locked, in its transaction. One that fails does not hold up the others:
// its error is returned with theirs, joined, after all were tried.
func (a *App) WakeSnoozed(ctx context.Context) (int, error) {
	ids, err := a.store.Read().DueSnoozed(ctx, a.Now(), wakeBatch)
	if err != nil {
		return 0, err
	}
	woken := 0
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		reopened := false
		err := a.store.Write(ctx, func(q *store.Queries) error {
			reopened = false // a transaction run again starts over
			c, err := q.FindConversationByID(ctx, id)
			if baton.ErrorCode(err) == baton.ENOTFOUND {
				return nil // deleted meanwhile
			} else if err != nil {
				return err
			}
			if c.Status != baton.StatusSnoozed || c.SnoozedUntil == nil || c.SnoozedUntil.After(a.Now()) {
				return nil // woken, or snoozed again, meanwhile
			}
			reopened = true
			return a.saveChanged(ctx, q, c, func() error {
				if err := a.setStatus(ctx, q, c, baton.StatusOpen, nil, snoozeEnded); err != nil || c.AssigneeID != 0 {
					return err
				}
				inbox, err := q.FindInbox(ctx, c.AccountID, c.InboxID)
				if err != nil {
					return err
				}
				return a.route(ctx, q, c, inbox, nil)
			})
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("conversation %d: %w", id, err))
		} else if reopened {
			woken++
		}
	}
	return woken, errors.Join(errs...)
}

// wakeBatch bounds how many snoozed conversations one look reopens; the
// rest wait for the next look.
const wakeBatch = 500

// SnoozeInterval is how often a process looks for snoozes that ended: a
// conversation reopens at most this long after its time.
const SnoozeInterval = 15 * time.Second

// SnoozeKeeper reopens snoozed conversations when their time comes.
type SnoozeKeeper struct{ periodic }

// NewSnoozeKeeper returns a keeper that looks at start and then every
// interval (SnoozeInterval when 0). Start runs it.
func (a *App) NewSnoozeKeeper(interval time.Duration) *SnoozeKeeper {
	if interval <= 0 {
		interval = SnoozeInterval
	}
	return &SnoozeKeeper{periodic{interval: interval, run: func(ctx context.Context) {
		n, err := a.WakeSnoozed(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Error("reopening snoozed conversations", "err", err)
		} else if n > 0 {
			a.log.Info("reopened snoozed conversations", "conversations", n)
		}
	}}}
}

// CSATQuestion is the survey's text, Chatwoot's
// conversations.templates.csat_input_message_body.
const CSATQuestion = "Please rate the conversation"

// csatSurvey asks the customer to rate a resolved conversation when its
// inbox asks for it, once per conversation, as Chatwoot's
// CsatSurveyService: a template message of content type input_csat.
func (a *App) csatSurvey(ctx context.Context, q *store.Queries, c *baton.Conversation) error {
	in, err := q.FindInbox(ctx, c.AccountID, c.InboxID)
	if err != nil || !in.CSATSurveyEnabled {
		return err
	}
	if sent, err := q.HasContentType(ctx, c.ID, baton.ContentInputCSAT); err != nil || sent {
		return err
	}
	now := a.Now()
	text := CSATQuestion
	m := &baton.Message{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
		MessageType: baton.MessageTemplate, ContentType: baton.ContentInputCSAT, Content: &text,
		CreatedAt: now, UpdatedAt: now}
	if err := q.CreateMessage(ctx, m); err != nil {
		return err
	}
	return a.emitMessage(ctx, q, baton.EventMessageCreated, c, m, nil)
}

func statusActivity(s baton.Status, actor *baton.Actor) string {
	switch {
	case actor.Kind == baton.ActorContact && s == baton.StatusResolved:
		return "Conversation was resolved by " + actor.Name
	case actor.Kind == baton.ActorContact && s == baton.StatusOpen:
		return "System reopened the conversation due to a new incoming message."
	case actor == snoozeEnded:
		return "The snooze ended: the conversation was reopened"
	}
	switch s {
	case baton.StatusResolved:
		return "Conversation was marked resolved by " + actor.Name
	case baton.StatusPending:
		return "Conversation was marked as pending by " + actor.Name
	case baton.StatusSnoozed:
		return "Conversation was snoozed by " + actor.Name
	}
	return "Conversation was reopened by " + actor.Name
}

// activity leaves an activity message in the conversation.
func (a *App) activity(ctx context.Context, q *store.Queries, c *baton.Conversation, text string) error {
	now := a.Now()
	m := &baton.Message{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
		MessageType: baton.MessageActivity, Content: &text, CreatedAt: now, UpdatedAt: now}
	if err := q.CreateMessage(ctx, m); err != nil {
		return err
	}
	return a.publishMessage(ctx, q, baton.EventMessageCreated, m, nil)
}

// TogglePriority sets or clears (with "") a conversation's priority.
func (a *App) TogglePriority(ctx context.Context, accountID, displayID int64, priority string) (*baton.Conversation, error) {
	p, ok := baton.ParsePriority(priority)
	if !ok {
		return nil, baton.Invalid("Priority is not included in the list", "priority")
	}
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		if c.Priority == p {
			return nil
		}
		var text string
		switch {
		case p == baton.PriorityNone:
			text = s.actor.Name + " removed the priority"
		case c.Priority == baton.PriorityNone:
			text = s.actor.Name + " set the priority to " + p.String()
		default:
			text = fmt.Sprintf("%s changed the priority from %s to %s", s.actor.Name, c.Priority, p)
		}
		c.Priority = p
		return a.activity(ctx, q, c, text)
	})
}

// SetCustomAttributes replaces a conversation's custom attributes.
func (a *App) SetCustomAttributes(ctx context.Context, accountID, displayID int64, attrs map[string]any) (*baton.Conversation, error) {
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		c.CustomAttributes = orEmpty(attrs)
		return customFit(c)
	})
}

// EditCustomAttributes sets some of a conversation's custom attributes
// and removes others (unset), leaving the rest as they are, in one
// transaction: what a person edits beside the conversation, while a bot
// may be setting others.
func (a *App) EditCustomAttributes(ctx context.Context, accountID, displayID int64, set map[string]any, unset []string) (*baton.Conversation, error) {
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		attrs := maps.Clone(orEmpty(c.CustomAttributes))
		maps.Copy(attrs, set)
		for _, k := range unset {
			delete(attrs, k)
		}
		c.CustomAttributes = attrs
		return customFit(c)
	})
}

// customFit and additionalFit refuse a conversation's custom or
// additional attributes past baton.MaxAttributesBytes; each is checked
// where it is written, so that a conversation stored larger before the
// bound can still be changed otherwise.
func customFit(c *baton.Conversation) error {
	return baton.AttributesTooLarge("custom_attributes", "Custom attributes", c.CustomAttributes)
}

func additionalFit(c *baton.Conversation) error {
	return baton.AttributesTooLarge("additional_attributes", "Additional attributes", c.AdditionalAttributes)
}

// UpdateConversationInput holds what a conversation update may change.
type UpdateConversationInput struct {
	Priority             *string
	AdditionalAttributes map[string]any
}

// UpdateConversation changes a conversation's priority and additional attributes.
func (a *App) UpdateConversation(ctx context.Context, accountID, displayID int64, in UpdateConversationInput) (*baton.Conversation, error) {
	if in.Priority != nil {
		if _, ok := baton.ParsePriority(*in.Priority); !ok {
			return nil, baton.Invalid("Priority is not included in the list", "priority")
		}
	}
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		if in.Priority != nil {
			c.Priority, _ = baton.ParsePriority(*in.Priority)
		}
		if in.AdditionalAttributes != nil {
			for k, v := range in.AdditionalAttributes {
				c.AdditionalAttributes[k] = v
			}
			return additionalFit(c)
		}
		return nil
	})
}

// maxLabelLength is the most bytes a label holds.
const maxLabelLength = 255

// maxConversationLabels bounds a conversation's labels: each of its
// payloads (webhooks, live frames, lists) carries them all.
const maxConversationLabels = 100

// SetLabels replaces a conversation's labels, at most
// maxConversationLabels, and leaves activity messages for what was added
// and removed.
func (a *App) SetLabels(ctx context.Context, accountID, displayID int64, labels []string) (*baton.Conversation, error) {
	clean, err := cleanLabels(labels, "labels")
	if err != nil {
		return nil, err
	}
	if len(clean) > maxConversationLabels {
		return nil, baton.Invalid(fmt.Sprintf("A conversation has at most %d labels, not %d", maxConversationLabels, len(clean)), "labels")
	}
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		var added, removed []string
		for _, l := range clean {
			if !slices.Contains(c.Labels, l) {
				added = append(added, l)
			}
		}
		for _, l := range c.Labels {
			if !slices.Contains(clean, l) {
				removed = append(removed, l)
			}
		}
		c.Labels = clean
		return a.labelled(ctx, q, c, s.actor, added, removed)
	})
}

// cleanLabels lowers and trims labels and drops repeats, refusing any that
// is empty, too long or holds a space, a comma or a quote; attr names the
// field for the error.
func cleanLabels(labels []string, attr string) ([]string, error) {
	clean := make([]string, 0, len(labels))
	seen := make(map[string]bool, len(labels)) // a list's repeats found in linear time, however long it is
	for _, l := range labels {
		l = strings.ToLower(strings.TrimSpace(l))
		if l == "" || len(l) > maxLabelLength || strings.ContainsAny(l, " ,\"") {
			return nil, baton.Invalid(fmt.Sprintf("Label %q is not valid: letters, digits, - and _ only", l), attr)
		}
		if !seen[l] {
			seen[l] = true
			clean = append(clean, l)
		}
	}
	return clean, nil
}

// labelled leaves the activity messages that say which labels the actor
// added and removed.
func (a *App) labelled(ctx context.Context, q *store.Queries, c *baton.Conversation, actor *baton.Actor, added, removed []string) error {
	if len(added) > 0 {
		if err := a.activity(ctx, q, c, actor.Name+" added "+strings.Join(added, ", ")); err != nil {
			return err
		}
	}
	if len(removed) > 0 {
		return a.activity(ctx, q, c, actor.Name+" removed "+strings.Join(removed, ", "))
	}
	return nil
}

// Assign sets a conversation's assignee; userID 0 unassigns. The assignee
// must be a member of the account.
func (a *App) Assign(ctx context.Context, accountID, displayID, userID int64) (*baton.Conversation, error) {
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		if userID == 0 {
			return a.assign(ctx, q, c, nil, s.actor)
		}
		au, err := q.FindAccountUser(ctx, accountID, userID)
		if errors.Is(err, baton.ErrNotFound) {
			return baton.Invalid("Assignee must be a member of the account", "assignee_id")
		} else if err != nil {
			return err
		}
		return a.assign(ctx, q, c, au.User, s.actor)
	})
}

// OwnerKey names who has a conversation, as the agent app shows it: "bot"
// (pending), "person:<user id>", "resolved", or "waiting" (open, nobody's).
func OwnerKey(c *baton.Conversation) string {
	switch {
	case c.Status == baton.StatusPending:
		return "bot"
	case c.AssigneeID != 0:
		return "person:" + itoa(c.AssigneeID)
	case c.Status == baton.StatusResolved:
		return "resolved"
	}
	return "waiting"
}

// HandBack gives the conversation back to its bot, in one transaction: the
// note to the bot first, when there is one, as the caller's private note
// (which the bot hears before the change), then unassigned and pending.
// A conversation with its bot already changes nothing but the note.
func (a *App) HandBack(ctx context.Context, accountID, displayID int64, note string) (*baton.Conversation, error) {
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		if note != "" {
			m, err := a.messageFrom(s.actor, c, nil, MessageInput{Content: &note, Private: true})
			if err != nil {
				return err
			}
			if err := a.addMessage(ctx, q, s.actor, c, m, nil, nil); err != nil {
				return err
			}
		}
		if c.AssigneeID != 0 {
			if err := a.assign(ctx, q, c, nil, s.actor); err != nil {
				return err
			}
		}
		return a.setStatus(ctx, q, c, baton.StatusPending, nil, s.actor)
	})
}

// TakeOver gives the calling person the conversation, in one transaction:
// from the bot (a handoff of reason agent_takeover), from the waiting
// queue, from whoever had it, or reopened. seen is the OwnerKey the
// caller's page showed ("" for no check): when someone else changed the
// conversation since, nothing is done and the answer is a conflict that
// says who has it, so that of two people taking over at once one wins and
// the other is told.
func (a *App) TakeOver(ctx context.Context, accountID, displayID int64, seen string) (*baton.Conversation, error) {
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		me := s.actor.User
		if me == nil {
			return auth.ErrNotAuthorized
		}
		if now := OwnerKey(c); seen != "" && now != seen && now != "person:"+itoa(me.ID) {
			who := "Someone"
			if c.AssigneeID != 0 {
				if u, err := q.FindUser(ctx, c.AssigneeID); err == nil {
					who = u.AvailableName()
				}
			}
			return &baton.Error{Code: baton.ECONFLICT, Message: conflictMessage(c, who)}
		}
		switch c.Status {
		case baton.StatusOpen:
		case baton.StatusPending:
			// As a reply in it would: the activity says who took it from
			// the bot, not that auto assignment chose them.
			if err := a.takeOver(ctx, q, s.actor, c); err != nil {
				return err
			}
		default:
			if err := a.setStatus(ctx, q, c, baton.StatusOpen, nil, s.actor); err != nil {
				return err
			}
		}
		return a.assign(ctx, q, c, me, s.actor)
	})
}

// conflictMessage says how a conversation changed under someone about to
// take it over.
func conflictMessage(c *baton.Conversation, who string) string {
	switch OwnerKey(c) {
	case "bot":
		return "The conversation went back to the bot meanwhile; look again before taking it over."
	case "resolved":
		return "The conversation was resolved meanwhile; look again before taking it over."
	case "waiting":
		return "The conversation changed meanwhile; look again before taking it over."
	}
	return who + " took this conversation over first."
}

// AssignBot assigns a conversation to a bot, global or the account's own,
// which then hears of its events. A person assigned later takes it back.
func (a *App) AssignBot(ctx context.Context, accountID, displayID, botID int64) (*baton.Conversation, *baton.AgentBot, error) {
	var bot *baton.AgentBot
	c, err := a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) (err error) {
		if bot, err = findUsableBot(ctx, q, accountID, botID); errors.Is(err, baton.ErrNotFound) {
			return baton.Invalid("Assignee must be a bot of the account or a global bot", "assignee_id")
		} else if err != nil {
			return err
		}
		if c.AssigneeAgentBotID == bot.ID {
			return nil
		}
		c.AssigneeID, c.AssigneeAgentBotID = 0, bot.ID
		return a.activity(ctx, q, c, "Assigned to "+bot.Name+" by "+s.actor.Name)
	})
	return c, bot, err
}

// assign sets the assignee with its activity message. It does not save.
func (a *App) assign(ctx context.Context, q *store.Queries, c *baton.Conversation, u *baton.User, actor *baton.Actor) error {
	var id int64
	if u != nil {
		id = u.ID
	}
	if c.AssigneeID == id && c.AssigneeAgentBotID == 0 {
		return nil
	}
	// A person assigned, or no one, takes the conversation from a bot too.
	c.AssigneeID, c.AssigneeAgentBotID = id, 0
	switch {
	case u == nil:
		return a.activity(ctx, q, c, "Conversation unassigned by "+actor.Name)
	case actor.User != nil && actor.User.ID == u.ID:
		return a.activity(ctx, q, c, u.AvailableName()+" self-assigned this conversation")
	}
	return a.activity(ctx, q, c, "Assigned to "+u.AvailableName()+" by "+actor.Name)
}

// MarkSeen records that the agent side read a conversation.
func (a *App) MarkSeen(ctx context.Context, accountID, displayID int64) (*baton.Conversation, error) {
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		now := a.Now()
		c.AgentLastSeenAt = &now
		if s.actor.User != nil && c.AssigneeID == s.actor.User.ID {
			c.AssigneeLastSeenAt = &now
		}
		return nil
	})
}

// MarkUnread makes the conversation unread again for the agent side, as
// Chatwoot's unread does: agent_last_seen_at (and assignee_last_seen_at)
// go back to a second before its newest incoming message, which, and any
// in that second, count as unread again; without one, to never.
func (a *App) MarkUnread(ctx context.Context, accountID, displayID int64) (*baton.Conversation, error) {
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		last, err := q.LastIncomingAt(ctx, c.ID)
		if err != nil {
			return err
		}
		var seen *time.Time
		if last != nil {
			t := last.Add(-time.Second)
			seen = &t
		}
		c.AgentLastSeenAt, c.AssigneeLastSeenAt = seen, seen
		return nil
	})
}

// LabelsRecent is how many of an account's newest conversations Labels
// reads the labels of, and MaxLabels the most labels it returns: a
// suggestion's worth, read from a range of an index however many
// conversations the account has.
const (
	LabelsRecent = 5000
	MaxLabels    = 200
)

// Labels returns the labels the account's conversations use (those of its
// LabelsRecent newest), in order, at most MaxLabels: what the agent app
// suggests as labels are typed. Baton keeps no list of labels apart from
// the conversations; every member of the account reads them, as every
// member reads Chatwoot's account labels.
func (a *App) Labels(ctx context.Context, accountID int64) ([]string, error) {
	q := a.store.Read()
	if _, err := a.accountScope(ctx, q, accountID); err != nil {
		return nil, err
	}
	return q.ListLabels(ctx, accountID, LabelsRecent, MaxLabels)
}

// PublicConversationPageSize is how many conversations a page of a public
// contact's list holds, and PublicConversationMessages how many of each
// one's latest public messages come with it: one answer holds at most
// their product, however much a contact has written. Older messages are
// read page by page from the conversation's messages.
const (
	PublicConversationPageSize = 20
	PublicConversationMessages = 20
)

// PublicConversations lists a page (from 1) of the contact's conversations
// in the inbox, newest first, each with its latest public messages.
func (a *App) PublicConversations(ctx context.Context, page int) ([]*baton.Conversation, map[int64][]*baton.Message, error) {
	q := a.store.Read()
	p, err := a.publicSession(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	page = min(max(page, 1), MaxPage)
	cs, err := q.ListConversations(ctx, store.ConversationFilter{AccountID: p.Inbox.AccountID,
		ContactInboxID: p.ContactInbox.ID, Offset: (page - 1) * PublicConversationPageSize, Limit: PublicConversationPageSize})
	if err != nil {
		return nil, nil, err
	}
	l := newLoader(q, a.liveSince())
	msgs := map[int64][]*baton.Message{}
	for _, c := range cs {
		c.Inbox, c.Contact, c.ContactInbox = p.Inbox, p.Contact, p.ContactInbox
		ms, err := q.ListMessages(ctx, store.MessageFilter{ConversationID: c.ID, Public: true, Limit: PublicConversationMessages})
		if err != nil {
			return nil, nil, err
		}
		if err := l.messages(ctx, c, ms); err != nil {
			return nil, nil, err
		}
		msgs[c.ID] = ms
	}
	return cs, msgs, nil
}

// PublicCreateConversation opens a conversation for the contact.
func (a *App) PublicCreateConversation(ctx context.Context, custom map[string]any) (*baton.Conversation, error) {
	var c *baton.Conversation
	err := a.store.Write(ctx, func(q *store.Queries) error {
		p, err := a.publicSession(ctx, q)
		if err != nil {
			return err
		}
		if p.Inbox.LockToSingleConversation {
			// Creates sent at once must find the one conversation.
			if err := q.LockContactInbox(ctx, p.ContactInbox.ID); err != nil {
				return err
			}
			if last, err := q.LastConversationOf(ctx, p.ContactInbox.ID); err == nil {
				c = last
				return nil
			}
		}
		if c, err = a.newConversation(ctx, q, p.Inbox, p.Contact, p.ContactInbox, nil); err != nil {
			return err
		}
		c.CustomAttributes = orEmpty(custom)
		if err := customFit(c); err != nil {
			return err
		}
		return a.createConversation(ctx, q, c, p.Inbox)
	})
	if err != nil {
		return nil, err
	}
	return a.loadConversation(ctx, c)
}

// PublicConversation returns one of the contact's conversations.
func (a *App) PublicConversation(ctx context.Context, displayID int64) (*baton.Conversation, []*baton.Message, error) {
	q := a.store.Read()
	_, c, err := a.publicConversation(ctx, q, displayID)
	if err != nil {
		return nil, nil, err
	}
	ms, err := q.ListMessages(ctx, store.MessageFilter{ConversationID: c.ID, Public: true, Limit: 100})
	if err != nil {
		return nil, nil, err
	}
	return c, ms, newLoader(q, a.liveSince()).messages(ctx, c, ms)
}

// PublicResolve resolves one of the contact's conversations; resolving a
// resolved conversation changes nothing.
func (a *App) PublicResolve(ctx context.Context, displayID int64) (*baton.Conversation, []*baton.Message, error) {
	err := a.store.Write(ctx, func(q *store.Queries) error {
		p, c, err := a.publicConversation(ctx, q, displayID)
		if err != nil {
			return err
		}
		if c.Status == baton.StatusResolved {
			return nil
		}
		return a.saveChanged(ctx, q, c, func() error {
			return a.setStatus(ctx, q, c, baton.StatusResolved, nil, p.actor())
		})
	})
	if err != nil {
		return nil, nil, err
	}
	return a.PublicConversation(ctx, displayID)
}

// PublicTyping shows the contact typing to the conversation's agents, or
// stops showing it.
func (a *App) PublicTyping(ctx context.Context, displayID int64, status string) error {
	if status != "on" && status != "off" {
		return baton.Invalid("typing_status must be on or off", "typing_status")
	}
	_, c, err := a.publicConversation(ctx, a.store.Read(), displayID)
	if err != nil {
		return err
	}
	return a.publishTyping(ctx, c, baton.SenderContact, c.ContactID, status == "on", false)
}

// PublicUpdateLastSeen records that the contact read the conversation.
func (a *App) PublicUpdateLastSeen(ctx context.Context, displayID int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		_, c, err := a.publicConversation(ctx, q, displayID)
		if err != nil {
			return err
		}
		now := a.Now()
		c.ContactLastSeenAt = &now
		if err := q.UpdateConversation(ctx, c); err != nil {
			return err
		}
		return a.publishConversation(ctx, q, baton.EventConversationRead, c, nil)
	})
}

// currentTarget is the conversation a visitor's message goes to, read as
// the message's target (store.MessageTarget, with its surroundings when
// around is above zero): the latest, unless it is resolved and the inbox
// does not take messages on resolved conversations (then the widget starts
// a new one, as Chatwoot's does), or nil.
func (a *App) currentTarget(ctx context.Context, q *store.Queries, w *WidgetSession, around int) (*store.MessageTarget, error) {
	t, err := q.FindLatestMessageTarget(ctx, w.ContactInbox.ID, a.floodSince(), a.limits.MessagesPerMinute, around)
	if errors.Is(err, baton.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	c := t.Conversation
	if c.Status == baton.StatusResolved && !w.Inbox.AllowMessagesAfterResolved && !w.Inbox.LockToSingleConversation {
		return nil, nil
	}
	c.Inbox, c.Contact, c.ContactInbox = w.Inbox, w.Contact, w.ContactInbox
	if t.Around != nil {
		t.Around.Contact, t.Around.ContactInbox = w.Contact, w.ContactInbox
	}
	return t, nil
}

// widgetConversation is the visitor's latest conversation, whatever its
// status, or nil when they have none.
func widgetConversation(ctx context.Context, q *store.Queries, w *WidgetSession) (*baton.Conversation, error) {
	c, err := q.LastConversationOf(ctx, w.ContactInbox.ID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	c.Inbox, c.Contact, c.ContactInbox = w.Inbox, w.Contact, w.ContactInbox
	return c, nil
}

// errNoConversation is what the widget gets for a conversation action before
// the visitor has a conversation, as Chatwoot answers.
var errNoConversation = &baton.Error{Code: baton.ENOTFOUND, Message: "Resource could not be found"}

// WidgetConversation returns the visitor's latest conversation with its
// assignee and bot loaded, or nil when they have none, and whether a person
// of the inbox is online to answer it.
func (a *App) WidgetConversation(ctx context.Context) (*WidgetSession, *baton.Conversation, bool, error) {
	return a.WidgetConversationOf(ctx, 0)
}

// WidgetConversationOf is WidgetConversation for one of the visitor's
// conversations, by id (0: the latest): the one a request just started,
// which the latest may no longer be when the visitor started another
// meanwhile. Another visitor's is not found.
func (a *App) WidgetConversationOf(ctx context.Context, id int64) (*WidgetSession, *baton.Conversation, bool, error) {
	q := a.store.Read()
	w, err := a.widgetSession(ctx, q)
	if err != nil {
		return nil, nil, false, err
	}
	online, err := a.peopleOnline(ctx, q, w.Inbox)
	if err != nil {
		return nil, nil, false, err
	}
	var c *baton.Conversation
	if id == 0 {
		c, err = widgetConversation(ctx, q, w)
	} else if c, err = q.FindConversationByID(ctx, id); err == nil {
		if c.ContactInboxID != w.ContactInbox.ID {
			return nil, nil, false, baton.ErrNotFound
		}
		c.Inbox, c.Contact, c.ContactInbox = w.Inbox, w.Contact, w.ContactInbox
	}
	if err != nil || c == nil {
		return w, nil, online, err
	}
	return w, c, online, newLoader(q, a.liveSince()).conversation(ctx, c)
}

// peopleOnline reports whether a member of the inbox is connected and
// available: whether a customer waiting for a person can expect one now.
func (a *App) peopleOnline(ctx context.Context, q *store.Queries, inbox *baton.Inbox) (bool, error) {
	ids, err := q.ListInboxMemberIDs(ctx, inbox.ID)
	if err != nil || len(ids) == 0 {
		return false, err
	}
	live, err := q.ConnectedUsers(ctx, ids, a.liveSince())
	if err != nil {
		return false, err
	}
	for id, on := range live {
		if !on {
			continue
		}
		au, err := q.FindAccountUser(ctx, inbox.AccountID, id)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			continue
		} else if err != nil {
			return false, err
		}
		if au.Availability == baton.Online {
			return true, nil
		}
	}
	return false, nil
}

// changeWidgetConversation runs fn on the visitor's latest conversation and
// saves it with the events its changes imply.
func (a *App) changeWidgetConversation(ctx context.Context, fn func(q *store.Queries, w *WidgetSession, c *baton.Conversation) error) (*baton.Conversation, error) {
	var c *baton.Conversation
	err := a.store.Write(ctx, func(q *store.Queries) error {
		w, err := a.widgetSession(ctx, q)
		if err != nil {
			return err
		}
		if c, err = widgetConversation(ctx, q, w); err != nil {
			return err
		} else if c == nil {
			return errNoConversation
		}
		return a.saveChanged(ctx, q, c, func() error { return fn(q, w, c) })
	})
	if err != nil {
		return nil, err
	}
	return a.loadConversation(ctx, c)
}

// WidgetResolve ends the visitor's latest conversation: the widget's "End
// conversation". Resolving a resolved conversation changes nothing.
func (a *App) WidgetResolve(ctx context.Context) (*baton.Conversation, error) {
	return a.changeWidgetConversation(ctx, func(q *store.Queries, w *WidgetSession, c *baton.Conversation) error {
		return a.setStatus(ctx, q, c, baton.StatusResolved, nil, w.actor())
	})
}

// WidgetRequestHuman is the visitor's "Talk to a person": their pending
// conversation is handed to people (handOff, reason customer_request) when
// the inbox lets customers ask (customer_can_request_human). Asking again
// while people have it changes nothing.
func (a *App) WidgetRequestHuman(ctx context.Context) (*baton.Conversation, error) {
	return a.changeWidgetConversation(ctx, func(q *store.Queries, w *WidgetSession, c *baton.Conversation) error {
		return a.requestHuman(ctx, q, w.actor(), c, w.Inbox)
	})
}

// WidgetTyping accepts the visitor's typing indicator for their latest
// conversation: "on" or "off". It changes nothing stored; live updates
// carry it to agents.
func (a *App) WidgetTyping(ctx context.Context, status string) error {
	if status != "on" && status != "off" {
		return baton.Invalid("typing_status must be on or off", "typing_status")
	}
	q := a.store.Read()
	w, err := a.widgetSession(ctx, q)
	if err != nil {
		return err
	}
	c, err := widgetConversation(ctx, q, w)
	if err != nil {
		return err
	} else if c == nil {
		return errNoConversation
	}
	return a.publishTyping(ctx, c, baton.SenderContact, c.ContactID, status == "on", false)
}

// WidgetUpdateLastSeen records that the visitor read their latest
// conversation; nothing when they have none, as Chatwoot.
func (a *App) WidgetUpdateLastSeen(ctx context.Context) error {
	w, err := a.widgetSession(ctx, a.store.Read())
	if err != nil {
		return err
	}
	return a.store.MarkSeenByContact(ctx, w.ContactInbox.ID, a.Now())
}

// WidgetConversationAttributes merges set into the custom attributes of
// the visitor's latest conversation and removes del. (Chatwoot's widget
// replaces the whole hash on set; merging keeps what an agent or bot put
// there.)
func (a *App) WidgetConversationAttributes(ctx context.Context, set map[string]any, del []string) (*baton.Conversation, error) {
	return a.changeWidgetConversation(ctx, func(q *store.Queries, w *WidgetSession, c *baton.Conversation) error {
		c.CustomAttributes = editAttributes(c.CustomAttributes, set, del)
		return customFit(c)
	})
}

// widgetLabel is what a label a widget visitor adds may be: Chatwoot's
// widget adds only labels the account has, whose titles are letters,
// digits, - and _ (its Label model's validation). Baton keeps no list of
// labels, so the form is checked: a visitor set any text but a space, a
// comma or a quote (markup, line breaks, control and bidirectional
// characters) on their conversation, which agents saw in its list and
// were offered back as a suggestion.
var widgetLabel = regexp.MustCompile(`^[\p{L}\p{N}_-]+$`)

// WidgetLabel adds (or removes) a label on the visitor's latest conversation,
// the SDK's setLabel and removeLabel.
func (a *App) WidgetLabel(ctx context.Context, label string, add bool) (*baton.Conversation, error) {
	l := strings.ToLower(strings.TrimSpace(label))
	if l == "" || len(l) > maxLabelLength || strings.ContainsAny(l, " ,\"") || (add && !widgetLabel.MatchString(l)) {
		return nil, baton.Invalid(fmt.Sprintf("Label %q is not valid: letters, digits, - and _ only", l), "label")
	}
	return a.changeWidgetConversation(ctx, func(q *store.Queries, w *WidgetSession, c *baton.Conversation) error {
		has := slices.Contains(c.Labels, l)
		switch {
		case add && !has:
			if len(c.Labels) >= maxConversationLabels {
				return baton.Invalid("Too many labels", "label")
			}
			c.Labels = append(c.Labels, l)
			return a.activity(ctx, q, c, w.Contact.Name+" added "+l)
		case !add && has:
			c.Labels = slices.DeleteFunc(c.Labels, func(x string) bool { return x == l })
			return a.activity(ctx, q, c, w.Contact.Name+" removed "+l)
		}
		return nil
	})
}
