package store

import (
	"context"
	"strconv"

	"github.com/batonhq/baton"
)

const cannedResponseColumns = `cr.id, cr.account_id, cr.short_code, cr.content, cr.created_at, cr.updated_at`

func scanCannedResponse(row rowScanner) (*baton.CannedResponse, error) {
	var c baton.CannedResponse
	var created, updated int64
	if err := row.Scan(&c.ID, &c.AccountID, &c.ShortCode, &c.Content, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// CreateCannedResponse inserts c and sets its id. A short code taken in the
// account is a conflict.
func (q *Queries) CreateCannedResponse(ctx context.Context, c *baton.CannedResponse) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO canned_responses (account_id, short_code, content, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, c.AccountID, c.ShortCode, c.Content,
		toMicros(c.CreatedAt), toMicros(c.UpdatedAt)).Scan(&c.ID)
	return q.formatError(err, "Short code")
}

// UpdateCannedResponse writes the short code, content and update time of c.
func (q *Queries) UpdateCannedResponse(ctx context.Context, c *baton.CannedResponse) error {
	res, err := q.db.ExecContext(ctx, `UPDATE canned_responses SET short_code = $1, content = $2, updated_at = $3
		WHERE id = $4 AND account_id = $5`, c.ShortCode, c.Content, toMicros(c.UpdatedAt), c.ID, c.AccountID)
	return q.mustAffect(res, err, "Short code")
}

// CountCannedResponses counts the account's canned responses.
func (q *Queries) CountCannedResponses(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM canned_responses WHERE account_id = $1`, accountID).Scan(&n)
	return n, q.formatError(err, "canned response")
}

// FindCannedResponse returns the account's canned response with the id.
func (q *Queries) FindCannedResponse(ctx context.Context, accountID, id int64) (*baton.CannedResponse, error) {
	c, err := scanCannedResponse(q.db.QueryRowContext(ctx, `SELECT `+cannedResponseColumns+`
		FROM canned_responses cr WHERE cr.id = $1 AND cr.account_id = $2`, id, accountID))
	return c, q.formatError(err, "canned response")
}

// ListCannedResponses returns the account's canned responses by short code,
// at most limit of them (all when limit is 0). A search keeps those whose
// short code or content holds it, case-insensitively, as Chatwoot's does;
// those whose short code starts with it come first.
func (q *Queries) ListCannedResponses(ctx context.Context, accountID int64, search string, limit int) ([]*baton.CannedResponse, error) {
	bound := ""
	if limit > 0 {
		bound = " LIMIT " + strconv.Itoa(limit)
	}
	if search == "" {
		return queryAll(ctx, q, "canned response", `SELECT `+cannedResponseColumns+` FROM canned_responses cr
			WHERE cr.account_id = $1 ORDER BY cr.short_code, cr.id`+bound, scanCannedResponse, accountID)
	}
	s := escapeLike(search)
	return queryAll(ctx, q, "canned response", `SELECT `+cannedResponseColumns+` FROM canned_responses cr
		WHERE cr.account_id = $1 AND (LOWER(cr.short_code) LIKE LOWER($2) ESCAPE '\' OR LOWER(cr.content) LIKE LOWER($2) ESCAPE '\')
		ORDER BY CASE WHEN LOWER(cr.short_code) LIKE LOWER($3) ESCAPE '\' THEN 0 ELSE 1 END, cr.short_code, cr.id`+bound,
		scanCannedResponse, accountID, "%"+s+"%", s+"%")
}

// DeleteCannedResponse deletes the account's canned response.
func (q *Queries) DeleteCannedResponse(ctx context.Context, accountID, id int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM canned_responses WHERE id = $1 AND account_id = $2`, id, accountID)
	return q.mustAffect(res, err, "canned response")
}
