package store

import (
	"context"

	"github.com/batonhq/baton"
)

const teamColumns = `t.id, t.account_id, t.name, t.description, t.allow_auto_assign, t.created_at, t.updated_at`

func scanTeam(row interface{ Scan(...any) error }) (*baton.Team, error) {
	var t baton.Team
	var created, updated int64
	if err := row.Scan(&t.ID, &t.AccountID, &t.Name, &t.Description, &t.AllowAutoAssign, &created, &updated); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, nil
}

// CreateTeam inserts t and sets its id. A name taken in the account is a
// conflict.
func (q *Queries) CreateTeam(ctx context.Context, t *baton.Team) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO teams (account_id, name, description, allow_auto_assign,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, t.AccountID, t.Name, t.Description,
		t.AllowAutoAssign, toMicros(t.CreatedAt), toMicros(t.UpdatedAt)).Scan(&t.ID)
	return q.formatError(err, "Name")
}

// UpdateTeam writes the fields of t.
func (q *Queries) UpdateTeam(ctx context.Context, t *baton.Team) error {
	res, err := q.db.ExecContext(ctx, `UPDATE teams SET name = $1, description = $2, allow_auto_assign = $3,
		updated_at = $4 WHERE id = $5 AND account_id = $6`, t.Name, t.Description, t.AllowAutoAssign,
		toMicros(t.UpdatedAt), t.ID, t.AccountID)
	return q.mustAffect(res, err, "Name")
}

// FindTeam returns the account's team with the id.
func (q *Queries) FindTeam(ctx context.Context, accountID, id int64) (*baton.Team, error) {
	t, err := scanTeam(q.db.QueryRowContext(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1 AND t.account_id = $2`, id, accountID))
	return t, q.formatError(err, "team")
}

// ListTeams returns the account's teams by name.
func (q *Queries) ListTeams(ctx context.Context, accountID int64) ([]*baton.Team, error) {
	return queryAll(ctx, q, "team", `SELECT `+teamColumns+` FROM teams t WHERE t.account_id = $1 ORDER BY t.name, t.id`,
		scanTeam, accountID)
}

// DeleteTeam deletes the account's team; its conversations keep no team.
func (q *Queries) DeleteTeam(ctx context.Context, accountID, id int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM teams WHERE id = $1 AND account_id = $2`, id, accountID)
	if err := q.mustAffect(res, err, "team"); err != nil {
		return err
	}
	_, err = q.db.ExecContext(ctx, `UPDATE conversations SET team_id = NULL WHERE account_id = $1 AND team_id = $2`, accountID, id)
	return q.formatError(err, "conversation")
}

// TeamMembers returns the members of a team with their memberships of the
// team's account, by user id.
func (q *Queries) TeamMembers(ctx context.Context, accountID, teamID int64) ([]*baton.AccountUser, error) {
	return queryAll(ctx, q, "team member", `SELECT `+accountUserColumns+`
		FROM team_members tm JOIN account_users au ON au.user_id = tm.user_id AND au.account_id = $1
		JOIN users u ON u.id = au.user_id WHERE tm.team_id = $2 ORDER BY u.id`, scanAccountUser, accountID, teamID)
}

// AddTeamMember makes the user a member of the team; a member stays one.
func (q *Queries) AddTeamMember(ctx context.Context, teamID, userID, at int64) error {
	_, err := q.db.ExecContext(ctx, `INSERT INTO team_members (team_id, user_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (team_id, user_id) DO NOTHING`, teamID, userID, at)
	return q.formatError(err, "team member")
}

// RemoveTeamMember ends the user's membership of the team, if any.
func (q *Queries) RemoveTeamMember(ctx context.Context, teamID, userID int64) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = $1 AND user_id = $2`, teamID, userID)
	return q.formatError(err, "team member")
}
