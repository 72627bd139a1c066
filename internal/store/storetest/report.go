package storetest

import (
	"cmp"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// testReport: the account reports count conversations, messages and
// reporting events of a range by the hour of a zone, and in totals, for
// the account, a person, an inbox, a team or a label, and by person;
// nothing of another account or outside the range counts; PeopleSince
// finds the latest handoff or reopening.
func testReport(t *testing.T, s *store.Store) {
	ctx := t.Context()
	t0 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC) // a Monday
	hr0 := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	h0 := t0.UnixMicro() / (3600 * 1e6)
	th := newThread(t, s)
	acc, inbox1 := th.account, th.inbox
	inbox2 := newInbox(t, s, acc.ID)
	ci2 := newContactInbox(t, s, th.contact.ID, inbox2.ID)
	ann, bob := newUser(t, s, acc.ID), newUser(t, s, acc.ID)
	team := &baton.Team{AccountID: acc.ID, Name: "returns", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateTeam(ctx, team) })
	conv := func(ci *baton.ContactInbox, accountID int64, created time.Time, change func(c *baton.Conversation)) *baton.Conversation {
		return newConversation(t, s, ci, accountID, func(c *baton.Conversation) {
			c.CreatedAt, c.UpdatedAt, c.LastActivityAt = created, created, created
			if change != nil {
				change(c)
			}
		})
	}
	c1 := conv(th.contactInbox, acc.ID, t0.Add(time.Hour), func(c *baton.Conversation) {
		c.AssigneeID, c.TeamID, c.Labels = ann.ID, team.ID, []string{"vip", "refund"}
	})
	c2 := conv(ci2, acc.ID, t0.Add(25*time.Hour), func(c *baton.Conversation) { c.AssigneeID = bob.ID })
	c3 := conv(th.contactInbox, acc.ID, t0.Add(-time.Hour), func(c *baton.Conversation) {
		c.AssigneeID, c.FirstReplyCreatedAt = ann.ID, ptr(hr0(2))
	})
	conv(th.contactInbox, acc.ID, t0.Add(-72*time.Hour), func(c *baton.Conversation) { c.Status = baton.StatusPending })
	other := newThread(t, s)
	cOther := conv(other.contactInbox, other.account.ID, t0.Add(time.Hour), nil)

	msg := func(c *baton.Conversation, at time.Time, typ baton.MessageType, senderType string, senderID int64, private bool) {
		newMessage(t, s, c, "text", func(m *baton.Message) {
			m.CreatedAt, m.UpdatedAt, m.MessageType, m.SenderType, m.SenderID, m.Private = at, at, typ, senderType, senderID, private
		})
	}
	hr := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	msg(c1, hr(1), baton.MessageIncoming, baton.SenderContact, th.contact.ID, false)
	msg(c1, hr(1).Add(4*time.Minute), baton.MessageOutgoing, baton.SenderUser, ann.ID, false)
	msg(c1, hr(1).Add(5*time.Minute), baton.MessageOutgoing, baton.SenderUser, ann.ID, true)      // a note
	msg(c1, hr(1).Add(6*time.Minute), baton.MessageOutgoing, baton.SenderAgentBot, ann.ID, false) // a bot of her id
	msg(c1, hr(1).Add(7*time.Minute), baton.MessageActivity, "", 0, false)
	msg(c2, hr(25), baton.MessageIncoming, baton.SenderContact, th.contact.ID, false)
	msg(c2, hr(26), baton.MessageOutgoing, baton.SenderUser, bob.ID, false)
	msg(c3, hr(2), baton.MessageOutgoing, baton.SenderUser, ann.ID, false)
	msg(c3, hr(48), baton.MessageOutgoing, baton.SenderUser, ann.ID, false) // at until: out of the range
	msg(cOther, hr(1), baton.MessageIncoming, baton.SenderContact, other.contact.ID, false)

	event := func(c *baton.Conversation, name string, user int64, start, end time.Time) {
		write(t, s, func(q *store.Queries) error {
			return q.CreateReportingEvent(ctx, &baton.ReportingEvent{AccountID: c.AccountID, InboxID: c.InboxID,
				ConversationID: c.ID, UserID: user, Name: name, StartedAt: start, CreatedAt: end,
				BusinessValue: end.Sub(start) / 2}) // half of it in working hours
		})
	}
	event(c1, baton.ReportFirstResponse, ann.ID, hr(1), hr(1).Add(4*time.Minute))
	event(c2, baton.ReportFirstResponse, bob.ID, hr(25), hr(26))
	event(c1, baton.ReportResolved, ann.ID, hr(1), hr(3))
	event(c2, baton.ReportResolved, 0, hr(25), hr(27)) // resolved by its bot: nobody's
	event(c1, baton.ReportAssigned, ann.ID, hr(1), hr(1))
	event(c1, baton.ReportAssigned, ann.ID, hr(1), hr(1.5)) // given to her twice: one conversation
	event(cOther, baton.ReportFirstResponse, ann.ID, hr(1), hr(2))

	f := store.ReportFilter{AccountID: acc.ID, Since: t0.UnixMicro(), Until: hr(48).UnixMicro()}
	conversations := store.Measure{Kind: store.CountConversations}
	incoming := store.Measure{Kind: store.CountMessages, MessageType: baton.MessageIncoming}
	outgoing := store.Measure{Kind: store.CountMessages, MessageType: baton.MessageOutgoing}
	replies := store.Measure{Kind: store.CountMessages, MessageType: baton.MessageOutgoing, Public: true}
	firsts := store.Measure{Kind: store.CountEvents, Event: baton.ReportFirstResponse}
	resolved := store.Measure{Kind: store.CountEvents, Event: baton.ReportResolved}
	assigned := store.Measure{Kind: store.CountEvents, Event: baton.ReportAssigned, Distinct: true}
	q := s.Read()
	minute := int64(60 * 1e6)

	series := func(what string, f store.ReportFilter, m store.Measure, offset int64, want []store.ReportBucket) {
		t.Helper()
		got, err := q.ReportSeries(ctx, f, m, offset)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		same(t, what, got, want)
	}
	series("conversations by hour", f, conversations, 0, []store.ReportBucket{{Hour: h0 + 1, Count: 1}, {Hour: h0 + 25, Count: 1}})
	series("conversations by hour two hours east", f, conversations, 2*3600*1e6,
		[]store.ReportBucket{{Hour: h0 + 3, Count: 1}, {Hour: h0 + 27, Count: 1}})
	series("outgoing messages, notes and bots' included", f, outgoing, 0,
		[]store.ReportBucket{{Hour: h0 + 1, Count: 3}, {Hour: h0 + 2, Count: 1}, {Hour: h0 + 26, Count: 1}})
	series("incoming messages", f, incoming, 0, []store.ReportBucket{{Hour: h0 + 1, Count: 1}, {Hour: h0 + 25, Count: 1}})
	series("first responses with their values", f, firsts, 0,
		[]store.ReportBucket{{Hour: h0 + 1, Count: 1, Sum: 4 * minute}, {Hour: h0 + 26, Count: 1, Sum: 60 * minute}})
	series("assignments, one a conversation", f, assigned, 0, []store.ReportBucket{{Hour: h0 + 1, Count: 1, Sum: 30 * minute}})
	ofAnn := f
	ofAnn.UserID = ann.ID
	series("Ann's messages", ofAnn, outgoing, 0, []store.ReportBucket{{Hour: h0 + 1, Count: 2}, {Hour: h0 + 2, Count: 1}})
	series("Ann's incoming messages", ofAnn, incoming, 0, nil)

	totals := func(what string, f store.ReportFilter, ms []store.Measure, g store.ReportGroup, want []store.ReportTotal) {
		t.Helper()
		got, err := q.ReportTotals(ctx, f, ms, g)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		slices.SortFunc(got, func(a, b store.ReportTotal) int {
			return cmp.Or(cmp.Compare(a.Measure, b.Measure), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Label, b.Label))
		})
		same(t, what, got, want)
	}
	rt := func(measure int, user, n, sum int64) store.ReportTotal {
		return store.ReportTotal{Measure: measure, ID: user, Count: n, Sum: sum}
	}
	summary := []store.Measure{conversations, incoming, outgoing, firsts, resolved}
	totals("the account", f, summary, store.GroupNone, []store.ReportTotal{rt(0, 0, 2, 0), rt(1, 0, 2, 0), rt(2, 0, 5, 0),
		rt(3, 0, 2, 64*minute), rt(4, 0, 2, 240*minute)})
	totals("Ann", ofAnn, summary, store.GroupNone, []store.ReportTotal{rt(0, 0, 1, 0), rt(1, 0, 0, 0), rt(2, 0, 3, 0),
		rt(3, 0, 1, 4*minute), rt(4, 0, 1, 120*minute)})
	ofInbox := f
	ofInbox.InboxID = inbox2.ID
	totals("the second inbox", ofInbox, summary, store.GroupNone, []store.ReportTotal{rt(0, 0, 1, 0), rt(1, 0, 1, 0), rt(2, 0, 1, 0),
		rt(3, 0, 1, 60*minute), rt(4, 0, 1, 120*minute)})
	c1Only := []store.ReportTotal{rt(0, 0, 1, 0), rt(1, 0, 1, 0), rt(2, 0, 3, 0), rt(3, 0, 1, 4*minute), rt(4, 0, 1, 120*minute)}
	ofTeam := f
	ofTeam.TeamID = team.ID
	totals("the team", ofTeam, summary, store.GroupNone, c1Only)
	ofLabel := f
	ofLabel.Label = "vip"
	totals("the label", ofLabel, summary, store.GroupNone, c1Only)
	series("the label's messages", ofLabel, outgoing, 0, []store.ReportBucket{{Hour: h0 + 1, Count: 3}})
	none := []store.ReportTotal{rt(0, 0, 0, 0), rt(1, 0, 0, 0), rt(2, 0, 0, 0), rt(3, 0, 0, 0), rt(4, 0, 0, 0)}
	for _, l := range []string{"vi", "v%", `vip"`} {
		ofLabel.Label = l
		totals("a label "+l+" no conversation has", ofLabel, summary, store.GroupNone, none)
	}
	earlier := f
	earlier.Since, earlier.Until = hr(-48).UnixMicro(), t0.UnixMicro()
	totals("the days before", earlier, summary, store.GroupNone, []store.ReportTotal{rt(0, 0, 1, 0), rt(1, 0, 0, 0), rt(2, 0, 0, 0),
		rt(3, 0, 0, 0), rt(4, 0, 0, 0)})

	people := []store.Measure{conversations, replies, firsts, resolved, assigned,
		{Kind: store.CountBotHandoffs}}
	totals("by person", f, people, store.GroupPerson, []store.ReportTotal{
		rt(0, ann.ID, 1, 0), rt(0, bob.ID, 1, 0),
		rt(1, ann.ID, 2, 0), rt(1, bob.ID, 1, 0), // public replies: no note, nothing of a bot's
		rt(2, ann.ID, 1, 4*minute), rt(2, bob.ID, 1, 60*minute),
		rt(3, ann.ID, 1, 120*minute), // the bot's resolution is nobody's
		rt(4, ann.ID, 1, 30*minute),
	})

	// By inbox, team and label: c3 is before the range, so the first
	// inbox has c1 and c3's reply; c1 alone has the team and labels.
	totals("by inbox", f, summary, store.GroupInbox, []store.ReportTotal{
		rt(0, inbox1.ID, 1, 0), rt(0, inbox2.ID, 1, 0),
		rt(1, inbox1.ID, 1, 0), rt(1, inbox2.ID, 1, 0),
		rt(2, inbox1.ID, 4, 0), rt(2, inbox2.ID, 1, 0),
		rt(3, inbox1.ID, 1, 4*minute), rt(3, inbox2.ID, 1, 60*minute),
		rt(4, inbox1.ID, 1, 120*minute), rt(4, inbox2.ID, 1, 120*minute),
	})
	byTeam := make([]store.ReportTotal, len(c1Only))
	for i, r := range c1Only {
		r.ID = team.ID
		byTeam[i] = r
	}
	totals("by team", f, summary, store.GroupTeam, byTeam)
	var byLabel []store.ReportTotal
	for _, r := range c1Only {
		for _, l := range []string{"refund", "vip"} {
			r.Label = l
			byLabel = append(byLabel, r)
		}
	}
	totals("by label", f, summary, store.GroupLabel, byLabel)
	totals("one team's by label", ofTeam, summary, store.GroupLabel, byLabel)

	// Business hours: the events' values in working hours, or, for one
	// written before they were kept, its calendar value until it is
	// counted.
	timed := []store.Measure{firsts, resolved}
	business := f
	business.BusinessHours = true
	totals("in business hours", business, timed, store.GroupNone, []store.ReportTotal{rt(0, 0, 2, 32*minute), rt(1, 0, 2, 120*minute)})
	if _, err := s.DB().ExecContext(ctx, `UPDATE reporting_events SET business_value = NULL
		WHERE conversation_id = $1 AND name = $2`, c2.ID, baton.ReportFirstResponse); err != nil {
		t.Fatal(err)
	}
	totals("in business hours, one not counted yet", business, timed, store.GroupNone,
		[]store.ReportTotal{rt(0, 0, 2, 62*minute), rt(1, 0, 2, 120*minute)})
	totals("by person in business hours", business, timed, store.GroupPerson, []store.ReportTotal{
		rt(0, ann.ID, 1, 2*minute), rt(0, bob.ID, 1, 60*minute), rt(1, ann.ID, 1, 60*minute)})
	write(t, s, func(q *store.Queries) error {
		inbox2.WorkingHoursEnabled, inbox2.Timezone = true, "Europe/Lisbon"
		inbox2.WorkingHours = []baton.WorkingHour{{DayOfWeek: 1, OpenHour: 9, CloseHour: 17, CloseMinutes: 30}}
		return q.UpdateInbox(ctx, inbox2)
	})
	unset, err := q.ReportingEventsWithoutBusinessValue(ctx, 10)
	if err != nil || len(unset) != 1 {
		t.Fatalf("events without a business value: %+v, %v; want c2's first response", unset, err)
	}
	same(t, "the event without a business value", unset[0], store.ReportingEventHours{ID: unset[0].ID,
		StartedAt: hr(25).UnixMicro(), Created: hr(26).UnixMicro(), Inbox: &baton.Inbox{WorkingHoursEnabled: true,
			Timezone: "Europe/Lisbon", WorkingHours: inbox2.WorkingHours}})
	write(t, s, func(q *store.Queries) error { return q.SetBusinessValue(ctx, unset[0].ID, 30*minute) })
	write(t, s, func(q *store.Queries) error { return q.SetBusinessValue(ctx, unset[0].ID, 50*minute) }) // set already
	totals("in business hours, all counted", business, timed, store.GroupNone,
		[]store.ReportTotal{rt(0, 0, 2, 32*minute), rt(1, 0, 2, 120*minute)})
	if unset, err := q.ReportingEventsWithoutBusinessValue(ctx, 10); err != nil || len(unset) != 0 {
		t.Errorf("events without a business value after the fill: %+v, %v", unset, err)
	}

	// The conversations as they are now: open (the thread's, c1, c2, c3),
	// unattended (c3 was answered), nobody's, the bot's.
	open := func(what string, byAssignee bool, want []store.OpenCount) {
		t.Helper()
		got, err := q.OpenCounts(ctx, acc.ID, byAssignee)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		slices.SortFunc(got, func(a, b store.OpenCount) int { return cmp.Compare(a.AssigneeID, b.AssigneeID) })
		same(t, what, got, want)
	}
	open("the account's open conversations", false, []store.OpenCount{{Open: 4, Unattended: 3, Unassigned: 1, Pending: 1}})
	open("open conversations by assignee", true, []store.OpenCount{
		{AssigneeID: 0, Open: 1, Unattended: 1, Unassigned: 1, Pending: 1},
		{AssigneeID: ann.ID, Open: 2, Unattended: 1},
		{AssigneeID: bob.ID, Open: 1, Unattended: 1},
	})
	if got, err := q.OpenCounts(ctx, newAccount(t, s).ID, false); err != nil || len(got) != 1 || got[0] != (store.OpenCount{}) {
		t.Errorf("an account without conversations: %+v, %v; want one count of nothing", got, err)
	}

	// PeopleSince: the creation, then the latest of handoffs and
	// reopenings.
	created := c1.CreatedAt.UnixMicro()
	since := func(what string, want time.Time) {
		t.Helper()
		got, err := s.Read().PeopleSince(ctx, c1.ID, created)
		if err != nil || got != want.UnixMicro() {
			t.Errorf("PeopleSince %s: %v, %v; want %v", what, time.UnixMicro(got).UTC(), err, want)
		}
	}
	since("without handoffs", hr(1))
	write(t, s, func(q *store.Queries) error {
		return q.CreateHandoff(ctx, &baton.Handoff{AccountID: acc.ID, InboxID: inbox1.ID, ConversationID: c1.ID,
			AgentBotID: 7, ByType: baton.SenderAgentBot, CreatedAt: hr(2)})
	})
	since("after a handoff", hr(2))
	event(c1, baton.ReportOpened, 0, hr(1.5), hr(1.5))
	since("after an earlier reopening", hr(2))
	event(c1, baton.ReportOpened, 0, hr(2.5), hr(2.5))
	since("after a later reopening", hr(2.5))
	series("bot handoffs", f, store.Measure{Kind: store.CountBotHandoffs, Distinct: true}, 0,
		[]store.ReportBucket{{Hour: h0 + 2, Count: 1}})
	series("Ann's bot handoffs", ofAnn, store.Measure{Kind: store.CountBotHandoffs, Distinct: true}, 0, nil)
}

// ReportBackfill takes the migrations in migrations down to the one before
// reporting events (00033), writes a conversation whose first public reply
// of a person followed a bot's reply and a handoff, migrates up again and
// checks that the first response was recorded from what the conversation
// kept: the person, from the handoff to the reply.
func ReportBackfill(t *testing.T, s *store.Store, dialect goose.Dialect, migrations fs.FS) {
	t.Helper()
	ctx := t.Context()
	p, err := goose.NewProvider(dialect, s.DB(), migrations)
	if err != nil {
		t.Fatal(err)
	}
	// The inbox is written before going down, by today's statements:
	// they name columns that later migrations add.
	th := newThread(t, s)
	if _, err := p.DownTo(ctx, 33); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	c := th.conversation
	person := newUser(t, s, th.account.ID)
	t0 := c.CreatedAt
	newMessage(t, s, c, "hello", nil)
	newMessage(t, s, c, "I am the bot", func(m *baton.Message) {
		m.MessageType, m.SenderType, m.SenderID, m.CreatedAt = baton.MessageOutgoing, baton.SenderAgentBot, 1, t0.Add(time.Second)
	})
	newMessage(t, s, c, "a note", func(m *baton.Message) {
		m.MessageType, m.SenderType, m.SenderID, m.Private = baton.MessageOutgoing, baton.SenderUser, person.ID+1, true
	})
	newMessage(t, s, c, "I am a person", func(m *baton.Message) {
		m.MessageType, m.SenderType, m.SenderID, m.CreatedAt = baton.MessageOutgoing, baton.SenderUser, person.ID, t0.Add(5*time.Minute)
	})
	reply := t0.Add(5 * time.Minute)
	c.FirstReplyCreatedAt = &reply
	write(t, s, func(q *store.Queries) error {
		if err := q.CreateHandoff(ctx, &baton.Handoff{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
			ByType: baton.SenderAgentBot, CreatedAt: t0.Add(time.Minute)}); err != nil {
			return err
		}
		return q.UpdateConversation(ctx, c)
	})
	newConversation(t, s, th.contactInbox, th.account.ID, nil) // no reply: no event
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	got, err := s.Read().ReportTotals(ctx, store.ReportFilter{AccountID: c.AccountID, Since: t0.UnixMicro(),
		Until: t0.Add(time.Hour).UnixMicro()}, []store.Measure{{Kind: store.CountEvents, Event: baton.ReportFirstResponse}}, store.GroupPerson)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "first responses backfilled", got, []store.ReportTotal{{ID: person.ID, Count: 1, Sum: (4 * time.Minute).Microseconds()}})
}

// ReportHistory takes the migrations in migrations down to the one before
// business hours (00036), writes the status changes of four conversations
// as Baton's activity messages and handoffs record them, one of them with
// the resolution's event already written (as the use cases wrote them
// after 00035), migrates up again and checks the resolutions and
// reopenings recorded from them: when each began, for whom, none twice,
// and the calendar value as business value in an inbox without working
// hours. Down and up again records nothing more.
func ReportHistory(t *testing.T, s *store.Store, dialect goose.Dialect, migrations fs.FS) {
	t.Helper()
	ctx := t.Context()
	p, err := goose.NewProvider(dialect, s.DB(), migrations)
	if err != nil {
		t.Fatal(err)
	}
	// The inboxes are written before going down, by today's statements:
	// they name columns that later migrations add.
	th := newThread(t, s)
	acc := th.account.ID
	hoursInbox := newInbox(t, s, acc)
	write(t, s, func(q *store.Queries) error {
		hoursInbox.WorkingHoursEnabled = true
		return q.UpdateInbox(ctx, hoursInbox)
	})
	if _, err := p.DownTo(ctx, 36); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	ann, bob := newUser(t, s, acc), newUser(t, s, acc)
	twin1, twin2, botNamed := newUser(t, s, acc), newUser(t, s, acc), newUser(t, s, acc)
	write(t, s, func(q *store.Queries) error {
		twin1.DisplayName, twin2.DisplayName, botNamed.Name = "Sam", "Sam", "OrderBot"
		for _, u := range []*baton.User{twin1, twin2, botNamed} {
			if err := q.UpdateUser(ctx, u); err != nil {
				return err
			}
		}
		return q.CreateAgentBot(ctx, &baton.AgentBot{AccountID: acc, Name: "OrderBot", CreatedAt: at, UpdatedAt: at}, nil)
	})
	t0 := at
	min := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	conv := func(ci *baton.ContactInbox, assignee int64) *baton.Conversation {
		return newConversation(t, s, ci, acc, func(c *baton.Conversation) { c.AssigneeID = assignee })
	}
	activity := func(c *baton.Conversation, n int, text string) {
		newMessage(t, s, c, text, func(m *baton.Message) {
			m.MessageType, m.SenderType, m.SenderID, m.CreatedAt, m.UpdatedAt = baton.MessageActivity, "", 0, min(n), min(n)
		})
	}
	handoff := func(c *baton.Conversation, n int) {
		write(t, s, func(q *store.Queries) error {
			return q.CreateHandoff(ctx, &baton.Handoff{AccountID: acc, InboxID: c.InboxID, ConversationID: c.ID,
				ByType: baton.SenderAgentBot, CreatedAt: min(n)})
		})
	}
	// a: Ann resolves at 10; the customer reopens it at 20; a snooze;
	// the customer resolves it at 40 (Bob's since, so his).
	a := conv(th.contactInbox, bob.ID)
	activity(a, 10, "Conversation was marked resolved by "+ann.Name)
	activity(a, 20, "System reopened the conversation due to a new incoming message.")
	activity(a, 25, "Conversation was snoozed by "+ann.Name)
	activity(a, 30, "The snooze ended: the conversation was reopened")
	activity(a, 40, "Conversation was resolved by Casey")
	// b: handed over at 5, resolved at 15 by one of two Sams (nobody's:
	// it was reopened at 50), resolved at 60 by the bot OrderBot, whose
	// name a person has too (Ann's, its assignee's).
	b := conv(newContactInbox(t, s, th.contact.ID, hoursInbox.ID), ann.ID)
	handoff(b, 5)
	activity(b, 15, "Conversation was marked resolved by Sam")
	activity(b, 50, "Conversation was reopened by "+ann.Name)
	activity(b, 60, "Conversation was marked resolved by OrderBot")
	// c: resolved at 10 after 00035: its event is there already.
	c := conv(th.contactInbox, ann.ID)
	activity(c, 10, "Conversation was marked resolved by "+ann.Name)
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO reporting_events (account_id, inbox_id, conversation_id, user_id,
		name, started_at, created_at) VALUES ($1, $2, $3, $4, 'conversation_resolved', $5, $6)`,
		acc, c.InboxID, c.ID, ann.ID, t0.UnixMicro(), min(10).UnixMicro()+1); err != nil {
		t.Fatal(err)
	}
	// d: resolved at 10, opened again by a handoff at 30, resolved at 45.
	d := conv(th.contactInbox, 0)
	activity(d, 10, "Conversation was marked as pending by "+ann.Name)
	activity(d, 11, "Conversation was marked resolved by "+ann.Name)
	handoff(d, 30)
	activity(d, 45, "Conversation was marked resolved by "+ann.Name)
	// A message a person wrote with the same words is not an activity.
	newMessage(t, s, d, "Conversation was marked resolved by "+ann.Name, func(m *baton.Message) {
		m.MessageType, m.SenderType, m.SenderID, m.CreatedAt = baton.MessageOutgoing, baton.SenderUser, ann.ID, min(70)
	})

	type row struct {
		Conversation, User int64
		Name               string
		Start, End         int // minutes from t0
		Business           int // minutes, -1 for none yet
	}
	rows := func() []row {
		t.Helper()
		rs, err := s.DB().QueryContext(ctx, `SELECT conversation_id, COALESCE(user_id, 0), name, started_at, created_at,
			COALESCE(business_value, -60000000) FROM reporting_events WHERE account_id = $1 ORDER BY conversation_id, created_at, name`, acc)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []row
		for rs.Next() {
			var r row
			var start, end, business int64
			if err := rs.Scan(&r.Conversation, &r.User, &r.Name, &start, &end, &business); err != nil {
				t.Fatal(err)
			}
			minutes := func(us int64) int { return int(time.Duration(us) * time.Microsecond / time.Minute) }
			r.Start, r.End, r.Business = minutes(start-t0.UnixMicro()), minutes(end-t0.UnixMicro()), minutes(business)
			out = append(out, r)
		}
		return out
	}
	want := []row{
		{a.ID, ann.ID, baton.ReportResolved, 0, 10, 10},
		{a.ID, 0, baton.ReportOpened, 20, 20, 0},
		{a.ID, bob.ID, baton.ReportResolved, 20, 40, 20},
		{b.ID, 0, baton.ReportResolved, 5, 15, -1}, // working hours: counted by app.FillBusinessValues
		{b.ID, 0, baton.ReportOpened, 50, 50, -1},
		{b.ID, ann.ID, baton.ReportResolved, 50, 60, -1},
		{c.ID, ann.ID, baton.ReportResolved, 0, 10, 10},
		{d.ID, ann.ID, baton.ReportResolved, 0, 11, 11},
		{d.ID, 0, baton.ReportOpened, 30, 30, 0},
		{d.ID, ann.ID, baton.ReportResolved, 30, 45, 15},
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	same(t, "the events recorded from the history", rows(), want)
	if n := count(t, s, `SELECT COUNT(*) FROM reporting_events WHERE business_value IS NULL`); n != 3 {
		t.Errorf("%d events without a business value, want the 3 of the inbox with working hours", n)
	}
	if _, err := p.DownTo(ctx, 36); err != nil {
		t.Fatalf("migrate down again: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
	same(t, "the events after down and up again", rows(), want)
}
