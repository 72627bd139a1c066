package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// Two processes (two Apps on one database) see each other's viewers, and a
// viewer who stopped asking is forgotten after ViewingTTL.
func TestViewingAcrossProcesses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		clock := batontest.NewClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
		var cfg app.Config
		w := setup(t, s, func(c *app.Config) {
			c.Now = clock.Now
			cfg = *c
		})
		advance := clock.Add
		other := app.New(cfg) // a second process on the same database
		ada := w.admin
		sam := actAs(t, other, w.account.ID, fmt.Sprintf("sam%d@acme.test", w.account.ID), "administrator")
		c := w.customer(t, "cust")
		view := func(a *app.App, ctx context.Context, want ...string) {
			t.Helper()
			got, err := a.Viewing(ctx, w.account.ID, c.DisplayID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("viewing: got %q, want %q", got, want)
			}
		}
		adaName := fmt.Sprintf("admin%d@acme.test", w.account.ID)
		samName := fmt.Sprintf("sam%d@acme.test", w.account.ID)
		view(w.app, ada)          // alone
		view(other, sam, adaName) // Sam, on the other process, sees Ada
		advance(2 * time.Second)
		view(w.app, ada, samName) // and Ada sees Sam
		advance(app.ViewingTTL - time.Second)
		view(other, sam) // Ada stopped asking: forgotten
		advance(time.Second)
		view(w.app, ada, samName)
		// An agent who cannot see the conversation is told it is not found.
		if _, err := w.app.Viewing(w.agent, w.account.ID, c.DisplayID); err == nil {
			t.Fatal("an agent of no inbox viewed the conversation")
		}
		// Viewing rows are not for live clients.
		evs, _, err := w.app.LiveEventsSince(ada, 0, nil, 1000, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Name == "conversation.viewing" {
				t.Fatal("a viewing row reached live clients")
			}
		}
	})
}
