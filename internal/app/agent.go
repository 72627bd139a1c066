package app

import (
	"context"
	"errors"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// CreateAgent makes a new user with a password and a token and makes them a
// member of the account with the role and of the inboxes, in one
// transaction: an administrator adding a person to the team. A taken
// e-mail is a conflict; an inbox not the account's is refused.
func (a *App) CreateAgent(ctx context.Context, accountID int64, in UserInput, role string, inboxIDs []int64) (*baton.User, error) {
	r, ok := baton.ParseRole(role)
	if !ok {
		return nil, baton.Invalid("Role is not included in the list", "role")
	}
	u, err := a.newUser(in)
	if err != nil {
		return nil, err
	}
	if u.PasswordHash == "" {
		return nil, baton.Invalid("Password can't be blank", "password")
	}
	err = a.store.Write(ctx, func(q *store.Queries) (err error) {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		if err := q.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := q.AddAccountUser(ctx, &baton.AccountUser{AccountID: accountID, UserID: u.ID, Role: r, CreatedAt: u.CreatedAt}); err != nil {
			return err
		}
		for _, id := range inboxIDs {
			if _, err := q.FindInbox(ctx, accountID, id); errors.Is(err, baton.ErrNotFound) {
				return baton.Invalid("Inbox "+itoa(id)+" is not an inbox of the account", "inbox_ids")
			} else if err != nil {
				return err
			}
			if err := q.AddInboxMembers(ctx, id, []int64{u.ID}, u.CreatedAt.UnixMicro()); err != nil {
				return err
			}
		}
		_, err = a.setToken(ctx, q, store.OwnerUser, u.ID)
		return err
	})
	return u, err
}

// SetAgentRole changes a member's role. An administrator cannot demote
// themselves, so an account always keeps one.
func (a *App) SetAgentRole(ctx context.Context, accountID, userID int64, role string) error {
	r, ok := baton.ParseRole(role)
	if !ok {
		return baton.Invalid("Role is not included in the list", "role")
	}
	return a.store.Write(ctx, func(q *store.Queries) error {
		s, err := a.adminScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		au, err := q.FindAccountUser(ctx, accountID, userID)
		if err != nil {
			return err
		}
		if userID == s.userID() && r != baton.RoleAdministrator {
			return baton.Invalid("You cannot remove your own administrator role", "role")
		}
		au.Role = r
		return q.AddAccountUser(ctx, au)
	})
}

// RemoveAgent ends a member's membership of the account (and of its
// inboxes and teams; their conversations go to nobody and are routed).
// Administrators cannot remove themselves.
func (a *App) RemoveAgent(ctx context.Context, accountID, userID int64) error {
	err := a.store.Write(ctx, func(q *store.Queries) error {
		s, err := a.adminScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		if userID == s.userID() {
			return baton.Invalid("You cannot remove yourself", "id")
		}
		if err := q.RemoveAccountUser(ctx, accountID, userID); err != nil {
			return err
		}
		return a.membershipEnded(ctx, q, accountID)
	})
	if err == nil {
		a.routeFreed(ctx, accountID)
	}
	return err
}

// routeFreed routes the conversations a removed member had, now nobody's,
// to the people online. The removal is done whatever comes of it; what
// is not routed now is at the next beat (PresenceKeeper).
func (a *App) routeFreed(ctx context.Context, accountID int64) {
	if err := a.RouteWaiting(ctx, accountID); err != nil && ctx.Err() == nil {
		a.log.Warn("routing the conversations of a removed member failed", "account", accountID, "err", err)
	}
}
