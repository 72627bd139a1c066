package store

import (
	"context"
	"time"
)

// Session kinds.
const (
	SessionWeb    = "web"    // the agent app in a browser, by cookie
	SessionDevice = "device" // a Chatwoot client signed in with devise-token-auth headers
)

// Session is a signed-in user. Only the hash of its token is stored.
type Session struct {
	ID        int64
	UserID    int64
	Kind      string
	Client    string // devise-token-auth's client id; empty for web sessions
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession inserts s and sets its id. A device session replaces the
// user's earlier session with the same client id.
func (q *Queries) CreateSession(ctx context.Context, s *Session) error {
	if s.Kind == SessionDevice {
		if _, err := q.db.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = $1 AND kind = $2 AND client = $3`,
			s.UserID, s.Kind, s.Client); err != nil {
			return q.formatError(err, "session")
		}
	}
	err := q.db.QueryRowContext(ctx, `INSERT INTO user_sessions (user_id, kind, client, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		s.UserID, s.Kind, s.Client, s.Hash, toMicros(s.CreatedAt), toMicros(s.ExpiresAt)).Scan(&s.ID)
	return q.formatError(err, "session")
}

// FindSessionByHash returns the session with the token hash, expired or not.
func (q *Queries) FindSessionByHash(ctx context.Context, hash []byte) (*Session, error) {
	s := Session{Hash: hash}
	var created, expires int64
	err := q.db.QueryRowContext(ctx, `SELECT id, user_id, kind, client, created_at, expires_at
		FROM user_sessions WHERE token_hash = $1`, hash).Scan(&s.ID, &s.UserID, &s.Kind, &s.Client, &created, &expires)
	if err != nil {
		return nil, q.formatError(err, "session")
	}
	s.CreatedAt, s.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &s, nil
}

// DeleteSession ends the session with the token hash.
func (q *Queries) DeleteSession(ctx context.Context, hash []byte) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM user_sessions WHERE token_hash = $1`, hash)
	return q.mustAffect(res, err, "session")
}

// DeleteUserSessions ends every session of the user.
func (q *Queries) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = $1`, userID)
	return q.formatError(err, "session")
}

// DeleteOtherSessions ends every session of the user but the one with the
// token hash keep.
func (q *Queries) DeleteOtherSessions(ctx context.Context, userID int64, keep []byte) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = $1 AND token_hash <> $2`, userID, keep)
	return q.formatError(err, "session")
}

// DeleteExpiredSessions removes sessions that expired before now and
// returns how many.
func (q *Queries) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := q.db.ExecContext(ctx, `DELETE FROM user_sessions WHERE expires_at < $1`, toMicros(now))
	if err != nil {
		return 0, q.formatError(err, "session")
	}
	return res.RowsAffected()
}
