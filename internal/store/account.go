package store

import (
	"context"
	"database/sql"

	"github.com/batonhq/baton"
)

const accountColumns = `id, name, locale, domain, support_email, status, custom_attributes, settings, created_at, updated_at`

func scanAccount(row interface{ Scan(...any) error }) (*baton.Account, error) {
	var a baton.Account
	dest, finish := accountDest(&a)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	finish()
	return &a, nil
}

// accountDest returns where the accountColumns of a row are scanned to,
// and the function that completes a once they are (see inboxDest).
func accountDest(a *baton.Account) ([]any, func()) {
	var v struct {
		custom, settings string
		created, updated int64
	}
	return []any{&a.ID, &a.Name, &a.Locale, &a.Domain, &a.SupportEmail, &a.Status, &v.custom, &v.settings,
			&v.created, &v.updated}, func() {
			a.CustomAttributes, a.Settings = parseObject(v.custom), parseObject(v.settings)
			a.CreatedAt, a.UpdatedAt = fromMicros(v.created), fromMicros(v.updated)
		}
}

// CreateAccount inserts a and sets its id.
func (q *Queries) CreateAccount(ctx context.Context, a *baton.Account) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO accounts
		(name, locale, domain, support_email, status, custom_attributes, settings, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		a.Name, a.Locale, a.Domain, a.SupportEmail, a.Status, jsonObject(a.CustomAttributes),
		jsonObject(a.Settings), toMicros(a.CreatedAt), toMicros(a.UpdatedAt)).Scan(&a.ID)
	return q.formatError(err, "account")
}

// FindAccount returns the account with the id.
func (q *Queries) FindAccount(ctx context.Context, id int64) (*baton.Account, error) {
	a, err := scanAccount(q.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	return a, q.formatError(err, "account")
}

// UpdateAccount writes every column of a.
func (q *Queries) UpdateAccount(ctx context.Context, a *baton.Account) error {
	res, err := q.db.ExecContext(ctx, `UPDATE accounts SET name = $1, locale = $2, domain = $3,
		support_email = $4, status = $5, custom_attributes = $6, settings = $7, updated_at = $8 WHERE id = $9`,
		a.Name, a.Locale, a.Domain, a.SupportEmail, a.Status, jsonObject(a.CustomAttributes),
		jsonObject(a.Settings), toMicros(a.UpdatedAt), a.ID)
	return q.mustAffect(res, err, "account")
}

// DeleteAccount deletes the account and, by cascade, everything in it.
func (q *Queries) DeleteAccount(ctx context.Context, id int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM accounts WHERE id = $1`, id)
	return q.mustAffect(res, err, "account")
}

// NextDisplayID hands out the account's next conversation display id. On
// PostgreSQL the update locks the account row until the transaction ends,
// so ids are never handed out twice.
func (q *Queries) NextDisplayID(ctx context.Context, accountID int64) (int64, error) {
	var id int64
	err := q.db.QueryRowContext(ctx, `UPDATE accounts SET last_display_id = last_display_id + 1
		WHERE id = $1 RETURNING last_display_id`, accountID).Scan(&id)
	return id, q.formatError(err, "account")
}

// mustAffect turns an update or delete that touched no row into not found.
func (q *Queries) mustAffect(res sql.Result, err error, what string) error {
	if err != nil {
		return q.formatError(err, what)
	}
	if n, err := res.RowsAffected(); err != nil {
		return q.formatError(err, what)
	} else if n == 0 {
		return baton.ErrNotFound
	}
	return nil
}
