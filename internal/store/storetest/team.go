package storetest

import (
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// testTeam: a team round-trips, its name is unique in its account, another
// account's team is not found, members come and go, and deleting a team
// clears it from its conversations.
func testTeam(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	acc := th.account
	tm := &baton.Team{AccountID: acc.ID, Name: "billing", Description: "Money", AllowAutoAssign: true, CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateTeam(ctx, tm) })
	got, err := s.Read().FindTeam(ctx, acc.ID, tm.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *tm
	want.CreatedAt, want.UpdatedAt = stored(at), stored(at)
	same(t, "team", got, &want)
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.CreateTeam(ctx, &baton.Team{AccountID: acc.ID, Name: "billing", CreatedAt: at, UpdatedAt: at})
	})
	wantCode(t, "CreateTeam with a taken name", err, baton.ECONFLICT)
	other := newAccount(t, s)
	_, err = s.Read().FindTeam(ctx, other.ID, tm.ID)
	wantNotFound(t, "FindTeam of another account", err)
	err = s.Write(ctx, func(q *store.Queries) error { return q.DeleteTeam(ctx, other.ID, tm.ID) })
	wantNotFound(t, "DeleteTeam of another account", err)

	tm.Name, tm.AllowAutoAssign = "sales", false
	write(t, s, func(q *store.Queries) error { return q.UpdateTeam(ctx, tm) })
	ts, err := s.Read().ListTeams(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Name != "sales" || ts[0].AllowAutoAssign {
		t.Errorf("teams after update: %+v", ts)
	}

	u, v := newUser(t, s, acc.ID), newUser(t, s, acc.ID)
	write(t, s, func(q *store.Queries) error {
		for _, id := range []int64{v.ID, u.ID, u.ID} {
			if err := q.AddTeamMember(ctx, tm.ID, id, 1); err != nil {
				return err
			}
		}
		return q.RemoveTeamMember(ctx, tm.ID, v.ID)
	})
	members, err := s.Read().TeamMembers(ctx, acc.ID, tm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0].UserID != u.ID || members[0].User.Email != u.Email {
		t.Errorf("members: %+v, want only user %d", members, u.ID)
	}

	c := th.conversation
	c.TeamID = tm.ID
	write(t, s, func(q *store.Queries) error { return q.UpdateConversation(ctx, c) })
	write(t, s, func(q *store.Queries) error { return q.DeleteTeam(ctx, acc.ID, tm.ID) })
	fresh, err := s.Read().FindConversationByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.TeamID != 0 {
		t.Errorf("conversation of a deleted team has team %d", fresh.TeamID)
	}
	if members, err := s.Read().TeamMembers(ctx, acc.ID, tm.ID); err != nil || len(members) != 0 {
		t.Errorf("members of a deleted team: %v, %v", members, err)
	}
}
