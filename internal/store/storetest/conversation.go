package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// newAgentBot inserts a bare agent bot row for a conversation to point at.
func newAgentBot(t *testing.T, s *store.Store, accountID int64) int64 {
	t.Helper()
	var id int64
	err := s.DB().QueryRowContext(t.Context(), `INSERT INTO agent_bots (account_id, name, created_at, updated_at)
		VALUES ($1, 'Bot', 0, 0) RETURNING id`, accountID).Scan(&id)
	if err != nil {
		t.Fatalf("insert agent bot: %v", err)
	}
	return id
}

func testConversation(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	u := newUser(t, s, th.account.ID)
	bot := newAgentBot(t, s, th.account.ID)
	times := make([]time.Time, 7)
	for i := range times {
		times[i] = at.Add(time.Duration(i+1)*time.Hour + time.Duration(i)*1234567)
	}
	c := newConversation(t, s, th.contactInbox, th.account.ID, func(c *baton.Conversation) {
		c.Status, c.Priority, c.AssigneeID, c.AssigneeAgentBotID, c.TeamID = baton.StatusSnoozed, baton.PriorityUrgent, u.ID, bot, 12
		c.SnoozedUntil, c.AgentLastSeenAt, c.AssigneeLastSeenAt = &times[0], &times[1], &times[2]
		c.ContactLastSeenAt, c.FirstReplyCreatedAt, c.WaitingSince = &times[3], &times[4], &times[5]
		c.AdditionalAttributes, c.CustomAttributes = document(), map[string]any{"order": "1042"}
		c.Labels, c.Muted, c.LastActivityAt = []string{"vip", "billing"}, true, times[6]
	})
	if th.conversation.DisplayID != 1 || c.DisplayID != 2 {
		t.Errorf("display ids %d and %d, want 1 and 2", th.conversation.DisplayID, c.DisplayID)
	}
	want := *c
	want.SnoozedUntil, want.AgentLastSeenAt, want.AssigneeLastSeenAt = storedPtr(&times[0]), storedPtr(&times[1]), storedPtr(&times[2])
	want.ContactLastSeenAt, want.FirstReplyCreatedAt, want.WaitingSince = storedPtr(&times[3]), storedPtr(&times[4]), storedPtr(&times[5])
	want.LastActivityAt, want.CreatedAt, want.UpdatedAt = stored(times[6]), stored(at), stored(at)
	got, err := s.Read().FindConversation(ctx, th.account.ID, c.DisplayID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "conversation", got, &want)
	got, err = s.Read().FindConversationByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "conversation by id", got, &want)
	got, err = s.Read().LastConversationOf(ctx, th.contactInbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "last conversation of the contact inbox", got, &want)

	// Display ids start at 1 in every account, and are unique in one.
	other := newThread(t, s)
	if other.conversation.DisplayID != 1 {
		t.Errorf("first display id of another account: %d, want 1", other.conversation.DisplayID)
	}
	_, err = s.Read().FindConversation(ctx, other.account.ID, c.DisplayID)
	wantNotFound(t, "FindConversation in another account", err)
	_, err = s.Read().FindConversationByID(ctx, c.ID+other.conversation.ID+1000)
	wantNotFound(t, "FindConversationByID of a missing id", err)
	_, err = s.Read().LastConversationOf(ctx, c.ContactInboxID+other.contactInbox.ID+1000)
	wantNotFound(t, "LastConversationOf a missing contact inbox", err)
	err = s.Write(ctx, func(q *store.Queries) error {
		twin := *c
		twin.UUID = unique("uuid-")
		return q.CreateConversation(ctx, &twin)
	})
	wantCode(t, "CreateConversation with a taken display id", err, baton.ECONFLICT)

	// Clearing the optional fields writes NULLs.
	later := at.Add(48 * time.Hour)
	c.Status, c.Priority, c.AssigneeID, c.AssigneeAgentBotID, c.TeamID = baton.StatusOpen, baton.PriorityNone, 0, 0, 0
	c.SnoozedUntil, c.AgentLastSeenAt, c.AssigneeLastSeenAt, c.ContactLastSeenAt = nil, nil, nil, nil
	c.FirstReplyCreatedAt, c.WaitingSince, c.Labels, c.Muted = nil, nil, nil, false
	c.CustomAttributes, c.LastActivityAt, c.UpdatedAt = nil, later, later
	write(t, s, func(q *store.Queries) error { return q.UpdateConversation(ctx, c) })
	want = *c
	want.Labels, want.CustomAttributes = []string{}, map[string]any{}
	want.LastActivityAt, want.CreatedAt, want.UpdatedAt = stored(later), stored(at), stored(later)
	got, err = s.Read().FindConversation(ctx, th.account.ID, c.DisplayID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "updated conversation", got, &want)
	if n := count(t, s, `SELECT COUNT(*) FROM conversations WHERE id = $1 AND priority IS NULL AND assignee_id IS NULL
		AND assignee_agent_bot_id IS NULL AND team_id IS NULL AND snoozed_until IS NULL AND agent_last_seen_at IS NULL
		AND assignee_last_seen_at IS NULL AND contact_last_seen_at IS NULL AND first_reply_created_at IS NULL
		AND waiting_since IS NULL`, c.ID); n != 1 {
		t.Error("a conversation updated without its optional fields has them not NULL")
	}
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.UpdateConversation(ctx, &baton.Conversation{ID: c.ID + other.conversation.ID + 1000, Priority: baton.PriorityNone})
	})
	wantNotFound(t, "UpdateConversation of a missing id", err)

	latest := later.Add(time.Minute)
	write(t, s, func(q *store.Queries) error { return q.TouchConversation(ctx, c.ID, stored(latest).UnixMicro()) })
	got, err = s.Read().FindConversationByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastActivityAt.Equal(latest.Truncate(time.Microsecond)) || !got.UpdatedAt.Equal(got.LastActivityAt) {
		t.Errorf("after TouchConversation: activity %v, updated %v; want both %v", got.LastActivityAt, got.UpdatedAt, stored(latest))
	}

	// A deleted assignee leaves the conversation unassigned.
	c2 := newConversation(t, s, th.contactInbox, th.account.ID, func(c *baton.Conversation) { c.AssigneeID = u.ID })
	write(t, s, func(q *store.Queries) error { return q.DeleteUser(ctx, u.ID) })
	got, err = s.Read().FindConversationByID(ctx, c2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AssigneeID != 0 {
		t.Errorf("conversation of a deleted assignee is assigned to %d", got.AssigneeID)
	}
}

// testPublicConversation finds a conversation as the public API names it:
// inbox identifier, contact source id and display id, all three of one
// contact in one account.
func testPublicConversation(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	c := newConversation(t, s, th.contactInbox, th.account.ID, func(c *baton.Conversation) {
		c.Labels, c.CustomAttributes = []string{"vip"}, map[string]any{"order": "1042"}
	})
	got, err := s.Read().FindPublicConversation(ctx, th.inbox.Identifier, th.contactInbox.SourceID, c.DisplayID)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Read().FindConversation(ctx, th.account.ID, c.DisplayID)
	if err != nil {
		t.Fatal(err)
	}
	want.Inbox, err = s.Read().FindInbox(ctx, th.account.ID, th.inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	withContact(t, s, th, want)
	same(t, "public conversation", got, want)

	// Another contact of the same inbox, and a conversation of another
	// account with the same display id, are not found by the wrong names.
	names, _, other := wrongPublicNames(t, s, th, c)
	for _, tt := range names {
		_, err := s.Read().FindPublicConversation(ctx, tt.identifier, tt.source, tt.displayID)
		wantNotFound(t, "FindPublicConversation of "+tt.what, err)
	}
	if _, err := s.Read().FindPublicConversation(ctx, other.inbox.Identifier, other.contactInbox.SourceID, 1); err != nil {
		t.Errorf("FindPublicConversation in another account: %v", err)
	}
}

// withContact sets the contact inbox and contact of want, a conversation
// of th, as the public API reads them.
func withContact(t *testing.T, s *store.Store, th *thread, want *baton.Conversation) {
	t.Helper()
	var err error
	if want.ContactInbox, err = s.Read().FindContactInbox(t.Context(), th.contactInbox.ID); err != nil {
		t.Fatal(err)
	}
	if want.Contact, err = s.Read().FindContact(t.Context(), th.account.ID, th.contact.ID); err != nil {
		t.Fatal(err)
	}
}

// publicName names a conversation as the public API does.
type publicName struct {
	what               string
	identifier, source string
	displayID          int64
}

// wrongPublicNames creates another contact's conversation in th's inbox
// (theirs) and another account's thread (other), and returns names, near
// those of th's conversation c, that name no conversation: another
// contact's conversation, th's source id with another inbox, a missing
// display id, source id or inbox.
func wrongPublicNames(t *testing.T, s *store.Store, th *thread, c *baton.Conversation) (names []publicName, theirs *baton.Conversation, other *thread) {
	t.Helper()
	neighbour := newContactInbox(t, s, newContact(t, s, th.account.ID).ID, th.inbox.ID)
	theirs = newConversation(t, s, neighbour, th.account.ID, nil)
	other = newThread(t, s)
	return []publicName{
		{"another contact's conversation", th.inbox.Identifier, th.contactInbox.SourceID, theirs.DisplayID},
		{"a conversation with the source id of another inbox", other.inbox.Identifier, th.contactInbox.SourceID, th.conversation.DisplayID},
		{"a missing display id", th.inbox.Identifier, th.contactInbox.SourceID, theirs.DisplayID + 1000},
		{"a missing source id", th.inbox.Identifier, unique("source"), c.DisplayID},
		{"a missing inbox", unique("identifier"), th.contactInbox.SourceID, c.DisplayID},
	}, theirs, other
}

// testConversationNulls writes a conversation with nothing optional.
// testConversationLabels: the account's labels are those of its newest
// conversations, each once, in order, as many as asked; another account's
// are not its.
func testConversationLabels(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s) // its conversation, the oldest, has no labels
	for i, labels := range [][]string{{"vip", "billing"}, {"billing"}, {}, {"zeta", "café&co"}} {
		newConversation(t, s, th.contactInbox, th.account.ID, func(c *baton.Conversation) {
			c.Labels, c.CreatedAt = labels, at.Add(time.Duration(i+1)*time.Minute)
		})
	}
	other := newThread(t, s)
	newConversation(t, s, other.contactInbox, other.account.ID, func(c *baton.Conversation) { c.Labels = []string{"secret"} })
	for _, tc := range []struct {
		name          string
		recent, limit int
		want          []string
	}{
		{"all", 100, 100, []string{"billing", "café&co", "vip", "zeta"}},
		{"the first two", 100, 2, []string{"billing", "café&co"}},
		{"of the newest two", 2, 100, []string{"café&co", "zeta"}},
		{"of the newest three", 3, 100, []string{"billing", "café&co", "zeta"}},
	} {
		got, err := s.Read().ListLabels(ctx, th.account.ID, tc.recent, tc.limit)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		same(t, tc.name, got, tc.want)
	}
	if got, err := s.Read().ListLabels(ctx, newAccount(t, s).ID, 100, 100); err != nil || len(got) != 0 {
		t.Errorf("an account without conversations: %q, %v", got, err)
	}
}

func testConversationNulls(t *testing.T, s *store.Store) {
	th := newThread(t, s)
	c := th.conversation
	got, err := s.Read().FindConversationByID(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "bare conversation", got, &baton.Conversation{ID: c.ID, AccountID: c.AccountID, InboxID: c.InboxID,
		DisplayID: 1, ContactID: c.ContactID, ContactInboxID: c.ContactInboxID, UUID: c.UUID, Status: baton.StatusOpen,
		Priority: baton.PriorityNone, AdditionalAttributes: map[string]any{}, CustomAttributes: map[string]any{},
		Labels: []string{}, LastActivityAt: stored(at), CreatedAt: stored(at), UpdatedAt: stored(at)})
	if n := count(t, s, `SELECT COUNT(*) FROM conversations WHERE id = $1 AND priority IS NULL AND assignee_id IS NULL
		AND assignee_agent_bot_id IS NULL AND snoozed_until IS NULL AND waiting_since IS NULL`, c.ID); n != 1 {
		t.Error("a conversation without optional fields has them not NULL")
	}
	// PriorityLow is 0, and must not read back as none.
	low := newConversation(t, s, th.contactInbox, th.account.ID, func(c *baton.Conversation) { c.Priority = baton.PriorityLow })
	if got, err := s.Read().FindConversationByID(t.Context(), low.ID); err != nil {
		t.Fatal(err)
	} else if got.Priority != baton.PriorityLow {
		t.Errorf("priority low reads back as %v", got.Priority)
	}
}

func testConversationList(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a := newAccount(t, s)
	i1, i2 := newInbox(t, s, a.ID), newInbox(t, s, a.ID)
	me, them := newUser(t, s, a.ID), newUser(t, s, a.ID)
	k1, k2 := newContact(t, s, a.ID), newContact(t, s, a.ID)
	ci1, ci2 := newContactInbox(t, s, k1.ID, i1.ID), newContactInbox(t, s, k2.ID, i2.ID)
	conv := func(ci *baton.ContactInbox, status baton.Status, assignee int64, labels []string, minutes int) *baton.Conversation {
		return newConversation(t, s, ci, a.ID, func(c *baton.Conversation) {
			c.Status, c.AssigneeID, c.Labels = status, assignee, labels
			c.LastActivityAt = at.Add(time.Duration(minutes) * time.Minute)
		})
	}
	c1 := conv(ci1, baton.StatusOpen, me.ID, []string{"vip", "billing"}, 1)
	c2 := conv(ci1, baton.StatusPending, 0, []string{"vip_x"}, 2)
	c3 := conv(ci2, baton.StatusOpen, them.ID, []string{"billing"}, 3)
	c4 := conv(ci2, baton.StatusResolved, 0, nil, 4)
	newMessage(t, s, c1, "Where is my ORDER #1042?", nil)
	newMessage(t, s, c3, "A refund, please", nil)
	newMessage(t, s, c3, "100% sure", nil)
	newMessage(t, s, c4, `Ça va, Émile? C:\temp`, nil)
	newMessage(t, s, c2, "Conversation was marked resolved by Ann", func(m *baton.Message) {
		m.MessageType, m.SenderType, m.SenderID = baton.MessageActivity, "", 0
	})
	newMessage(t, s, c2, "We are away: leave your e-mail", func(m *baton.Message) {
		m.MessageType, m.SenderType, m.SenderID = baton.MessageTemplate, "", 0
	})
	newMessage(t, s, c1, "Internal: order checked", func(m *baton.Message) {
		m.MessageType, m.Private, m.SenderType, m.SenderID = baton.MessageOutgoing, true, baton.SenderUser, me.ID
	})
	// Another account's conversations, assigned to me, are never counted.
	other := newThread(t, s)
	newConversation(t, s, other.contactInbox, other.account.ID, func(c *baton.Conversation) { c.AssigneeID = me.ID })

	open, resolved := baton.StatusOpen, baton.StatusResolved
	for _, c := range []struct {
		name   string
		filter store.ConversationFilter
		want   []*baton.Conversation
	}{
		{"all, most recently active first", store.ConversationFilter{}, []*baton.Conversation{c4, c3, c2, c1}},
		{"open", store.ConversationFilter{Status: &open}, []*baton.Conversation{c3, c1}},
		{"resolved", store.ConversationFilter{Status: &resolved}, []*baton.Conversation{c4}},
		{"assignee all", store.ConversationFilter{AssigneeType: store.AssigneeAll}, []*baton.Conversation{c4, c3, c2, c1}},
		{"assigned to me", store.ConversationFilter{AssigneeType: store.AssigneeMe}, []*baton.Conversation{c1}},
		{"unassigned", store.ConversationFilter{AssigneeType: store.AssigneeUnassigned}, []*baton.Conversation{c4, c2}},
		{"assigned", store.ConversationFilter{AssigneeType: store.AssigneeAssigned}, []*baton.Conversation{c3, c1}},
		{"one inbox", store.ConversationFilter{InboxID: i2.ID}, []*baton.Conversation{c4, c3}},
		{"inbox ids", store.ConversationFilter{InboxIDs: []int64{i1.ID}}, []*baton.Conversation{c2, c1}},
		{"both inbox ids", store.ConversationFilter{InboxIDs: []int64{i2.ID, i1.ID}}, []*baton.Conversation{c4, c3, c2, c1}},
		{"no inbox ids", store.ConversationFilter{InboxIDs: []int64{}}, nil},
		// What is assigned to the caller is theirs to see, outside their
		// inboxes too.
		{"no inbox ids, but assigned", store.ConversationFilter{InboxIDs: []int64{}, Assigned: store.Assigned{UserID: them.ID}},
			[]*baton.Conversation{c3}},
		{"inbox ids and assigned elsewhere", store.ConversationFilter{InboxIDs: []int64{i1.ID}, Assigned: store.Assigned{UserID: them.ID}},
			[]*baton.Conversation{c3, c2, c1}},
		{"assigned within the inbox ids", store.ConversationFilter{InboxIDs: []int64{i1.ID}, Assigned: store.Assigned{UserID: me.ID}},
			[]*baton.Conversation{c2, c1}},
		{"contact", store.ConversationFilter{ContactID: k2.ID}, []*baton.Conversation{c4, c3}},
		{"contact inbox", store.ConversationFilter{ContactInboxID: ci1.ID}, []*baton.Conversation{c2, c1}},
		{"label", store.ConversationFilter{Labels: []string{"vip"}}, []*baton.Conversation{c1}},
		{"label with underscore", store.ConversationFilter{Labels: []string{"vip_x"}}, []*baton.Conversation{c2}},
		{"underscore is no wildcard", store.ConversationFilter{Labels: []string{"vip_"}}, nil},
		{"shared label", store.ConversationFilter{Labels: []string{"billing"}}, []*baton.Conversation{c3, c1}},
		{"every label", store.ConversationFilter{Labels: []string{"billing", "vip"}}, []*baton.Conversation{c1}},
		{"query, any case", store.ConversationFilter{Query: "order"}, []*baton.Conversation{c1}},
		{"query upper case", store.ConversationFilter{Query: "REFUND"}, []*baton.Conversation{c3}},
		{"percent in query is no wildcard", store.ConversationFilter{Query: "0%"}, []*baton.Conversation{c3}},
		{"query without match", store.ConversationFilter{Query: "zebra"}, nil},
		// The database lowers the query as it lowers the messages.
		{"query with capitals not ASCII", store.ConversationFilter{Query: "ÇA VA, Émile"}, []*baton.Conversation{c4}},
		{"query with a backslash", store.ConversationFilter{Query: `C:\t`}, []*baton.Conversation{c4}},
		// As Chatwoot's: incoming and outgoing messages, private notes
		// too, never an activity or a template message.
		{"query of a private note", store.ConversationFilter{Query: "order checked"}, []*baton.Conversation{c1}},
		{"query of an activity message", store.ConversationFilter{Query: "marked resolved"}, nil},
		{"query of a template message", store.ConversationFilter{Query: "leave your e-mail"}, nil},
		{"a page", store.ConversationFilter{Limit: 2, Offset: 1}, []*baton.Conversation{c3, c2}},
		{"open, assigned, in inbox 2", store.ConversationFilter{Status: &open, AssigneeType: store.AssigneeAssigned,
			InboxIDs: []int64{i2.ID}}, []*baton.Conversation{c3}},
	} {
		f := c.filter
		f.AccountID, f.UserID = a.ID, me.ID
		got, err := s.Read().ListConversations(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var gotIDs, wantIDs []int64
		for _, v := range got {
			gotIDs = append(gotIDs, v.DisplayID)
		}
		for _, v := range c.want {
			wantIDs = append(wantIDs, v.DisplayID)
		}
		same(t, c.name+": display ids", gotIDs, wantIDs)
	}

	for _, c := range []struct {
		name   string
		filter store.ConversationFilter
		want   store.ConversationCounts
	}{
		{"all", store.ConversationFilter{}, store.ConversationCounts{Mine: 1, Unassigned: 2, Assigned: 2, All: 4}},
		{"assignee type is ignored", store.ConversationFilter{AssigneeType: store.AssigneeUnassigned},
			store.ConversationCounts{Mine: 1, Unassigned: 2, Assigned: 2, All: 4}},
		{"open", store.ConversationFilter{Status: &open}, store.ConversationCounts{Mine: 1, Unassigned: 0, Assigned: 2, All: 2}},
		{"inbox 1 with a label", store.ConversationFilter{InboxIDs: []int64{i1.ID}, Labels: []string{"vip"}},
			store.ConversationCounts{Mine: 1, Unassigned: 0, Assigned: 1, All: 1}},
		{"query", store.ConversationFilter{Query: "please"}, store.ConversationCounts{Mine: 0, Unassigned: 0, Assigned: 1, All: 1}},
	} {
		f := c.filter
		f.AccountID, f.UserID = a.ID, me.ID
		got, err := s.Read().CountConversations(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		same(t, c.name+": counts", got, c.want)
	}

	// By status in one statement: what CountConversations gives for each.
	pending := baton.StatusPending
	for _, f := range []store.ConversationFilter{{}, {Status: &resolved, AssigneeType: store.AssigneeMe},
		{InboxIDs: []int64{i1.ID}}, {Query: "please"}} {
		f.AccountID, f.UserID = a.ID, me.ID
		got, err := s.Read().CountConversationsByStatus(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want := map[baton.Status]store.ConversationCounts{}
		for _, st := range []baton.Status{open, pending, resolved} {
			f.Status = &st
			c, err := s.Read().CountConversations(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if c.All > 0 {
				want[st] = c
			}
		}
		same(t, "counts by status", got, want)
	}
	if got, err := s.Read().CountConversationsByStatus(ctx, store.ConversationFilter{AccountID: a.ID, UserID: me.ID}); err != nil ||
		got[open] != (store.ConversationCounts{Mine: 1, Assigned: 2, All: 2}) || got[pending].All != 1 || got[resolved].All != 1 {
		t.Errorf("counts by status: %+v, %v", got, err)
	}
}

// testSurroundings: FindSurroundings reads in one statement what the
// separate reads give: the inbox's and the account's ids and names (and
// the inbox's channel type), the contact and contact
// inbox when asked for, the latest handoff (none before any), and the
// unread count after the agent last saw the conversation, up to its limit;
// another account's conversation is not found.
func testSurroundings(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	c := th.conversation
	for k := range 3 {
		newMessage(t, s, c, "hello", func(m *baton.Message) { m.CreatedAt = at.Add(time.Duration(k) * time.Second) })
	}
	newMessage(t, s, c, "an answer", func(m *baton.Message) {
		m.MessageType, m.SenderType, m.CreatedAt = baton.MessageOutgoing, baton.SenderUser, at.Add(5*time.Second)
	})
	find := func(what string, c *baton.Conversation, withContact bool, limit int) *store.Surroundings {
		t.Helper()
		got, err := s.Read().FindSurroundings(ctx, c, withContact, limit)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return got
	}
	q := s.Read()
	inbox, err1 := q.FindInbox(ctx, th.account.ID, th.inbox.ID)
	account, err2 := q.FindAccount(ctx, th.account.ID)
	contact, err3 := q.FindContact(ctx, th.account.ID, th.contact.ID)
	ci, err4 := q.FindContactInbox(ctx, th.contactInbox.ID)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	inbox, account = store.SnapshotInbox(inbox), store.SnapshotAccount(account)
	same(t, "surroundings with the contact", find("with the contact", c, true, 10),
		&store.Surroundings{Inbox: inbox, Account: account, Contact: contact, ContactInbox: ci, Unread: 3})
	same(t, "surroundings", find("without", c, false, 2), &store.Surroundings{Inbox: inbox, Account: account, Unread: 2})

	seen := *c
	seen.AgentLastSeenAt = ptr(at.Add(time.Second))
	if got := find("seen", &seen, false, 10).Unread; got != 1 {
		t.Errorf("unread after the agent saw the second message: %d, want 1", got)
	}

	for _, reason := range []string{"first", "latest"} {
		write(t, s, func(q *store.Queries) error {
			return q.CreateHandoff(ctx, &baton.Handoff{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
				Reason: reason, ByType: baton.SenderAgentBot, ByID: 7, CreatedAt: at})
		})
	}
	latest, err := q.LatestHandoff(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "surroundings' handoff", find("with handoffs", c, true, 10).Handoff, latest)

	theirs := *c
	theirs.AccountID = newAccount(t, s).ID
	_, err = q.FindSurroundings(ctx, &theirs, true, 10)
	wantNotFound(t, "FindSurroundings through another account", err)
}

// testConversationViews: a batch read of conversations gives what the
// separate reads give: the conversation with its contact inbox and contact,
// the latest handoff's id, the last public message's id, and the unread
// count up to 10; an unknown id is left out.
func testConversationViews(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	quiet := newConversation(t, s, th.contactInbox, th.account.ID, nil)
	c := th.conversation
	for i := range 12 {
		newMessage(t, s, c, "hello", func(m *baton.Message) { m.CreatedAt = at.Add(time.Duration(i) * time.Second) })
	}
	newMessage(t, s, c, "a note", func(m *baton.Message) {
		m.Private, m.MessageType, m.CreatedAt = true, baton.MessageOutgoing, at.Add(time.Minute)
	})
	h := &baton.Handoff{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID, Reason: "billing",
		ByType: baton.SenderAgentBot, ByID: 7, CreatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateHandoff(ctx, h) })

	views, err := s.Read().ListConversationViews(ctx, []int64{c.ID, quiet.ID, c.ID + quiet.ID + 1000}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 2 {
		t.Fatalf("%d views, want 2 (the unknown id left out)", len(views))
	}
	for _, conv := range []*baton.Conversation{c, quiet} {
		want, err := s.Read().FindConversationByID(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		withContact(t, s, th, want)
		if want.Inbox, err = s.Read().FindInbox(ctx, th.account.ID, th.inbox.ID); err != nil {
			t.Fatal(err)
		}
		v := views[conv.ID]
		same(t, "conversation of the view", v.Conversation, want)
		var wantHandoff, wantLast int64
		if latest, err := s.Read().LatestHandoff(ctx, conv.ID); err == nil {
			wantHandoff = latest.ID
		}
		if last, _, err := s.Read().LastMessages(ctx, conv.ID); err != nil {
			t.Fatal(err)
		} else if last != nil {
			wantLast = last.ID
		}
		unread, err := s.Read().CountIncomingSince(ctx, conv.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if v.HandoffID != wantHandoff || v.LastMessageID != wantLast || v.Unread != unread {
			t.Errorf("view of %d: handoff %d, last message %d, unread %d; want %d, %d, %d", conv.ID,
				v.HandoffID, v.LastMessageID, v.Unread, wantHandoff, wantLast, unread)
		}
	}
	if views[c.ID].Unread != 10 || views[c.ID].HandoffID != h.ID || views[quiet.ID].LastMessageID != 0 {
		t.Errorf("views: %+v, %+v", views[c.ID], views[quiet.ID])
	}
	handoffs, err := s.Read().FindHandoffsByID(ctx, []int64{h.ID, h.ID + 1000})
	if err != nil || len(handoffs) != 1 || handoffs[h.ID].Reason != "billing" {
		t.Errorf("FindHandoffsByID: %v, %v", handoffs, err)
	}
}

// testConversationSearch: the agent app's search (Search.Text) finds a
// conversation by its contact's name, e-mail, phone or identifier, in any
// case, or by its number with or without "#"; LIKE's wildcards are text.
func testConversationSearch(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	other := newContact(t, s, th.account.ID)
	write(t, s, func(q *store.Queries) error {
		c := *th.contact
		c.Name, c.Email, c.PhoneNumber, c.Identifier = "Isla Marsh", "isla@shop.test", "+351912345678", "crm-100_7"
		c.UpdatedAt = at
		return q.UpdateContact(ctx, &c)
	})
	newConversation(t, s, newContactInbox(t, s, other.ID, th.inbox.ID), th.account.ID, nil)
	find := func(query string) []int64 {
		t.Helper()
		cs, err := s.Read().ListConversations(ctx, store.ConversationFilter{AccountID: th.account.ID,
			Search: store.ConversationSearch{Text: query}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids
	}
	want := []int64{th.conversation.ID}
	for _, q := range []string{"isla", "MARSH", "shop.test", "912345", "crm-100_7", fmt.Sprintf("#%d", th.conversation.DisplayID)} {
		if got := find(q); !slices.Equal(got, want) {
			t.Errorf("search %q found %v, want %v", q, got, want)
		}
	}
	// A number alone is also a number's digits in a name or phone.
	if got := find(fmt.Sprint(th.conversation.DisplayID)); !slices.Contains(got, th.conversation.ID) {
		t.Errorf("search %d found %v, without conversation %d", th.conversation.DisplayID, got, th.conversation.ID)
	}
	// What the name spells finds it, a capital that is not ASCII too:
	// each database lowers the search as it lowers the name.
	write(t, s, func(q *store.Queries) error {
		c := *th.contact
		c.Name, c.Email, c.PhoneNumber, c.Identifier = "Élodie Ærø", "isla@shop.test", "+351912345678", "crm-100_7"
		c.UpdatedAt = at
		return q.UpdateContact(ctx, &c)
	})
	for _, q := range []string{"Élodie", "ÉLODIE", "Ærø"} {
		if got := find(q); !slices.Equal(got, want) {
			t.Errorf("search %q found %v, want %v", q, got, want)
		}
	}
	for _, q := range []string{"crm-100%", "nobody", "#999999"} {
		if got := find(q); len(got) != 0 {
			t.Errorf("search %q found %v, want nothing", q, got)
		}
	}
}

// testConversationSearchMessages: the search's words find a conversation
// by a message that holds each of them, in any case (of letters that are
// not ASCII too) and in any order, a private note too, an activity message
// never, nor a conversation not active since Since; with the contact's
// matches (either is enough), within the other filters (an agent's
// inboxes), and counted. MatchingMessages gives each
// listed conversation's newest such message.
func testConversationSearchMessages(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	account := th.account.ID
	conv := func(name string, active time.Time) *baton.Conversation {
		k := newContact(t, s, account)
		write(t, s, func(q *store.Queries) error {
			k.Name = name
			return q.UpdateContact(ctx, k)
		})
		return newConversation(t, s, newContactInbox(t, s, k.ID, th.inbox.ID), account,
			func(c *baton.Conversation) { c.LastActivityAt = active })
	}
	order := conv("Olive Order", at) // found by name for "order"
	refund := conv("Rae", at)
	note := conv("Nell", at)
	activity := conv("Ada", at)
	old := conv("Otto", at.Add(-time.Hour)) // not active since the search's Since
	// An older message of a conversation active since is read.
	oldMessage := conv("Oona", at)
	newMessage(t, s, oldMessage, "an older question", func(m *baton.Message) { m.CreatedAt = at.Add(-2 * time.Hour) })
	elsewhere := newThread(t, s) // another account's words are never found
	// A conversation of another inbox, which an agent of th.inbox alone
	// does not work.
	inbox2 := newInbox(t, s, account)
	other := newConversation(t, s, newContactInbox(t, s, newContact(t, s, account).ID, inbox2.ID), account, nil)
	newMessage(t, s, other, "refund of another inbox", nil)
	newMessage(t, s, order, "Hello", nil)
	first := newMessage(t, s, refund, "My ORDER 5521 never came, I want a REFUND", nil)
	newMessage(t, s, refund, "Anyone there?", nil)
	last := newMessage(t, s, refund, "Still waiting for the refund of order #5521", nil)
	newMessage(t, s, refund, "Thanks", nil)
	noted := newMessage(t, s, note, "Customer says the order 5521 was refunded twice", func(m *baton.Message) {
		m.MessageType, m.Private, m.SenderType, m.SenderID = baton.MessageOutgoing, true, baton.SenderUser, 1
	})
	newMessage(t, s, activity, "Order 5521 assigned", func(m *baton.Message) {
		m.MessageType, m.SenderType, m.SenderID = baton.MessageActivity, "", 0
	})
	long := newMessage(t, s, old, "order 5521, long ago", func(m *baton.Message) { m.CreatedAt = at.Add(-time.Hour) })
	// Words of other letters than ASCII ones are lowered by the database,
	// as the messages are.
	letters := conv("Nils", at)
	lettered := newMessage(t, s, letters, "Grüße aus MÜNCHEN, sagt ÉMILE: ΣΩΚΡΆΤΗΣ, привет", nil)
	newMessage(t, s, letters, "Thanks", nil)
	newMessage(t, s, elsewhere.conversation, "order 5521", nil)
	since := at.Add(-time.Minute).UnixMicro()
	search := func(text string) store.ConversationSearch {
		return store.ConversationSearch{Text: text, Words: strings.Fields(text), Since: since}
	}
	find := func(f store.ConversationFilter) []int64 {
		t.Helper()
		f.AccountID = account
		cs, err := s.Read().ListConversations(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		slices.Sort(ids)
		return ids
	}
	sorted := func(cs ...*baton.Conversation) []int64 {
		var ids []int64
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		slices.Sort(ids)
		return ids
	}
	for _, c := range []struct {
		name string
		f    store.ConversationFilter
		want []int64
	}{
		{"both words in one message, any case", store.ConversationFilter{Search: search("order 5521")}, sorted(refund, note)},
		{"words in any order", store.ConversationFilter{Search: search("5521 ORDER")}, sorted(refund, note)},
		{"a word or the contact's name", store.ConversationFilter{Search: search("order")}, sorted(order, refund, note)},
		{"part of a word", store.ConversationFilter{Search: search("refund")}, sorted(refund, note, other)},
		{"words of two messages are not one match", store.ConversationFilter{Search: search("anyone thanks")}, nil},
		{"a private note", store.ConversationFilter{Search: search("twice")}, sorted(note)},
		{"an activity message is not read", store.ConversationFilter{Search: search("assigned")}, nil},
		{"without since, every conversation", store.ConversationFilter{Search: store.ConversationSearch{Text: "long ago",
			Words: []string{"long", "ago"}}}, sorted(old)},
		{"an older message of a conversation active since", store.ConversationFilter{Search: search("older question")},
			sorted(oldMessage)},
		{"without words, the contact alone", store.ConversationFilter{Search: store.ConversationSearch{Text: "5521"}}, nil},
		{"wildcards are text", store.ConversationFilter{Search: search("55_1")}, nil},
		{"an agent's inboxes", store.ConversationFilter{Search: search("refund"), InboxIDs: []int64{th.inbox.ID}},
			sorted(refund, note)},
		{"another inbox's", store.ConversationFilter{Search: search("refund"), InboxID: inbox2.ID}, sorted(other)},
		{"words of other letters, any case", store.ConversationFilter{Search: search("münchen Émile σωκράτη ПРИВЕТ")},
			sorted(letters)},
		{"a word of other letters, with an ASCII one", store.ConversationFilter{Search: search("grüße aus")}, sorted(letters)},
		{"other letters are not their ASCII look-alikes", store.ConversationFilter{Search: search("munchen")}, nil},
	} {
		if got := find(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: found %v, want %v", c.name, got, c.want)
		}
	}
	counts, err := s.Read().CountConversations(ctx, store.ConversationFilter{AccountID: account, Search: search("order 5521")})
	if err != nil || counts.All != 2 {
		t.Errorf("counts of order 5521: %+v, %v; want 2", counts, err)
	}

	if m, err := s.Read().MatchingMessages(ctx, []int64{letters.ID, refund.ID}, search("ÉMILE münchen")); err != nil ||
		len(m) != 1 || m[letters.ID] == nil || m[letters.ID].ID != lettered.ID {
		t.Errorf("matching messages of émile münchen: %v, %v; want message %d alone", m, err, lettered.ID)
	}
	matches, err := s.Read().MatchingMessages(ctx, []int64{order.ID, refund.ID, note.ID, old.ID}, search("order 5521"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]int64{}
	for id, m := range matches {
		got[id] = m.ID
	}
	// It reads the conversations it is given, the lister's, whatever their time.
	if want := map[int64]int64{refund.ID: last.ID, note.ID: noted.ID, old.ID: long.ID}; !maps.Equal(got, want) {
		t.Errorf("matching messages %v, want %v (the newest of each, not %d)", got, want, first.ID)
	}
	if m := matches[note.ID]; m == nil || !m.Private || *m.Content != *noted.Content {
		t.Errorf("the private note's match: %+v", m)
	}
	if none, err := s.Read().MatchingMessages(ctx, []int64{refund.ID}, store.ConversationSearch{Text: "x"}); err != nil || len(none) != 0 {
		t.Errorf("a search without words matched %v, %v", none, err)
	}
}

// testConversationRepliesFirst: a person's queue lists first the
// conversations whose customer waits for a reply, longest first, then the
// others, most recently active first.
func testConversationRepliesFirst(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	conv := func(waiting *time.Time, active time.Time) int64 {
		ci := newContactInbox(t, s, newContact(t, s, th.account.ID).ID, th.inbox.ID)
		return newConversation(t, s, ci, th.account.ID, func(c *baton.Conversation) {
			c.WaitingSince, c.LastActivityAt = waiting, active
		}).ID
	}
	older, newer := at.Add(-time.Hour), at.Add(-time.Minute)
	quietRecent := conv(nil, at.Add(time.Hour))
	waitingShort := conv(&newer, at)
	waitingLong := conv(&older, at)
	quietOld := conv(nil, at.Add(-2*time.Hour))
	cs, err := s.Read().ListConversations(ctx, store.ConversationFilter{AccountID: th.account.ID, RepliesFirst: true,
		InboxIDs: []int64{th.inbox.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, c := range cs {
		if c.ID != th.conversation.ID {
			got = append(got, c.ID)
		}
	}
	if want := []int64{waitingLong, waitingShort, quietRecent, quietOld}; !slices.Equal(got, want) {
		t.Errorf("replies first: %v, want %v", got, want)
	}
}
