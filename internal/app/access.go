package app

import (
	"context"
	"slices"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// Authenticate returns the owner of an access token as an actor. An unknown
// token is unauthorized with Chatwoot's "Invalid Access Token".
func (a *App) Authenticate(ctx context.Context, token string) (*baton.Actor, error) {
	if token == "" {
		return nil, errInvalidToken
	}
	q := a.store.Read()
	t, err := q.FindAccessTokenByHash(ctx, auth.HashToken(token))
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil, errInvalidToken
	} else if err != nil {
		return nil, err
	}
	switch t.OwnerType {
	case store.OwnerUser:
		u, err := q.FindUser(ctx, t.OwnerID)
		if err != nil {
			return nil, errInvalidToken
		}
		return &baton.Actor{Kind: baton.ActorUser, User: u, Name: u.AvailableName()}, nil
	case store.OwnerPlatformApp:
		p, err := q.FindPlatformApp(ctx, t.OwnerID)
		if err != nil {
			return nil, errInvalidToken
		}
		return &baton.Actor{Kind: baton.ActorPlatformApp, PlatformApp: p, Name: p.Name}, nil
	case store.OwnerAgentBot:
		b, err := q.FindAgentBot(ctx, t.OwnerID)
		if err != nil {
			return nil, errInvalidToken
		}
		return &baton.Actor{Kind: baton.ActorAgentBot, Bot: b, Name: b.Name}, nil
	}
	return nil, errInvalidToken
}

// scope is the caller's standing in one account.
type scope struct {
	account *baton.Account
	actor   *baton.Actor
	role    baton.Role
	// inboxIDs are the inboxes an agent is a member of; nil for anyone who
	// sees every inbox of the account.
	inboxIDs []int64
}

// accountScope resolves the caller of ctx in the account. Users must be
// members; an account they are not in answers the same whether or not it
// exists. The system actor sees everything.
func (a *App) accountScope(ctx context.Context, q *store.Queries, accountID int64) (*scope, error) {
	actor := baton.ActorFromContext(ctx)
	s := &scope{actor: actor}
	switch actor.Kind {
	case baton.ActorUser:
		au, err := q.FindAccountUser(ctx, accountID, actor.User.ID)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return nil, errNotMember
		} else if err != nil {
			return nil, err
		}
		s.role = au.Role
		if s.role != baton.RoleAdministrator {
			all, err := q.ListInboxes(ctx, accountID, actor.User.ID)
			if err != nil {
				return nil, err
			}
			s.inboxIDs = make([]int64, 0, len(all))
			for _, i := range all {
				s.inboxIDs = append(s.inboxIDs, i.ID)
			}
		}
	case baton.ActorSystem:
		s.role = baton.RoleAdministrator
	case baton.ActorAgentBot:
		// A bot acts in the inboxes it is connected to, in accounts where
		// it is connected to one (an account bot only in its own).
		b := actor.Bot
		if !b.Global() && b.AccountID != accountID {
			return nil, errBotAccount
		}
		ids, err := q.BotInboxes(ctx, b.ID, accountID)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, errBotAccount
		}
		s.inboxIDs, s.role = ids, baton.RoleAgent
	case baton.ActorPlatformApp:
		return nil, errNotMember
	default:
		return nil, errInvalidToken
	}
	acc, err := q.FindAccount(ctx, accountID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil, errNotMember
	} else if err != nil {
		return nil, err
	}
	if acc.Status == baton.AccountSuspended {
		return nil, errSuspended
	}
	s.account = acc
	return s, nil
}

// admin requires the administrator role.
func (s *scope) admin() error {
	if s.role != baton.RoleAdministrator {
		return errNotAuthorized
	}
	return nil
}

// seesInbox reports whether the caller works the inbox.
func (s *scope) seesInbox(inboxID int64) bool {
	return s.inboxIDs == nil || slices.Contains(s.inboxIDs, inboxID)
}

// seesConversation reports whether the caller may see the conversation: an
// agent sees those of their inboxes and those assigned to them.
func (s *scope) seesConversation(c *baton.Conversation) bool {
	if s.seesInbox(c.InboxID) {
		return true
	}
	switch {
	case s.actor.User != nil:
		return c.AssigneeID == s.actor.User.ID
	case s.actor.Bot != nil:
		return c.AssigneeAgentBotID == s.actor.Bot.ID
	}
	return false
}

// userID is the acting user's id, or 0.
func (s *scope) userID() int64 {
	if s.actor.User != nil {
		return s.actor.User.ID
	}
	return 0
}

// setToken gives the owner a new token and returns it.
func (a *App) setToken(ctx context.Context, q *store.Queries, ownerType string, ownerID int64) (string, error) {
	token := auth.NewToken()
	err := q.SetAccessToken(ctx, store.AccessToken{OwnerType: ownerType, OwnerID: ownerID,
		Hash: auth.HashToken(token), Sealed: a.key.Seal(token)}, a.Now())
	return token, err
}

// Token returns the owner's token, opened from its sealed form.
func (a *App) token(ctx context.Context, q *store.Queries, ownerType string, ownerID int64) (string, error) {
	t, err := q.FindAccessToken(ctx, ownerType, ownerID)
	if err != nil {
		return "", err
	}
	return a.key.Open(t.Sealed)
}

// IsAdmin reports whether the caller administers the account, for views
// that show administrators more.
func (a *App) IsAdmin(ctx context.Context, accountID int64) bool {
	s, err := a.accountScope(ctx, a.store.Read(), accountID)
	return err == nil && s.role == baton.RoleAdministrator
}
