package store

import (
	"context"

	"github.com/batonhq/baton"
)

const attachmentColumns = `id, message_id, account_id, file_type, file_name, content_type, byte_size, storage_key, created_at`

func scanAttachment(row interface{ Scan(...any) error }) (*baton.Attachment, error) {
	var a baton.Attachment
	var created int64
	if err := row.Scan(&a.ID, &a.MessageID, &a.AccountID, &a.FileType, &a.FileName, &a.ContentType, &a.ByteSize,
		&a.StorageKey, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

// CreateAttachment inserts a and sets its id.
func (q *Queries) CreateAttachment(ctx context.Context, a *baton.Attachment) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO attachments (message_id, account_id, file_type, file_name,
		content_type, byte_size, storage_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		a.MessageID, a.AccountID, a.FileType, a.FileName, a.ContentType, a.ByteSize, a.StorageKey,
		toMicros(a.CreatedAt)).Scan(&a.ID)
	return q.formatError(err, "attachment")
}

// FindAttachment returns the attachment with the id.
func (q *Queries) FindAttachment(ctx context.Context, id int64) (*baton.Attachment, error) {
	a, err := scanAttachment(q.db.QueryRowContext(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE id = $1`, id))
	return a, q.formatError(err, "attachment")
}

// ListAttachments returns the attachments of the messages, keyed by message id.
func (q *Queries) ListAttachments(ctx context.Context, messageIDs []int64) (map[int64][]*baton.Attachment, error) {
	out := map[int64][]*baton.Attachment{}
	if len(messageIDs) == 0 {
		return out, nil
	}
	query, args := q.inIDs(`SELECT `+attachmentColumns+` FROM attachments WHERE message_id IN `, messageIDs, 1)
	rows, err := q.db.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, q.formatError(err, "attachment")
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, err
		}
		out[a.MessageID] = append(out[a.MessageID], a)
	}
	return out, rows.Err()
}

// StorageKeysOfMessage returns the storage keys of a message's attachments.
func (q *Queries) StorageKeysOfMessage(ctx context.Context, messageID int64) ([]string, error) {
	m, err := q.ListAttachments(ctx, []int64{messageID})
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, a := range m[messageID] {
		keys = append(keys, a.StorageKey)
	}
	return keys, nil
}

// DeleteAttachments removes the rows of a message's attachments.
func (q *Queries) DeleteAttachments(ctx context.Context, messageID int64) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM attachments WHERE message_id = $1`, messageID)
	return q.formatError(err, "attachment")
}

// StorageKeysOfAccount returns the storage keys of every file of the
// account, its attachments and its bots' avatars, for removing the files
// once the account is deleted.
func (q *Queries) StorageKeysOfAccount(ctx context.Context, accountID int64) ([]string, error) {
	return q.storageKeys(ctx, `SELECT storage_key FROM attachments WHERE account_id = $1
		UNION ALL SELECT avatar_key FROM agent_bots WHERE account_id = $1 AND avatar_key <> ''`, accountID)
}

// StorageKeysOfInbox returns the storage keys of the attachments of the
// inbox's messages.
func (q *Queries) StorageKeysOfInbox(ctx context.Context, accountID, inboxID int64) ([]string, error) {
	return q.storageKeys(ctx, `SELECT a.storage_key FROM attachments a JOIN messages m ON m.id = a.message_id
		WHERE a.account_id = $1 AND m.inbox_id = $2`, accountID, inboxID)
}

// StorageKeysOfContact returns the storage keys of the attachments of the
// messages in the contact's conversations.
func (q *Queries) StorageKeysOfContact(ctx context.Context, accountID, contactID int64) ([]string, error) {
	return q.storageKeys(ctx, `SELECT a.storage_key FROM attachments a JOIN messages m ON m.id = a.message_id
		JOIN conversations c ON c.id = m.conversation_id WHERE a.account_id = $1 AND c.contact_id = $2`, accountID, contactID)
}

func (q *Queries) storageKeys(ctx context.Context, query string, args ...any) ([]string, error) {
	return queryAll(ctx, q, "attachment", query, scanString, args...)
}
