package store

import (
	"context"

	"github.com/batonhq/baton"
)

// CreatePlatformApp inserts p and sets its id.
func (q *Queries) CreatePlatformApp(ctx context.Context, p *baton.PlatformApp) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO platform_apps (name, created_at, updated_at)
		VALUES ($1, $2, $3) RETURNING id`, p.Name, toMicros(p.CreatedAt), toMicros(p.UpdatedAt)).Scan(&p.ID)
	return q.formatError(err, "platform app")
}

// FindPlatformApp returns the platform app with the id.
func (q *Queries) FindPlatformApp(ctx context.Context, id int64) (*baton.PlatformApp, error) {
	var p baton.PlatformApp
	var created, updated int64
	err := q.db.QueryRowContext(ctx, `SELECT id, name, created_at, updated_at FROM platform_apps WHERE id = $1`, id).
		Scan(&p.ID, &p.Name, &created, &updated)
	if err != nil {
		return nil, q.formatError(err, "platform app")
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

// GrantPermissible records that the platform app may manage a thing.
func (q *Queries) GrantPermissible(ctx context.Context, appID int64, kind string, id int64) error {
	_, err := q.db.ExecContext(ctx, `INSERT INTO platform_app_permissibles
		(platform_app_id, permissible_type, permissible_id) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, appID, kind, id)
	return q.formatError(err, "permissible")
}

// IsPermissible reports whether the platform app may manage the thing.
func (q *Queries) IsPermissible(ctx context.Context, appID int64, kind string, id int64) (bool, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM platform_app_permissibles
		WHERE platform_app_id = $1 AND permissible_type = $2 AND permissible_id = $3`, appID, kind, id).Scan(&n)
	return n > 0, q.formatError(err, "permissible")
}

// ListPermissibles returns the ids of the things of one kind the app may manage.
func (q *Queries) ListPermissibles(ctx context.Context, appID int64, kind string) ([]int64, error) {
	return q.queryIDs(ctx, "permissible", `SELECT permissible_id FROM platform_app_permissibles
		WHERE platform_app_id = $1 AND permissible_type = $2 ORDER BY permissible_id`, appID, kind)
}

// DeletePermissibles forgets a thing that no longer exists.
func (q *Queries) DeletePermissibles(ctx context.Context, kind string, id int64) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM platform_app_permissibles
		WHERE permissible_type = $1 AND permissible_id = $2`, kind, id)
	return q.formatError(err, "permissible")
}
