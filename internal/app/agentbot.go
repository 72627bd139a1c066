package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// AgentBotInput holds the fields of a bot create or update; nil fields are
// left as they are.
type AgentBotInput struct {
	Name        *string
	Description *string
	OutgoingURL *string
	BotConfig   map[string]any
	Avatar      *FileInput

	// Baton's failure policy for the bot (beyond Chatwoot).
	HandoffDeadline      *time.Duration
	KeepPendingOnFailure *bool
	OpenWhileBreakerOpen *bool
}

// Bounds of a bot's handoff deadline.
const (
	MinHandoffDeadline = time.Second
	MaxHandoffDeadline = 24 * time.Hour
)

// MaxAvatarBytes is the largest avatar accepted, as Chatwoot's.
const MaxAvatarBytes = 15 << 20

func (in AgentBotInput) apply(b *baton.AgentBot) error {
	if in.Name != nil {
		b.Name = strings.TrimSpace(*in.Name)
	}
	if b.Name == "" {
		return baton.Invalid("Name can't be blank", "name")
	}
	if len(b.Name) > 255 {
		return baton.Invalid("Name is too long (maximum is 255 characters)", "name")
	}
	if in.Description != nil {
		b.Description = strings.TrimSpace(*in.Description)
	}
	if in.OutgoingURL != nil {
		// Kept verbatim: bots such as the Botpress bridge carry their
		// configuration in the query string.
		b.OutgoingURL = strings.TrimSpace(*in.OutgoingURL)
	}
	if len(b.OutgoingURL) > baton.MaxOutgoingURLLength {
		return baton.Invalid("Outgoing url is too long (maximum is 2048 characters)", "outgoing_url")
	}
	if b.OutgoingURL != "" {
		u, err := url.Parse(b.OutgoingURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return baton.Invalid("Outgoing url must be an http or https URL", "outgoing_url")
		}
	}
	if in.BotConfig != nil {
		b.BotConfig = in.BotConfig
	}
	if d := in.HandoffDeadline; d != nil {
		if *d < MinHandoffDeadline || *d > MaxHandoffDeadline {
			return baton.Invalid("Handoff deadline must be between 1 second and 24 hours", "handoff_deadline_seconds")
		}
		b.HandoffDeadline = *d
	}
	if in.KeepPendingOnFailure != nil {
		b.KeepPendingOnFailure = *in.KeepPendingOnFailure
	}
	if in.OpenWhileBreakerOpen != nil {
		b.OpenWhileBreakerOpen = *in.OpenWhileBreakerOpen
	}
	return nil
}

// AgentBotView is a bot with the secrets the caller may see: the token to
// administrators of its own account (or the platform app that made it, or
// the system), the signing secret likewise.
type AgentBotView struct {
	Bot         *baton.AgentBot
	AccessToken string
	Secret      string
}

// view returns the bot with its token and secret when showSecrets.
func (a *App) view(ctx context.Context, q *store.Queries, b *baton.AgentBot, showSecrets bool) (*AgentBotView, error) {
	v := &AgentBotView{Bot: b}
	if !showSecrets {
		return v, nil
	}
	var err error
	if v.AccessToken, err = a.token(ctx, q, store.OwnerAgentBot, b.ID); err != nil {
		return nil, err
	}
	sealed, _, err := q.AgentBotSecrets(ctx, b.ID, a.Now())
	if err != nil {
		return nil, err
	}
	if sealed != nil {
		if v.Secret, err = a.key.Open(sealed); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// views returns the bots' views, each with its secrets when showSecrets
// says so.
func (a *App) views(ctx context.Context, q *store.Queries, bots []*baton.AgentBot, showSecrets func(b *baton.AgentBot) bool) ([]*AgentBotView, error) {
	out := make([]*AgentBotView, 0, len(bots))
	for _, b := range bots {
		v, err := a.view(ctx, q, b, showSecrets(b))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ownsBot reports whether the caller administers the bot's account, and
// so sees its secrets.
func (s *scope) ownsBot(b *baton.AgentBot) bool {
	return s.role == baton.RoleAdministrator && b.AccountID == s.account.ID
}

// vetURL refuses an outgoing URL the installation does not send to. It
// runs outside transactions: it may resolve a name.
func (a *App) vetURL(ctx context.Context, rawURL string) error {
	if a.checkURL == nil || rawURL == "" {
		return nil
	}
	if err := a.checkURL(ctx, rawURL); err != nil {
		return baton.Invalid("Outgoing url is not allowed: "+err.Error(), "outgoing_url")
	}
	return nil
}

// vetInput is vetURL for the URL a create or update sets, if any.
func (a *App) vetInput(ctx context.Context, in AgentBotInput) error {
	if in.OutgoingURL == nil {
		return nil
	}
	return a.vetURL(ctx, strings.TrimSpace(*in.OutgoingURL))
}

// vetConnect is vetURL for a bot about to be connected to an inbox of the
// account (any account when accountID is 0). A bot not usable there is
// left for the transaction to report as not found.
func (a *App) vetConnect(ctx context.Context, accountID, botID int64) error {
	if a.checkURL == nil || botID == 0 {
		return nil
	}
	b, err := a.store.Read().FindAgentBot(ctx, botID)
	if err != nil || (accountID != 0 && !b.Global() && b.AccountID != accountID) {
		return nil
	}
	return a.vetURL(ctx, b.OutgoingURL)
}

// createAgentBot makes a bot with its token and secret.
func (a *App) createAgentBot(ctx context.Context, q *store.Queries, b *baton.AgentBot, avatar []stored) error {
	if len(avatar) > 0 {
		b.AvatarKey = avatar[0].key
	}
	if err := q.CreateAgentBot(ctx, b, a.key.Seal(auth.RandomString(24))); err != nil {
		return err
	}
	_, err := a.setToken(ctx, q, store.OwnerAgentBot, b.ID)
	return err
}

// storeAvatar writes an uploaded avatar: an image of at most 15 MB. What
// it is, is read from its first bytes, never taken from the client's
// content type or file name: an HTML or SVG file called avatar.png is
// refused before anything is written. The key's extension is the sniffed
// type's, and serveAvatar sends the file as that type.
func (a *App) storeAvatar(ctx context.Context, f *FileInput) ([]stored, error) {
	if f == nil {
		return nil, nil
	}
	if a.files == nil {
		return nil, baton.Invalid("Avatars are not enabled", "avatar")
	}
	var head [imageHeadBytes]byte
	n, err := io.ReadFull(f.Body, head[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("read avatar: %w", err)
	}
	ct, ext := sniffImage(head[:n])
	if ct == "" {
		return nil, baton.Invalid("Avatar must be a PNG, JPEG, GIF or WebP image", "avatar")
	}
	in := FileInput{Name: f.Name, ContentType: ct, Body: io.MultiReader(bytes.NewReader(head[:n]), f.Body)}
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	key := "avatars/" + hex.EncodeToString(rnd[:]) + ext
	size, err := a.files.Put(ctx, key, io.LimitReader(in.Body, MaxAvatarBytes+1))
	s := []stored{{key: key, in: in, size: size}}
	if err != nil {
		a.deleteFiles(s)
		return nil, err
	}
	if size > MaxAvatarBytes {
		a.deleteFiles(s)
		return nil, &baton.Error{Code: baton.ETOOLARGE, Message: "Avatar is too large (maximum is 15 MB)"}
	}
	return s, nil
}

// imageHeadBytes is how much of a file sniffImage needs.
const imageHeadBytes = 14

// sniffImage returns the content type and file extension of an image an
// avatar may be (PNG, JPEG, GIF or WebP) by its first bytes, their magic
// numbers as net/http.DetectContentType knows them; "" for anything else.
// SVG is no such image: it can carry script.
func sniffImage(head []byte) (contentType, ext string) {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", ".png"
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "image/jpeg", ".jpg"
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "image/gif", ".gif"
	case len(head) >= 14 && string(head[:4]) == "RIFF" && string(head[8:14]) == "WEBPVP":
		return "image/webp", ".webp"
	}
	return "", ""
}

// OpenAvatar returns the bytes of an avatar by its key.
func (a *App) OpenAvatar(ctx context.Context, key string) (io.ReadCloser, error) {
	if !strings.HasPrefix(key, "avatars/") || strings.Contains(key, "..") || a.files == nil {
		return nil, baton.ErrNotFound
	}
	return a.files.Open(ctx, key)
}

// newBot builds a bot from its input, checked, with its avatar stored; the
// caller creates it.
func (a *App) newBot(ctx context.Context, accountID int64, in AgentBotInput) (*baton.AgentBot, []stored, error) {
	now := a.Now()
	b := &baton.AgentBot{AccountID: accountID, BotConfig: map[string]any{}, HandoffDeadline: baton.DefaultHandoffDeadline,
		OpenWhileBreakerOpen: true, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(b); err != nil {
		return nil, nil, err
	}
	if err := a.vetURL(ctx, b.OutgoingURL); err != nil {
		return nil, nil, err
	}
	avatar, err := a.storeAvatar(ctx, in.Avatar)
	return b, avatar, err
}

// CreateAgentBot makes a bot of the account. Administrators only.
func (a *App) CreateAgentBot(ctx context.Context, accountID int64, in AgentBotInput) (*AgentBotView, error) {
	b, avatar, err := a.newBot(ctx, accountID, in)
	if err != nil {
		return nil, err
	}
	return a.addBot(ctx, b, avatar, func(q *store.Queries) error {
		return a.adminOf(ctx, q, accountID)
	}, nil)
}

// addBot creates a new bot with its stored avatar in one transaction, once
// allow passes and followed by then (if not nil), and returns it with its
// secrets. The avatar is deleted again if any of it fails.
func (a *App) addBot(ctx context.Context, b *baton.AgentBot, avatar []stored, allow, then func(q *store.Queries) error) (*AgentBotView, error) {
	var v *AgentBotView
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if err := allow(q); err != nil {
			return err
		}
		if err := a.createAgentBot(ctx, q, b, avatar); err != nil {
			return err
		}
		if then != nil {
			if err := then(q); err != nil {
				return err
			}
		}
		v, err = a.view(ctx, q, b, true)
		return err
	})
	if err != nil {
		a.deleteFiles(avatar)
	}
	return v, err
}

// AgentBots lists the bots usable in the account: the global ones and its own.
func (a *App) AgentBots(ctx context.Context, accountID int64) ([]*AgentBotView, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	bots, err := q.ListAgentBots(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return a.views(ctx, q, bots, s.ownsBot)
}

// findUsableBot returns a bot that is global or the account's own.
func findUsableBot(ctx context.Context, q *store.Queries, accountID, id int64) (*baton.AgentBot, error) {
	b, err := q.FindAgentBot(ctx, id)
	if err != nil {
		return nil, err
	}
	if !b.Global() && b.AccountID != accountID {
		return nil, baton.ErrNotFound
	}
	return b, nil
}

// AgentBot returns a bot usable in the account.
func (a *App) AgentBot(ctx context.Context, accountID, id int64) (*AgentBotView, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	b, err := findUsableBot(ctx, q, accountID, id)
	if err != nil {
		return nil, err
	}
	return a.view(ctx, q, b, s.ownsBot(b))
}

// ownBot returns one of the account's own bots for an administrator to
// change; global bots are not found here.
func (a *App) ownBot(ctx context.Context, q *store.Queries, accountID, id int64) (*baton.AgentBot, error) {
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	b, err := q.FindAgentBot(ctx, id)
	if err != nil {
		return nil, err
	}
	if b.AccountID != accountID {
		return nil, baton.ErrNotFound
	}
	return b, s.admin()
}

// changeOwnBot runs fn on one of the account's own bots and returns it with
// its secrets.
func (a *App) changeOwnBot(ctx context.Context, accountID, id int64, fn func(q *store.Queries, b *baton.AgentBot) error) (*AgentBotView, error) {
	var v *AgentBotView
	err := a.store.Write(ctx, func(q *store.Queries) error {
		b, err := a.ownBot(ctx, q, accountID, id)
		if err != nil {
			return err
		}
		if err := fn(q, b); err != nil {
			return err
		}
		v, err = a.view(ctx, q, b, true)
		return err
	})
	return v, err
}

// UpdateAgentBot changes one of the account's bots.
func (a *App) UpdateAgentBot(ctx context.Context, accountID, id int64, in AgentBotInput) (*AgentBotView, error) {
	if err := a.vetInput(ctx, in); err != nil {
		return nil, err
	}
	avatar, err := a.storeAvatar(ctx, in.Avatar)
	if err != nil {
		return nil, err
	}
	var oldAvatar string
	v, err := a.changeOwnBot(ctx, accountID, id, func(q *store.Queries, b *baton.AgentBot) error {
		return a.updateBot(ctx, q, b, in, avatar, &oldAvatar)
	})
	a.afterAvatarChange(err, avatar, oldAvatar)
	return v, err
}

func (a *App) updateBot(ctx context.Context, q *store.Queries, b *baton.AgentBot, in AgentBotInput, avatar []stored, oldAvatar *string) error {
	if err := in.apply(b); err != nil {
		return err
	}
	if len(avatar) > 0 {
		*oldAvatar, b.AvatarKey = b.AvatarKey, avatar[0].key
	}
	b.UpdatedAt = a.Now()
	return q.UpdateAgentBot(ctx, b)
}

// afterAvatarChange removes the new avatar when the change failed, else the old one.
func (a *App) afterAvatarChange(err error, avatar []stored, oldAvatar string) {
	if err != nil {
		a.deleteFiles(avatar)
	} else if oldAvatar != "" {
		a.deleteFiles([]stored{{key: oldAvatar}})
	}
}

// DeleteAgentBotAvatar removes one of the account's bots' avatar.
func (a *App) DeleteAgentBotAvatar(ctx context.Context, accountID, id int64) (*AgentBotView, error) {
	var old string
	v, err := a.changeOwnBot(ctx, accountID, id, func(q *store.Queries, b *baton.AgentBot) error {
		old, b.AvatarKey, b.UpdatedAt = b.AvatarKey, "", a.Now()
		return q.UpdateAgentBot(ctx, b)
	})
	a.afterAvatarChange(err, nil, old)
	return v, err
}

// ResetAgentBotToken gives one of the account's bots a new token; the old
// one stops working at once.
func (a *App) ResetAgentBotToken(ctx context.Context, accountID, id int64) (*AgentBotView, error) {
	return a.changeOwnBot(ctx, accountID, id, func(q *store.Queries, b *baton.AgentBot) error {
		_, err := a.setToken(ctx, q, store.OwnerAgentBot, b.ID)
		return err
	})
}

// ResetAgentBotSecret gives one of the account's bots a new signing secret.
// The old one keeps signing deliveries beside it for the configured overlap,
// so the bot can switch without failing a delivery.
func (a *App) ResetAgentBotSecret(ctx context.Context, accountID, id int64) (*AgentBotView, error) {
	return a.changeOwnBot(ctx, accountID, id, func(q *store.Queries, b *baton.AgentBot) error {
		now := a.Now()
		return q.RotateAgentBotSecret(ctx, b.ID, a.key.Seal(auth.RandomString(24)), now.Add(a.secretOverlap), now)
	})
}

// DeleteAgentBot deletes one of the account's bots.
func (a *App) DeleteAgentBot(ctx context.Context, accountID, id int64) error {
	return a.removeBot(ctx, func(q *store.Queries) (*baton.AgentBot, error) {
		return a.ownBot(ctx, q, accountID, id)
	})
}

// removeBot deletes the bot find returns, and its avatar once that has
// committed.
func (a *App) removeBot(ctx context.Context, find func(q *store.Queries) (*baton.AgentBot, error)) error {
	var avatar string
	err := a.store.Write(ctx, func(q *store.Queries) error {
		b, err := find(q)
		if err != nil {
			return err
		}
		avatar = b.AvatarKey
		return a.deleteBot(ctx, q, b.ID)
	})
	a.afterAvatarChange(err, nil, avatar)
	return err
}

func (a *App) deleteBot(ctx context.Context, q *store.Queries, id int64) error {
	if err := q.DeleteAccessToken(ctx, store.OwnerAgentBot, id); err != nil {
		return err
	}
	if err := q.DeletePermissibles(ctx, baton.PermissibleAgentBot, id); err != nil {
		return err
	}
	return q.DeleteAgentBot(ctx, id)
}

// PlatformCreateAgentBot makes a bot through the Platform API or the command
// line: global when accountID is 0, else the account's.
func (a *App) PlatformCreateAgentBot(ctx context.Context, accountID int64, in AgentBotInput) (*AgentBotView, error) {
	if _, err := platform(ctx); err != nil {
		return nil, err
	}
	b, avatar, err := a.newBot(ctx, accountID, in)
	if err != nil {
		return nil, err
	}
	return a.addBot(ctx, b, avatar, func(q *store.Queries) error {
		if accountID == 0 {
			return nil
		}
		if _, err := q.FindAccount(ctx, accountID); err != nil {
			return err
		}
		// Only into an account the platform app manages.
		return a.permitted(ctx, q, baton.PermissibleAccount, accountID)
	}, func(q *store.Queries) error {
		return grant(ctx, q, baton.PermissibleAgentBot, b.ID)
	})
}

// PlatformAgentBots lists the bots the platform app made.
func (a *App) PlatformAgentBots(ctx context.Context) ([]*AgentBotView, error) {
	p, err := platform(ctx)
	if err != nil {
		return nil, err
	}
	q := a.store.Read()
	var ids []int64
	if p != nil {
		if ids, err = q.ListPermissibles(ctx, p.ID, baton.PermissibleAgentBot); err != nil {
			return nil, err
		}
	}
	bots, err := q.ListAgentBotsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	return a.views(ctx, q, bots, func(*baton.AgentBot) bool { return true })
}

// platformBot returns a bot the platform app may manage.
func (a *App) platformBot(ctx context.Context, q *store.Queries, id int64) (*baton.AgentBot, error) {
	b, err := q.FindAgentBot(ctx, id)
	if err != nil {
		return nil, err
	}
	return b, a.permitted(ctx, q, baton.PermissibleAgentBot, id)
}

// PlatformAgentBot returns a bot the platform app may manage.
func (a *App) PlatformAgentBot(ctx context.Context, id int64) (*AgentBotView, error) {
	q := a.store.Read()
	b, err := a.platformBot(ctx, q, id)
	if err != nil {
		return nil, err
	}
	return a.view(ctx, q, b, true)
}

// PlatformUpdateAgentBot changes a bot the platform app may manage.
func (a *App) PlatformUpdateAgentBot(ctx context.Context, id int64, in AgentBotInput, dropAvatar bool) (*AgentBotView, error) {
	if err := a.vetInput(ctx, in); err != nil {
		return nil, err
	}
	avatar, err := a.storeAvatar(ctx, in.Avatar)
	if err != nil {
		return nil, err
	}
	var v *AgentBotView
	var old string
	err = a.store.Write(ctx, func(q *store.Queries) error {
		b, err := a.platformBot(ctx, q, id)
		if err != nil {
			return err
		}
		if dropAvatar {
			old, b.AvatarKey = b.AvatarKey, ""
		}
		if err := a.updateBot(ctx, q, b, in, avatar, &old); err != nil {
			return err
		}
		v, err = a.view(ctx, q, b, true)
		return err
	})
	a.afterAvatarChange(err, avatar, old)
	return v, err
}

// PlatformDeleteAgentBot deletes a bot the platform app may manage.
func (a *App) PlatformDeleteAgentBot(ctx context.Context, id int64) error {
	return a.removeBot(ctx, func(q *store.Queries) (*baton.AgentBot, error) {
		return a.platformBot(ctx, q, id)
	})
}

// SetInboxAgentBot connects a bot to an inbox, re-points it, or with botID
// 0 disconnects it. Only global bots and the account's own may be
// connected (Chatwoot 4.6 takes any bot of the installation). Conversations
// already pending stay pending. Administrators only.
func (a *App) SetInboxAgentBot(ctx context.Context, accountID, inboxID, botID int64) error {
	if err := a.vetConnect(ctx, accountID, botID); err != nil {
		return err
	}
	return a.store.Write(ctx, func(q *store.Queries) error {
		s, err := a.accountScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		if _, err := q.FindInbox(ctx, accountID, inboxID); err != nil {
			return err
		}
		if err := s.admin(); err != nil {
			return err
		}
		return a.connect(ctx, q, accountID, inboxID, botID)
	})
}

func (a *App) connect(ctx context.Context, q *store.Queries, accountID, inboxID, botID int64) error {
	if botID == 0 {
		return q.DisconnectAgentBot(ctx, inboxID)
	}
	if _, err := findUsableBot(ctx, q, accountID, botID); err != nil {
		return err
	}
	return q.ConnectAgentBot(ctx, &baton.AgentBotInbox{InboxID: inboxID, AgentBotID: botID, AccountID: accountID,
		Active: true, UpdatedAt: a.Now()})
}

// InboxAgentBot returns the bot connected to an inbox, or nil.
func (a *App) InboxAgentBot(ctx context.Context, accountID, inboxID int64) (*AgentBotView, error) {
	q := a.store.Read()
	s, _, err := a.workedInbox(ctx, q, accountID, inboxID)
	if err != nil {
		return nil, err
	}
	l, err := q.InboxAgentBot(ctx, inboxID)
	if errors.Is(err, baton.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	b, err := q.FindAgentBot(ctx, l.AgentBotID)
	if err != nil {
		return nil, err
	}
	return a.view(ctx, q, b, s.ownsBot(b))
}

// ConnectAgentBot connects a bot to an inbox by ids alone: the command
// line's way, as the system.
func (a *App) ConnectAgentBot(ctx context.Context, botID, inboxID int64) (*baton.Inbox, error) {
	if baton.ActorFromContext(ctx).Kind != baton.ActorSystem {
		return nil, auth.ErrNotAuthorized
	}
	if err := a.vetConnect(ctx, 0, botID); err != nil {
		return nil, err
	}
	var inbox *baton.Inbox
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if inbox, err = q.FindInboxByID(ctx, inboxID); err != nil {
			return err
		}
		return a.connect(ctx, q, inbox.AccountID, inboxID, botID)
	})
	return inbox, err
}

// AgentBotToken returns a bot's token, first replacing it when reset: the
// command line's way, as the system.
func (a *App) AgentBotToken(ctx context.Context, botID int64, reset bool) (*AgentBotView, error) {
	if baton.ActorFromContext(ctx).Kind != baton.ActorSystem {
		return nil, auth.ErrNotAuthorized
	}
	var v *AgentBotView
	err := a.store.Write(ctx, func(q *store.Queries) error {
		b, err := q.FindAgentBot(ctx, botID)
		if err != nil {
			return err
		}
		if reset {
			if _, err := a.setToken(ctx, q, store.OwnerAgentBot, b.ID); err != nil {
				return err
			}
		}
		v, err = a.view(ctx, q, b, true)
		return err
	})
	return v, err
}
