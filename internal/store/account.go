package store

import (
	"context"
	"database/sql"

	"github.com/batonhq/baton"
)

const accountColumns = `id, name, locale, domain, support_email, status, custom_attributes, settings, created_at, updated_at`

// accountColumnsA are accountColumns of the alias "a".
var accountColumnsA = qualified("a", accountColumns)

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

// FindAccountForUser returns the account with the id and the user's role
// in it, read in one statement: the first two reads of an Application API
// request, one round trip. A user who is not a member is not found, as an
// account that does not exist is.
func (q *Queries) FindAccountForUser(ctx context.Context, accountID, userID int64) (*baton.Account, baton.Role, error) {
	var a baton.Account
	var role baton.Role
	dest, finish := accountDest(&a)
	err := q.db.QueryRowContext(ctx, `SELECT `+accountColumnsA+`, au.role FROM accounts a
		JOIN account_users au ON au.account_id = a.id AND au.user_id = $2 WHERE a.id = $1`, accountID, userID).
		Scan(append(dest, &role)...)
	if err != nil {
		return nil, 0, q.formatError(err, "account")
	}
	finish()
	return &a, role, nil
}

// FindAccountForBot returns the account with the id and the inboxes of it
// the bot is connected to, by id, read in one statement (as
// FindAccountForUser). An account that does not exist is not found.
func (q *Queries) FindAccountForBot(ctx context.Context, accountID, botID int64) (*baton.Account, []int64, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT `+accountColumnsA+`, ab.inbox_id FROM accounts a
		LEFT JOIN agent_bot_inboxes ab ON ab.account_id = a.id AND ab.agent_bot_id = $2
		WHERE a.id = $1 ORDER BY ab.inbox_id`, accountID, botID)
	if err != nil {
		return nil, nil, q.formatError(err, "account")
	}
	defer rows.Close()
	var a baton.Account
	dest, finish := accountDest(&a)
	var inbox sql.NullInt64
	ids, found := []int64{}, false
	for rows.Next() {
		if err := rows.Scan(append(dest, &inbox)...); err != nil {
			return nil, nil, q.formatError(err, "account")
		}
		found = true
		if inbox.Valid {
			ids = append(ids, inbox.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, q.formatError(err, "account")
	} else if !found {
		return nil, nil, q.formatError(sql.ErrNoRows, "account")
	}
	finish()
	return &a, ids, nil
}

// UpdateAccount writes every column of a.
func (q *Queries) UpdateAccount(ctx context.Context, a *baton.Account) error {
	res, err := q.db.ExecContext(ctx, `UPDATE accounts SET name = $1, locale = $2, domain = $3,
		support_email = $4, status = $5, custom_attributes = $6, settings = $7, updated_at = $8 WHERE id = $9`,
		a.Name, a.Locale, a.Domain, a.SupportEmail, a.Status, jsonObject(a.CustomAttributes),
		jsonObject(a.Settings), toMicros(a.UpdatedAt), a.ID)
	return q.mustAffect(res, err, "account")
}

// DeleteAccount deletes the account and, by cascade, everything in it. Its
// events of no conversation go first: on PostgreSQL no foreign key leads
// from an event to its account (migration 00028); the others go with their
// conversations.
func (q *Queries) DeleteAccount(ctx context.Context, id int64) error {
	if _, err := q.db.ExecContext(ctx, `DELETE FROM events WHERE account_id = $1 AND conversation_id IS NULL`, id); err != nil {
		return q.formatError(err, "account")
	}
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

// LockAccount locks the account's row until the transaction ends, so that
// writes checking a count of the account's rows against a limit (its
// webhooks) take turns on PostgreSQL instead of each counting the same
// snapshot. The lock is an update's, as NextDisplayID's: a SELECT ... FOR
// UPDATE would also wait for, and hold up, every transaction that has
// inserted a row referring to the account (a foreign key's check locks
// the row FOR KEY SHARE). Where one writer at a time makes it needless
// (SQLite), it does nothing.
func (q *Queries) LockAccount(ctx context.Context, id int64) error {
	if q.lock("a") == "" {
		return nil
	}
	res, err := q.db.ExecContext(ctx, `UPDATE accounts SET last_display_id = last_display_id WHERE id = $1`, id)
	return q.mustAffect(res, err, "account")
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
