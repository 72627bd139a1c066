package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton"
)

// Token owner types, as Chatwoot names them.
const (
	OwnerUser        = "User"
	OwnerAgentBot    = "AgentBot"
	OwnerPlatformApp = "PlatformApp"
)

// AccessToken is a stored token: the hash it is found by and the sealed
// token that can be opened to show it again.
type AccessToken struct {
	OwnerType string
	OwnerID   int64
	Hash      []byte
	Sealed    []byte
}

// AnySealedToken returns the sealed form of one stored token, the oldest,
// or ErrNotFound when there is none: enough to tell whether a key is the
// one the database's secrets were sealed with.
func (q *Queries) AnySealedToken(ctx context.Context) ([]byte, error) {
	var b []byte
	err := q.db.QueryRowContext(ctx, `SELECT token_enc FROM access_tokens ORDER BY created_at LIMIT 1`).Scan(&b)
	return b, q.formatError(err, "access token")
}

// KeyCheck returns the value sealed with the installation's key by the
// first process that opened the database (SealKeyCheck), or ErrNotFound.
func (q *Queries) KeyCheck(ctx context.Context) ([]byte, error) {
	var b []byte
	err := q.db.QueryRowContext(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&b)
	return b, q.formatError(err, "key check")
}

// SealKeyCheck stores sealed as the database's key check, unless it has
// one: the first process's stays.
func (q *Queries) SealKeyCheck(ctx context.Context, sealed []byte) error {
	_, err := q.db.ExecContext(ctx, `INSERT INTO key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, sealed)
	return q.formatError(err, "key check")
}

// SetAccessToken creates or replaces the owner's token. The old token stops
// working in the same transaction.
func (q *Queries) SetAccessToken(ctx context.Context, t AccessToken, now time.Time) error {
	_, err := q.db.ExecContext(ctx, `INSERT INTO access_tokens
		(owner_type, owner_id, token_hash, token_enc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (owner_type, owner_id) DO UPDATE
		SET token_hash = excluded.token_hash, token_enc = excluded.token_enc, updated_at = excluded.updated_at`,
		t.OwnerType, t.OwnerID, t.Hash, t.Sealed, toMicros(now))
	return q.formatError(err, "access token")
}

// FindAccessTokenByHash returns the token with the hash.
func (q *Queries) FindAccessTokenByHash(ctx context.Context, hash []byte) (*AccessToken, error) {
	t := AccessToken{Hash: hash}
	err := q.db.QueryRowContext(ctx, `SELECT owner_type, owner_id, token_enc FROM access_tokens WHERE token_hash = $1`, hash).
		Scan(&t.OwnerType, &t.OwnerID, &t.Sealed)
	if err != nil {
		return nil, q.formatError(err, "access token")
	}
	return &t, nil
}

// FindAccessToken returns the owner's token.
func (q *Queries) FindAccessToken(ctx context.Context, ownerType string, ownerID int64) (*AccessToken, error) {
	t := AccessToken{OwnerType: ownerType, OwnerID: ownerID}
	err := q.db.QueryRowContext(ctx, `SELECT token_hash, token_enc FROM access_tokens WHERE owner_type = $1 AND owner_id = $2`,
		ownerType, ownerID).Scan(&t.Hash, &t.Sealed)
	if err != nil {
		return nil, q.formatError(err, "access token")
	}
	return &t, nil
}

// DeleteAccessToken removes the owner's token.
func (q *Queries) DeleteAccessToken(ctx context.Context, ownerType string, ownerID int64) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM access_tokens WHERE owner_type = $1 AND owner_id = $2`, ownerType, ownerID)
	return q.formatError(err, "access token")
}

// TokenOwner is a token and, for a user's or a bot's, its owner, read
// with it.
type TokenOwner struct {
	Token *AccessToken
	User  *baton.User     // the owner when Token.OwnerType is OwnerUser; nil if not found
	Bot   *baton.AgentBot // the owner when Token.OwnerType is OwnerAgentBot; nil if not found
}

// FindTokenOwner returns the token with the hash and its owner when a user
// or a bot owns it, in one statement: an API request's first two reads,
// one round trip. Other owners are read apart (FindPlatformApp).
func (q *Queries) FindTokenOwner(ctx context.Context, hash []byte) (*TokenOwner, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT t.owner_type, t.owner_id, t.token_enc, u.id, b.id, `+userColumns+`, `+
		agentBotColumns+` FROM access_tokens t
		LEFT JOIN users u ON t.owner_type = '`+OwnerUser+`' AND u.id = t.owner_id
		LEFT JOIN agent_bots b ON t.owner_type = '`+OwnerAgentBot+`' AND b.id = t.owner_id
		WHERE t.token_hash = $1`, hash)
	if err != nil {
		return nil, q.formatError(err, "access token")
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, q.formatError(err, "access token")
		}
		return nil, q.formatError(sql.ErrNoRows, "access token")
	}
	o := &TokenOwner{Token: &AccessToken{Hash: hash}}
	var user, bot sql.NullInt64
	head := []any{&o.Token.OwnerType, &o.Token.OwnerID, &o.Token.Sealed, &user, &bot}
	// The owner's columns are read by a second Scan of the same row, which
	// database/sql allows: the first skips them, as they are NULL for the
	// other kinds of owner.
	skip := make([]any, userColumnCount+agentBotColumnCount)
	for i := range skip {
		skip[i] = new(any)
	}
	if err := rows.Scan(append(head, skip...)...); err != nil {
		return nil, q.formatError(err, "access token")
	}
	switch {
	case user.Valid:
		o.User, err = scanUser(scanFunc(func(dest ...any) error {
			return rows.Scan(slices.Concat(head, dest, skip[userColumnCount:])...)
		}))
	case bot.Valid:
		o.Bot, err = scanAgentBot(scanFunc(func(dest ...any) error {
			return rows.Scan(slices.Concat(head, skip[:userColumnCount], dest)...)
		}))
	}
	if err != nil {
		return nil, q.formatError(err, "access token")
	}
	return o, q.formatError(rows.Err(), "access token")
}

// The owners' column counts, for FindTokenOwner's first Scan.
var (
	userColumnCount     = strings.Count(userColumns, ",") + 1
	agentBotColumnCount = strings.Count(agentBotColumns, ",") + 1
)

// scanFunc is a function that scans, as a row.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }
