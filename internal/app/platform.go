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
		return nil, "", auth.ErrNotAuthorized
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", baton.Invalid("Name can't be blank", "name")
	}
	if err := baton.TooLong("name", "Name", name, baton.MaxNameLength); err != nil {
		return nil, "", err
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
	return nil, auth.ErrPlatformOnly
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
		return auth.ErrNonPermissible
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
