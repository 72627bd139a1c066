package app_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestWebhookURLChecked: under --webhook-block-private, an account
// webhook's URL and an API inbox's webhook_url are refused at create and
// update when they point at a private address, with a clear message, unless
// the account's allow-list names the host or holds the address.
func TestWebhookURLChecked(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, func(c *app.Config) { c.CheckOutgoingURL = delivery.CheckURL })
		acc := w.account.ID
		subs := &[]string{baton.EventMessageCreated}
		refused := func(err error, field string) {
			t.Helper()
			var e *baton.Error
			if baton.ErrorCode(err) != baton.EINVALID || !strings.Contains(err.Error(), "not allowed") {
				t.Fatalf("got %v, want a refusal", err)
			}
			if errors.As(err, &e) && !slices.Contains(e.Attributes, field) {
				t.Errorf("attributes %v, want %q", e.Attributes, field)
			}
		}
		_, err := w.app.CreateWebhook(w.admin, acc, app.WebhookInput{URL: ptr("http://127.0.0.1:5678/hook"), Subscriptions: subs})
		refused(err, "url")
		v, err := w.app.CreateWebhook(w.admin, acc, app.WebhookInput{URL: ptr("https://93.184.215.14/hook"), Subscriptions: subs})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.app.UpdateWebhook(w.admin, acc, v.Webhook.ID, app.WebhookInput{URL: ptr("http://10.1.2.3/hook")})
		refused(err, "url")
		_, err = w.app.UpdateInbox(w.admin, acc, w.api.ID, app.InboxInput{WebhookURL: ptr("http://192.168.1.9/in")})
		refused(err, "webhook_url")
		_, err = w.app.CreateInbox(w.admin, acc, app.InboxInput{Name: ptr("Bridge"), ChannelType: baton.ChannelAPI, WebhookURL: ptr("http://[::1]/in")})
		refused(err, "webhook_url")
		// An agent hears that they may not, not what the URL resolves to.
		if _, err := w.app.CreateWebhook(w.agent, acc, app.WebhookInput{URL: ptr("http://127.0.0.1/x"), Subscriptions: subs}); baton.ErrorCode(err) == baton.EINVALID {
			t.Errorf("an agent's create was checked before their role: %v", err)
		}
		// The allow-list lets named hosts' and listed ranges' URLs pass.
		if _, err := w.app.SetAllowedPrivate(w.admin, acc, []string{"10.0.0.0/8", "fd12::/16"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.app.UpdateWebhook(w.admin, acc, v.Webhook.ID, app.WebhookInput{URL: ptr("http://10.1.2.3/hook")}); err != nil {
			t.Errorf("an allowed range refused: %v", err)
		}
		if _, err := w.app.UpdateInbox(w.admin, acc, w.api.ID, app.InboxInput{WebhookURL: ptr("http://[fd12::1]:8080/in")}); err != nil {
			t.Errorf("an allowed address refused: %v", err)
		}
		_, err = w.app.UpdateInbox(w.admin, acc, w.api.ID, app.InboxInput{WebhookURL: ptr("http://192.168.1.9/in")})
		refused(err, "webhook_url")
	})
}

// TestWebhookURLsBounded: an account webhook's url and an API inbox's
// webhook_url longer than 2,048 characters are refused as too long, and
// nothing changes.
func TestWebhookURLsBounded(t *testing.T) {
	t.Parallel()
	w := setup(t, storetest.OpenSQLite(t))
	long := "https://example.com/" + strings.Repeat("a", 3000)
	tooLong := func(err error, field string) {
		t.Helper()
		var e *baton.Error
		if !errors.As(err, &e) || e.Code != baton.EINVALID || !strings.Contains(e.Message, "too long (maximum is 2048 characters)") ||
			!slices.Contains(e.Attributes, field) {
			t.Fatalf("got %v, want %s too long", err, field)
		}
	}
	_, err := w.app.CreateWebhook(w.admin, w.account.ID, app.WebhookInput{URL: &long, Subscriptions: &[]string{baton.EventMessageCreated}})
	tooLong(err, "url")
	_, err = w.app.UpdateInbox(w.admin, w.account.ID, w.api.ID, app.InboxInput{WebhookURL: &long})
	tooLong(err, "webhook_url")
	if i, err := w.app.Inbox(w.admin, w.account.ID, w.api.ID); err != nil || i.WebhookURL != "" {
		t.Fatalf("after the refusal the inbox's webhook_url is %q (%v)", i.WebhookURL, err)
	}
}

// TestWebhookLimitHoldsUnderConcurrency: with 95 webhooks, 20 creates at
// once leave exactly MaxWebhooks, and every create past the limit is
// refused with the limit's error, not let through by a count read before
// another create's insert.
func TestWebhookLimitHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		acc := w.account.ID
		create := func(i int) error {
			_, err := w.app.CreateWebhook(w.admin, acc, app.WebhookInput{URL: ptr(fmt.Sprintf("https://example.com/hook/%d", i)),
				Subscriptions: &[]string{baton.EventMessageCreated}})
			return err
		}
		const before, racing = app.MaxWebhooks - 5, 20
		for i := range before {
			if err := create(i); err != nil {
				t.Fatal(err)
			}
		}
		errs := make(chan error, racing)
		start := make(chan struct{})
		for i := range racing {
			go func() {
				<-start
				errs <- create(before + i)
			}()
		}
		close(start)
		created := 0
		for range racing {
			err := <-errs
			switch {
			case err == nil:
				created++
			case baton.ErrorCode(err) == baton.EINVALID && strings.Contains(err.Error(), "at most 100 webhooks"):
			default:
				t.Errorf("a create failed otherwise than at the limit: %v", err)
			}
		}
		if created != app.MaxWebhooks-before {
			t.Errorf("%d of the %d creates succeeded, want %d", created, racing, app.MaxWebhooks-before)
		}
		all, err := w.app.Webhooks(w.admin, acc)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != app.MaxWebhooks {
			t.Errorf("the account has %d webhooks, want %d", len(all), app.MaxWebhooks)
		}
	})
}
