package storetest

import (
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

func testContact(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a, b := newAccount(t, s), newAccount(t, s)
	seen := at.Add(-3e9)
	c := &baton.Contact{AccountID: a.ID, Name: "Casey", Email: "casey@example.com", PhoneNumber: "+15551234567",
		Identifier: "crm-1", AdditionalAttributes: document(), CustomAttributes: map[string]any{"tier": "gold"},
		Blocked: true, LastActivityAt: &seen, CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateContact(ctx, c) })
	want := *c
	want.LastActivityAt, want.CreatedAt, want.UpdatedAt = storedPtr(&seen), stored(at), stored(at)
	got, err := s.Read().FindContact(ctx, a.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "contact", got, &want)
	got, err = s.Read().FindContactByEmail(ctx, a.ID, c.Email)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "contact by e-mail", got, &want)
	got, err = s.Read().FindContactByIdentifier(ctx, a.ID, c.Identifier)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "contact by identifier", got, &want)
	_, err = s.Read().FindContact(ctx, b.ID, c.ID)
	wantNotFound(t, "FindContact in another account", err)
	_, err = s.Read().FindContactByEmail(ctx, b.ID, c.Email)
	wantNotFound(t, "FindContactByEmail in another account", err)
	_, err = s.Read().FindContactByIdentifier(ctx, b.ID, c.Identifier)
	wantNotFound(t, "FindContactByIdentifier in another account", err)

	// A contact with nothing optional keeps NULLs, so that any number of
	// them fit beside the unique e-mail and identifier.
	var bare []*baton.Contact
	for range 2 {
		x := &baton.Contact{AccountID: a.ID, CreatedAt: at, UpdatedAt: at}
		write(t, s, func(q *store.Queries) error { return q.CreateContact(ctx, x) })
		bare = append(bare, x)
	}
	got, err = s.Read().FindContact(ctx, a.ID, bare[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "bare contact", got, &baton.Contact{ID: bare[0].ID, AccountID: a.ID, AdditionalAttributes: map[string]any{},
		CustomAttributes: map[string]any{}, CreatedAt: stored(at), UpdatedAt: stored(at)})
	if n := count(t, s, `SELECT COUNT(*) FROM contacts WHERE account_id = $1 AND email IS NULL AND phone_number IS NULL
		AND identifier IS NULL AND last_activity_at IS NULL`, a.ID); n != 2 {
		t.Errorf("%d contacts have NULL e-mail, phone, identifier and activity, want 2", n)
	}

	// E-mail and identifier are unique in an account, not across accounts.
	for _, twin := range []*baton.Contact{
		{AccountID: a.ID, Email: c.Email, CreatedAt: at, UpdatedAt: at},
		{AccountID: a.ID, Identifier: c.Identifier, CreatedAt: at, UpdatedAt: at},
	} {
		err := s.Write(ctx, func(q *store.Queries) error { return q.CreateContact(ctx, twin) })
		wantCode(t, "CreateContact with a taken e-mail or identifier", err, baton.ECONFLICT)
	}
	elsewhere := &baton.Contact{AccountID: b.ID, Email: c.Email, Identifier: c.Identifier, CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateContact(ctx, elsewhere) })
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.CreateContact(ctx, &baton.Contact{AccountID: a.ID + b.ID + 1000, CreatedAt: at, UpdatedAt: at})
	})
	wantNotFound(t, "CreateContact in a missing account", err)

	// Updating: clearing optional fields writes NULLs again.
	later := at.Add(5e9)
	c.Name, c.Email, c.PhoneNumber, c.Identifier, c.Blocked, c.LastActivityAt, c.UpdatedAt = "Casey C", "", "", "", false, nil, later
	write(t, s, func(q *store.Queries) error { return q.UpdateContact(ctx, c) })
	want = *c
	want.CreatedAt, want.UpdatedAt = stored(at), stored(later)
	got, err = s.Read().FindContact(ctx, a.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "updated contact", got, &want)
	if n := count(t, s, `SELECT COUNT(*) FROM contacts WHERE id = $1 AND email IS NULL AND identifier IS NULL
		AND last_activity_at IS NULL`, c.ID); n != 1 {
		t.Error("a contact updated without e-mail, identifier and activity has them not NULL")
	}
	bare[1].Email = elsewhere.Email
	write(t, s, func(q *store.Queries) error { return q.UpdateContact(ctx, bare[1]) })
	bare[0].Email = elsewhere.Email
	err = s.Write(ctx, func(q *store.Queries) error { return q.UpdateContact(ctx, bare[0]) })
	wantCode(t, "UpdateContact to a taken e-mail", err, baton.ECONFLICT)
	moved := *c
	moved.AccountID = b.ID
	err = s.Write(ctx, func(q *store.Queries) error { return q.UpdateContact(ctx, &moved) })
	wantNotFound(t, "UpdateContact through another account", err)

	write(t, s, func(q *store.Queries) error { return q.TouchContact(ctx, c.ID, stored(later).UnixMicro()) })
	got, err = s.Read().FindContact(ctx, a.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "activity after TouchContact", got.LastActivityAt, storedPtr(&later))

	err = s.Write(ctx, func(q *store.Queries) error { return q.DeleteContact(ctx, b.ID, c.ID) })
	wantNotFound(t, "DeleteContact through another account", err)
	write(t, s, func(q *store.Queries) error { return q.DeleteContact(ctx, a.ID, c.ID) })
	_, err = s.Read().FindContact(ctx, a.ID, c.ID)
	wantNotFound(t, "FindContact after delete", err)
}

func testContactList(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a, b := newAccount(t, s), newAccount(t, s)
	var ids []int64
	for _, c := range []baton.Contact{
		{Name: "Ann Smith", Email: "ann@example.com"},
		{Name: "Bob", Email: "BOB.SMITH@Example.com"},
		{Name: "Carol", PhoneNumber: "+4412345"},
		{Name: "Dave", Identifier: "smith_99"},
		{Name: "Eve 100%"},
	} {
		c.AccountID, c.CreatedAt, c.UpdatedAt = a.ID, at, at
		write(t, s, func(q *store.Queries) error { return q.CreateContact(ctx, &c) })
		ids = append(ids, c.ID)
	}
	newContact(t, s, b.ID) // another account's contact is never listed

	list := func(f store.ContactFilter) ([]int64, int) {
		t.Helper()
		f.AccountID = a.ID
		cs, total, err := s.Read().ListContacts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, c := range cs {
			got = append(got, c.ID)
		}
		return got, total
	}
	for _, c := range []struct {
		name   string
		filter store.ContactFilter
		want   []int64
		total  int
	}{
		{"all, newest first", store.ContactFilter{Limit: 10}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}, 5},
		{"a page", store.ContactFilter{Limit: 2, Offset: 1}, []int64{ids[3], ids[2]}, 5},
		{"past the end", store.ContactFilter{Limit: 2, Offset: 5}, nil, 5},
		{"name, e-mail and identifier, any case", store.ContactFilter{Query: "SMITH", Limit: 10}, []int64{ids[3], ids[1], ids[0]}, 3},
		{"phone number", store.ContactFilter{Query: "12345", Limit: 10}, []int64{ids[2]}, 1},
		{"underscore is no wildcard", store.ContactFilter{Query: "h_9", Limit: 10}, []int64{ids[3]}, 1},
		{"underscore matches only itself", store.ContactFilter{Query: "smit_", Limit: 10}, nil, 0},
		{"percent is no wildcard", store.ContactFilter{Query: "0%", Limit: 10}, []int64{ids[4]}, 1},
		{"no match", store.ContactFilter{Query: "zed", Limit: 10}, nil, 0},
	} {
		got, total := list(c.filter)
		same(t, c.name, got, c.want)
		if total != c.total {
			t.Errorf("%s: total %d, want %d", c.name, total, c.total)
		}
	}
	// Each database lowers the search as it lowers the text: what a
	// contact's name or e-mail spells finds it, a backslash is itself
	// (testSearchFoldsLetters: with its letters in any case).
	elsewhere := newAccount(t, s)
	var emile int64
	for _, c := range []baton.Contact{{Name: "Émile Zola", Email: "ÉMILE@zola.test"}, {Name: `C:\dir`}} {
		c.AccountID, c.CreatedAt, c.UpdatedAt = elsewhere.ID, at, at
		write(t, s, func(q *store.Queries) error { return q.CreateContact(ctx, &c) })
		if emile == 0 {
			emile = c.ID
		}
	}
	for _, query := range []string{"Émile", "ÉMILE", "Émile ZOLA", "ÉMILE@ZOLA", "mile@"} {
		cs, total, err := s.Read().ListContacts(ctx, store.ContactFilter{AccountID: elsewhere.ID, Query: query, Limit: 10})
		if err != nil || total != 1 || len(cs) != 1 || cs[0].ID != emile {
			t.Errorf("contacts matching %q: %d of %d (%v), want Émile Zola", query, len(cs), total, err)
		}
	}
	for query, want := range map[string]int{`C:\dir`: 1, `:\`: 1, `\d`: 1, `C:\\`: 0} {
		if _, total, err := s.Read().ListContacts(ctx, store.ContactFilter{AccountID: elsewhere.ID, Query: query, Limit: 10}); err != nil || total != want {
			t.Errorf("contacts matching %q: %d (%v), want %d", query, total, err, want)
		}
	}

	// Carol was active last, Ann before her; the others never were.
	write(t, s, func(q *store.Queries) error { return q.TouchContact(ctx, ids[0], at.Add(time.Hour).UnixMicro()) })
	write(t, s, func(q *store.Queries) error { return q.TouchContact(ctx, ids[2], at.Add(2*time.Hour).UnixMicro()) })
	for _, c := range []struct {
		name   string
		filter store.ContactFilter
		want   []int64
		total  int
	}{
		{"by activity, never active last and newest first", store.ContactFilter{ByActivity: true, Limit: 10},
			[]int64{ids[2], ids[0], ids[4], ids[3], ids[1]}, 5},
		{"by activity, a page", store.ContactFilter{ByActivity: true, Limit: 2, Offset: 1}, []int64{ids[0], ids[4]}, 5},
		{"by activity, matching", store.ContactFilter{ByActivity: true, Query: "smith", Limit: 10}, []int64{ids[0], ids[3], ids[1]}, 3},
	} {
		got, total := list(c.filter)
		same(t, c.name, got, c.want)
		if total != c.total {
			t.Errorf("%s: total %d, want %d", c.name, total, c.total)
		}
	}
}

func testContactInbox(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a := newAccount(t, s)
	i, j := newInbox(t, s, a.ID), newInbox(t, s, a.ID)
	c, d := newContact(t, s, a.ID), newContact(t, s, a.ID)
	ci := &baton.ContactInbox{ContactID: c.ID, InboxID: i.ID, SourceID: "src-1", HMACVerified: true,
		PubsubToken: unique("pubsub"), CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateContactInbox(ctx, ci) })
	want := *ci
	want.CreatedAt, want.UpdatedAt = stored(at), stored(at)
	got, err := s.Read().FindContactInbox(ctx, ci.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "contact inbox", got, &want)
	got, err = s.Read().FindContactInboxBySource(ctx, i.ID, "src-1")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "contact inbox by source", got, &want)
	_, err = s.Read().FindContactInboxBySource(ctx, j.ID, "src-1")
	wantNotFound(t, "FindContactInboxBySource in another inbox", err)
	_, err = s.Read().FindContactInbox(ctx, ci.ID+1000)
	wantNotFound(t, "FindContactInbox of a missing id", err)

	// A source id is unique in its inbox only.
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.CreateContactInbox(ctx, &baton.ContactInbox{ContactID: d.ID, InboxID: i.ID, SourceID: "src-1",
			PubsubToken: unique("pubsub"), CreatedAt: at, UpdatedAt: at})
	})
	wantCode(t, "CreateContactInbox with a taken source id", err, baton.ECONFLICT)
	other := &baton.ContactInbox{ContactID: c.ID, InboxID: j.ID, SourceID: "src-1", PubsubToken: unique("pubsub"),
		CreatedAt: at, UpdatedAt: at}
	second := &baton.ContactInbox{ContactID: c.ID, InboxID: i.ID, SourceID: "src-2", PubsubToken: unique("pubsub"),
		CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error {
		if err := q.CreateContactInbox(ctx, other); err != nil {
			return err
		}
		return q.CreateContactInbox(ctx, second)
	})
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.CreateContactInbox(ctx, &baton.ContactInbox{ContactID: c.ID + d.ID + 1000, InboxID: i.ID, SourceID: "src-3",
			PubsubToken: unique("pubsub"), CreatedAt: at, UpdatedAt: at})
	})
	wantNotFound(t, "CreateContactInbox of a missing contact", err)

	got, err = s.Read().FindContactInboxOf(ctx, c.ID, i.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != ci.ID {
		t.Errorf("FindContactInboxOf: %d, want the first, %d", got.ID, ci.ID)
	}
	_, err = s.Read().FindContactInboxOf(ctx, d.ID, i.ID)
	wantNotFound(t, "FindContactInboxOf a contact not in the inbox", err)
	list, err := s.Read().ListContactInboxes(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	same(t, "contact inboxes of c", ids, []int64{ci.ID, other.ID, second.ID})
	third := newContactInbox(t, s, d.ID, j.ID)
	byContact, err := s.Read().ListContactInboxesOf(ctx, []int64{c.ID, d.ID, c.ID + d.ID + 1000})
	if err != nil {
		t.Fatal(err)
	}
	got2 := map[int64][]int64{}
	for contactID, cis := range byContact {
		for _, x := range cis {
			got2[contactID] = append(got2[contactID], x.ID)
		}
	}
	same(t, "contact inboxes of c and d", got2, map[int64][]int64{c.ID: {ci.ID, other.ID, second.ID}, d.ID: {third.ID}})
	if none, err := s.Read().ListContactInboxesOf(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("ListContactInboxesOf no contacts: %v, %v", none, err)
	}

	later := at.Add(1e9)
	write(t, s, func(q *store.Queries) error {
		return q.SetContactInboxVerified(ctx, ci.ID, false, stored(later).UnixMicro())
	})
	got, err = s.Read().FindContactInbox(ctx, ci.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.HMACVerified || !got.UpdatedAt.Equal(stored(later)) {
		t.Errorf("after SetContactInboxVerified: verified %t at %v, want false at %v", got.HMACVerified, got.UpdatedAt, stored(later))
	}

	write(t, s, func(q *store.Queries) error { return q.DeleteContact(ctx, a.ID, c.ID) })
	if list, err := s.Read().ListContactInboxes(ctx, c.ID); err != nil || len(list) != 0 {
		t.Errorf("contact inboxes of a deleted contact: %d, %v", len(list), err)
	}
}

// testWidgetVisitor checks FindWidgetVisitor against the separate reads,
// and that a wrong website token, inbox or source id finds no one.
func testWidgetVisitor(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a := newAccount(t, s)
	web := &baton.Inbox{AccountID: a.ID, Name: "Website", ChannelType: baton.ChannelWebWidget,
		WebsiteToken: unique("website"), CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateInbox(ctx, web) })
	other := newInbox(t, s, a.ID)
	c := newContact(t, s, a.ID)
	ci := newContactInbox(t, s, c.ID, web.ID)
	newContactInbox(t, s, c.ID, other.ID)
	// A contact inbox of the widget whose contact is another account's,
	// which nothing makes but which must not be taken for a visitor.
	stranger := newContactInbox(t, s, newContact(t, s, newAccount(t, s).ID).ID, web.ID)

	got, err := s.Read().FindWidgetVisitor(ctx, web.WebsiteToken, web.ID, ci.SourceID)
	if err != nil {
		t.Fatal(err)
	}
	r := s.Read()
	wantInbox, err := r.FindInboxByWebsiteToken(ctx, web.WebsiteToken)
	if err != nil {
		t.Fatal(err)
	}
	wantAccount, err := r.FindAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantContactInbox, err := r.FindContactInboxBySource(ctx, web.ID, ci.SourceID)
	if err != nil {
		t.Fatal(err)
	}
	wantContact, err := r.FindContact(ctx, a.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "widget visitor", got, &store.WidgetVisitor{Account: wantAccount, Inbox: wantInbox,
		ContactInbox: wantContactInbox, Contact: wantContact})

	for _, tt := range []struct {
		what, token string
		inbox       int64
		source      string
	}{
		{"another website token", "nope", web.ID, ci.SourceID},
		{"another inbox", web.WebsiteToken, other.ID, ci.SourceID},
		{"another source id", web.WebsiteToken, web.ID, "nobody"},
		{"a contact of another account", web.WebsiteToken, web.ID, stranger.SourceID},
	} {
		_, err := s.Read().FindWidgetVisitor(ctx, tt.token, tt.inbox, tt.source)
		wantNotFound(t, "FindWidgetVisitor with "+tt.what, err)
	}
}

func testContactConversationTally(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a := newAccount(t, s)
	i, j := newInbox(t, s, a.ID), newInbox(t, s, a.ID)
	c, d, e := newContact(t, s, a.ID), newContact(t, s, a.ID), newContact(t, s, a.ID)
	ci, cj, di := newContactInbox(t, s, c.ID, i.ID), newContactInbox(t, s, c.ID, j.ID), newContactInbox(t, s, d.ID, i.ID)
	activeAt := func(d time.Duration, st baton.Status) func(*baton.Conversation) {
		return func(v *baton.Conversation) { v.LastActivityAt, v.Status = at.Add(d), st }
	}
	resolved := newConversation(t, s, ci, a.ID, activeAt(time.Hour, baton.StatusResolved))
	latest := newConversation(t, s, cj, a.ID, activeAt(2*time.Hour, baton.StatusPending))
	newConversation(t, s, ci, a.ID, activeAt(0, baton.StatusOpen))
	dv := newConversation(t, s, di, a.ID, activeAt(0, baton.StatusSnoozed))
	// Another account's contact is never counted, even named.
	other := newThread(t, s)

	var tallyAssigned func(accountID int64, inboxIDs []int64, assigned store.Assigned, ids ...int64) map[int64]store.ConversationTally
	tally := func(accountID int64, inboxIDs []int64, ids ...int64) map[int64]store.ConversationTally {
		t.Helper()
		return tallyAssigned(accountID, inboxIDs, store.Assigned{}, ids...)
	}
	tallyAssigned = func(accountID int64, inboxIDs []int64, assigned store.Assigned, ids ...int64) map[int64]store.ConversationTally {
		t.Helper()
		got, err := s.Read().TallyContactConversations(ctx, accountID, ids, inboxIDs, assigned)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	same(t, "every inbox", tally(a.ID, nil, c.ID, d.ID, e.ID, other.contact.ID), map[int64]store.ConversationTally{
		c.ID: {Count: 3, LatestDisplayID: latest.DisplayID, LatestStatus: baton.StatusPending},
		d.ID: {Count: 1, LatestDisplayID: dv.DisplayID, LatestStatus: baton.StatusSnoozed},
	})
	same(t, "one inbox", tally(a.ID, []int64{i.ID}, c.ID, d.ID), map[int64]store.ConversationTally{
		c.ID: {Count: 2, LatestDisplayID: resolved.DisplayID, LatestStatus: baton.StatusResolved},
		d.ID: {Count: 1, LatestDisplayID: dv.DisplayID, LatestStatus: baton.StatusSnoozed},
	})
	same(t, "no inbox", tally(a.ID, []int64{}, c.ID, d.ID), map[int64]store.ConversationTally{})
	same(t, "no contacts", tally(a.ID, nil), map[int64]store.ConversationTally{})

	// Outside the inboxes, the conversations assigned to the person (or
	// the bot) count: they see those.
	u := newUser(t, s, a.ID)
	bot := newAgentBot(t, s, a.ID)
	assignedTo := newConversation(t, s, cj, a.ID, func(v *baton.Conversation) {
		v.LastActivityAt, v.Status, v.AssigneeID = at.Add(3*time.Hour), baton.StatusOpen, u.ID
	})
	botsOwn := newConversation(t, s, cj, a.ID, func(v *baton.Conversation) {
		v.LastActivityAt, v.Status, v.AssigneeAgentBotID = at.Add(4*time.Hour), baton.StatusPending, bot
	})
	same(t, "no inbox, one assigned to the person", tallyAssigned(a.ID, []int64{}, store.Assigned{UserID: u.ID}, c.ID, d.ID),
		map[int64]store.ConversationTally{c.ID: {Count: 1, LatestDisplayID: assignedTo.DisplayID, LatestStatus: baton.StatusOpen}})
	same(t, "one inbox and one assigned to the bot", tallyAssigned(a.ID, []int64{i.ID}, store.Assigned{AgentBotID: bot}, c.ID, d.ID),
		map[int64]store.ConversationTally{
			c.ID: {Count: 3, LatestDisplayID: botsOwn.DisplayID, LatestStatus: baton.StatusPending},
			d.ID: {Count: 1, LatestDisplayID: dv.DisplayID, LatestStatus: baton.StatusSnoozed},
		})
}
