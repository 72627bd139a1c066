package store

import (
	"context"

	"github.com/batonhq/baton"
)

const customAttributeColumns = `ca.id, ca.account_id, ca.attribute_key, ca.display_name, ca.display_type, ca.description,
	ca.model, ca.attribute_values, ca.regex_pattern, ca.regex_cue, ca.default_value, ca.created_at, ca.updated_at`

func scanCustomAttribute(row rowScanner) (*baton.CustomAttribute, error) {
	var c baton.CustomAttribute
	var values string
	var created, updated int64
	if err := row.Scan(&c.ID, &c.AccountID, &c.Key, &c.DisplayName, &c.DisplayType, &c.Description, &c.Model, &values,
		&c.RegexPattern, &c.RegexCue, &c.DefaultValue, &created, &updated); err != nil {
		return nil, err
	}
	c.Values, c.CreatedAt, c.UpdatedAt = parseStrings(values), fromMicros(created), fromMicros(updated)
	return &c, nil
}

// CreateCustomAttribute inserts c and sets its id. A key the account's
// model has already is a conflict.
func (q *Queries) CreateCustomAttribute(ctx context.Context, c *baton.CustomAttribute) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO custom_attributes (account_id, attribute_key, display_name, display_type,
		description, model, attribute_values, regex_pattern, regex_cue, default_value, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		c.AccountID, c.Key, c.DisplayName, c.DisplayType, c.Description, c.Model, jsonStrings(c.Values), c.RegexPattern,
		c.RegexCue, c.DefaultValue, toMicros(c.CreatedAt), toMicros(c.UpdatedAt)).Scan(&c.ID)
	return q.formatError(err, "Attribute key")
}

// UpdateCustomAttribute writes every field of c but its account, key and
// model, which stay.
func (q *Queries) UpdateCustomAttribute(ctx context.Context, c *baton.CustomAttribute) error {
	res, err := q.db.ExecContext(ctx, `UPDATE custom_attributes SET display_name = $1, display_type = $2, description = $3,
		attribute_values = $4, regex_pattern = $5, regex_cue = $6, default_value = $7, updated_at = $8
		WHERE id = $9 AND account_id = $10`, c.DisplayName, c.DisplayType, c.Description, jsonStrings(c.Values),
		c.RegexPattern, c.RegexCue, c.DefaultValue, toMicros(c.UpdatedAt), c.ID, c.AccountID)
	return q.mustAffect(res, err, "custom attribute")
}

// FindCustomAttribute returns the account's custom attribute with the id.
func (q *Queries) FindCustomAttribute(ctx context.Context, accountID, id int64) (*baton.CustomAttribute, error) {
	c, err := scanCustomAttribute(q.db.QueryRowContext(ctx, `SELECT `+customAttributeColumns+`
		FROM custom_attributes ca WHERE ca.id = $1 AND ca.account_id = $2`, id, accountID))
	return c, q.formatError(err, "custom attribute")
}

// ListCustomAttributes returns the account's custom attributes of the
// model (-1: of both), in the order they were made.
func (q *Queries) ListCustomAttributes(ctx context.Context, accountID int64, model int) ([]*baton.CustomAttribute, error) {
	return queryAll(ctx, q, "custom attribute", `SELECT `+customAttributeColumns+` FROM custom_attributes ca
		WHERE ca.account_id = $1 AND ($2 < 0 OR ca.model = $2) ORDER BY ca.id`, scanCustomAttribute, accountID, model)
}

// CountCustomAttributes counts the account's custom attributes.
func (q *Queries) CountCustomAttributes(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM custom_attributes WHERE account_id = $1`, accountID).Scan(&n)
	return n, q.formatError(err, "custom attribute")
}

// DeleteCustomAttribute deletes the account's custom attribute; the values
// conversations and contacts hold under its key stay.
func (q *Queries) DeleteCustomAttribute(ctx context.Context, accountID, id int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM custom_attributes WHERE id = $1 AND account_id = $2`, id, accountID)
	return q.mustAffect(res, err, "custom attribute")
}
