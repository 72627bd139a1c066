package app

import (
	"context"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// CreatePlatformApp makes a platform app and its token. Only the system
// (the command line) may.
func (a *App) CreatePlatformApp(ctx context.Context, name string) (*baton.PlatformApp, string, error) {
	if baton.ActorFromContext(ctx).Kind != baton.ActorSystem {
		return nil, "", errNotAuthorized
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", baton.Invalid("Name can't be blank", "name")
	}
	now := a.Now()
	p := &baton.PlatformApp{Name: name, CreatedAt: now, UpdatedAt: now}
	var token string
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if err = q.CreatePlatformApp(ctx, p); err != nil {
			return err
		}
		token, err = a.setToken(ctx, q, store.OwnerPlatformApp, p.ID)
		return err
	})
	return p, token, err
}

// platform returns the platform app of ctx, or nil for the system actor;
// anyone else is refused with Chatwoot's platform error.
func platform(ctx context.Context) (*baton.PlatformApp, error) {
	switch actor := baton.ActorFromContext(ctx); actor.Kind {
	case baton.ActorPlatformApp:
		return actor.PlatformApp, nil
	case baton.ActorSystem:
		return nil, nil
	}
	return nil, errPlatformOnly
}

// permitted checks that the platform app of ctx may manage the thing. A thing
// that does not exist is not found, whoever asks.
func (a *App) permitted(ctx context.Context, q *store.Queries, kind string, id int64) error {
	p, err := platform(ctx)
	if err != nil || p == nil {
		return err
	}
	ok, err := q.IsPermissible(ctx, p.ID, kind, id)
	if err != nil {
		return err
	} else if !ok {
		return errNonPermissible
	}
	return nil
}

// grant records that the platform app of ctx made a thing.
func grant(ctx context.Context, q *store.Queries, kind string, id int64) error {
	if p, _ := platform(ctx); p != nil {
		return q.GrantPermissible(ctx, p.ID, kind, id)
	}
	return nil
}

// AccountInput holds the fields of an account create or update; nil fields
// are left as they are.
type AccountInput struct {
	Name             *string
	Locale           *string
	Domain           *string
	SupportEmail     *string
	Status           *string
	CustomAttributes map[string]any
	Settings         map[string]any
}

func (in AccountInput) apply(acc *baton.Account) error {
	if in.Name != nil {
		acc.Name = strings.TrimSpace(*in.Name)
	}
	if acc.Name == "" {
		return baton.Invalid("Name can't be blank", "name")
	}
	if len(acc.Name) > 255 {
		return baton.Invalid("Name is too long (maximum is 255 characters)", "name")
	}
	if in.Locale != nil {
		acc.Locale = *in.Locale
	}
	if in.Domain != nil {
		acc.Domain = *in.Domain
	}
	if in.SupportEmail != nil {
		acc.SupportEmail = *in.SupportEmail
	}
	if in.Status != nil {
		s, ok := baton.ParseAccountStatus(*in.Status)
		if !ok {
			return baton.Invalid("Status is not included in the list", "status")
		}
		acc.Status = s
	}
	if in.CustomAttributes != nil {
		acc.CustomAttributes = in.CustomAttributes
	}
	if in.Settings != nil {
		if acc.Settings == nil {
			acc.Settings = map[string]any{}
		}
		for k, v := range in.Settings {
			acc.Settings[k] = v
		}
	}
	return nil
}

// CreateAccount makes an account.
func (a *App) CreateAccount(ctx context.Context, in AccountInput) (*baton.Account, error) {
	if _, err := platform(ctx); err != nil {
		return nil, err
	}
	now := a.Now()
	acc := &baton.Account{Locale: "en", CreatedAt: now, UpdatedAt: now}
	if err := in.apply(acc); err != nil {
		return nil, err
	}
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := q.CreateAccount(ctx, acc); err != nil {
			return err
		}
		return grant(ctx, q, baton.PermissibleAccount, acc.ID)
	})
	return acc, err
}

// Account returns an account the platform app may manage.
func (a *App) Account(ctx context.Context, id int64) (*baton.Account, error) {
	q := a.store.Read()
	acc, err := q.FindAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	return acc, a.permitted(ctx, q, baton.PermissibleAccount, id)
}

// UpdateAccount changes an account the platform app may manage.
func (a *App) UpdateAccount(ctx context.Context, id int64, in AccountInput) (*baton.Account, error) {
	var acc *baton.Account
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if acc, err = q.FindAccount(ctx, id); err != nil {
			return err
		}
		if err = a.permitted(ctx, q, baton.PermissibleAccount, id); err != nil {
			return err
		}
		if err = in.apply(acc); err != nil {
			return err
		}
		acc.UpdatedAt = a.Now()
		return q.UpdateAccount(ctx, acc)
	})
	return acc, err
}

// DeleteAccount deletes an account the platform app may manage, with
// everything in it.
func (a *App) DeleteAccount(ctx context.Context, id int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		if _, err := q.FindAccount(ctx, id); err != nil {
			return err
		}
		if err := a.permitted(ctx, q, baton.PermissibleAccount, id); err != nil {
			return err
		}
		if err := q.DeleteAccount(ctx, id); err != nil {
			return err
		}
		return q.DeletePermissibles(ctx, baton.PermissibleAccount, id)
	})
}

// UserInput holds the fields of a user create or update; nil fields are
// left as they are.
type UserInput struct {
	Name             *string
	DisplayName      *string
	Email            *string
	Password         *string
	CustomAttributes map[string]any
}

func (in UserInput) apply(u *baton.User) error {
	if in.Name != nil {
		u.Name = strings.TrimSpace(*in.Name)
	}
	if u.Name == "" {
		return baton.Invalid("Name can't be blank", "name")
	}
	if in.DisplayName != nil {
		u.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	if in.Email != nil {
		u.Email = baton.NormalizeEmail(*in.Email)
	}
	if !baton.ValidEmail(u.Email) {
		return baton.Invalid("Email is invalid", "email")
	}
	if in.Password != nil {
		h, err := auth.HashPassword(*in.Password)
		if err != nil {
			return baton.Invalid("Password "+strings.TrimPrefix(err.Error(), "password "), "password")
		}
		u.PasswordHash = h
	}
	if in.CustomAttributes != nil {
		u.CustomAttributes = in.CustomAttributes
	}
	return nil
}

// CreateUser makes a user with an access token, returned beside it.
func (a *App) CreateUser(ctx context.Context, in UserInput) (*baton.User, string, error) {
	if _, err := platform(ctx); err != nil {
		return nil, "", err
	}
	now := a.Now()
	u := &baton.User{CreatedAt: now, UpdatedAt: now}
	if err := in.apply(u); err != nil {
		return nil, "", err
	}
	var token string
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
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

// UpdateUser changes a user the platform app may manage.
func (a *App) UpdateUser(ctx context.Context, id int64, in UserInput) (*baton.User, string, error) {
	var u *baton.User
	var token string
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
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
		if err := q.DeleteUser(ctx, id); err != nil {
			return err
		}
		return q.DeletePermissibles(ctx, baton.PermissibleUser, id)
	})
}

// AccountUsers lists the members of an account the platform app may manage.
func (a *App) AccountUsers(ctx context.Context, accountID int64) ([]*baton.AccountUser, error) {
	q := a.store.Read()
	if _, err := q.FindAccount(ctx, accountID); err != nil {
		return nil, err
	}
	if err := a.permitted(ctx, q, baton.PermissibleAccount, accountID); err != nil {
		return nil, err
	}
	return q.ListAccountUsers(ctx, accountID)
}

// AddAccountUser makes a user a member of an account with a role, or
// changes their role.
func (a *App) AddAccountUser(ctx context.Context, accountID, userID int64, role string) (*baton.AccountUser, error) {
	r, ok := baton.ParseRole(role)
	if !ok {
		return nil, baton.Invalid("Role is not included in the list", "role")
	}
	au := &baton.AccountUser{AccountID: accountID, UserID: userID, Role: r, CreatedAt: a.Now()}
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if _, err := q.FindAccount(ctx, accountID); err != nil {
			return err
		}
		if err := a.permitted(ctx, q, baton.PermissibleAccount, accountID); err != nil {
			return err
		}
		if _, err := q.FindUser(ctx, userID); err != nil {
			return err
		}
		return q.AddAccountUser(ctx, au)
	})
	return au, err
}

// RemoveAccountUser ends a user's membership of an account.
func (a *App) RemoveAccountUser(ctx context.Context, accountID, userID int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		if _, err := q.FindAccount(ctx, accountID); err != nil {
			return err
		}
		if err := a.permitted(ctx, q, baton.PermissibleAccount, accountID); err != nil {
			return err
		}
		return q.RemoveAccountUser(ctx, accountID, userID)
	})
}

// Profile returns the calling user with their token and memberships.
func (a *App) Profile(ctx context.Context) (*baton.User, string, []*baton.AccountUser, error) {
	actor := baton.ActorFromContext(ctx)
	if actor.Kind == baton.ActorAgentBot {
		return nil, "", nil, errBotNotPermitted
	} else if actor.Kind != baton.ActorUser {
		return nil, "", nil, errInvalidToken
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

// AccountName returns the name of an account the calling user is a member of.
func (a *App) AccountName(ctx context.Context, id int64) (string, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, id)
	if err != nil {
		return "", err
	}
	return s.account.Name, nil
}

// CreateUserInAccount makes a user with a token and makes them a member of
// the account with the role, in one transaction: the command line's way.
func (a *App) CreateUserInAccount(ctx context.Context, accountID int64, in UserInput, role string) (*baton.User, string, error) {
	if baton.ActorFromContext(ctx).Kind != baton.ActorSystem {
		return nil, "", errNotAuthorized
	}
	r, ok := baton.ParseRole(role)
	if !ok {
		return nil, "", baton.Invalid("Role is not included in the list", "role")
	}
	now := a.Now()
	u := &baton.User{CreatedAt: now, UpdatedAt: now}
	if err := in.apply(u); err != nil {
		return nil, "", err
	}
	var token string
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if _, err = q.FindAccount(ctx, accountID); err != nil {
			return err
		}
		if err = q.CreateUser(ctx, u); err != nil {
			return err
		}
		if err = q.AddAccountUser(ctx, &baton.AccountUser{AccountID: accountID, UserID: u.ID, Role: r, CreatedAt: now}); err != nil {
			return err
		}
		token, err = a.setToken(ctx, q, store.OwnerUser, u.ID)
		return err
	})
	return u, token, err
}
