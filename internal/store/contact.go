package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/batonhq/baton"
)

const contactColumns = `c.id, c.account_id, c.name, c.email, c.phone_number, c.identifier, c.additional_attributes,
	c.custom_attributes, c.blocked, c.last_activity_at, c.created_at, c.updated_at`

func scanContact(row interface{ Scan(...any) error }) (*baton.Contact, error) {
	var c baton.Contact
	dest, finish := contactDest(&c)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	finish()
	return &c, nil
}

// contactDest returns where the contactColumns of a row are scanned to, and
// the function that completes c once they are (see inboxDest).
func contactDest(c *baton.Contact) ([]any, func()) {
	// One allocation for the temporaries, not one each (see conversationDest).
	var v struct {
		email, phone, identifier sql.NullString
		additional, custom       string
		lastActivity             sql.NullInt64
		created, updated         int64
	}
	email, phone, identifier, additional, custom := &v.email, &v.phone, &v.identifier, &v.additional, &v.custom
	lastActivity, created, updated := &v.lastActivity, &v.created, &v.updated
	return []any{&c.ID, &c.AccountID, &c.Name, email, phone, identifier, additional, custom,
			&c.Blocked, lastActivity, created, updated},
		func() {
			c.Email, c.PhoneNumber, c.Identifier = email.String, phone.String, identifier.String
			c.AdditionalAttributes, c.CustomAttributes = parseObject(v.additional), parseObject(v.custom)
			c.LastActivityAt = fromNullMicros(v.lastActivity)
			c.CreatedAt, c.UpdatedAt = fromMicros(v.created), fromMicros(v.updated)
		}
}

// CreateContact inserts c and sets its id. A taken e-mail or identifier in
// the account is a conflict.
func (q *Queries) CreateContact(ctx context.Context, c *baton.Contact) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO contacts (account_id, name, email, phone_number, identifier,
		additional_attributes, custom_attributes, blocked, last_activity_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		c.AccountID, c.Name, nullString(c.Email), nullString(c.PhoneNumber), nullString(c.Identifier),
		jsonObject(c.AdditionalAttributes), jsonObject(c.CustomAttributes), c.Blocked,
		toNullMicros(c.LastActivityAt), toMicros(c.CreatedAt), toMicros(c.UpdatedAt)).Scan(&c.ID)
	return q.formatError(err, "Email or identifier")
}

// UpdateContact writes every column of c.
func (q *Queries) UpdateContact(ctx context.Context, c *baton.Contact) error {
	res, err := q.db.ExecContext(ctx, `UPDATE contacts SET name = $1, email = $2, phone_number = $3,
		identifier = $4, additional_attributes = $5, custom_attributes = $6, blocked = $7, last_activity_at = $8,
		updated_at = $9 WHERE id = $10 AND account_id = $11`,
		c.Name, nullString(c.Email), nullString(c.PhoneNumber), nullString(c.Identifier),
		jsonObject(c.AdditionalAttributes), jsonObject(c.CustomAttributes), c.Blocked,
		toNullMicros(c.LastActivityAt), toMicros(c.UpdatedAt), c.ID, c.AccountID)
	return q.mustAffect(res, err, "Email or identifier")
}

// TouchContact records the contact's latest activity.
func (q *Queries) TouchContact(ctx context.Context, id, at int64) error {
	_, err := q.db.ExecContext(ctx, `UPDATE contacts SET last_activity_at = $1 WHERE id = $2`, at, id)
	return q.formatError(err, "contact")
}

// DeleteContact deletes a contact of the account with its conversations.
func (q *Queries) DeleteContact(ctx context.Context, accountID, id int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM contacts WHERE id = $1 AND account_id = $2`, id, accountID)
	return q.mustAffect(res, err, "contact")
}

// FindContact returns the contact with the id in the account.
func (q *Queries) FindContact(ctx context.Context, accountID, id int64) (*baton.Contact, error) {
	c, err := scanContact(q.db.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts c
		WHERE c.id = $1 AND c.account_id = $2`, id, accountID))
	return c, q.formatError(err, "contact")
}

// FindContactByEmail returns the account's contact with the e-mail.
func (q *Queries) FindContactByEmail(ctx context.Context, accountID int64, email string) (*baton.Contact, error) {
	c, err := scanContact(q.db.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts c
		WHERE c.account_id = $1 AND c.email = $2`, accountID, email))
	return c, q.formatError(err, "contact")
}

// FindContactByIdentifier returns the account's contact with the identifier.
func (q *Queries) FindContactByIdentifier(ctx context.Context, accountID int64, identifier string) (*baton.Contact, error) {
	c, err := scanContact(q.db.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts c
		WHERE c.account_id = $1 AND c.identifier = $2`, accountID, identifier))
	return c, q.formatError(err, "contact")
}

// ContactFilter selects contacts of an account. Query matches name, e-mail,
// phone number or identifier, the case of its letters ignored as the
// database's LOWER folds it (on SQLite Baton's, which folds them as
// PostgreSQL's does: see lowerFunction in store/sqlite).
type ContactFilter struct {
	AccountID int64
	Query     string
	// ByActivity lists the most recently active contacts first, those
	// never active last, instead of the newest first.
	ByActivity bool
	Conditions []FilterCondition // Chatwoot's contact filter
	Offset     int
	Limit      int
}

// ListContacts returns one page of the matching contacts, newest first (or
// by activity), and how many match in all.
func (q *Queries) ListContacts(ctx context.Context, f ContactFilter) ([]*baton.Contact, int, error) {
	where, args := `WHERE c.account_id = $1`, []any{f.AccountID}
	if f.Query != "" {
		where += ` AND (LOWER(c.name) LIKE LOWER($2) ESCAPE '\' OR LOWER(c.email) LIKE LOWER($2) ESCAPE '\'
			OR c.phone_number LIKE $2 ESCAPE '\' OR LOWER(c.identifier) LIKE LOWER($2) ESCAPE '\')`
		args = append(args, "%"+escapeLike(f.Query)+"%")
	}
	if len(f.Conditions) > 0 {
		where += " AND " + q.filterWhere("c", f.Conditions, &args)
	}
	var total int
	if err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts c `+where, args...).Scan(&total); err != nil {
		return nil, 0, q.formatError(err, "contact")
	}
	order := ` ORDER BY c.id DESC`
	if f.ByActivity {
		// As contacts_account_activity is ordered: SQLite puts NULLs last
		// in a descending order anyway, PostgreSQL is told to.
		order = ` ORDER BY c.last_activity_at DESC NULLS LAST, c.id DESC`
	}
	out, err := queryAll(ctx, q, "contact", `SELECT `+contactColumns+` FROM contacts c `+where+
		order+` LIMIT `+itoa(f.Limit)+` OFFSET `+itoa(f.Offset), scanContact, args...)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// escapeLike escapes LIKE's wildcards (and its escape, a backslash) in s,
// for a pattern that matches s as it is written.
//
// A pattern is lowered by the database, in the statement, as the text it
// is matched with is (LOWER(x) LIKE LOWER($1)), never by Go: PostgreSQL's
// LOWER folds the letters of the database's locale, and a pattern lowered
// otherwise than its text would not find even what it spells.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

const contactInboxColumns = `ci.id, ci.contact_id, ci.inbox_id, ci.source_id, ci.hmac_verified, ci.pubsub_token, ci.created_at, ci.updated_at`

func scanContactInbox(row interface{ Scan(...any) error }) (*baton.ContactInbox, error) {
	var ci baton.ContactInbox
	dest, finish := contactInboxDest(&ci)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	finish()
	return &ci, nil
}

// contactInboxDest returns where the contactInboxColumns of a row are
// scanned to, and the function that completes ci once they are (see
// inboxDest).
func contactInboxDest(ci *baton.ContactInbox) ([]any, func()) {
	var created, updated int64
	return []any{&ci.ID, &ci.ContactID, &ci.InboxID, &ci.SourceID, &ci.HMACVerified, &ci.PubsubToken,
			&created, &updated},
		func() { ci.CreatedAt, ci.UpdatedAt = fromMicros(created), fromMicros(updated) }
}

// CreateContactInbox inserts ci and sets its id. A source id taken in the
// inbox is a conflict.
func (q *Queries) CreateContactInbox(ctx context.Context, ci *baton.ContactInbox) error {
	err := q.db.QueryRowContext(ctx, `INSERT INTO contact_inboxes (contact_id, inbox_id, source_id,
		hmac_verified, pubsub_token, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		ci.ContactID, ci.InboxID, ci.SourceID, ci.HMACVerified, ci.PubsubToken, toMicros(ci.CreatedAt),
		toMicros(ci.UpdatedAt)).Scan(&ci.ID)
	return q.formatError(err, "source_id")
}

// SetContactInboxVerified records whether the contact's identity was
// verified with the inbox's HMAC.
func (q *Queries) SetContactInboxVerified(ctx context.Context, id int64, verified bool, now int64) error {
	_, err := q.db.ExecContext(ctx, `UPDATE contact_inboxes SET hmac_verified = $1, updated_at = $2 WHERE id = $3`, verified, now, id)
	return q.formatError(err, "contact inbox")
}

// FindContactInbox returns the contact inbox with the id.
func (q *Queries) FindContactInbox(ctx context.Context, id int64) (*baton.ContactInbox, error) {
	ci, err := scanContactInbox(q.db.QueryRowContext(ctx, `SELECT `+contactInboxColumns+` FROM contact_inboxes ci WHERE ci.id = $1`, id))
	return ci, q.formatError(err, "contact inbox")
}

// FindContactInboxBySource returns the contact inbox with the source id in the inbox.
func (q *Queries) FindContactInboxBySource(ctx context.Context, inboxID int64, sourceID string) (*baton.ContactInbox, error) {
	ci, err := scanContactInbox(q.db.QueryRowContext(ctx, `SELECT `+contactInboxColumns+` FROM contact_inboxes ci
		WHERE ci.inbox_id = $1 AND ci.source_id = $2`, inboxID, sourceID))
	return ci, q.formatError(err, "contact inbox")
}

// FindContactInboxOf returns the contact's first contact inbox in the inbox.
func (q *Queries) FindContactInboxOf(ctx context.Context, contactID, inboxID int64) (*baton.ContactInbox, error) {
	ci, err := scanContactInbox(q.db.QueryRowContext(ctx, `SELECT `+contactInboxColumns+` FROM contact_inboxes ci
		WHERE ci.contact_id = $1 AND ci.inbox_id = $2 ORDER BY ci.id LIMIT 1`, contactID, inboxID))
	return ci, q.formatError(err, "contact inbox")
}

// ListContactInboxes returns the contact's contact inboxes.
func (q *Queries) ListContactInboxes(ctx context.Context, contactID int64) ([]*baton.ContactInbox, error) {
	return queryAll(ctx, q, "contact inbox", `SELECT `+contactInboxColumns+` FROM contact_inboxes ci WHERE ci.contact_id = $1 ORDER BY ci.id`,
		scanContactInbox, contactID)
}

// ListContactInboxesOf returns the contact inboxes of the contacts, keyed
// by contact id, each contact's in id order: a page of contacts with theirs
// in one statement.
func (q *Queries) ListContactInboxesOf(ctx context.Context, contactIDs []int64) (map[int64][]*baton.ContactInbox, error) {
	out := map[int64][]*baton.ContactInbox{}
	if len(contactIDs) == 0 {
		return out, nil
	}
	query, args := q.inIDs(`SELECT `+contactInboxColumns+` FROM contact_inboxes ci WHERE ci.contact_id IN `, contactIDs, 1)
	cis, err := queryAll(ctx, q, "contact inbox", query+` ORDER BY ci.id`, scanContactInbox, args...)
	for _, ci := range cis {
		out[ci.ContactID] = append(out[ci.ContactID], ci)
	}
	return out, err
}

// FindContactInboxByPubsubToken returns the contact inbox with the pubsub
// token: how a live client names the contact it listens for.
func (q *Queries) FindContactInboxByPubsubToken(ctx context.Context, token string) (*baton.ContactInbox, error) {
	ci, err := scanContactInbox(q.db.QueryRowContext(ctx, `SELECT `+contactInboxColumns+` FROM contact_inboxes ci WHERE ci.pubsub_token = $1`, token))
	return ci, q.formatError(err, "contact inbox")
}

// LockContactInbox locks a contact inbox until the transaction ends, so
// that writes deciding from what the contact has (a visitor's current
// conversation, the one conversation an inbox allows a contact) take turns
// on PostgreSQL instead of each deciding from the same snapshot. Where one
// writer at a time makes it needless (SQLite), it does nothing.
func (q *Queries) LockContactInbox(ctx context.Context, id int64) error {
	lock := q.lock("ci")
	if lock == "" {
		return nil
	}
	var got int64
	err := q.db.QueryRowContext(ctx, `SELECT ci.id FROM contact_inboxes ci WHERE ci.id = $1`+lock, id).Scan(&got)
	return q.formatError(err, "contact inbox")
}

// WidgetVisitor is a web widget's visitor as a widget request finds them:
// the inbox of the website token, its account, and the contact inbox and
// contact of the visitor's source id there.
type WidgetVisitor struct {
	Account      *baton.Account
	Inbox        *baton.Inbox
	ContactInbox *baton.ContactInbox
	Contact      *baton.Contact
}

// FindWidgetVisitor reads in one statement the inbox with the website
// token, which must have the id, its account, and the contact inbox of the
// source id in it with its contact, which must be of the inbox's account:
// what every widget request reads. Not found when any of them is not.
// Every step is an equality on a unique key, from the website token on;
// the contact's account is checked on the row, since joining on it let
// PostgreSQL start from the visitor and walk the account's inboxes (see
// publicConversationJoins).
func (q *Queries) FindWidgetVisitor(ctx context.Context, websiteToken string, inboxID int64, sourceID string) (*WidgetVisitor, error) {
	v := &WidgetVisitor{Account: &baton.Account{}, Inbox: &baton.Inbox{}, ContactInbox: &baton.ContactInbox{}, Contact: &baton.Contact{}}
	inbox, finishInbox := inboxDest(v.Inbox)
	acc, finishAccount := accountDest(v.Account)
	ci, finishContactInbox := contactInboxDest(v.ContactInbox)
	contact, finishContact := contactDest(v.Contact)
	err := q.db.QueryRowContext(ctx, findWidgetVisitor, websiteToken, inboxID, sourceID).
		Scan(slices.Concat(inbox, acc, ci, contact)...)
	if err != nil {
		return nil, q.formatError(err, "contact")
	}
	if v.Contact.AccountID != v.Inbox.AccountID {
		return nil, baton.ErrNotFound
	}
	finishInbox()
	finishAccount()
	finishContactInbox()
	finishContact()
	return v, nil
}

var findWidgetVisitor = `SELECT ` + qualified("i", inboxColumns) + `, ` + accountColumnsA + `, ` + contactInboxColumns + `, ` +
	contactColumns + ` FROM inboxes i
	JOIN accounts a ON a.id = i.account_id
	JOIN contact_inboxes ci ON ci.inbox_id = i.id AND ci.source_id = $3
	JOIN contacts c ON c.id = ci.contact_id
	WHERE i.website_token = $1 AND i.id = $2`
