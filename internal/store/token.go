package store

import (
	"context"
	"time"
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
