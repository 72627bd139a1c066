package storetest

import (
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

func testUser(t *testing.T, s *store.Store) {
	ctx := t.Context()
	u := &baton.User{Name: "Alex", DisplayName: "Al", Email: unique("alex") + "@example.com", PasswordHash: "$2a$10$hash",
		Availability: baton.Busy, CustomAttributes: document(), CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateUser(ctx, u) })
	want := *u
	want.CreatedAt, want.UpdatedAt = stored(at), stored(at)
	got, err := s.Read().FindUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "user", got, &want)
	got, err = s.Read().FindUserByEmail(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "user by e-mail", got, &want)
	_, err = s.Read().FindUserByEmail(ctx, "nobody@example.com")
	wantNotFound(t, "FindUserByEmail of a missing e-mail", err)
	_, err = s.Read().FindUser(ctx, u.ID+1000)
	wantNotFound(t, "FindUser of a missing id", err)

	err = s.Write(ctx, func(q *store.Queries) error {
		return q.CreateUser(ctx, &baton.User{Name: "Twin", Email: u.Email, CreatedAt: at, UpdatedAt: at})
	})
	wantCode(t, "CreateUser with a taken e-mail", err, baton.ECONFLICT)

	other := newUser(t, s, 0)
	later := at.Add(1e9 + 7000)
	u.Name, u.DisplayName, u.Availability, u.CustomAttributes, u.UpdatedAt = "Alexandra", "", baton.Online, nil, later
	write(t, s, func(q *store.Queries) error { return q.UpdateUser(ctx, u) })
	want = *u
	want.CustomAttributes, want.CreatedAt, want.UpdatedAt = map[string]any{}, stored(at), stored(later)
	got, err = s.Read().FindUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "updated user", got, &want)

	taken := *u
	taken.Email = other.Email
	err = s.Write(ctx, func(q *store.Queries) error { return q.UpdateUser(ctx, &taken) })
	wantCode(t, "UpdateUser to a taken e-mail", err, baton.ECONFLICT)
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.UpdateUser(ctx, &baton.User{ID: u.ID + other.ID + 1000, Email: "x@y"})
	})
	wantNotFound(t, "UpdateUser of a missing id", err)

	write(t, s, func(q *store.Queries) error { return q.DeleteUser(ctx, u.ID) })
	_, err = s.Read().FindUser(ctx, u.ID)
	wantNotFound(t, "FindUser after delete", err)
	err = s.Write(ctx, func(q *store.Queries) error { return q.DeleteUser(ctx, u.ID) })
	wantNotFound(t, "DeleteUser twice", err)
	// The e-mail is free again.
	write(t, s, func(q *store.Queries) error {
		return q.CreateUser(ctx, &baton.User{Name: "Again", Email: u.Email, CreatedAt: at, UpdatedAt: at})
	})
}

func testAccountUser(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a, b := newAccount(t, s), newAccount(t, s)
	u, v := newUser(t, s, 0), newUser(t, s, 0)
	ia, ib := newInbox(t, s, a.ID), newInbox(t, s, b.ID)
	au := &baton.AccountUser{AccountID: a.ID, UserID: u.ID, Role: baton.RoleAdministrator, CreatedAt: at}
	write(t, s, func(q *store.Queries) error {
		if err := q.AddAccountUser(ctx, au); err != nil {
			return err
		}
		if err := q.AddAccountUser(ctx, &baton.AccountUser{AccountID: b.ID, UserID: u.ID, Role: baton.RoleAgent, CreatedAt: at}); err != nil {
			return err
		}
		if err := q.AddAccountUser(ctx, &baton.AccountUser{AccountID: a.ID, UserID: v.ID, Role: baton.RoleAgent, CreatedAt: at}); err != nil {
			return err
		}
		if err := q.AddInboxMembers(ctx, ia.ID, []int64{u.ID, v.ID}, 1); err != nil {
			return err
		}
		return q.AddInboxMembers(ctx, ib.ID, []int64{u.ID}, 1)
	})
	if au.ID == 0 {
		t.Fatal("AddAccountUser set no id")
	}
	got, err := s.Read().FindAccountUser(ctx, a.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantUser, err := s.Read().FindUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "account user", got, &baton.AccountUser{ID: au.ID, AccountID: a.ID, UserID: u.ID,
		Role: baton.RoleAdministrator, CreatedAt: stored(at), User: wantUser})

	// Adding a member again changes the role and keeps the membership.
	again := &baton.AccountUser{AccountID: a.ID, UserID: u.ID, Role: baton.RoleAgent, CreatedAt: at.Add(1e9)}
	write(t, s, func(q *store.Queries) error { return q.AddAccountUser(ctx, again) })
	if again.ID != au.ID {
		t.Errorf("AddAccountUser of a member made membership %d, want %d", again.ID, au.ID)
	}
	if got, err := s.Read().FindAccountUser(ctx, a.ID, u.ID); err != nil {
		t.Fatal(err)
	} else if got.Role != baton.RoleAgent {
		t.Errorf("role after a second add: %v, want agent", got.Role)
	}

	members, err := s.Read().ListAccountUsers(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range members {
		if m.User == nil || m.User.ID != m.UserID || m.AccountID != a.ID {
			t.Errorf("member %+v does not carry its user and account", m)
		}
		ids = append(ids, m.UserID)
	}
	same(t, "members of account a", ids, []int64{u.ID, v.ID})
	memberships, err := s.Read().ListUserAccounts(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	ids = nil
	for _, m := range memberships {
		ids = append(ids, m.AccountID)
	}
	same(t, "accounts of u", ids, []int64{a.ID, b.ID})

	_, err = s.Read().FindAccountUser(ctx, b.ID, v.ID)
	wantNotFound(t, "FindAccountUser of a non-member", err)
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.AddAccountUser(ctx, &baton.AccountUser{AccountID: a.ID + b.ID + 1000, UserID: u.ID, CreatedAt: at})
	})
	wantNotFound(t, "AddAccountUser to a missing account", err)

	// Leaving account a ends u's inbox memberships there, not in b.
	write(t, s, func(q *store.Queries) error { return q.RemoveAccountUser(ctx, a.ID, u.ID) })
	_, err = s.Read().FindAccountUser(ctx, a.ID, u.ID)
	wantNotFound(t, "FindAccountUser after remove", err)
	for _, c := range []struct {
		inbox, user int64
		want        bool
	}{{ia.ID, u.ID, false}, {ia.ID, v.ID, true}, {ib.ID, u.ID, true}} {
		if ok, err := s.Read().IsInboxMember(ctx, c.inbox, c.user); err != nil || ok != c.want {
			t.Errorf("IsInboxMember(%d, %d) after remove = %t, %v; want %t", c.inbox, c.user, ok, err, c.want)
		}
	}
	err = s.Write(ctx, func(q *store.Queries) error { return q.RemoveAccountUser(ctx, a.ID, u.ID) })
	wantNotFound(t, "RemoveAccountUser twice", err)

	// Deleting a user ends their memberships.
	write(t, s, func(q *store.Queries) error { return q.DeleteUser(ctx, v.ID) })
	if members, err := s.Read().ListAccountUsers(ctx, a.ID); err != nil || len(members) != 0 {
		t.Errorf("members of a after deleting v: %d, %v; want none", len(members), err)
	}
}

// testRemoveAccountUserLetsGo: a user who leaves an account leaves its
// teams and its conversations (assigned to nobody), not another account's.
func testRemoveAccountUserLetsGo(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th, other := newThread(t, s), newThread(t, s)
	u := newUser(t, s, th.account.ID)
	write(t, s, func(q *store.Queries) error {
		return q.AddAccountUser(ctx, &baton.AccountUser{AccountID: other.account.ID, UserID: u.ID, Role: baton.RoleAgent, CreatedAt: at})
	})
	team := &baton.Team{AccountID: th.account.ID, Name: unique("team"), CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error {
		if err := q.CreateTeam(ctx, team); err != nil {
			return err
		}
		if err := q.AddTeamMember(ctx, team.ID, u.ID, at.UnixMicro()); err != nil {
			return err
		}
		for _, c := range []*baton.Conversation{th.conversation, other.conversation} {
			c.AssigneeID = u.ID
			if err := q.UpdateConversation(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	write(t, s, func(q *store.Queries) error { return q.RemoveAccountUser(ctx, th.account.ID, u.ID) })
	for _, c := range []struct {
		conversation *baton.Conversation
		want         int64
	}{{th.conversation, 0}, {other.conversation, u.ID}} {
		got, err := s.Read().FindConversationByID(ctx, c.conversation.ID)
		if err != nil || got.AssigneeID != c.want {
			t.Errorf("conversation %d's assignee after the removal: %d, %v; want %d", c.conversation.ID, got.AssigneeID, err, c.want)
		}
	}
	// Back in the account, they are in no team of it.
	write(t, s, func(q *store.Queries) error {
		return q.AddAccountUser(ctx, &baton.AccountUser{AccountID: th.account.ID, UserID: u.ID, Role: baton.RoleAgent, CreatedAt: at})
	})
	if members, err := s.Read().TeamMembers(ctx, th.account.ID, team.ID); err != nil || len(members) != 0 {
		t.Errorf("the team's members after the removal and a return: %d, %v; want none", len(members), err)
	}
}
