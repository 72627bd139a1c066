package app

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// Webhook endpoints: account webhooks, as Chatwoot's /webhooks API has
// them, and the webhook an API channel inbox's webhook_url names. Both are
// delivery targets beside bots (see emitTo); administrators see and repair
// their delivery log as a bot's.

// WebhookInput is what a create or update of an account webhook sets; nil
// fields are left as they are.
type WebhookInput struct {
	Name          *string
	URL           *string
	Subscriptions *[]string
	InboxID       *int64 // 0: every inbox
}

// WebhookView is a webhook with its signing secret, shown to
// administrators.
type WebhookView struct {
	Webhook *baton.Webhook
	Secret  string
}

// MaxWebhooks is the most webhooks an account may have.
const MaxWebhooks = 100

// webhookView opens the webhook's secret.
func (a *App) webhookView(ctx context.Context, q *store.Queries, w *baton.Webhook) (*WebhookView, error) {
	v := &WebhookView{Webhook: w}
	sealed, err := q.WebhookSecret(ctx, w.ID)
	if err != nil || sealed == nil {
		return v, err
	}
	if v.Secret, err = a.key.Open(sealed); err != nil {
		return nil, err
	}
	return v, nil
}

// apply checks the input and sets it on w.
func (in WebhookInput) apply(ctx context.Context, q *store.Queries, w *baton.Webhook) error {
	if in.Name != nil {
		w.Name = strings.TrimSpace(*in.Name)
		if len(w.Name) > 255 {
			return baton.Invalid("Name is too long (maximum is 255 characters)", "name")
		}
	}
	if in.URL != nil {
		w.URL = strings.TrimSpace(*in.URL)
	}
	if w.URL == "" {
		return baton.Invalid("Url can't be blank", "url")
	}
	if err := baton.TooLong("url", "Url", w.URL, baton.MaxWebhookURLLength); err != nil {
		return err
	}
	if !validHTTPURL(w.URL) {
		return baton.Invalid("Url is invalid", "url")
	}
	if in.Subscriptions != nil {
		subs := []string{}
		for _, s := range *in.Subscriptions {
			if !slices.Contains(baton.WebhookEvents, s) {
				return baton.Invalid(fmt.Sprintf("Subscriptions has an unknown event %q (known: %s)", s,
					strings.Join(baton.WebhookEvents, ", ")), "subscriptions")
			}
			if !slices.Contains(subs, s) {
				subs = append(subs, s)
			}
		}
		w.Subscriptions = subs
	}
	if len(w.Subscriptions) == 0 {
		return baton.Invalid("Subscriptions must name at least one event", "subscriptions")
	}
	if in.InboxID != nil {
		w.InboxID = *in.InboxID
		if w.InboxID != 0 {
			if _, err := q.FindInbox(ctx, w.AccountID, w.InboxID); baton.ErrorCode(err) == baton.ENOTFOUND {
				return baton.Invalid("Inbox does not exist", "inbox_id")
			} else if err != nil {
				return err
			}
		}
	}
	return nil
}

// Webhooks lists the account's webhooks with their secrets: account
// webhooks and API inboxes' webhooks. Administrators only.
func (a *App) Webhooks(ctx context.Context, accountID int64) ([]*WebhookView, error) {
	q := a.store.Read()
	if err := a.adminOf(ctx, q, accountID); err != nil {
		return nil, err
	}
	ws, err := q.ListWebhooks(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]*WebhookView, 0, len(ws))
	for _, w := range ws {
		v, err := a.webhookView(ctx, q, w)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// vetWebhookURL refuses, for an administrator of the account, a webhook
// URL the installation does not send to (--webhook-block-private) unless
// the account's allow-list names its host or holds the address it
// resolves to: the courtesy check bots' URLs get, answered on field. It
// runs outside transactions: it may resolve a name. The check at connect
// time is the guarantee.
func (a *App) vetWebhookURL(ctx context.Context, accountID int64, rawURL *string, field string) error {
	if a.checkURL == nil || rawURL == nil || strings.TrimSpace(*rawURL) == "" {
		return nil
	}
	q := a.store.Read()
	if err := a.adminOf(ctx, q, accountID); err != nil {
		return err
	}
	raw := strings.TrimSpace(*rawURL)
	err := a.checkURL(ctx, raw)
	if err == nil {
		return nil
	}
	acc, aerr := q.FindAccount(ctx, accountID)
	if aerr != nil {
		return aerr
	}
	if allowedPrivate(acc.AllowedPrivate(), raw, err) {
		return nil
	}
	return baton.Invalid("Url is not allowed: "+err.Error(), field)
}

// allowedPrivate reports whether an allow-list lets a URL's refused
// address pass: by the URL's host name, or by the address refused.
func allowedPrivate(list []string, rawURL string, refused error) bool {
	host := ""
	if u, err := url.Parse(rawURL); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	var pa interface{ Addr() netip.Addr }
	hasAddr := errors.As(refused, &pa)
	for _, e := range list {
		if e == host {
			return true
		}
		if !hasAddr {
			continue
		}
		if p, ok := baton.AllowPrefix(e); ok && p.Contains(pa.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// CreateWebhook makes an account webhook with a new signing secret.
// Administrators only.
func (a *App) CreateWebhook(ctx context.Context, accountID int64, in WebhookInput) (*WebhookView, error) {
	if err := a.vetWebhookURL(ctx, accountID, in.URL, "url"); err != nil {
		return nil, err
	}
	var v *WebhookView
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		now := a.Now()
		w := &baton.Webhook{AccountID: accountID, Kind: baton.WebhookAccount, CreatedAt: now, UpdatedAt: now}
		if err := in.apply(ctx, q, w); err != nil {
			return err
		}
		// The count and the insert take turns with other creates of the
		// account, or two could each see 99 and make 101.
		if err := q.LockAccount(ctx, accountID); err != nil {
			return err
		}
		all, err := q.ListWebhooks(ctx, accountID)
		if err != nil {
			return err
		}
		if len(all) >= MaxWebhooks {
			return baton.Invalid(fmt.Sprintf("An account has at most %d webhooks", MaxWebhooks), "url")
		}
		if err := q.CreateWebhook(ctx, w, a.key.Seal(auth.RandomString(24))); err != nil {
			return err
		}
		v, err = a.webhookView(ctx, q, w)
		return err
	})
	return v, err
}

// changeWebhook runs change on one of the account's webhooks, for an
// administrator, and returns it after.
func (a *App) changeWebhook(ctx context.Context, accountID, id int64, change func(q *store.Queries, w *baton.Webhook) error) (*WebhookView, error) {
	var v *WebhookView
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		w, err := q.FindWebhook(ctx, accountID, id)
		if err != nil {
			return err
		}
		if err := change(q, w); err != nil {
			return err
		}
		v, err = a.webhookView(ctx, q, w)
		return err
	})
	return v, err
}

// errInboxWebhook refuses changing an API inbox's webhook as an account
// webhook: its URL is the inbox's webhook_url.
var errInboxWebhook = baton.Invalid("This webhook is an API inbox's webhook_url: change it through the inbox", "url")

// UpdateWebhook changes an account webhook. Administrators only.
func (a *App) UpdateWebhook(ctx context.Context, accountID, id int64, in WebhookInput) (*WebhookView, error) {
	if err := a.vetWebhookURL(ctx, accountID, in.URL, "url"); err != nil {
		return nil, err
	}
	return a.changeWebhook(ctx, accountID, id, func(q *store.Queries, w *baton.Webhook) error {
		if w.Kind != baton.WebhookAccount {
			return errInboxWebhook
		}
		if err := in.apply(ctx, q, w); err != nil {
			return err
		}
		w.UpdatedAt = a.Now()
		return q.UpdateWebhook(ctx, w)
	})
}

// ResetWebhookSecret gives a webhook a new signing secret, at once.
// Administrators only.
func (a *App) ResetWebhookSecret(ctx context.Context, accountID, id int64) (*WebhookView, error) {
	return a.changeWebhook(ctx, accountID, id, func(q *store.Queries, w *baton.Webhook) error {
		return q.SetWebhookSecret(ctx, w.ID, a.key.Seal(auth.RandomString(24)))
	})
}

// DeleteWebhook deletes an account webhook with its delivery log.
// Administrators only.
func (a *App) DeleteWebhook(ctx context.Context, accountID, id int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		w, err := q.FindWebhook(ctx, accountID, id)
		if err != nil {
			return err
		}
		if w.Kind != baton.WebhookAccount {
			return errInboxWebhook
		}
		return q.DeleteWebhook(ctx, w.ID)
	})
}

// syncInboxWebhook keeps an API inbox's webhook in step with its
// webhook_url, in the transaction that set it: a URL starts delivery, a
// new one re-points it (what is pending goes to the new URL, in order),
// and none stops it (the webhook and its log go).
func (a *App) syncInboxWebhook(ctx context.Context, q *store.Queries, i *baton.Inbox) error {
	if i.ChannelType != baton.ChannelAPI {
		return nil
	}
	w, err := q.APIInboxWebhook(ctx, i.ID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		w, err = nil, nil
	}
	if err != nil {
		return err
	}
	now := a.Now()
	switch {
	case w == nil && i.WebhookURL == "":
		return nil
	case w == nil:
		w = &baton.Webhook{AccountID: i.AccountID, InboxID: i.ID, Kind: baton.WebhookAPIInbox, Name: i.Name,
			URL: i.WebhookURL, Subscriptions: []string{}, CreatedAt: now, UpdatedAt: now}
		return q.CreateWebhook(ctx, w, a.key.Seal(auth.RandomString(24)))
	case i.WebhookURL == "":
		return q.DeleteWebhook(ctx, w.ID)
	case w.URL != i.WebhookURL || w.Name != i.Name:
		w.URL, w.Name, w.UpdatedAt = i.WebhookURL, i.Name, now
		return q.UpdateWebhook(ctx, w)
	}
	return nil
}

// MaxAllowedPrivate is the most entries the allow-list holds.
const MaxAllowedPrivate = 50

// AllowedPrivate returns the account's allow-list of private hosts and
// ranges. Administrators only.
func (a *App) AllowedPrivate(ctx context.Context, accountID int64) ([]string, error) {
	q := a.store.Read()
	if err := a.adminOf(ctx, q, accountID); err != nil {
		return nil, err
	}
	acc, err := q.FindAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return acc.AllowedPrivate(), nil
}

// SetAllowedPrivate replaces the account's allow-list of private hosts
// (names, as the targets' URLs spell them) and ranges (an address or a
// CIDR range). Administrators only; entries that baton.OperatorOnlyEntry
// names only the operator (the system actor) adds.
func (a *App) SetAllowedPrivate(ctx context.Context, accountID int64, entries []string) ([]string, error) {
	list := []string{}
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" || slices.Contains(list, e) {
			continue
		}
		if !validAllowEntry(e) {
			return nil, baton.Invalid(fmt.Sprintf("%q is neither a host name, an address nor a CIDR range", e), "allowed_private")
		}
		list = append(list, e)
	}
	if len(list) > MaxAllowedPrivate {
		return nil, baton.Invalid(fmt.Sprintf("The list holds at most %d entries", MaxAllowedPrivate), "allowed_private")
	}
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		acc, err := q.FindAccount(ctx, accountID)
		if err != nil {
			return err
		}
		// An administrator keeps the operator's entries but adds none like
		// them: the machine itself and the cloud's metadata service stay
		// the operator's to open.
		if baton.ActorFromContext(ctx).Kind != baton.ActorSystem {
			for _, e := range list {
				if baton.OperatorOnlyEntry(e) && !slices.Contains(acc.AllowedPrivate(), e) {
					return baton.Invalid(fmt.Sprintf("%q reaches this machine or a cloud's metadata service (loopback, link-local, unspecified, multicast or a metadata address); only the operator may allow it", e), "allowed_private")
				}
			}
		}
		if acc.Settings == nil {
			acc.Settings = map[string]any{}
		}
		anyList := make([]any, len(list))
		for i, e := range list {
			anyList[i] = e
		}
		acc.Settings[baton.SettingAllowedPrivate] = anyList
		acc.UpdatedAt = a.Now()
		return q.UpdateAccount(ctx, acc)
	})
	return list, err
}

// validAllowEntry reports whether an allow-list entry is an address, a
// CIDR range or a host name.
func validAllowEntry(e string) bool {
	if _, ok := baton.AllowPrefix(e); ok {
		return true
	}
	if len(e) > 253 {
		return false
	}
	for _, label := range strings.Split(e, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
