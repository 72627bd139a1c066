package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// bulkWorld is a world whose agent works the API inbox (not the widget's),
// with a second agent, Bea, who works the widget inbox only, and a team.
type bulkWorld struct {
	*world
	beaID int64
	team  *baton.Team
}

func setupBulk(t *testing.T, s *store.Store) *bulkWorld {
	t.Helper()
	w := &bulkWorld{world: setup(t, s)}
	bea := actAs(t, w.app, w.account.ID, fmt.Sprintf("bea%d@acme.test", w.account.ID), "agent")
	w.beaID = baton.ActorFromContext(bea).User.ID
	if _, err := w.app.ChangeInboxMembers(w.admin, w.account.ID, w.api.ID, app.MembersAdd, []int64{w.agentID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.ChangeInboxMembers(w.admin, w.account.ID, w.widget.ID, app.MembersAdd, []int64{w.beaID}); err != nil {
		t.Fatal(err)
	}
	var err error
	if w.team, err = w.app.CreateTeam(w.admin, w.account.ID, app.TeamInput{Name: ptr("Returns")}); err != nil {
		t.Fatal(err)
	}
	return w
}

// widgetConversation starts a conversation in the widget inbox (where the
// agent is not a member) for a new contact.
func (w *bulkWorld) widgetConversation(t *testing.T, name string) *baton.Conversation {
	t.Helper()
	contact, _, err := w.app.CreateContact(w.admin, w.account.ID, app.ContactInput{Name: ptr(name)}, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.app.CreateConversation(w.admin, w.account.ID, app.ConversationInput{InboxID: w.widget.ID, ContactID: contact.ID})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// get reads a conversation as the administrator.
func (w *bulkWorld) get(t *testing.T, id int64) *baton.Conversation {
	t.Helper()
	c, err := w.app.Conversation(w.admin, w.account.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// activities lists a conversation's activity messages, oldest first.
func (w *bulkWorld) activities(t *testing.T, id int64) []string {
	t.Helper()
	p, err := w.app.Messages(w.admin, w.account.ID, id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range p.Messages {
		if m.MessageType == baton.MessageActivity && m.Content != nil {
			out = append(out, *m.Content)
		}
	}
	return out
}

func skippedIDs(r *app.BulkResult) []int64 {
	var ids []int64
	for _, s := range r.Skipped {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestBulkActionValidation: an action that is wrong as a whole (no ids,
// too many, a bad status, a snooze in the past or without snoozed, a bad
// label, nothing to change, an assignee or a team from outside the
// account) is refused and changes nothing.
func TestBulkActionValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setupBulk(t, s)
		c := w.customer(t, "v1")
		other := setup(t, s)
		otherTeam, err := other.app.CreateTeam(other.admin, other.account.ID, app.TeamInput{Name: ptr("Elsewhere")})
		if err != nil {
			t.Fatal(err)
		}
		otherUser := baton.ActorFromContext(other.admin).User.ID
		many := make([]int64, app.MaxBulkIDs+1)
		for i := range many {
			many[i] = int64(i + 1)
		}
		past := time.Now().Add(-time.Hour)
		pastYear9999 := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		ids := []int64{c.DisplayID}
		for _, tc := range []struct {
			name string
			in   app.BulkAction
			attr string
		}{
			{"no ids", app.BulkAction{Status: ptr("resolved")}, "ids"},
			{"too many ids", app.BulkAction{IDs: many, Status: ptr("resolved")}, "ids"},
			{"an id of zero", app.BulkAction{IDs: []int64{c.DisplayID, 0}, Status: ptr("resolved")}, "ids"},
			{"a negative id", app.BulkAction{IDs: []int64{-3}, Status: ptr("resolved")}, "ids"},
			{"a bad status", app.BulkAction{IDs: ids, Status: ptr("closed")}, "status"},
			{"snoozed_until without snoozed", app.BulkAction{IDs: ids, Status: ptr("resolved"), SnoozedUntil: ptr(time.Now().Add(time.Hour))}, "snoozed_until"},
			{"snoozed_until in the past", app.BulkAction{IDs: ids, Status: ptr("snoozed"), SnoozedUntil: &past}, "snoozed_until"},
			{"snoozed_until past the year 9999", app.BulkAction{IDs: ids, Status: ptr("snoozed"), SnoozedUntil: &pastYear9999}, "snoozed_until"},
			{"a bad label", app.BulkAction{IDs: ids, AddLabels: []string{"two words"}}, "labels"},
			{"nothing to change", app.BulkAction{IDs: ids}, "fields"},
			{"another account's user", app.BulkAction{IDs: ids, AssigneeID: &otherUser}, "assignee_id"},
			{"another account's team", app.BulkAction{IDs: ids, TeamID: &otherTeam.ID}, "team_id"},
		} {
			_, err := w.app.BulkUpdateConversations(w.admin, w.account.ID, tc.in)
			var be *baton.Error
			if !errors.As(err, &be) || be.Code != baton.EINVALID || !slices.Contains(be.Attributes, tc.attr) {
				t.Errorf("%s: %v, want invalid %s", tc.name, err, tc.attr)
			}
		}
		if got := w.get(t, c.DisplayID); got.Status != baton.StatusOpen || got.AssigneeID != 0 || got.TeamID != 0 || len(got.Labels) != 0 {
			t.Errorf("a refused action changed the conversation: %s, assignee %d, team %d, labels %v", got.Status, got.AssigneeID, got.TeamID, got.Labels)
		}
	})
}

// TestBulkActionScope: each conversation is changed as the single
// endpoints would for the caller: an agent changes those of their inboxes
// and those assigned to them, and the rest are skipped as not found, as
// is an id of no conversation of the account, however many another
// account has. Another account's member, and a bot, may not act at all.
func TestBulkActionScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setupBulk(t, s)
		other := setup(t, s)
		inAPI := w.customer(t, "s1")                 // the agent's inbox
		inWidget := w.widgetConversation(t, "Wanda") // not the agent's
		mine := w.widgetConversation(t, "Mina")      // not the agent's, but assigned to them
		theirs := []int64{other.customer(t, "o1").DisplayID, other.customer(t, "o2").DisplayID,
			other.customer(t, "o3").DisplayID, other.customer(t, "o4").DisplayID}
		if _, err := w.app.Assign(w.admin, w.account.ID, mine.DisplayID, w.agentID); err != nil {
			t.Fatal(err)
		}
		// theirs[3] is display id 4, which w's account does not have.
		ids := []int64{inAPI.DisplayID, inWidget.DisplayID, mine.DisplayID, theirs[3], inAPI.DisplayID}
		res, err := w.app.BulkUpdateConversations(w.agent, w.account.ID, app.BulkAction{IDs: ids, Status: ptr("resolved")})
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{inAPI.DisplayID, mine.DisplayID}; !slices.Equal(res.Done, want) {
			t.Errorf("done %v, want %v", res.Done, want)
		}
		if want := []int64{inWidget.DisplayID, theirs[3]}; !slices.Equal(skippedIDs(res), want) {
			t.Errorf("skipped %v, want %v", skippedIDs(res), want)
		}
		for _, sk := range res.Skipped {
			if !errors.Is(sk.Err, baton.ErrNotFound) {
				t.Errorf("conversation %d skipped with %v, want not found", sk.ID, sk.Err)
			}
		}
		for id, want := range map[int64]baton.Status{inAPI.DisplayID: baton.StatusResolved, mine.DisplayID: baton.StatusResolved,
			inWidget.DisplayID: baton.StatusOpen} {
			if got := w.get(t, id).Status; got != want {
				t.Errorf("conversation %d is %s, want %s", id, got, want)
			}
		}
		for _, id := range theirs {
			c, err := other.app.Conversation(other.admin, other.account.ID, id)
			if err != nil || c.Status != baton.StatusOpen {
				t.Errorf("the other account's conversation %d: %v, %v: want it open and untouched", id, c, err)
			}
		}

		// Another account's people, and its bots, may not act here.
		if _, err := other.app.BulkUpdateConversations(other.admin, w.account.ID, app.BulkAction{IDs: ids, Status: ptr("open")}); !errors.Is(err, auth.ErrNotMember) {
			t.Errorf("another account's administrator: %v, want not a member", err)
		}
		bot, err := w.app.CreateAgentBot(w.admin, w.account.ID, app.AgentBotInput{Name: ptr("Helper"), OutgoingURL: ptr("http://127.0.0.1:1/hook")})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.app.SetInboxAgentBot(w.admin, w.account.ID, w.api.ID, bot.Bot.ID); err != nil {
			t.Fatal(err)
		}
		botCtx := asToken(t, w.app, bot.AccessToken)
		if _, err := w.app.BulkUpdateConversations(botCtx, w.account.ID, app.BulkAction{IDs: ids, Status: ptr("open")}); !errors.Is(err, auth.ErrBotNotPermitted) {
			t.Errorf("a bot: %v, want refused", err)
		}
		if got := w.get(t, inAPI.DisplayID).Status; got != baton.StatusResolved {
			t.Errorf("after the refusals the agent's conversation is %s, want resolved", got)
		}
	})
}

// asToken is a context acting as the token's owner.
func asToken(t *testing.T, a *app.App, token string) context.Context {
	t.Helper()
	actor, err := a.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return baton.NewContextWithActor(context.Background(), actor)
}

// TestBulkActionOneTransactionEach: labels, team and assignee are changed
// together in each conversation, with the activity messages the single
// actions leave; a conversation whose inbox the assignee does not work is
// skipped whole (its labels and team as they were, no activity message),
// while the others are changed.
func TestBulkActionOneTransactionEach(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setupBulk(t, s)
		a1, a2 := w.customer(t, "t1"), w.customer(t, "t2")
		web := w.widgetConversation(t, "Wanda")
		for _, id := range []int64{a1.DisplayID, web.DisplayID} {
			if _, err := w.app.SetLabels(w.admin, w.account.ID, id, []string{"spam", "vip"}); err != nil {
				t.Fatal(err)
			}
		}
		before := w.activities(t, web.DisplayID)
		res, err := w.app.BulkUpdateConversations(w.admin, w.account.ID, app.BulkAction{
			IDs: []int64{a1.DisplayID, web.DisplayID, a2.DisplayID}, AssigneeID: &w.agentID, TeamID: &w.team.ID,
			AddLabels: []string{" Urgent ", "vip"}, RemoveLabels: []string{"spam"}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{a1.DisplayID, a2.DisplayID}; !slices.Equal(res.Done, want) {
			t.Errorf("done %v, want %v", res.Done, want)
		}
		if len(res.Skipped) != 1 || res.Skipped[0].ID != web.DisplayID || baton.ErrorCode(res.Skipped[0].Err) != baton.EINVALID ||
			!strings.Contains(baton.ErrorMessage(res.Skipped[0].Err), "member of the inbox") {
			t.Errorf("skipped %+v, want the widget's conversation: the assignee is not a member of its inbox", res.Skipped)
		}
		if res.Assignee == nil || res.Assignee.ID != w.agentID || res.Team == nil || res.Team.ID != w.team.ID {
			t.Errorf("the result names assignee %v and team %v", res.Assignee, res.Team)
		}
		got := w.get(t, a1.DisplayID)
		if got.AssigneeID != w.agentID || got.TeamID != w.team.ID || !slices.Equal(got.Labels, []string{"vip", "urgent"}) {
			t.Errorf("a1: assignee %d team %d labels %v", got.AssigneeID, got.TeamID, got.Labels)
		}
		acts := w.activities(t, a1.DisplayID)
		admin := baton.ActorFromContext(w.admin).User.AvailableName()
		for _, want := range []string{admin + " added urgent", admin + " removed spam", "Assigned to Returns team by " + admin} {
			if !slices.Contains(acts, want) {
				t.Errorf("a1's activity lacks %q: %q", want, acts)
			}
		}
		if got := w.get(t, a2.DisplayID); !slices.Equal(got.Labels, []string{"urgent", "vip"}) || got.AssigneeID != w.agentID {
			t.Errorf("a2: labels %v assignee %d", got.Labels, got.AssigneeID)
		}
		got = w.get(t, web.DisplayID)
		if got.TeamID != 0 || got.AssigneeID != 0 || !slices.Equal(got.Labels, []string{"spam", "vip"}) {
			t.Errorf("the skipped conversation changed: team %d assignee %d labels %v", got.TeamID, got.AssigneeID, got.Labels)
		}
		if after := w.activities(t, web.DisplayID); !slices.Equal(after, before) {
			t.Errorf("the skipped conversation has new activity: %q, was %q", after, before)
		}
		// Bea works the widget inbox: she may have it. Nobody clears it.
		res, err = w.app.BulkUpdateConversations(w.admin, w.account.ID, app.BulkAction{IDs: []int64{web.DisplayID}, AssigneeID: &w.beaID})
		if err != nil || len(res.Done) != 1 || w.get(t, web.DisplayID).AssigneeID != w.beaID {
			t.Fatalf("assigning Bea her inbox's conversation: %+v, %v", res, err)
		}
		res, err = w.app.BulkUpdateConversations(w.admin, w.account.ID, app.BulkAction{IDs: []int64{web.DisplayID}, AssigneeID: ptr(int64(0)), TeamID: ptr(int64(0))})
		if got := w.get(t, web.DisplayID); err != nil || len(res.Done) != 1 || got.AssigneeID != 0 {
			t.Errorf("unassigning: %+v, %v, assignee %d", res, err, got.AssigneeID)
		}
	})
}

// TestBulkActionStatusRules: a bulk status change follows toggle_status's
// rules: opening the bot's conversation is a handoff (recorded, and an
// agent who opens it takes it, unless the action names an assignee, who
// keeps it though offline); an agent who reopens a resolved conversation
// takes it unless the action says who has it; pending gives it back to
// the bot; snoozed keeps its time.
func TestBulkActionStatusRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setupBulk(t, s)
		bot, err := w.app.CreateAgentBot(w.admin, w.account.ID, app.AgentBotInput{Name: ptr("Helper"), OutgoingURL: ptr("http://127.0.0.1:1/hook")})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.app.SetInboxAgentBot(w.admin, w.account.ID, w.api.ID, bot.Bot.ID); err != nil {
			t.Fatal(err)
		}
		p1, p2 := w.customer(t, "h1"), w.customer(t, "h2")
		if p1.Status != baton.StatusPending || p2.Status != baton.StatusPending {
			t.Fatalf("the bot's new conversations are %s and %s, want pending", p1.Status, p2.Status)
		}
		// The agent opens p1 alone and p2 for the administrator, who is
		// not connected.
		adminID := baton.ActorFromContext(w.admin).User.ID
		if _, err := w.app.BulkUpdateConversations(w.agent, w.account.ID, app.BulkAction{IDs: []int64{p1.DisplayID}, Status: ptr("open")}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.app.BulkUpdateConversations(w.agent, w.account.ID, app.BulkAction{IDs: []int64{p2.DisplayID}, Status: ptr("open"), AssigneeID: &adminID}); err != nil {
			t.Fatal(err)
		}
		g1, g2 := w.get(t, p1.DisplayID), w.get(t, p2.DisplayID)
		if g1.Status != baton.StatusOpen || g1.Handoff == nil || g1.AssigneeID != w.agentID {
			t.Errorf("p1 opened by the agent: %s, handoff %v, assignee %d: want open, handed over, the agent's", g1.Status, g1.Handoff, g1.AssigneeID)
		}
		if g2.Status != baton.StatusOpen || g2.Handoff == nil || g2.AssigneeID != adminID || g2.Handoff.AssigneeID != adminID {
			t.Errorf("p2 opened for the administrator: %s, handoff %+v, assignee %d", g2.Status, g2.Handoff, g2.AssigneeID)
		}
		// Pending: back to the bot.
		if _, err := w.app.BulkUpdateConversations(w.agent, w.account.ID, app.BulkAction{IDs: []int64{p1.DisplayID, p2.DisplayID}, Status: ptr("pending")}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{p1.DisplayID, p2.DisplayID} {
			if got := w.get(t, id); got.Status != baton.StatusPending {
				t.Errorf("conversation %d is %s after pending, want pending", id, got.Status)
			}
		}

		// Resolved, then reopened by the agent: taken, unless the action
		// says nobody has it.
		r1, r2 := w.customer(t, "r1"), w.customer(t, "r2")
		ids := []int64{r1.DisplayID, r2.DisplayID}
		if _, err := w.app.BulkUpdateConversations(w.admin, w.account.ID, app.BulkAction{IDs: ids, Status: ptr("resolved")}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.app.BulkUpdateConversations(w.agent, w.account.ID, app.BulkAction{IDs: ids[:1], Status: ptr("open")}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.app.BulkUpdateConversations(w.agent, w.account.ID, app.BulkAction{IDs: ids[1:], Status: ptr("open"), AssigneeID: ptr(int64(0))}); err != nil {
			t.Fatal(err)
		}
		if g := w.get(t, r1.DisplayID); g.Status != baton.StatusOpen || g.AssigneeID != w.agentID || g.Handoff != nil {
			t.Errorf("r1 reopened by the agent: %s, assignee %d, handoff %v", g.Status, g.AssigneeID, g.Handoff)
		}
		if g := w.get(t, r2.DisplayID); g.Status != baton.StatusOpen || g.AssigneeID != 0 {
			t.Errorf("r2 reopened for nobody: %s, assignee %d", g.Status, g.AssigneeID)
		}

		until := time.Now().Add(48 * time.Hour).Truncate(time.Second)
		if _, err := w.app.BulkUpdateConversations(w.admin, w.account.ID, app.BulkAction{IDs: ids, Status: ptr("snoozed"), SnoozedUntil: &until}); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if g := w.get(t, id); g.Status != baton.StatusSnoozed || g.SnoozedUntil == nil || !g.SnoozedUntil.Equal(until) {
				t.Errorf("conversation %d: %s until %v, want snoozed until %v", id, g.Status, g.SnoozedUntil, until)
			}
		}
	})
}
