package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

func testSession(t *testing.T, s *store.Store) {
	ctx := t.Context()
	u := &baton.User{Name: "Alex", Email: "alex@acme.test", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateUser(ctx, u) })
	hash := func(b byte) []byte { return append(bytes.Repeat([]byte{b}, 31), 0) }

	web := &store.Session{UserID: u.ID, Kind: store.SessionWeb, Hash: hash(1), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	write(t, s, func(q *store.Queries) error { return q.CreateSession(ctx, web) })
	if web.ID == 0 {
		t.Fatal("CreateSession set no id")
	}
	got, err := s.Read().FindSessionByHash(ctx, web.Hash)
	if err != nil {
		t.Fatal(err)
	}
	want := *web
	want.CreatedAt, want.ExpiresAt = stored(at), stored(at.Add(time.Hour))
	same(t, "web session", got, &want)

	// A device signing in again with its client id replaces its session;
	// another client keeps its own.
	dev := &store.Session{UserID: u.ID, Kind: store.SessionDevice, Client: "c1", Hash: hash(2), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	other := &store.Session{UserID: u.ID, Kind: store.SessionDevice, Client: "c2", Hash: hash(3), CreatedAt: at, ExpiresAt: at.Add(-time.Hour)}
	again := &store.Session{UserID: u.ID, Kind: store.SessionDevice, Client: "c1", Hash: hash(4), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	for _, x := range []*store.Session{dev, other, again} {
		write(t, s, func(q *store.Queries) error { return q.CreateSession(ctx, x) })
	}
	_, err = s.Read().FindSessionByHash(ctx, dev.Hash)
	wantNotFound(t, "the replaced device session", err)
	if _, err := s.Read().FindSessionByHash(ctx, again.Hash); err != nil {
		t.Fatal(err)
	}

	// Expired sessions are pruned; the others stay.
	var n int64
	write(t, s, func(q *store.Queries) (err error) { n, err = q.DeleteExpiredSessions(ctx, at); return err })
	if n != 1 {
		t.Errorf("pruned %d sessions, want 1", n)
	}
	_, err = s.Read().FindSessionByHash(ctx, other.Hash)
	wantNotFound(t, "the expired session", err)

	// Signing out ends one session; a second sign-out finds nothing.
	write(t, s, func(q *store.Queries) error { return q.DeleteSession(ctx, web.Hash) })
	_, err = s.Read().FindSessionByHash(ctx, web.Hash)
	wantNotFound(t, "the ended session", err)
	err = s.Write(ctx, func(q *store.Queries) error { return q.DeleteSession(ctx, web.Hash) })
	wantNotFound(t, "a second sign-out", err)

	// A new password ends every session but the one it came through; the
	// other user's stay.
	keep := &store.Session{UserID: u.ID, Kind: store.SessionWeb, Hash: hash(5), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	v := &baton.User{Name: "Vera", Email: "vera@acme.test", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateUser(ctx, v) })
	hers := &store.Session{UserID: v.ID, Kind: store.SessionWeb, Hash: hash(6), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	for _, x := range []*store.Session{keep, hers} {
		write(t, s, func(q *store.Queries) error { return q.CreateSession(ctx, x) })
	}
	write(t, s, func(q *store.Queries) error { return q.DeleteOtherSessions(ctx, u.ID, keep.Hash) })
	_, err = s.Read().FindSessionByHash(ctx, again.Hash)
	wantNotFound(t, "another session of the user", err)
	for _, x := range []*store.Session{keep, hers} {
		if _, err := s.Read().FindSessionByHash(ctx, x.Hash); err != nil {
			t.Errorf("session %x after the others ended: %v", x.Hash[0], err)
		}
	}

	// Deleting the user ends their sessions.
	write(t, s, func(q *store.Queries) error { return q.DeleteUser(ctx, u.ID) })
	_, err = s.Read().FindSessionByHash(ctx, keep.Hash)
	wantNotFound(t, "a deleted user's session", err)
}
