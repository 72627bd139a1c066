package storetest

import (
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// testHandoff: handoffs round-trip, the latest is found, the customer is
// told once, and a first reply is recorded on the latest handoff only once.
func testHandoff(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	c := th.conversation
	_, err := s.Read().LatestHandoff(ctx, c.ID)
	wantNotFound(t, "LatestHandoff before any", err)
	first := &baton.Handoff{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID, Reason: "billing",
		ByType: baton.SenderAgentBot, ByID: 7, CreatedAt: at}
	second := &baton.Handoff{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID, Reason: "again",
		Summary: "The customer wants a refund", ByType: baton.SenderUser, ByID: 3, AssigneeID: 0, TeamID: 0,
		CreatedAt: at.Add(1e9)}
	write(t, s, func(q *store.Queries) error {
		if err := q.CreateHandoff(ctx, first); err != nil {
			return err
		}
		return q.CreateHandoff(ctx, second)
	})
	got, err := s.Read().LatestHandoff(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *second
	want.CreatedAt = stored(second.CreatedAt)
	same(t, "latest handoff", got, &want)

	write(t, s, func(q *store.Queries) error { return q.MarkCustomerTold(ctx, second.ID) })
	reply := at.Add(5e9)
	write(t, s, func(q *store.Queries) error { return q.RecordFirstReply(ctx, c.ID, reply.UnixMicro()) })
	write(t, s, func(q *store.Queries) error { return q.RecordFirstReply(ctx, c.ID, reply.Add(1e9).UnixMicro()) })
	got, err = s.Read().LatestHandoff(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CustomerTold || got.FirstReplyAt == nil || !got.FirstReplyAt.Equal(stored(reply)) {
		t.Errorf("after telling and two replies: told %v, first reply %v; want true, %v", got.CustomerTold, got.FirstReplyAt, stored(reply))
	}
}

// testOnlineCandidates: only the inbox's members who are connected on a
// live process and available are candidates, fewest open conversations
// first; a team narrows them.
func testOnlineCandidates(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	acc, inbox := th.account, th.inbox
	busy, idle, away, outsider := newUser(t, s, acc.ID), newUser(t, s, acc.ID), newUser(t, s, acc.ID), newUser(t, s, acc.ID)
	t0 := at.UnixMicro()
	tm := &baton.Team{AccountID: acc.ID, Name: "vip", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error {
		if err := q.AddInboxMembers(ctx, inbox.ID, []int64{busy.ID, idle.ID, away.ID}, 1); err != nil {
			return err
		}
		for _, u := range []*baton.User{busy, idle, away, outsider} {
			if err := q.AddConnection(ctx, "p1", u.ID, t0); err != nil {
				return err
			}
		}
		if err := q.SetAvailability(ctx, acc.ID, away.ID, baton.Busy); err != nil {
			return err
		}
		if err := q.CreateTeam(ctx, tm); err != nil {
			return err
		}
		return q.AddTeamMember(ctx, tm.ID, busy.ID, 1)
	})
	newConversation(t, s, th.contactInbox, acc.ID, func(c *baton.Conversation) { c.AssigneeID = busy.ID })
	cands, err := s.Read().OnlineCandidates(ctx, acc.ID, inbox.ID, 0, 0, t0)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "candidates", cands, []store.Candidate{{UserID: idle.ID}, {UserID: busy.ID, Open: 1, Inbox: 1}})
	cands, err = s.Read().OnlineCandidates(ctx, acc.ID, inbox.ID, tm.ID, 0, t0)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "team candidates", cands, []store.Candidate{{UserID: busy.ID, Open: 1, Inbox: 1}})
	cands, err = s.Read().OnlineCandidates(ctx, acc.ID, inbox.ID, 0, 0, t0+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 0 {
		t.Errorf("candidates of a dead process: %v", cands)
	}
}
