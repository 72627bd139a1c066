package app_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestSearchCannedResponses: an agent gets at most the limit asked for, in
// the search's order (short codes that start with it first); a limit out of
// bounds is refused with a message; another account's member is refused.
func TestSearchCannedResponses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		for i := range 30 {
			code, content := fmt.Sprintf("ship-%02d", i), fmt.Sprintf("Shipping answer %d", i)
			if _, err := w.app.CreateCannedResponse(w.admin, w.account.ID, app.CannedResponseInput{ShortCode: &code, Content: &content}); err != nil {
				t.Fatal(err)
			}
		}
		code, content := "hello", "Hello! Your ship-ping is on its way."
		if _, err := w.app.CreateCannedResponse(w.admin, w.account.ID, app.CannedResponseInput{ShortCode: &code, Content: &content}); err != nil {
			t.Fatal(err)
		}
		codes := func(search string, limit int) []string {
			t.Helper()
			cs, err := w.app.SearchCannedResponses(w.agent, w.account.ID, search, limit)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range cs {
				out = append(out, c.ShortCode)
			}
			return out
		}
		if got := codes("", 3); !slices.Equal(got, []string{"hello", "ship-00", "ship-01"}) {
			t.Errorf("the first 3: %q", got)
		}
		if got := codes("SHIP-2", 20); !slices.Equal(got, []string{"ship-20", "ship-21", "ship-22", "ship-23", "ship-24",
			"ship-25", "ship-26", "ship-27", "ship-28", "ship-29"}) {
			t.Errorf("SHIP-2: %q", got)
		}
		if got := codes("ship", 31); len(got) != 31 || got[30] != "hello" {
			t.Errorf("ship: the content's match comes last of 31: %q", got)
		}
		for _, limit := range []int{0, -1, app.MaxCannedChoices + 1} {
			_, err := w.app.SearchCannedResponses(w.agent, w.account.ID, "", limit)
			if baton.ErrorCode(err) != baton.EINVALID || baton.ErrorMessage(err) == "" {
				t.Errorf("limit %d: %v, want invalid with a message", limit, err)
			}
		}
		other, err := w.app.CreateAccount(batontest.System(), app.AccountInput{Name: ptr("Other")})
		if err != nil {
			t.Fatal(err)
		}
		stranger := actAs(t, w.app, other.ID, fmt.Sprintf("olga%d@other.test", other.ID), "administrator")
		// Refused as every account's thing is to a non-member (the surfaces
		// answer "not found").
		if cs, err := w.app.SearchCannedResponses(stranger, w.account.ID, "", 20); baton.ErrorCode(err) != baton.EUNAUTHORIZED || cs != nil {
			t.Errorf("another account's member: %d, %v, want refused", len(cs), err)
		}
	})
}

// TestCannedResponsesBounded: an account keeps at most
// app.MaxCannedResponses canned responses; any member could make them
// without end, and the settings page and GET canned_responses carry them
// all. One deleted makes room for another.
func TestCannedResponsesBounded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		ctx := t.Context()
		err := s.Write(ctx, func(q *store.Queries) error {
			for i := range app.MaxCannedResponses - 1 {
				c := &baton.CannedResponse{AccountID: w.account.ID, ShortCode: fmt.Sprintf("c%d", i), Content: "x"}
				if err := q.CreateCannedResponse(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		create := func(code string) (*baton.CannedResponse, error) {
			content := "The last one"
			return w.app.CreateCannedResponse(w.agent, w.account.ID, app.CannedResponseInput{ShortCode: &code, Content: &content})
		}
		last, err := create("last")
		if err != nil {
			t.Fatalf("the %dth: %v", app.MaxCannedResponses, err)
		}
		if _, err := create("one-more"); baton.ErrorCode(err) != baton.EINVALID {
			t.Fatalf("one more: %v, want invalid", err)
		}
		if err := w.app.DeleteCannedResponse(w.agent, w.account.ID, last.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := create("one-more"); err != nil {
			t.Fatalf("after a delete: %v", err)
		}
	})
}
