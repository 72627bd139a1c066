package store

import (
	"context"

	"github.com/batonhq/baton"
)

const customFilterColumns = `cf.id, cf.account_id, cf.user_id, cf.name, cf.filter_type, cf.query, cf.created_at, cf.updated_at`

func scanCustomFilter(row rowScanner) (*baton.CustomFilter, error) {
	var f baton.CustomFilter
	var query string
	var created, updated int64
	if err := row.Scan(&f.ID, &f.AccountID, &f.UserID, &f.Name, &f.Type, &query, &created, &updated); err != nil {
		return nil, err
	}
	f.Query, f.CreatedAt, f.UpdatedAt = parseObject(query), fromMicros(created), fromMicros(updated)
	return &f, nil
}

// CreateCustomFilter inserts f and sets its id.
func (q *Queries) CreateCustomFilter(ctx context.Context, f *baton.CustomFilter) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO custom_filters (account_id, user_id, name, filter_type, query, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, f.AccountID, f.UserID, f.Name, f.Type, jsonObject(f.Query),
		toMicros(f.CreatedAt), toMicros(f.UpdatedAt)).Scan(&f.ID)
	return q.formatError(err, "custom filter")
}

// UpdateCustomFilter writes the name, type, query and update time of f.
func (q *Queries) UpdateCustomFilter(ctx context.Context, f *baton.CustomFilter) error {
	res, err := q.db.ExecContext(ctx, `UPDATE custom_filters SET name = $1, filter_type = $2, query = $3, updated_at = $4
		WHERE id = $5 AND account_id = $6 AND user_id = $7`, f.Name, f.Type, jsonObject(f.Query), toMicros(f.UpdatedAt),
		f.ID, f.AccountID, f.UserID)
	return q.mustAffect(res, err, "custom filter")
}

// FindCustomFilter returns the person's filter with the id in the account.
func (q *Queries) FindCustomFilter(ctx context.Context, accountID, userID, id int64) (*baton.CustomFilter, error) {
	f, err := scanCustomFilter(q.db.QueryRowContext(ctx, `SELECT `+customFilterColumns+` FROM custom_filters cf
		WHERE cf.id = $1 AND cf.account_id = $2 AND cf.user_id = $3`, id, accountID, userID))
	return f, q.formatError(err, "custom filter")
}

// ListCustomFilters returns the person's filters in the account of the
// type ("": of every type), in the order they were saved.
func (q *Queries) ListCustomFilters(ctx context.Context, accountID, userID int64, typ string) ([]*baton.CustomFilter, error) {
	return queryAll(ctx, q, "custom filter", `SELECT `+customFilterColumns+` FROM custom_filters cf
		WHERE cf.account_id = $1 AND cf.user_id = $2 AND ($3 = '' OR cf.filter_type = $3) ORDER BY cf.id`,
		scanCustomFilter, accountID, userID, typ)
}

// CountCustomFilters counts the person's filters in the account.
func (q *Queries) CountCustomFilters(ctx context.Context, accountID, userID int64) (int, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM custom_filters WHERE account_id = $1 AND user_id = $2`,
		accountID, userID).Scan(&n)
	return n, q.formatError(err, "custom filter")
}

// DeleteCustomFilter deletes the person's filter.
func (q *Queries) DeleteCustomFilter(ctx context.Context, accountID, userID, id int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM custom_filters WHERE id = $1 AND account_id = $2 AND user_id = $3`,
		id, accountID, userID)
	return q.mustAffect(res, err, "custom filter")
}
