package storetest

import (
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

func testInbox(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a, b := newAccount(t, s), newAccount(t, s)
	i := &baton.Inbox{AccountID: a.ID, Name: "Website", ChannelType: baton.ChannelWebWidget, HMACToken: "hmac",
		HMACMandatory: true, WebhookURL: "https://hooks.test/x", WebsiteToken: unique("website"), WebsiteURL: "https://acme.test",
		WidgetColor: "#1f93ff", WelcomeTitle: "Hi", WelcomeTagline: "We reply", GreetingEnabled: true, GreetingMessage: "Hello",
		EnableEmailCollect: true, CSATSurveyEnabled: true, AllowMessagesAfterResolved: true, LockToSingleConversation: true,
		EnableAutoAssignment: true, WorkingHoursEnabled: true, OutOfOfficeMessage: "Away", Timezone: "Europe/Lisbon",
		WorkingHours: []baton.WorkingHour{{DayOfWeek: 1, OpenHour: 8, OpenMinutes: 30, CloseHour: 18, CloseMinutes: 15},
			{DayOfWeek: 0, ClosedAllDay: true}, {DayOfWeek: 6, OpenAllDay: true}},
		PreChatFormEnabled: true, PreChatForm: baton.PreChatForm{Message: "Tell us about you", Fields: []baton.PreChatField{
			{Name: baton.PreChatEmail, Label: "E-mail", Type: "email", FieldType: baton.PreChatStandard, Required: true, Enabled: true},
			{Name: "plan", Label: "Plan", Type: "list", FieldType: baton.PreChatContactAttribute, Enabled: true,
				Values: []string{"free", "pro"}, Placeholder: "Pick one"},
			{Name: "order", Label: "Order", Type: "text", FieldType: baton.PreChatConversationAttribute,
				RegexPattern: "[A-Z]{2}[0-9]+", RegexCue: "Like AB123"}}},
		AllowedDomains: []string{"*.acme.test", "https://shop.example:8443"}, CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateInbox(ctx, i) })
	want := *i
	want.CreatedAt, want.UpdatedAt = stored(at), stored(at)
	got, err := s.Read().FindInbox(ctx, a.ID, i.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "inbox", got, &want)
	// Every read has a schedule and a form of its own (the store remembers
	// them parsed): changing one read's changes no other's.
	got.WorkingHours[0].OpenHour, got.PreChatForm.Fields[1].Values[0] = 0, "changed"
	got, err = s.Read().FindInboxByWebsiteToken(ctx, i.WebsiteToken)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "inbox by website token", got, &want)
	if n := count(t, s, `SELECT COUNT(*) FROM inboxes WHERE id = $1 AND identifier IS NULL`, i.ID); n != 1 {
		t.Error("an inbox without an identifier has one that is not NULL")
	}

	// Another account's inbox is not found through this one.
	_, err = s.Read().FindInbox(ctx, b.ID, i.ID)
	wantNotFound(t, "FindInbox in another account", err)
	_, err = s.Read().FindInboxByWebsiteToken(ctx, "nope")
	wantNotFound(t, "FindInboxByWebsiteToken of a missing token", err)
	_, err = s.Read().FindInboxByIdentifier(ctx, "nope")
	wantNotFound(t, "FindInboxByIdentifier of a missing identifier", err)

	// Inboxes without an identifier or website token do not conflict.
	api := newInbox(t, s, a.ID)
	plain := &baton.Inbox{AccountID: b.ID, Name: "Plain", ChannelType: baton.ChannelWebWidget, CreatedAt: at, UpdatedAt: at}
	plain2 := *plain
	write(t, s, func(q *store.Queries) error {
		if err := q.CreateInbox(ctx, plain); err != nil {
			return err
		}
		return q.CreateInbox(ctx, &plain2)
	})
	got, err = s.Read().FindInboxByIdentifier(ctx, api.Identifier)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != api.ID || got.WebsiteToken != "" {
		t.Errorf("inbox by identifier: %+v, want inbox %d without a website token", got, api.ID)
	}
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.CreateInbox(ctx, &baton.Inbox{AccountID: b.ID, Name: "Twin", ChannelType: baton.ChannelAPI,
			Identifier: api.Identifier, CreatedAt: at, UpdatedAt: at})
	})
	wantCode(t, "CreateInbox with a taken identifier", err, baton.ECONFLICT)
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.CreateInbox(ctx, &baton.Inbox{AccountID: a.ID + b.ID + 1000, Name: "Orphan", ChannelType: baton.ChannelAPI,
			CreatedAt: at, UpdatedAt: at})
	})
	wantNotFound(t, "CreateInbox in a missing account", err)

	later := at.Add(2e9)
	i.Name, i.HMACMandatory, i.GreetingEnabled, i.EnableEmailCollect, i.WebsiteToken, i.Timezone, i.UpdatedAt =
		"Site", false, false, false, "", "UTC", later
	i.PreChatFormEnabled, i.WorkingHours = false, baton.DefaultWorkingHours()
	i.PreChatForm.Fields[1].Enabled = false
	i.AllowedDomains = []string{"acme.test"}
	write(t, s, func(q *store.Queries) error { return q.UpdateInbox(ctx, i) })
	want = *i
	want.CreatedAt, want.UpdatedAt = stored(at), stored(later)
	got, err = s.Read().FindInbox(ctx, a.ID, i.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "updated inbox", got, &want)
	// No allowed domains is none, stored as Chatwoot's blank.
	i.AllowedDomains = nil
	write(t, s, func(q *store.Queries) error { return q.UpdateInbox(ctx, i) })
	want.AllowedDomains = nil
	got, err = s.Read().FindInbox(ctx, a.ID, i.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "inbox without allowed domains", got, &want)
	if n := count(t, s, `SELECT COUNT(*) FROM inboxes WHERE id = $1 AND allowed_domains = ''`, i.ID); n != 1 {
		t.Error("an inbox without allowed domains does not store them blank")
	}
	moved := *i
	moved.AccountID = b.ID
	err = s.Write(ctx, func(q *store.Queries) error { return q.UpdateInbox(ctx, &moved) })
	wantNotFound(t, "UpdateInbox through another account", err)

	list, err := s.Read().ListInboxes(ctx, a.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	same(t, "inboxes of account a", ids, []int64{i.ID, api.ID})

	err = s.Write(ctx, func(q *store.Queries) error { return q.DeleteInbox(ctx, b.ID, i.ID) })
	wantNotFound(t, "DeleteInbox through another account", err)
	write(t, s, func(q *store.Queries) error { return q.DeleteInbox(ctx, a.ID, i.ID) })
	_, err = s.Read().FindInbox(ctx, a.ID, i.ID)
	wantNotFound(t, "FindInbox after delete", err)
}

func testInboxMembers(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a := newAccount(t, s)
	i, j := newInbox(t, s, a.ID), newInbox(t, s, a.ID)
	u, v, w := newUser(t, s, a.ID), newUser(t, s, a.ID), newUser(t, s, a.ID)
	members := func(inbox int64) []int64 {
		t.Helper()
		ids, err := s.Read().ListInboxMemberIDs(ctx, inbox)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	write(t, s, func(q *store.Queries) error { return q.AddInboxMembers(ctx, i.ID, []int64{w.ID, u.ID}, 1) })
	same(t, "members after add", members(i.ID), []int64{u.ID, w.ID})
	write(t, s, func(q *store.Queries) error { return q.AddInboxMembers(ctx, i.ID, []int64{u.ID, v.ID}, 2) })
	same(t, "members after adding one again", members(i.ID), []int64{u.ID, v.ID, w.ID})
	write(t, s, func(q *store.Queries) error { return q.RemoveInboxMembers(ctx, i.ID, []int64{v.ID, 99999}) })
	same(t, "members after remove", members(i.ID), []int64{u.ID, w.ID})
	write(t, s, func(q *store.Queries) error { return q.SetInboxMembers(ctx, j.ID, []int64{v.ID}, 3) })
	write(t, s, func(q *store.Queries) error { return q.SetInboxMembers(ctx, i.ID, []int64{v.ID, w.ID}, 3) })
	same(t, "members after set", members(i.ID), []int64{v.ID, w.ID})
	same(t, "members of the other inbox", members(j.ID), []int64{v.ID})

	for _, c := range []struct {
		inbox, user int64
		want        bool
	}{{i.ID, u.ID, false}, {i.ID, v.ID, true}, {j.ID, w.ID, false}, {j.ID, v.ID, true}} {
		if ok, err := s.Read().IsInboxMember(ctx, c.inbox, c.user); err != nil || ok != c.want {
			t.Errorf("IsInboxMember(%d, %d) = %t, %v; want %t", c.inbox, c.user, ok, err, c.want)
		}
	}
	list, err := s.Read().ListInboxes(ctx, a.ID, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != i.ID {
		t.Errorf("inboxes of w: %d of them, want inbox %d only", len(list), i.ID)
	}
	if list, err := s.Read().ListInboxes(ctx, a.ID, u.ID); err != nil || len(list) != 0 {
		t.Errorf("inboxes of u: %d, %v; want none", len(list), err)
	}

	err = s.Write(ctx, func(q *store.Queries) error { return q.AddInboxMembers(ctx, i.ID, []int64{w.ID + 1000}, 1) })
	wantNotFound(t, "AddInboxMembers of a missing user", err)

	write(t, s, func(q *store.Queries) error { return q.DeleteInbox(ctx, a.ID, i.ID) })
	if n := count(t, s, `SELECT COUNT(*) FROM inbox_members WHERE inbox_id = $1`, i.ID); n != 0 {
		t.Errorf("a deleted inbox keeps %d members", n)
	}
}
