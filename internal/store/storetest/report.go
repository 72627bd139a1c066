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
	c3 := conv(th.contactInbox, acc.ID, t0.Add(-time.Hour), func(c *baton.Conversation) { c.AssigneeID = ann.ID })
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
				ConversationID: c.ID, UserID: user, Name: name, StartedAt: start, CreatedAt: end})
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

	totals := func(what string, f store.ReportFilter, ms []store.Measure, byPerson bool, want []store.ReportTotal) {
		t.Helper()
		got, err := q.ReportTotals(ctx, f, ms, byPerson)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		slices.SortFunc(got, func(a, b store.ReportTotal) int {
			return cmp.Or(cmp.Compare(a.Measure, b.Measure), cmp.Compare(a.UserID, b.UserID))
		})
		same(t, what, got, want)
	}
	rt := func(measure int, user, n, sum int64) store.ReportTotal {
		return store.ReportTotal{Measure: measure, UserID: user, Count: n, Sum: sum}
	}
	summary := []store.Measure{conversations, incoming, outgoing, firsts, resolved}
	totals("the account", f, summary, false, []store.ReportTotal{rt(0, 0, 2, 0), rt(1, 0, 2, 0), rt(2, 0, 5, 0),
		rt(3, 0, 2, 64*minute), rt(4, 0, 2, 240*minute)})
	totals("Ann", ofAnn, summary, false, []store.ReportTotal{rt(0, 0, 1, 0), rt(1, 0, 0, 0), rt(2, 0, 3, 0),
		rt(3, 0, 1, 4*minute), rt(4, 0, 1, 120*minute)})
	ofInbox := f
	ofInbox.InboxID = inbox2.ID
	totals("the second inbox", ofInbox, summary, false, []store.ReportTotal{rt(0, 0, 1, 0), rt(1, 0, 1, 0), rt(2, 0, 1, 0),
		rt(3, 0, 1, 60*minute), rt(4, 0, 1, 120*minute)})
	c1Only := []store.ReportTotal{rt(0, 0, 1, 0), rt(1, 0, 1, 0), rt(2, 0, 3, 0), rt(3, 0, 1, 4*minute), rt(4, 0, 1, 120*minute)}
	ofTeam := f
	ofTeam.TeamID = team.ID
	totals("the team", ofTeam, summary, false, c1Only)
	ofLabel := f
	ofLabel.Label = "vip"
	totals("the label", ofLabel, summary, false, c1Only)
	series("the label's messages", ofLabel, outgoing, 0, []store.ReportBucket{{Hour: h0 + 1, Count: 3}})
	none := []store.ReportTotal{rt(0, 0, 0, 0), rt(1, 0, 0, 0), rt(2, 0, 0, 0), rt(3, 0, 0, 0), rt(4, 0, 0, 0)}
	for _, l := range []string{"vi", "v%", `vip"`} {
		ofLabel.Label = l
		totals("a label "+l+" no conversation has", ofLabel, summary, false, none)
	}
	earlier := f
	earlier.Since, earlier.Until = hr(-48).UnixMicro(), t0.UnixMicro()
	totals("the days before", earlier, summary, false, []store.ReportTotal{rt(0, 0, 1, 0), rt(1, 0, 0, 0), rt(2, 0, 0, 0),
		rt(3, 0, 0, 0), rt(4, 0, 0, 0)})

	people := []store.Measure{conversations, replies, firsts, resolved, assigned,
		{Kind: store.CountBotHandoffs}}
	totals("by person", f, people, true, []store.ReportTotal{
		rt(0, ann.ID, 1, 0), rt(0, bob.ID, 1, 0),
		rt(1, ann.ID, 2, 0), rt(1, bob.ID, 1, 0), // public replies: no note, nothing of a bot's
		rt(2, ann.ID, 1, 4*minute), rt(2, bob.ID, 1, 60*minute),
		rt(3, ann.ID, 1, 120*minute), // the bot's resolution is nobody's
		rt(4, ann.ID, 1, 30*minute),
	})

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
	if _, err := p.DownTo(ctx, 33); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	th := newThread(t, s)
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
		Until: t0.Add(time.Hour).UnixMicro()}, []store.Measure{{Kind: store.CountEvents, Event: baton.ReportFirstResponse}}, true)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "first responses backfilled", got, []store.ReportTotal{{UserID: person.ID, Count: 1, Sum: (4 * time.Minute).Microseconds()}})
}
