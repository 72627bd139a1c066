package app

import (
	"context"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

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
	if err := baton.TooLong("locale", "Locale", acc.Locale, baton.MaxLocaleLength); err != nil {
		return err
	}
	if in.Domain != nil {
		acc.Domain = *in.Domain
	}
	if err := baton.TooLong("domain", "Domain", acc.Domain, baton.MaxNameLength); err != nil {
		return err
	}
	if in.SupportEmail != nil {
		acc.SupportEmail = *in.SupportEmail
	}
	if err := baton.TooLong("support_email", "Support email", acc.SupportEmail, baton.MaxNameLength); err != nil {
		return err
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
		was := acc.Status
		if err = in.apply(acc); err != nil {
			return err
		}
		acc.UpdatedAt = a.Now()
		if err := q.UpdateAccount(ctx, acc); err != nil {
			return err
		}
		if was != baton.AccountSuspended && acc.Status == baton.AccountSuspended {
			return a.accountSuspended(ctx, q, id)
		}
		return nil
	})
	return acc, err
}

// DeleteAccount deletes an account the platform app may manage, with
// everything in it, and ends its live subscriptions on every process.
func (a *App) DeleteAccount(ctx context.Context, id int64) error {
	var keys []string
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if _, err := q.FindAccount(ctx, id); err != nil {
			return err
		}
		if err := a.permitted(ctx, q, baton.PermissibleAccount, id); err != nil {
			return err
		}
		if keys, err = q.StorageKeysOfAccount(ctx, id); err != nil {
			return err
		}
		if err := q.DeleteAccount(ctx, id); err != nil {
			return err
		}
		if err := q.DeletePermissibles(ctx, baton.PermissibleAccount, id); err != nil {
			return err
		}
		return a.accountDeleted(ctx, q, id)
	})
	if err == nil {
		a.removeFiles(keys, "a deleted account")
	}
	return err
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
// changes their role: a user and an account the platform app may manage.
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
		// Only a user the platform app may manage: another's would show
		// their e-mail to the account (Chatwoot takes any user).
		if err := a.permitted(ctx, q, baton.PermissibleUser, userID); err != nil {
			return err
		}
		return q.AddAccountUser(ctx, au)
	})
	return au, err
}

// RemoveAccountUser ends a user's membership of an account (see
// RemoveAgent).
func (a *App) RemoveAccountUser(ctx context.Context, accountID, userID int64) error {
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if _, err := q.FindAccount(ctx, accountID); err != nil {
			return err
		}
		if err := a.permitted(ctx, q, baton.PermissibleAccount, accountID); err != nil {
			return err
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

// AccountName returns the name of an account the calling user is a member of.
func (a *App) AccountName(ctx context.Context, id int64) (string, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, id)
	if err != nil {
		return "", err
	}
	return s.account.Name, nil
}
