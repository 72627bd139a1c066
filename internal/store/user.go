package store

import (
	"context"

	"github.com/batonhq/baton"
)

const userColumns = `u.id, u.name, u.display_name, u.email, u.password_hash, u.availability, u.custom_attributes, u.created_at, u.updated_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (*baton.User, error) {
	var u baton.User
	var custom string
	var created, updated int64
	dest := append([]any{&u.ID, &u.Name, &u.DisplayName, &u.Email, &u.PasswordHash, &u.Availability,
		&custom, &created, &updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	u.CustomAttributes = parseObject(custom)
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &u, nil
}

// CreateUser inserts u and sets its id. A taken e-mail is a conflict.
func (q *Queries) CreateUser(ctx context.Context, u *baton.User) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO users
		(name, display_name, email, password_hash, availability, custom_attributes, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		u.Name, u.DisplayName, u.Email, u.PasswordHash, u.Availability, jsonObject(u.CustomAttributes),
		toMicros(u.CreatedAt), toMicros(u.UpdatedAt)).Scan(&u.ID)
	return q.formatError(err, "Email")
}

// FindUser returns the user with the id.
func (q *Queries) FindUser(ctx context.Context, id int64) (*baton.User, error) {
	u, err := scanUser(q.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id))
	return u, q.formatError(err, "user")
}

// FindUserByEmail returns the user with the (normalized) e-mail.
func (q *Queries) FindUserByEmail(ctx context.Context, email string) (*baton.User, error) {
	u, err := scanUser(q.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = $1`, email))
	return u, q.formatError(err, "user")
}

// UpdateUser writes every column of u.
func (q *Queries) UpdateUser(ctx context.Context, u *baton.User) error {
	res, err := q.db.ExecContext(ctx, `UPDATE users SET name = $1, display_name = $2, email = $3,
		password_hash = $4, availability = $5, custom_attributes = $6, updated_at = $7 WHERE id = $8`,
		u.Name, u.DisplayName, u.Email, u.PasswordHash, u.Availability, jsonObject(u.CustomAttributes),
		toMicros(u.UpdatedAt), u.ID)
	return q.mustAffect(res, err, "Email")
}

// DeleteUser deletes the user and their memberships.
func (q *Queries) DeleteUser(ctx context.Context, id int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
	return q.mustAffect(res, err, "user")
}

// AddAccountUser makes the user a member of the account with the role, or
// changes the role of an existing member.
func (q *Queries) AddAccountUser(ctx context.Context, au *baton.AccountUser) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO account_users (account_id, user_id, role, created_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id, user_id) DO UPDATE SET role = excluded.role RETURNING id`,
		au.AccountID, au.UserID, au.Role, toMicros(au.CreatedAt)).Scan(&au.ID)
	return q.formatError(err, "account user")
}

// RemoveAccountUser ends a membership, and with it the user's inbox and
// team memberships in that account and their assignments there.
func (q *Queries) RemoveAccountUser(ctx context.Context, accountID, userID int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM account_users WHERE account_id = $1 AND user_id = $2`, accountID, userID)
	if err := q.mustAffect(res, err, "account user"); err != nil {
		return err
	}
	if _, err = q.db.ExecContext(ctx, `DELETE FROM inbox_members WHERE user_id = $1
		AND inbox_id IN (SELECT id FROM inboxes WHERE account_id = $2)`, userID, accountID); err != nil {
		return q.formatError(err, "inbox member")
	}
	if _, err = q.db.ExecContext(ctx, `DELETE FROM team_members WHERE user_id = $1
		AND team_id IN (SELECT id FROM teams WHERE account_id = $2)`, userID, accountID); err != nil {
		return q.formatError(err, "team member")
	}
	// Their conversations go back to nobody, as Chatwoot's removal of an
	// agent does: a stale owner who can no longer open them would keep
	// them out of the queue people take from.
	_, err = q.db.ExecContext(ctx, `UPDATE conversations SET assignee_id = NULL
		WHERE account_id = $1 AND assignee_id = $2`, accountID, userID)
	return q.formatError(err, "conversation")
}

// FindAccountUser returns the membership of the user in the account, with the user.
func (q *Queries) FindAccountUser(ctx context.Context, accountID, userID int64) (*baton.AccountUser, error) {
	au := baton.AccountUser{AccountID: accountID, UserID: userID}
	var created int64
	u, err := scanUser(q.db.QueryRowContext(ctx, `SELECT `+userColumns+`, au.id, au.role, au.availability, au.created_at
		FROM account_users au JOIN users u ON u.id = au.user_id
		WHERE au.account_id = $1 AND au.user_id = $2`, accountID, userID), &au.ID, &au.Role, &au.Availability, &created)
	if err != nil {
		return nil, q.formatError(err, "account user")
	}
	au.User, au.CreatedAt = u, fromMicros(created)
	return &au, nil
}

// ListAccountUsers returns the members of an account, with their users, by user id.
func (q *Queries) ListAccountUsers(ctx context.Context, accountID int64) ([]*baton.AccountUser, error) {
	return q.listAccountUsers(ctx, `WHERE au.account_id = $1 ORDER BY u.id`, accountID)
}

// ListUserAccounts returns the memberships of a user, by account id.
func (q *Queries) ListUserAccounts(ctx context.Context, userID int64) ([]*baton.AccountUser, error) {
	return q.listAccountUsers(ctx, `WHERE au.user_id = $1 ORDER BY au.account_id`, userID)
}

func (q *Queries) listAccountUsers(ctx context.Context, where string, arg int64) ([]*baton.AccountUser, error) {
	return queryAll(ctx, q, "account user", `SELECT `+accountUserColumns+`
		FROM account_users au JOIN users u ON u.id = au.user_id `+where, scanAccountUser, arg)
}

// accountUserColumns are the columns scanAccountUser reads: the user's, then
// the membership's.
const accountUserColumns = userColumns + `, au.id, au.account_id, au.role, au.availability, au.created_at`

// scanAccountUser reads accountUserColumns: a membership with its user.
func scanAccountUser(row rowScanner) (*baton.AccountUser, error) {
	var au baton.AccountUser
	var created int64
	u, err := scanUser(row, &au.ID, &au.AccountID, &au.Role, &au.Availability, &created)
	if err != nil {
		return nil, err
	}
	au.UserID, au.User, au.CreatedAt = u.ID, u, fromMicros(created)
	return &au, nil
}
