package storetest

import (
	"bytes"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

func testAccessToken(t *testing.T, s *store.Store) {
	ctx := t.Context()
	hash := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	// Bytes that are not text: a zero, high bits.
	first := store.AccessToken{OwnerType: store.OwnerUser, OwnerID: 7, Hash: append(hash(1), 0, 0xff), Sealed: []byte{0, 1, 0xfe, 0xff, 'x'}}
	write(t, s, func(q *store.Queries) error { return q.SetAccessToken(ctx, first, at) })
	got, err := s.Read().FindAccessTokenByHash(ctx, first.Hash)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "token by hash", got, &first)
	got, err = s.Read().FindAccessToken(ctx, store.OwnerUser, 7)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "token by owner", got, &first)

	// The same owner id of another type is another owner.
	bot := store.AccessToken{OwnerType: store.OwnerAgentBot, OwnerID: 7, Hash: hash(2), Sealed: []byte("bot")}
	write(t, s, func(q *store.Queries) error { return q.SetAccessToken(ctx, bot, at) })

	// Replacing a token: the old hash no longer finds anything.
	second := store.AccessToken{OwnerType: store.OwnerUser, OwnerID: 7, Hash: hash(3), Sealed: []byte("second")}
	write(t, s, func(q *store.Queries) error { return q.SetAccessToken(ctx, second, at.Add(1e9)) })
	_, err = s.Read().FindAccessTokenByHash(ctx, first.Hash)
	wantNotFound(t, "the replaced token", err)
	got, err = s.Read().FindAccessTokenByHash(ctx, second.Hash)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "the new token", got, &second)
	got, err = s.Read().FindAccessToken(ctx, store.OwnerUser, 7)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "the new token by owner", got, &second)
	if n := count(t, s, `SELECT COUNT(*) FROM access_tokens WHERE owner_type = $1 AND owner_id = $2`, store.OwnerUser, 7); n != 1 {
		t.Errorf("the owner has %d tokens, want 1", n)
	}
	got, err = s.Read().FindAccessTokenByHash(ctx, bot.Hash)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "the bot's token", got, &bot)

	// A hash belongs to one owner.
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.SetAccessToken(ctx, store.AccessToken{OwnerType: store.OwnerPlatformApp, OwnerID: 1, Hash: second.Hash, Sealed: []byte("x")}, at)
	})
	wantCode(t, "SetAccessToken with a taken hash", err, baton.ECONFLICT)

	_, err = s.Read().FindAccessToken(ctx, store.OwnerPlatformApp, 7)
	wantNotFound(t, "FindAccessToken of an owner without one", err)
	write(t, s, func(q *store.Queries) error { return q.DeleteAccessToken(ctx, store.OwnerUser, 7) })
	_, err = s.Read().FindAccessTokenByHash(ctx, second.Hash)
	wantNotFound(t, "a deleted token", err)
	if _, err := s.Read().FindAccessTokenByHash(ctx, bot.Hash); err != nil {
		t.Errorf("deleting the user's token took the bot's: %v", err)
	}
}
