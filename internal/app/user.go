package app

import (
	"context"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// UserInput holds the fields of a user create or update; nil fields are
// left as they are.
type UserInput struct {
	Name             *string
	DisplayName      *string
	Email            *string
	Password         *string
	CustomAttributes map[string]any

	passwordHash string // Password's hash, made by hashed before a transaction
}

// hashed returns in with its password hashed (and Password nil), so that
// bcrypt's tens of milliseconds are spent before the transaction, never
// holding SQLite's one writer.
func (in UserInput) hashed() (UserInput, error) {
	if in.Password == nil {
		return in, nil
	}
	h, err := auth.HashPassword(*in.Password)
	if err != nil {
		return in, baton.Invalid("Password "+strings.TrimPrefix(err.Error(), "password "), "password")
	}
	in.Password, in.passwordHash = nil, h
	return in, nil
}

func (in UserInput) apply(u *baton.User) error {
	if in.Name != nil {
		u.Name = strings.TrimSpace(*in.Name)
	}
	if u.Name == "" {
		return baton.Invalid("Name can't be blank", "name")
	}
	if err := baton.TooLong("name", "Name", u.Name, baton.MaxNameLength); err != nil {
		return err
	}
	if in.DisplayName != nil {
		u.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	if err := baton.TooLong("display_name", "Display name", u.DisplayName, baton.MaxNameLength); err != nil {
		return err
	}
	if in.Email != nil {
		u.Email = baton.NormalizeEmail(*in.Email)
	}
	if !baton.ValidEmail(u.Email) {
		return baton.Invalid("Email is invalid", "email")
	}
	in, err := in.hashed()
	if err != nil {
		return err
	}
	if in.passwordHash != "" {
		u.PasswordHash = in.passwordHash
	}
	if in.CustomAttributes != nil {
		u.CustomAttributes = in.CustomAttributes
	}
	return nil
}

// newUser builds a user from its input, made now; the caller creates it.
func (a *App) newUser(in UserInput) (*baton.User, error) {
	now := a.Now()
	u := &baton.User{CreatedAt: now, UpdatedAt: now}
	if err := in.apply(u); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUser makes a user with an access token, returned beside it.
func (a *App) CreateUser(ctx context.Context, in UserInput) (*baton.User, string, error) {
	if _, err := platform(ctx); err != nil {
		return nil, "", err
	}
	u, err := a.newUser(in)
	if err != nil {
		return nil, "", err
	}
	var token string
	err = a.store.Write(ctx, func(q *store.Queries) (err error) {
		if err = q.CreateUser(ctx, u); err != nil {
			return err
		}
		if err = grant(ctx, q, baton.PermissibleUser, u.ID); err != nil {
			return err
		}
		token, err = a.setToken(ctx, q, store.OwnerUser, u.ID)
		return err
	})
	return u, token, err
}

// User returns a user the platform app may manage, with their token.
func (a *App) User(ctx context.Context, id int64) (*baton.User, string, error) {
	q := a.store.Read()
	u, err := q.FindUser(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if err := a.permitted(ctx, q, baton.PermissibleUser, id); err != nil {
		return nil, "", err
	}
	token, err := a.token(ctx, q, store.OwnerUser, id)
	return u, token, err
}

// UpdateUser changes a user the platform app may manage. A new password
// ends the user's sessions, in the agent app and in Chatwoot's clients.
func (a *App) UpdateUser(ctx context.Context, id int64, in UserInput) (*baton.User, string, error) {
	newPassword := in.Password != nil
	in, err := in.hashed()
	if err != nil {
		return nil, "", err
	}
	var u *baton.User
	var token string
	err = a.store.Write(ctx, func(q *store.Queries) (err error) {
		if u, err = q.FindUser(ctx, id); err != nil {
			return err
		}
		if err = a.permitted(ctx, q, baton.PermissibleUser, id); err != nil {
			return err
		}
		if err = in.apply(u); err != nil {
			return err
		}
		u.UpdatedAt = a.Now()
		if err = q.UpdateUser(ctx, u); err != nil {
			return err
		}
		// A new password signs the user out everywhere: whoever had the
		// old one may have signed in with it.
		if newPassword {
			if err = q.DeleteUserSessions(ctx, id); err != nil {
				return err
			}
		}
		token, err = a.token(ctx, q, store.OwnerUser, id)
		return err
	})
	return u, token, err
}

// DeleteUser deletes a user the platform app may manage.
func (a *App) DeleteUser(ctx context.Context, id int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		if _, err := q.FindUser(ctx, id); err != nil {
			return err
		}
		if err := a.permitted(ctx, q, baton.PermissibleUser, id); err != nil {
			return err
		}
		if err := q.DeleteAccessToken(ctx, store.OwnerUser, id); err != nil {
			return err
		}
		if err := q.DeleteAccessToken(ctx, ownerUserPubsub, id); err != nil {
			return err
		}
		aus, err := q.ListUserAccounts(ctx, id)
		if err != nil {
			return err
		}
		for _, au := range aus {
			if err := a.membershipEnded(ctx, q, au.AccountID); err != nil {
				return err
			}
		}
		if err := q.DeleteUser(ctx, id); err != nil {
			return err
		}
		return q.DeletePermissibles(ctx, baton.PermissibleUser, id)
	})
}

// Profile returns the calling user with their token and memberships.
func (a *App) Profile(ctx context.Context) (*baton.User, string, []*baton.AccountUser, error) {
	actor := baton.ActorFromContext(ctx)
	if actor.Kind == baton.ActorAgentBot {
		return nil, "", nil, auth.ErrBotNotPermitted
	} else if actor.Kind != baton.ActorUser {
		return nil, "", nil, auth.ErrInvalidToken
	}
	q := a.store.Read()
	token, err := a.token(ctx, q, store.OwnerUser, actor.User.ID)
	if err != nil {
		return nil, "", nil, err
	}
	accounts, err := q.ListUserAccounts(ctx, actor.User.ID)
	if err != nil {
		return nil, "", nil, err
	}
	return actor.User, token, accounts, a.withPresence(ctx, q, accounts)
}

// ProfileInput is a user's change of their own profile; nil fields are
// left as they are. A new password or e-mail needs the current password,
// so that whoever finds a session open cannot take the user over; a new
// password, when Confirmation is given, must match it.
type ProfileInput struct {
	Name            *string
	DisplayName     *string
	Email           *string
	CurrentPassword string
	Password        *string
	Confirmation    *string
}

// UpdateProfile changes the calling user's own name, display name, e-mail
// or password. A new password ends the user's other sessions, every one
// but the session whose token is keep (none when keep is empty: a change
// made with the access token); the access token stays. Wrong current
// passwords count against the e-mail as failed sign-ins do, and are
// refused alike once there are too many.
func (a *App) UpdateProfile(ctx context.Context, in ProfileInput, keep string) (*baton.User, error) {
	actor := baton.ActorFromContext(ctx)
	if actor.Kind == baton.ActorAgentBot {
		return nil, auth.ErrBotNotPermitted
	} else if actor.Kind != baton.ActorUser {
		return nil, auth.ErrInvalidToken
	}
	// The passwords are checked and hashed before the transaction: bcrypt
	// takes tens of milliseconds, which SQLite's one writer must not wait.
	was, err := a.store.Read().FindUser(ctx, actor.User.ID)
	if err != nil {
		return nil, err
	}
	if in.Password != nil || in.Email != nil && baton.NormalizeEmail(*in.Email) != was.Email {
		now := a.Now()
		if !a.signIns.allowedEmail(now, was.Email) {
			return nil, errSignInLimited
		}
		if in.CurrentPassword == "" {
			return nil, baton.Invalid("Current password is needed to change the password or the e-mail", "current_password")
		}
		if !auth.CheckPassword(was.PasswordHash, in.CurrentPassword) {
			a.signIns.failedEmail(now, was.Email)
			return nil, baton.Invalid("Invalid current password", "current_password")
		}
	}
	if in.Password != nil && in.Confirmation != nil && *in.Confirmation != *in.Password {
		return nil, baton.Invalid("Password confirmation doesn't match Password", "password_confirmation")
	}
	change, err := UserInput{Name: in.Name, DisplayName: in.DisplayName, Email: in.Email, Password: in.Password}.hashed()
	if err != nil {
		return nil, err
	}
	var u *baton.User
	err = a.store.Write(ctx, func(q *store.Queries) (err error) {
		if u, err = q.FindUser(ctx, was.ID); err != nil {
			return err
		}
		if u.PasswordHash != was.PasswordHash || u.Email != was.Email {
			// The current password was checked against what changed since.
			return &baton.Error{Code: baton.ECONFLICT, Message: "Your e-mail or password changed meanwhile: try again"}
		}
		if err = change.apply(u); err != nil {
			return err
		}
		u.UpdatedAt = a.Now()
		if err = q.UpdateUser(ctx, u); err != nil {
			return err
		}
		if in.Password == nil {
			return nil
		}
		// Whoever had the old password may have signed in with it.
		if keep == "" {
			return q.DeleteUserSessions(ctx, u.ID)
		}
		return q.DeleteOtherSessions(ctx, u.ID, auth.HashToken(keep))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// AccessToken returns the calling user's access token.
func (a *App) AccessToken(ctx context.Context) (string, error) {
	actor := baton.ActorFromContext(ctx)
	if actor.Kind != baton.ActorUser {
		return "", auth.ErrInvalidToken
	}
	return a.token(ctx, a.store.Read(), store.OwnerUser, actor.User.ID)
}

// ResetAccessToken gives the calling user a new access token, as
// Chatwoot's POST profile/reset_access_token: the old one stops working at
// once. It returns the new one.
func (a *App) ResetAccessToken(ctx context.Context) (string, error) {
	actor := baton.ActorFromContext(ctx)
	if actor.Kind == baton.ActorAgentBot {
		return "", auth.ErrBotNotPermitted
	} else if actor.Kind != baton.ActorUser {
		return "", auth.ErrInvalidToken
	}
	var token string
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		token, err = a.setToken(ctx, q, store.OwnerUser, actor.User.ID)
		return err
	})
	return token, err
}

// SetPassword gives the user with the e-mail a new password and ends their
// sessions: the command line's way in for someone who forgot theirs.
func (a *App) SetPassword(ctx context.Context, email, password string) (*baton.User, error) {
	if baton.ActorFromContext(ctx).Kind != baton.ActorSystem {
		return nil, auth.ErrNotAuthorized
	}
	in, err := UserInput{Password: &password}.hashed()
	if err != nil {
		return nil, err
	}
	var u *baton.User
	err = a.store.Write(ctx, func(q *store.Queries) (err error) {
		if u, err = q.FindUserByEmail(ctx, baton.NormalizeEmail(email)); err != nil {
			return err
		}
		u.PasswordHash = in.passwordHash
		u.UpdatedAt = a.Now()
		if err = q.UpdateUser(ctx, u); err != nil {
			return err
		}
		return q.DeleteUserSessions(ctx, u.ID)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUserInAccount makes a user with a token and makes them a member of
// the account with the role, in one transaction: the command line's way.
func (a *App) CreateUserInAccount(ctx context.Context, accountID int64, in UserInput, role string) (*baton.User, string, error) {
	if baton.ActorFromContext(ctx).Kind != baton.ActorSystem {
		return nil, "", auth.ErrNotAuthorized
	}
	r, ok := baton.ParseRole(role)
	if !ok {
		return nil, "", baton.Invalid("Role is not included in the list", "role")
	}
	u, err := a.newUser(in)
	if err != nil {
		return nil, "", err
	}
	var token string
	err = a.store.Write(ctx, func(q *store.Queries) (err error) {
		if _, err = q.FindAccount(ctx, accountID); err != nil {
			return err
		}
		if err = q.CreateUser(ctx, u); err != nil {
			return err
		}
		if err = q.AddAccountUser(ctx, &baton.AccountUser{AccountID: accountID, UserID: u.ID, Role: r, CreatedAt: u.CreatedAt}); err != nil {
			return err
		}
		token, err = a.setToken(ctx, q, store.OwnerUser, u.ID)
		return err
	})
	return u, token, err
}
