package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
	"github.com/google/uuid"
)

// ContactInput holds the fields of a contact create or update; nil fields
// are left as they are.
type ContactInput struct {
	Name                 *string
	Email                *string
	PhoneNumber          *string
	Identifier           *string
	Blocked              *bool
	AdditionalAttributes map[string]any
	CustomAttributes     map[string]any
	// UnsetAttributes are custom attributes to remove, after
	// CustomAttributes are merged in (Chatwoot's destroy_custom_attributes).
	UnsetAttributes []string
}

var phonePattern = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)

func (in ContactInput) apply(c *baton.Contact) error {
	if in.Name != nil {
		c.Name = strings.TrimSpace(*in.Name)
	}
	if len(c.Name) > 255 {
		return baton.Invalid("Name is too long (maximum is 255 characters)", "name")
	}
	if in.Email != nil {
		c.Email = baton.NormalizeEmail(*in.Email)
		if c.Email != "" && !baton.ValidEmail(c.Email) {
			return baton.Invalid("Email Invalid email", "email")
		}
	}
	if in.PhoneNumber != nil {
		c.PhoneNumber = strings.TrimSpace(*in.PhoneNumber)
		if c.PhoneNumber != "" && !phonePattern.MatchString(c.PhoneNumber) {
			return baton.Invalid("Phone number should be in e164 format", "phone_number")
		}
	}
	if in.Identifier != nil {
		c.Identifier = strings.TrimSpace(*in.Identifier)
	}
	if err := baton.TooLong("identifier", "Identifier", c.Identifier, baton.MaxNameLength); err != nil {
		return err
	}
	if in.Blocked != nil {
		c.Blocked = *in.Blocked
	}
	// Attributes sent are merged into those the contact has, key by key,
	// as Chatwoot does: a client sending one attribute keeps the others.
	c.AdditionalAttributes = mergeAttributes(c.AdditionalAttributes, in.AdditionalAttributes)
	c.CustomAttributes = mergeAttributes(c.CustomAttributes, in.CustomAttributes)
	if len(in.UnsetAttributes) > 0 {
		c.CustomAttributes = maps.Clone(c.CustomAttributes)
		for _, k := range in.UnsetAttributes {
			delete(c.CustomAttributes, k)
		}
	}
	// Checked when sent, so that a contact stored larger before the bound
	// can still be changed otherwise.
	if in.AdditionalAttributes != nil {
		if err := baton.AttributesTooLarge("additional_attributes", "Additional attributes", c.AdditionalAttributes); err != nil {
			return err
		}
	}
	if in.CustomAttributes != nil {
		return baton.AttributesTooLarge("custom_attributes", "Custom attributes", c.CustomAttributes)
	}
	return nil
}

// mergeAttributes returns have with the keys of sent set over it.
func mergeAttributes(have, sent map[string]any) map[string]any {
	if sent == nil {
		return have
	}
	out := make(map[string]any, len(have)+len(sent))
	maps.Copy(out, have)
	maps.Copy(out, sent)
	return out
}

// CreateContact makes a contact and, with inboxID set, its contact inbox
// there (with sourceID, or a new UUID).
func (a *App) CreateContact(ctx context.Context, accountID int64, in ContactInput, inboxID int64, sourceID string) (*baton.Contact, *baton.ContactInbox, error) {
	now := a.Now()
	c := &baton.Contact{AccountID: accountID, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(c); err != nil {
		return nil, nil, err
	}
	if c.Name == "" {
		c.Name = defaultContactName(c)
	}
	var ci *baton.ContactInbox
	err := a.store.Write(ctx, func(q *store.Queries) error {
		s, err := a.accountScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		var inbox *baton.Inbox
		if inboxID != 0 {
			if inbox, err = s.inbox(ctx, q, inboxID); err != nil {
				return err
			}
		}
		if err := a.insertContact(ctx, q, c); err != nil {
			return err
		}
		if err := a.emitContact(ctx, q, nil, c); err != nil {
			return err
		}
		if inbox != nil {
			ci, err = a.createContactInbox(ctx, q, c, inbox, sourceID, false)
		}
		return err
	})
	return c, ci, err
}

// AddContactInbox gives one of the account's contacts an identity in an
// API inbox the caller works, with sourceID or a new UUID, as Chatwoot's
// POST contacts/{id}/contact_inboxes: what an integration makes before it
// starts a conversation there. The contact's own identity with that source
// id is answered again; another contact's is refused. A web widget's
// identities are the widget's to make.
func (a *App) AddContactInbox(ctx context.Context, accountID, contactID, inboxID int64, sourceID string) (*baton.ContactInbox, *baton.Inbox, error) {
	var ci *baton.ContactInbox
	var inbox *baton.Inbox
	err := a.store.Write(ctx, func(q *store.Queries) error {
		s, err := a.accountScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		c, err := q.FindContact(ctx, accountID, contactID)
		if err != nil {
			return err
		}
		if inboxID == 0 {
			return baton.Invalid("Inbox can't be blank", "inbox_id")
		}
		if inbox, err = s.inbox(ctx, q, inboxID); err != nil {
			return err
		}
		if !inbox.IsAPI() {
			return baton.Invalid("Only an API inbox takes a contact inbox made through the API", "inbox_id")
		}
		if sourceID = strings.TrimSpace(sourceID); sourceID != "" {
			if ci, err = q.FindContactInboxBySource(ctx, inbox.ID, sourceID); err == nil && ci.ContactID == c.ID {
				return nil
			} else if err != nil && !errors.Is(err, baton.ErrNotFound) {
				return err
			}
		}
		ci, err = a.createContactInbox(ctx, q, c, inbox, sourceID, false)
		return err
	})
	return ci, inbox, err
}

// ContactableInbox is an inbox a conversation with a contact may start in,
// and the source id it would have there.
type ContactableInbox struct {
	Inbox    *baton.Inbox
	SourceID string
}

// ContactableInboxes are the inboxes the caller works in which the
// contact can be reached, as Chatwoot's GET contactable_inboxes: every API
// inbox (with the contact's source id there, or a new one that a contact
// inbox made with it would have), and the web widgets where the contact
// has been.
func (a *App) ContactableInboxes(ctx context.Context, accountID, contactID int64) ([]ContactableInbox, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	if _, err := q.FindContact(ctx, accountID, contactID); err != nil {
		return nil, err
	}
	inboxes, err := q.ListInboxes(ctx, accountID, s.inboxMember())
	if err != nil {
		return nil, err
	}
	cis, err := q.ListContactInboxes(ctx, contactID)
	if err != nil {
		return nil, err
	}
	out := []ContactableInbox{}
	for _, i := range inboxes {
		source := ""
		for _, ci := range cis {
			if ci.InboxID == i.ID {
				source = ci.SourceID
				break
			}
		}
		switch {
		case i.IsAPI() && source == "":
			source = newUUID()
		case source == "":
			continue
		}
		out = append(out, ContactableInbox{Inbox: i, SourceID: source})
	}
	return out, nil
}

// createContactInbox gives the contact an identity in the inbox.
func (a *App) createContactInbox(ctx context.Context, q *store.Queries, c *baton.Contact, inbox *baton.Inbox, sourceID string, verified bool) (*baton.ContactInbox, error) {
	sourceID = strings.TrimSpace(sourceID)
	if sourceID == "" {
		sourceID = newUUID()
	} else if len(sourceID) > 255 {
		return nil, baton.Invalid("Source is too long (maximum is 255 characters)", "source_id")
	} else if strings.Contains(sourceID, "/") || sourceID == "." || sourceID == ".." {
		// It is a segment of the public API's paths, which could never
		// name it again.
		return nil, baton.Invalid("Source id may not contain / or be . or ..", "source_id")
	}
	now := a.Now()
	ci := &baton.ContactInbox{ContactID: c.ID, InboxID: inbox.ID, SourceID: sourceID, HMACVerified: verified,
		PubsubToken: auth.RandomString(24), CreatedAt: now, UpdatedAt: now}
	if err := q.CreateContactInbox(ctx, ci); errors.Is(err, baton.ErrConflict) {
		return nil, &baton.Error{Code: baton.EINVALID, Message: "source_id should be unique", Attributes: []string{"source_id"}}
	} else if err != nil {
		return nil, err
	}
	return ci, nil
}

// defaultContactName names an anonymous contact after what is known of them,
// or with a friendly random name as Chatwoot's widget does.
func defaultContactName(c *baton.Contact) string {
	switch {
	case c.Email != "":
		return strings.SplitN(c.Email, "@", 2)[0]
	case c.PhoneNumber != "":
		return c.PhoneNumber
	case c.Identifier != "":
		return c.Identifier
	}
	adjectives := []string{"quiet", "bright", "calm", "swift", "gentle", "bold", "merry", "lucky"}
	nouns := []string{"sun", "river", "forest", "meadow", "harbor", "breeze", "comet", "maple"}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%d", adjectives[int(b[0])%len(adjectives)], nouns[int(b[1])%len(nouns)], 100+int(b[2])%900)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string { return uuid.NewString() }

// ContactPageSize is how many contacts one page of the list holds, as Chatwoot's.
const ContactPageSize = 15

// Contacts lists a page (from 1) of the account's contacts, matching query
// when it is not empty, with the count of all matches and, withInboxes,
// the contact inboxes of the page's contacts by contact id, read in one
// statement.
func (a *App) Contacts(ctx context.Context, accountID int64, query string, page int, withInboxes bool) ([]*baton.Contact, map[int64][]*baton.ContactInbox, int, error) {
	if err := checkSearch(strings.TrimSpace(query), "q"); err != nil {
		return nil, nil, 0, err
	}
	return a.contacts(ctx, store.ContactFilter{AccountID: accountID, Query: strings.TrimSpace(query)}, page, withInboxes)
}

// FilterContacts is Chatwoot's contact filter (POST contacts/filter): the
// account's contacts that meet the conditions, as Contacts lists them.
func (a *App) FilterContacts(ctx context.Context, accountID int64, in []FilterInput, page int, withInboxes bool) ([]*baton.Contact, map[int64][]*baton.ContactInbox, int, error) {
	conds, err := a.filterConditions(contactFilters, in)
	if err != nil {
		return nil, nil, 0, err
	}
	return a.contacts(ctx, store.ContactFilter{AccountID: accountID, Conditions: conds}, page, withInboxes)
}

// contacts lists a page of the filter's contacts for a member of its
// account, newest first, with how many there are in all and, when asked,
// their contact inboxes the caller sees.
func (a *App) contacts(ctx context.Context, f store.ContactFilter, page int, withInboxes bool) ([]*baton.Contact, map[int64][]*baton.ContactInbox, int, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, f.AccountID)
	if err != nil {
		return nil, nil, 0, err
	}
	page = min(max(page, 1), MaxPage)
	f.Offset, f.Limit = (page-1)*ContactPageSize, ContactPageSize
	cs, total, err := q.ListContacts(ctx, f)
	if err != nil || !withInboxes {
		return cs, nil, total, err
	}
	ids := make([]int64, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	cis, err := q.ListContactInboxesOf(ctx, ids)
	if err != nil {
		return nil, nil, 0, err
	}
	for id := range cis {
		cis[id] = s.contactInboxesSeen(cis[id])
	}
	return cs, cis, total, nil
}

// ConversationTally is what a list of contacts shows of each one's
// conversations: how many, and the most recently active one.
type ConversationTally = store.ConversationTally

// ContactDirectory is a page of contacts as people browse them.
type ContactDirectory struct {
	Contacts []*baton.Contact
	// Total is how many contacts match, on every page.
	Total int
	// Conversations tallies, by contact id, the conversations of each
	// contact of the page that the caller sees, as ContactConversations
	// lists them (an agent, those of the inboxes they work). A contact
	// without any is not in it.
	Conversations map[int64]ConversationTally
}

// ContactsByActivity lists a page (from 1) of the account's contacts,
// matching query when it is not empty (as Contacts does), the most
// recently active first and those never active last, newest first, with
// the tally of the conversations the caller sees of each. Every member of
// the account sees every contact, as in Chatwoot.
func (a *App) ContactsByActivity(ctx context.Context, accountID int64, query string, page int) (*ContactDirectory, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	page = min(max(page, 1), MaxPage)
	cs, total, err := q.ListContacts(ctx, store.ContactFilter{AccountID: accountID, Query: strings.TrimSpace(query),
		ByActivity: true, Offset: (page - 1) * ContactPageSize, Limit: ContactPageSize})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	tally, err := q.TallyContactConversations(ctx, accountID, ids, s.inboxIDs, s.assigned())
	if err != nil {
		return nil, err
	}
	return &ContactDirectory{Contacts: cs, Total: total, Conversations: tally}, nil
}

// Contact returns a contact of the account with its contact inboxes.
//
// A bot sees only the contacts of conversations it serves (in the inboxes
// it is connected to, or assigned to it), with their contact inboxes of
// the inboxes it is connected to.
func (a *App) Contact(ctx context.Context, accountID, id int64) (*baton.Contact, []*baton.ContactInbox, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, nil, err
	}
	c, err := q.FindContact(ctx, accountID, id)
	if err != nil {
		return nil, nil, err
	}
	if s.actor.Bot != nil {
		if ok, err := servesContact(ctx, q, s, id); err != nil || !ok {
			return nil, nil, errOr(err, baton.ErrNotFound)
		}
	}
	cis, err := q.ListContactInboxes(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return c, s.contactInboxesSeen(cis), nil
}

// contactInboxesSeen is cis without those the caller may not see: a bot,
// or an agent, does not see where else the contact writes from, as the
// source ids of inboxes it does not work are credentials there (an API
// inbox's public client API takes them).
func (s *scope) contactInboxesSeen(cis []*baton.ContactInbox) []*baton.ContactInbox {
	return slices.DeleteFunc(cis, func(ci *baton.ContactInbox) bool { return !s.seesInbox(ci.InboxID) })
}

// servesContact reports whether the caller may see one of the contact's
// conversations.
func servesContact(ctx context.Context, q *store.Queries, s *scope, contactID int64) (bool, error) {
	cs, err := q.ListConversations(ctx, store.ConversationFilter{AccountID: s.account.ID, ContactID: contactID, Limit: 1000})
	if err != nil {
		return false, err
	}
	for _, c := range cs {
		if s.seesConversation(c) {
			return true, nil
		}
	}
	return false, nil
}

// errOr returns err, or fallback when err is nil.
func errOr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// UpdateContact changes a contact of the account.
func (a *App) UpdateContact(ctx context.Context, accountID, id int64, in ContactInput) (*baton.Contact, error) {
	var c *baton.Contact
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if _, err = a.accountScope(ctx, q, accountID); err != nil {
			return err
		}
		if c, err = q.FindContact(ctx, accountID, id); err != nil {
			return err
		}
		before := *c
		if err = in.apply(c); err != nil {
			return err
		}
		c.UpdatedAt = a.Now()
		if err := a.saveContact(ctx, q, c); err != nil {
			return err
		}
		return a.emitContact(ctx, q, &before, c)
	})
	return c, err
}

// DeleteContact deletes a contact with their conversations. Administrators only.
func (a *App) DeleteContact(ctx context.Context, accountID, id int64) error {
	var keys []string
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		c, err := q.FindContact(ctx, accountID, id)
		if err != nil {
			return err
		}
		if keys, err = q.StorageKeysOfContact(ctx, accountID, id); err != nil {
			return err
		}
		if err := q.DeleteContact(ctx, accountID, id); err != nil {
			return err
		}
		return a.publishContact(ctx, q, baton.EventContactDeleted, c)
	})
	if err == nil {
		a.removeFiles(keys, "a deleted contact")
	}
	return err
}

// PublicContactInput is a contact as the public API creates or updates it.
type PublicContactInput struct {
	ContactInput
	SourceID       string
	IdentifierHash string
}

// PublicCreateContact makes a contact and their identity in the API inbox.
// When the inbox demands it, the identifier must come with its HMAC.
// The inbox is the one the context's credential names.
func (a *App) PublicCreateContact(ctx context.Context, in PublicContactInput) (*baton.Contact, *baton.ContactInbox, error) {
	var c *baton.Contact
	var ci *baton.ContactInbox
	err := a.store.Write(ctx, func(q *store.Queries) error {
		inbox, err := q.FindInboxByIdentifier(ctx, baton.CredentialFromContext(ctx).InboxIdentifier)
		if err != nil {
			return err
		}
		verified, err := checkIdentity(inbox, in)
		if err != nil {
			return err
		}
		now := a.Now()
		c = &baton.Contact{AccountID: inbox.AccountID, CreatedAt: now, UpdatedAt: now}
		if err := in.apply(c); err != nil {
			return err
		}
		// A verified identifier names a contact the account may know already:
		// the same person, when that contact's identity was verified too.
		// An unverified claim to it is taken back from whoever made it.
		if verified && c.Identifier != "" {
			if known, err := q.FindContactByIdentifier(ctx, inbox.AccountID, c.Identifier); err == nil {
				if ok, err := identityVerified(ctx, q, known.ID); err != nil {
					return err
				} else if ok {
					c = known
				} else {
					before := *known
					known.Identifier, known.UpdatedAt = "", now
					if err := a.saveContact(ctx, q, known); err != nil {
						return err
					}
					if err := a.emitContact(ctx, q, &before, known); err != nil {
						return err
					}
				}
			} else if !errors.Is(err, baton.ErrNotFound) {
				return err
			}
		}
		if c.ID == 0 {
			// Whether an e-mail or identifier is the account's already is
			// nothing a caller without a verified identity learns: the
			// new contact simply goes without it, and the answer shows
			// what was asked for either way.
			submitted := c.Email
			if err := dropTaken(ctx, q, c, !verified); err != nil {
				return err
			}
			if submitted != "" {
				c.ClaimEmail(submitted)
			}
			if c.Name == "" {
				c.Name = defaultContactName(c)
			}
			if err := a.insertContact(ctx, q, c); err != nil {
				return err
			}
			if err := a.emitContact(ctx, q, nil, c); err != nil {
				return err
			}
		}
		ci, err = a.createContactInbox(ctx, q, c, inbox, in.SourceID, verified)
		return err
	})
	return c, ci, err
}

// identityVerified reports whether any of the contact's identities in the
// account's inboxes was verified with an HMAC.
func identityVerified(ctx context.Context, q *store.Queries, contactID int64) (bool, error) {
	cis, err := q.ListContactInboxes(ctx, contactID)
	for _, ci := range cis {
		if ci.HMACVerified {
			return true, err
		}
	}
	return false, err
}

// dropTaken clears from a new contact an e-mail another contact of the
// account has and, when the identifier is unverified too, a taken identifier.
func dropTaken(ctx context.Context, q *store.Queries, c *baton.Contact, identifierToo bool) error {
	if taken, err := emailTaken(ctx, q, c); err != nil {
		return err
	} else if taken {
		c.Email = ""
	}
	if !identifierToo {
		return nil
	}
	if taken, err := identifierTaken(ctx, q, c); err != nil {
		return err
	} else if taken {
		c.Identifier = ""
	}
	return nil
}

func emailTaken(ctx context.Context, q *store.Queries, c *baton.Contact) (bool, error) {
	if c.Email == "" {
		return false, nil
	}
	other, err := q.FindContactByEmail(ctx, c.AccountID, c.Email)
	return taken(other, err, c)
}

func identifierTaken(ctx context.Context, q *store.Queries, c *baton.Contact) (bool, error) {
	if c.Identifier == "" {
		return false, nil
	}
	other, err := q.FindContactByIdentifier(ctx, c.AccountID, c.Identifier)
	return taken(other, err, c)
}

func taken(other *baton.Contact, err error, c *baton.Contact) (bool, error) {
	if errors.Is(err, baton.ErrNotFound) {
		return false, nil
	}
	return err == nil && other.ID != c.ID, err
}

func checkIdentity(inbox *baton.Inbox, in PublicContactInput) (bool, error) {
	identifier := ""
	if in.Identifier != nil {
		identifier = *in.Identifier
	}
	switch {
	case in.IdentifierHash != "" && identifier != "":
		if !auth.ValidIdentifierHash(inbox.HMACToken, identifier, in.IdentifierHash) {
			return false, auth.ErrIdentifierHash
		}
		return true, nil
	case inbox.HMACMandatory:
		return false, auth.ErrIdentifierHash
	}
	return false, nil
}

// PublicContact returns the contact the context's credential names: a
// source id in an API inbox.
func (a *App) PublicContact(ctx context.Context) (*PublicSession, error) {
	return a.publicSession(ctx, a.store.Read())
}

// PublicUpdateContact changes the contact the context's credential names. A verified
// identity cannot be changed to another identifier without a new hash.
func (a *App) PublicUpdateContact(ctx context.Context, in PublicContactInput) (*PublicSession, error) {
	var p *PublicSession
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if p, err = a.publicSession(ctx, q); err != nil {
			return err
		}
		if err := a.updateIdentity(ctx, q, p.Inbox, p.ContactInbox, p.Contact, in); err != nil {
			return err
		}
		return nil
	})
	return p, err
}

// updateIdentity changes a contact through one of their contact inboxes, as
// the public and widget APIs do. An identifier that comes with its HMAC is
// verified, and the contact inbox marked so; a verified identity changes
// only with a hash for the new one; when the inbox demands HMACs, a new
// identifier without one is refused.
func (a *App) updateIdentity(ctx context.Context, q *store.Queries, inbox *baton.Inbox, ci *baton.ContactInbox, c *baton.Contact, in PublicContactInput) error {
	verified := ci.HMACVerified
	changes := in.Identifier != nil && *in.Identifier != c.Identifier
	if changes || (in.Identifier != nil && in.IdentifierHash != "") {
		ok, err := checkIdentity(inbox, in)
		if err != nil {
			return err
		}
		if changes && verified && !ok {
			return auth.ErrIdentifierHash
		}
		verified = verified || ok
		if ok && !ci.HMACVerified {
			if err := q.SetContactInboxVerified(ctx, ci.ID, true, a.Now().Unix()); err != nil {
				return err
			}
			ci.HMACVerified = true
		}
	}
	before := *c
	if err := in.apply(c); err != nil {
		return err
	}
	if !verified {
		// As on create: a taken e-mail or identifier is not the caller's
		// to learn about; the contact keeps what it had.
		if c.Email != before.Email {
			if taken, err := emailTaken(ctx, q, c); err != nil {
				return err
			} else if taken {
				c.Email = before.Email
			}
		}
		if c.Identifier != before.Identifier {
			if taken, err := identifierTaken(ctx, q, c); err != nil {
				return err
			} else if taken {
				c.Identifier = before.Identifier
			}
		}
	}
	if in.Email != nil {
		c.ClaimEmail(baton.NormalizeEmail(*in.Email))
	}
	c.UpdatedAt = a.Now()
	if err := a.saveContact(ctx, q, c); err != nil {
		return err
	}
	return a.emitContact(ctx, q, &before, c)
}

// WidgetContact returns the widget's visitor.
func (a *App) WidgetContact(ctx context.Context) (*WidgetSession, error) {
	return a.widgetSession(ctx, a.store.Read())
}

// WidgetContactInput is what the widget changes of its visitor: setUser,
// setCustomAttributes and deleteCustomAttribute of Chatwoot's SDK.
type WidgetContactInput struct {
	PublicContactInput
	// AvatarURL is accepted and ignored: Baton does not fetch avatars from
	// URLs a visitor names.
	AvatarURL string
	// DeleteCustomAttributes are removed after CustomAttributes are merged.
	DeleteCustomAttributes []string
}

// WidgetUpdateContact changes the widget's visitor. Custom and additional
// attributes are merged into what the contact has, as Chatwoot's widget
// does; the identity rules are the public API's (updateIdentity), so an
// unverified identity is refused when the inbox demands HMACs.
func (a *App) WidgetUpdateContact(ctx context.Context, in WidgetContactInput) (*WidgetSession, error) {
	var w *WidgetSession
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if w, err = a.widgetSession(ctx, q); err != nil {
			return err
		}
		pin := in.PublicContactInput
		// apply merges what is sent; what is deleted goes first, and the
		// number of keys stays bounded.
		w.Contact.CustomAttributes = editAttributes(w.Contact.CustomAttributes, nil, in.DeleteCustomAttributes)
		pin.CustomAttributes = editAttributes(w.Contact.CustomAttributes, in.CustomAttributes, nil)
		return a.updateIdentity(ctx, q, w.Inbox, w.ContactInbox, w.Contact, pin)
	})
	return w, err
}

// maxAttributes bounds the custom attributes a visitor can pile up.
const maxAttributes = 100

// editAttributes is have with add over it (up to maxAttributes keys) and
// del removed, as a new map.
func editAttributes(have, add map[string]any, del []string) map[string]any {
	out := make(map[string]any, len(have)+len(add))
	for k, v := range have {
		out[k] = v
	}
	for k, v := range add {
		if len(out) >= maxAttributes {
			if _, ok := out[k]; !ok {
				continue
			}
		}
		out[k] = v
	}
	for _, k := range del {
		delete(out, k)
	}
	return out
}

// WidgetConfig starts or resumes a visit: with a valid widget token for the
// inbox it returns that token's contact, and without one (or with a token
// that is no longer good, as Chatwoot does) it makes a contact with a
// friendly random name and their contact inbox. Either way it issues a
// fresh token.
func (a *App) WidgetConfig(ctx context.Context) (*WidgetSession, error) {
	if a.key == nil {
		return nil, errors.New("widget tokens need the server key")
	}
	// A returning visitor needs no write.
	cred := baton.CredentialFromContext(ctx)
	acc, inbox, err := widgetInbox(ctx, a.store.Read(), cred.WebsiteToken)
	if err != nil {
		return nil, err
	}
	var w *WidgetSession
	if cred.WidgetToken != "" {
		w, err = a.widgetVisitor(ctx, a.store.Read(), acc, inbox, cred.WidgetToken)
		if err != nil && !errors.Is(err, auth.ErrNotAuthorized) {
			return nil, err
		}
	}
	if w == nil {
		if !takeAddr(a.newVisitors, baton.ClientAddrFromContext(ctx), a.now(), a.limits.WidgetContactsPerHour) {
			return nil, &baton.Error{Code: baton.ERATELIMIT, Message: "Too many new visitors from this address, try again later"}
		}
		err = a.store.Write(ctx, func(q *store.Queries) error {
			now := a.Now()
			c := &baton.Contact{AccountID: inbox.AccountID, AdditionalAttributes: map[string]any{},
				CustomAttributes: map[string]any{}, CreatedAt: now, UpdatedAt: now}
			c.Name = defaultContactName(c)
			if err := a.insertContact(ctx, q, c); err != nil {
				return err
			}
			if err := a.emitContact(ctx, q, nil, c); err != nil {
				return err
			}
			ci, err := a.createContactInbox(ctx, q, c, inbox, "", false)
			w = &WidgetSession{Account: acc, Inbox: inbox, ContactInbox: ci, Contact: c}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	w.Token = a.key.NewWidgetToken(w.ContactInbox.SourceID, inbox.ID, a.now())
	return w, nil
}
