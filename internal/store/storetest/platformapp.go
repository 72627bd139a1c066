package storetest

import (
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

func testPlatformApp(t *testing.T, s *store.Store) {
	ctx := t.Context()
	p := &baton.PlatformApp{Name: "Provisioner", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreatePlatformApp(ctx, p) })
	got, err := s.Read().FindPlatformApp(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "platform app", got, &baton.PlatformApp{ID: p.ID, Name: "Provisioner", CreatedAt: stored(at), UpdatedAt: stored(at)})
	_, err = s.Read().FindPlatformApp(ctx, p.ID+1000)
	wantNotFound(t, "FindPlatformApp of a missing id", err)

	other := &baton.PlatformApp{Name: "Other", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error {
		if err := q.CreatePlatformApp(ctx, other); err != nil {
			return err
		}
		for _, id := range []int64{30, 10, 20, 10} { // granting twice is no error
			if err := q.GrantPermissible(ctx, p.ID, baton.PermissibleAccount, id); err != nil {
				return err
			}
		}
		if err := q.GrantPermissible(ctx, p.ID, baton.PermissibleUser, 10); err != nil {
			return err
		}
		return q.GrantPermissible(ctx, other.ID, baton.PermissibleAccount, 40)
	})
	ids, err := s.Read().ListPermissibles(ctx, p.ID, baton.PermissibleAccount)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "permissible accounts", ids, []int64{10, 20, 30})
	for _, c := range []struct {
		app  int64
		kind string
		id   int64
		want bool
	}{
		{p.ID, baton.PermissibleAccount, 20, true},
		{p.ID, baton.PermissibleUser, 10, true},
		{p.ID, baton.PermissibleUser, 20, false},
		{p.ID, baton.PermissibleAgentBot, 10, false},
		{p.ID, baton.PermissibleAccount, 40, false},
		{other.ID, baton.PermissibleAccount, 40, true},
		{other.ID, baton.PermissibleAccount, 10, false},
	} {
		ok, err := s.Read().IsPermissible(ctx, c.app, c.kind, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if ok != c.want {
			t.Errorf("IsPermissible(%d, %s, %d) = %t, want %t", c.app, c.kind, c.id, ok, c.want)
		}
	}

	write(t, s, func(q *store.Queries) error { return q.DeletePermissibles(ctx, baton.PermissibleAccount, 10) })
	ids, err = s.Read().ListPermissibles(ctx, p.ID, baton.PermissibleAccount)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "permissible accounts after a delete", ids, []int64{20, 30})
	if ok, err := s.Read().IsPermissible(ctx, p.ID, baton.PermissibleUser, 10); err != nil || !ok {
		t.Errorf("deleting account 10 took user 10 with it: %t, %v", ok, err)
	}
	ids, err = s.Read().ListPermissibles(ctx, p.ID, baton.PermissibleAgentBot)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 0 {
		t.Errorf("permissible agent bots: %v, want none", ids)
	}

	// A grant to an app that does not exist breaks a foreign key.
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.GrantPermissible(ctx, p.ID+other.ID+1000, baton.PermissibleAccount, 1)
	})
	wantNotFound(t, "GrantPermissible to a missing app", err)
}
