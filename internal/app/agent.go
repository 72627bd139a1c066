package app

import (
	"context"
	"errors"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// SetAgentRole changes a member's role. An administrator cannot demote
// themselves, so an account always keeps one.
func (a *App) SetAgentRole(ctx context.Context, accountID, userID int64, role string) error {
	if role == "" {
		role = "agent" // as baton.ParseRole reads it; to UpdateAgent it is no change
	}
	return a.updateAgent(ctx, accountID, userID, role, "")
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

// AgentInput is a person the Application API adds to an account.
type AgentInput struct {
	Name         string
	Email        string
	Role         string
	Availability string  // online (Chatwoot's available), busy or offline; "" leaves it
	Password     *string // Baton's: a new user's first password
	// NewNeedsPassword refuses a new user without a password: the agent
	// app's form, whose new person signs in with it at once.
	NewNeedsPassword bool
	InboxIDs         []int64 // inboxes of the account the person works
}

// parseAgentAvailability reads an availability as the agents API gives
// it: Chatwoot's spec says available where its profile says online.
func parseAgentAvailability(s string) (baton.Availability, bool) {
	if s == "available" {
		s = "online"
	}
	return baton.ParseAvailability(s)
}

// AddAgent makes the person with the e-mail a member of the account with
// the role (and of the inboxes), in one transaction, as Chatwoot's POST
// agents does: a new user, with a token, when
// no user has the e-mail, else the user who has it, whose name and
// password stay theirs (a password is then refused: another account's
// administrator cannot set it). Chatwoot e-mails a new user an invitation;
// Baton sends no mail, so a new user signs in once they have a password:
// the one given here, or one `baton admin user password` gives them. A
// member already is refused. Administrators only.
func (a *App) AddAgent(ctx context.Context, accountID int64, in AgentInput) (*baton.AccountUser, error) {
	r, ok := baton.ParseRole(in.Role)
	if !ok {
		return nil, baton.Invalid("Role is not included in the list", "role")
	}
	var av baton.Availability
	if in.Availability != "" {
		if av, ok = parseAgentAvailability(in.Availability); !ok {
			return nil, baton.Invalid("Availability is not included in the list", "availability_status")
		}
	}
	// A new user is built (and their password hashed) before the
	// transaction; used only when no user has the e-mail.
	fresh, err := a.newUser(UserInput{Name: &in.Name, Email: &in.Email, Password: in.Password})
	if err != nil {
		return nil, err
	}
	var userID int64
	err = a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		u, err := q.FindUserByEmail(ctx, fresh.Email)
		switch {
		case errors.Is(err, baton.ErrNotFound):
			if in.NewNeedsPassword && in.Password == nil {
				return baton.Invalid("Password can't be blank for someone new to Baton", "password")
			}
			u = fresh
			if err := q.CreateUser(ctx, u); err != nil {
				return err
			}
			if _, err := a.setToken(ctx, q, store.OwnerUser, u.ID); err != nil {
				return err
			}
		case err != nil:
			return err
		case in.Password != nil:
			return baton.Invalid("Password can only be given to a new user: "+u.Email+" has one", "password")
		}
		userID = u.ID
		if _, err := q.FindAccountUser(ctx, accountID, u.ID); err == nil {
			return baton.Invalid("Email is already an agent of this account", "email")
		} else if !errors.Is(err, baton.ErrNotFound) {
			return err
		}
		if err := q.AddAccountUser(ctx, &baton.AccountUser{AccountID: accountID, UserID: u.ID, Role: r, CreatedAt: a.Now()}); err != nil {
			return err
		}
		for _, id := range in.InboxIDs {
			if _, err := q.FindInbox(ctx, accountID, id); errors.Is(err, baton.ErrNotFound) {
				return baton.Invalid("Inbox "+itoa(id)+" is not an inbox of the account", "inbox_ids")
			} else if err != nil {
				return err
			}
			if err := q.AddInboxMembers(ctx, id, []int64{u.ID}, a.Now().UnixMicro()); err != nil {
				return err
			}
		}
		if in.Availability != "" {
			return q.SetAvailability(ctx, accountID, u.ID, av)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a.agentChanged(ctx, accountID, userID, in.Availability != "", av)
}

// UpdateAgent changes a member's role, or their availability, or both ("" leaves
// either), as Chatwoot's PATCH agents does. An administrator cannot demote
// themselves. Administrators only.
func (a *App) UpdateAgent(ctx context.Context, accountID, userID int64, role, availability string) (*baton.AccountUser, error) {
	if err := a.updateAgent(ctx, accountID, userID, role, availability); err != nil {
		return nil, err
	}
	av, _ := parseAgentAvailability(availability)
	return a.agentChanged(ctx, accountID, userID, availability != "", av)
}

// updateAgent is UpdateAgent's change, without the member read back.
func (a *App) updateAgent(ctx context.Context, accountID, userID int64, role, availability string) error {
	var av baton.Availability
	if availability != "" {
		var ok bool
		if av, ok = parseAgentAvailability(availability); !ok {
			return baton.Invalid("Availability is not included in the list", "availability")
		}
	}
	var r baton.Role
	if role != "" {
		var ok bool
		if r, ok = baton.ParseRole(role); !ok {
			return baton.Invalid("Role is not included in the list", "role")
		}
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
		if role != "" && au.Role != r {
			if userID == s.userID() && r != baton.RoleAdministrator {
				return baton.Invalid("You cannot remove your own administrator role", "role")
			}
			au.Role = r
			if err := q.AddAccountUser(ctx, au); err != nil {
				return err
			}
		}
		if availability != "" {
			return q.SetAvailability(ctx, accountID, userID, av)
		}
		return nil
	})
}

// agentChanged tells live clients of a member's new availability, routes
// waiting conversations when it is online, and returns the member as the
// team sees them.
func (a *App) agentChanged(ctx context.Context, accountID, userID int64, availabilitySet bool, av baton.Availability) (*baton.AccountUser, error) {
	if availabilitySet {
		if err := a.PublishPresence(ctx, userID); err != nil {
			return nil, err
		}
		if av == baton.Online {
			if err := a.RouteWaiting(ctx, accountID); err != nil {
				return nil, err
			}
		}
	}
	q := a.store.Read()
	au, err := q.FindAccountUser(ctx, accountID, userID)
	if err != nil {
		return nil, err
	}
	return au, a.withPresence(ctx, q, []*baton.AccountUser{au})
}
