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

// testTokenOwner: a token read with its owner, a user's or a bot's, in one
// statement; other owners' tokens and tokens whose owner is gone come
// without one.
func testTokenOwner(t *testing.T, s *store.Store) {
	ctx := t.Context()
	acc := newAccount(t, s)
	u := newUser(t, s, acc.ID)
	bot := newAgentBot(t, s, acc.ID)
	tokens := map[string]store.AccessToken{
		"user":         {OwnerType: store.OwnerUser, OwnerID: u.ID, Hash: bytes.Repeat([]byte{1}, 32), Sealed: []byte("u")},
		"bot":          {OwnerType: store.OwnerAgentBot, OwnerID: bot, Hash: bytes.Repeat([]byte{2}, 32), Sealed: []byte("b")},
		"platform app": {OwnerType: store.OwnerPlatformApp, OwnerID: u.ID, Hash: bytes.Repeat([]byte{3}, 32), Sealed: []byte("p")},
		"gone user":    {OwnerType: store.OwnerUser, OwnerID: u.ID + 1000, Hash: bytes.Repeat([]byte{4}, 32), Sealed: []byte("g")},
	}
	write(t, s, func(q *store.Queries) error {
		for _, tok := range tokens {
			if err := q.SetAccessToken(ctx, tok, at); err != nil {
				return err
			}
		}
		return nil
	})
	owner := func(name string) *store.TokenOwner {
		t.Helper()
		tok := tokens[name]
		o, err := s.Read().FindTokenOwner(ctx, tok.Hash)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		same(t, name+"'s token", o.Token, &tok)
		return o
	}
	if o := owner("user"); o.Bot != nil || o.User == nil || o.User.ID != u.ID || o.User.Email != u.Email || o.User.Name != u.Name {
		t.Errorf("a user's token: user %+v, bot %+v", o.User, o.Bot)
	}
	if o := owner("bot"); o.User != nil || o.Bot == nil || o.Bot.ID != bot || o.Bot.Name != "Bot" || o.Bot.AccountID != acc.ID {
		t.Errorf("a bot's token: user %+v, bot %+v", o.User, o.Bot)
	}
	if o := owner("platform app"); o.User != nil || o.Bot != nil {
		t.Errorf("a platform app's token came with an owner: user %+v, bot %+v", o.User, o.Bot)
	}
	if o := owner("gone user"); o.User != nil || o.Bot != nil {
		t.Errorf("a token whose user is gone came with an owner: user %+v, bot %+v", o.User, o.Bot)
	}
	_, err := s.Read().FindTokenOwner(ctx, bytes.Repeat([]byte{9}, 32))
	wantNotFound(t, "an unknown token", err)
}
