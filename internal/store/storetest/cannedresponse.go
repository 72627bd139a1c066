package storetest

import (
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// testCannedResponse: a canned response round-trips, its short code is
// unique in its account, an account's are counted, a search matches short code or content in any
// case with short codes that start with it first, a limit keeps the first
// ones of that order, another account's is not found, and an account's go
// with it.
func testCannedResponse(t *testing.T, s *store.Store) {
	ctx := t.Context()
	acc := newAccount(t, s)
	add := func(accountID int64, code, content string) (*baton.CannedResponse, error) {
		c := &baton.CannedResponse{AccountID: accountID, ShortCode: code, Content: content, CreatedAt: at, UpdatedAt: at}
		return c, s.Write(ctx, func(q *store.Queries) error { return q.CreateCannedResponse(ctx, c) })
	}
	refund, err := add(acc.ID, "refund", "Your refund is on its way.")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Read().FindCannedResponse(ctx, acc.ID, refund.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *refund
	want.CreatedAt, want.UpdatedAt = stored(at), stored(at)
	same(t, "canned response", got, &want)

	_, err = add(acc.ID, "refund", "Again")
	wantCode(t, "CreateCannedResponse with a taken short code", err, baton.ECONFLICT)
	if baton.ErrorMessage(err) != "Short code has already been taken" {
		t.Errorf("taken short code: message %q", baton.ErrorMessage(err))
	}
	hello, err := add(acc.ID, "hello", "Hi! About your REFUND: 100% done_ok.")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := add(acc.ID, "bye", "Goodbye, Émile"); err != nil {
		t.Fatal(err)
	}
	other := newAccount(t, s)
	if _, err := add(other.ID, "refund", "Another account's refund"); err != nil {
		t.Errorf("the same short code in another account: %v", err)
	}

	codes := func(search string, limit ...int) []string {
		t.Helper()
		cs, err := s.Read().ListCannedResponses(ctx, acc.ID, search, append(limit, 0)[0])
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ShortCode)
		}
		return out
	}
	same(t, "all", codes(""), []string{"bye", "hello", "refund"})
	if n, err := s.Read().CountCannedResponses(ctx, acc.ID); err != nil || n != 3 {
		t.Errorf("CountCannedResponses: %d, %v, want 3", n, err)
	}
	same(t, "search REF (short code first)", codes("REF"), []string{"refund", "hello"})
	same(t, "search by content", codes("goodbye"), []string{"bye"})
	same(t, "search with a wildcard is literal", codes("100%"), []string{"hello"})
	same(t, "search with an underscore is literal", codes("f_n"), []string{})
	same(t, "search with no match", codes("zzz"), []string{})
	same(t, "the first two", codes("", 2), []string{"bye", "hello"})
	same(t, "search REF, the first one (short code first)", codes("ref", 1), []string{"refund"})
	// Each database lowers the search as it lowers the text: what a
	// response spells finds it, whatever LOWER makes of its letters.
	same(t, "search with a capital not ASCII, as written", codes("Émile"), []string{"bye"})
	same(t, "search with a capital not ASCII, other letters in any case", codes("ÉMILE"), []string{"bye"})

	_, err = s.Read().FindCannedResponse(ctx, other.ID, refund.ID)
	wantNotFound(t, "FindCannedResponse of another account", err)
	err = s.Write(ctx, func(q *store.Queries) error { return q.DeleteCannedResponse(ctx, other.ID, refund.ID) })
	wantNotFound(t, "DeleteCannedResponse of another account", err)
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.UpdateCannedResponse(ctx, &baton.CannedResponse{ID: refund.ID, AccountID: other.ID, ShortCode: "x", Content: "x"})
	})
	wantNotFound(t, "UpdateCannedResponse of another account", err)

	hello.ShortCode = "refund"
	err = s.Write(ctx, func(q *store.Queries) error { return q.UpdateCannedResponse(ctx, hello) })
	wantCode(t, "UpdateCannedResponse to a taken short code", err, baton.ECONFLICT)
	hello.ShortCode, hello.Content, hello.UpdatedAt = "hi", "Hello there", at.Add(1)
	write(t, s, func(q *store.Queries) error { return q.UpdateCannedResponse(ctx, hello) })
	if got, err := s.Read().FindCannedResponse(ctx, acc.ID, hello.ID); err != nil || got.ShortCode != "hi" ||
		got.Content != "Hello there" || !got.UpdatedAt.Equal(stored(at.Add(1))) {
		t.Errorf("after update: %+v, %v", got, err)
	}

	write(t, s, func(q *store.Queries) error { return q.DeleteCannedResponse(ctx, acc.ID, refund.ID) })
	same(t, "after delete", codes(""), []string{"bye", "hi"})
	write(t, s, func(q *store.Queries) error { return q.DeleteAccount(ctx, acc.ID) })
	if n := count(t, s, `SELECT COUNT(*) FROM canned_responses WHERE account_id = $1`, acc.ID); n != 0 {
		t.Errorf("%d canned responses of a deleted account", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM canned_responses WHERE account_id = $1`, other.ID); n != 1 {
		t.Errorf("another account has %d canned responses, want 1", n)
	}
}
