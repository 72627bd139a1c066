package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// The public client API serves customers' own code: an API inbox is found by
// its identifier and a contact by their source id there (the contact
// identifier). Knowing both is the credential, as in Chatwoot.

// PublicInbox returns the API inbox with the identifier.
func (a *App) PublicInbox(ctx context.Context, identifier string) (*baton.Inbox, error) {
	return a.store.Read().FindInboxByIdentifier(ctx, identifier)
}

// PublicContactInput is a contact as the public API creates or updates it.
type PublicContactInput struct {
	ContactInput
	SourceID       string
	IdentifierHash string
}

// PublicCreateContact makes a contact and their identity in the API inbox.
// When the inbox demands it, the identifier must come with its HMAC.
func (a *App) PublicCreateContact(ctx context.Context, identifier string, in PublicContactInput) (*baton.Contact, *baton.ContactInbox, error) {
	var c *baton.Contact
	var ci *baton.ContactInbox
	err := a.store.Write(ctx, func(q *store.Queries) error {
		inbox, err := q.FindInboxByIdentifier(ctx, identifier)
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
					known.Identifier, known.UpdatedAt = "", now
					if err := a.saveContact(ctx, q, known); err != nil {
						return err
					}
				}
			} else if baton.ErrorCode(err) != baton.ENOTFOUND {
				return err
			}
		}
		if c.ID == 0 {
			// Whether an e-mail or identifier is the account's already is
			// nothing a caller without a verified identity learns: the
			// new contact simply goes without it.
			if err := dropTaken(ctx, q, c, !verified); err != nil {
				return err
			}
			if c.Name == "" {
				c.Name = defaultContactName(c)
			}
			if err := a.insertContact(ctx, q, c); err != nil {
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
	if baton.ErrorCode(err) == baton.ENOTFOUND {
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
			return false, &baton.Error{Code: baton.EUNAUTHORIZED, Message: "HMAC failed: Invalid Identifier Hash Provided"}
		}
		return true, nil
	case inbox.HMACMandatory:
		return false, &baton.Error{Code: baton.EUNAUTHORIZED, Message: "HMAC failed: Invalid Identifier Hash Provided"}
	}
	return false, nil
}

// PublicSession is a contact acting through the public API in one inbox.
type PublicSession struct {
	Inbox        *baton.Inbox
	ContactInbox *baton.ContactInbox
	Contact      *baton.Contact
}

func (p *PublicSession) actor() *baton.Actor {
	return &baton.Actor{Kind: baton.ActorContact, ContactInbox: p.ContactInbox, Name: p.Contact.Name}
}

// publicSession finds the contact of a source id in an API inbox.
func (a *App) publicSession(ctx context.Context, q *store.Queries, identifier, sourceID string) (*PublicSession, error) {
	inbox, err := q.FindInboxByIdentifier(ctx, identifier)
	if err != nil {
		return nil, err
	}
	ci, err := q.FindContactInboxBySource(ctx, inbox.ID, sourceID)
	if err != nil {
		return nil, err
	}
	c, err := q.FindContact(ctx, inbox.AccountID, ci.ContactID)
	if err != nil {
		return nil, err
	}
	return &PublicSession{Inbox: inbox, ContactInbox: ci, Contact: c}, nil
}

// PublicContact returns the contact of a source id in an API inbox.
func (a *App) PublicContact(ctx context.Context, identifier, sourceID string) (*PublicSession, error) {
	return a.publicSession(ctx, a.store.Read(), identifier, sourceID)
}

// PublicUpdateContact changes the contact of a source id. A verified
// identity cannot be changed to another identifier without a new hash.
func (a *App) PublicUpdateContact(ctx context.Context, identifier, sourceID string, in PublicContactInput) (*PublicSession, error) {
	var p *PublicSession
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if p, err = a.publicSession(ctx, q, identifier, sourceID); err != nil {
			return err
		}
		verified := p.ContactInbox.HMACVerified
		if in.Identifier != nil && *in.Identifier != p.Contact.Identifier {
			ok, err := checkIdentity(p.Inbox, in)
			if err != nil {
				return err
			}
			// A verified identity changes only with a hash for the new one.
			if verified && !ok {
				return &baton.Error{Code: baton.EUNAUTHORIZED, Message: "HMAC failed: Invalid Identifier Hash Provided"}
			}
			verified = ok
		}
		before := *p.Contact
		if err := in.apply(p.Contact); err != nil {
			return err
		}
		if !verified {
			// As on create: a taken e-mail or identifier is not the caller's
			// to learn about; the contact keeps what it had.
			if p.Contact.Email != before.Email {
				if taken, err := emailTaken(ctx, q, p.Contact); err != nil {
					return err
				} else if taken {
					p.Contact.Email = before.Email
				}
			}
			if p.Contact.Identifier != before.Identifier {
				if taken, err := identifierTaken(ctx, q, p.Contact); err != nil {
					return err
				} else if taken {
					p.Contact.Identifier = before.Identifier
				}
			}
		}
		p.Contact.UpdatedAt = a.Now()
		return a.saveContact(ctx, q, p.Contact)
	})
	return p, err
}

// PublicConversations lists the contact's conversations in the inbox, with
// their public messages.
func (a *App) PublicConversations(ctx context.Context, identifier, sourceID string) ([]*baton.Conversation, map[int64][]*baton.Message, error) {
	q := a.store.Read()
	p, err := a.publicSession(ctx, q, identifier, sourceID)
	if err != nil {
		return nil, nil, err
	}
	cs, err := q.ListConversations(ctx, store.ConversationFilter{AccountID: p.Inbox.AccountID,
		ContactInboxID: p.ContactInbox.ID, Limit: 100})
	if err != nil {
		return nil, nil, err
	}
	l := newLoader(q)
	msgs := map[int64][]*baton.Message{}
	for _, c := range cs {
		c.Inbox, c.Contact, c.ContactInbox = p.Inbox, p.Contact, p.ContactInbox
		ms, err := q.ListMessages(ctx, store.MessageFilter{ConversationID: c.ID, Public: true, Limit: 100})
		if err != nil {
			return nil, nil, err
		}
		if err := l.messages(ctx, c, ms); err != nil {
			return nil, nil, err
		}
		msgs[c.ID] = ms
	}
	return cs, msgs, nil
}

// PublicCreateConversation opens a conversation for the contact.
func (a *App) PublicCreateConversation(ctx context.Context, identifier, sourceID string, custom map[string]any) (*baton.Conversation, error) {
	var c *baton.Conversation
	err := a.store.Write(ctx, func(q *store.Queries) error {
		p, err := a.publicSession(ctx, q, identifier, sourceID)
		if err != nil {
			return err
		}
		if p.Inbox.LockToSingleConversation {
			if last, err := q.LastConversationOf(ctx, p.ContactInbox.ID); err == nil {
				c = last
				return nil
			}
		}
		if c, err = a.newConversation(ctx, q, p.Inbox, p.Contact, p.ContactInbox, nil); err != nil {
			return err
		}
		c.CustomAttributes = orEmpty(custom)
		return a.insertConversation(ctx, q, c)
	})
	if err != nil {
		return nil, err
	}
	return a.loadConversation(ctx, c)
}

// publicConversation finds one of the contact's conversations by display id.
func (a *App) publicConversation(ctx context.Context, q *store.Queries, identifier, sourceID string, displayID int64) (*PublicSession, *baton.Conversation, error) {
	c, err := q.FindPublicConversation(ctx, identifier, sourceID, displayID)
	if err != nil {
		return nil, nil, err
	}
	return &PublicSession{Inbox: c.Inbox, ContactInbox: c.ContactInbox, Contact: c.Contact}, c, nil
}

// PublicConversation returns one of the contact's conversations.
func (a *App) PublicConversation(ctx context.Context, identifier, sourceID string, displayID int64) (*baton.Conversation, []*baton.Message, error) {
	q := a.store.Read()
	_, c, err := a.publicConversation(ctx, q, identifier, sourceID, displayID)
	if err != nil {
		return nil, nil, err
	}
	ms, err := q.ListMessages(ctx, store.MessageFilter{ConversationID: c.ID, Public: true, Limit: 100})
	if err != nil {
		return nil, nil, err
	}
	return c, ms, newLoader(q).messages(ctx, c, ms)
}

// PublicResolve resolves one of the contact's conversations; resolving a
// resolved conversation changes nothing.
func (a *App) PublicResolve(ctx context.Context, identifier, sourceID string, displayID int64) (*baton.Conversation, []*baton.Message, error) {
	err := a.store.Write(ctx, func(q *store.Queries) error {
		p, c, err := a.publicConversation(ctx, q, identifier, sourceID, displayID)
		if err != nil {
			return err
		}
		if c.Status == baton.StatusResolved {
			return nil
		}
		prev := snapshot(c)
		if err := a.setStatus(ctx, q, c, baton.StatusResolved, nil, p.actor()); err != nil {
			return err
		}
		return a.saveConversation(ctx, q, prev, c)
	})
	if err != nil {
		return nil, nil, err
	}
	return a.PublicConversation(ctx, identifier, sourceID, displayID)
}

// PublicTyping shows the contact typing to the conversation's agents, or
// stops showing it.
func (a *App) PublicTyping(ctx context.Context, identifier, sourceID string, displayID int64, status string) error {
	if status != "on" && status != "off" {
		return baton.Invalid("typing_status must be on or off", "typing_status")
	}
	_, c, err := a.publicConversation(ctx, a.store.Read(), identifier, sourceID, displayID)
	if err != nil {
		return err
	}
	return a.publishTyping(ctx, c, baton.SenderContact, c.ContactID, status == "on", false)
}

// PublicUpdateLastSeen records that the contact read the conversation.
func (a *App) PublicUpdateLastSeen(ctx context.Context, identifier, sourceID string, displayID int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		_, c, err := a.publicConversation(ctx, q, identifier, sourceID, displayID)
		if err != nil {
			return err
		}
		now := a.Now()
		c.ContactLastSeenAt = &now
		if err := q.UpdateConversation(ctx, c); err != nil {
			return err
		}
		return a.publishConversation(ctx, q, baton.EventConversationRead, c, nil)
	})
}

// PublicMessages lists the public messages of one of the contact's
// conversations: the newest 20 before the id Before, when set.
func (a *App) PublicMessages(ctx context.Context, identifier, sourceID string, displayID, before int64) ([]*baton.Message, error) {
	q := a.store.Read()
	_, c, err := a.publicConversation(ctx, q, identifier, sourceID, displayID)
	if err != nil {
		return nil, err
	}
	ms, err := q.ListMessages(ctx, store.MessageFilter{ConversationID: c.ID, Public: true, Before: before})
	if err != nil {
		return nil, err
	}
	return ms, newLoader(q).messages(ctx, c, ms)
}

// PublicMessageInput is a customer's message.
type PublicMessageInput struct {
	Content *string
	EchoID  string
	Files   []FileInput
}

// PublicCreateMessage adds the contact's message to one of their conversations.
func (a *App) PublicCreateMessage(ctx context.Context, identifier, sourceID string, displayID int64, in PublicMessageInput) (*baton.Message, error) {
	// Files are stored before the transaction, so that SQLite's one writer
	// never waits on a disk copy, and once the conversation is known to be
	// the contact's, so that strangers cannot fill the disk. Without files
	// the lookup is done once, in the transaction: on the reader pool it
	// cost more than it saved.
	var files []stored
	if len(in.Files) > 0 {
		_, known, err := a.publicConversation(ctx, a.store.Read(), identifier, sourceID, displayID)
		if err != nil {
			return nil, err
		}
		if files, err = a.storeFiles(ctx, known.AccountID, in.Files); err != nil {
			return nil, err
		}
	}
	var m *baton.Message
	var c *baton.Conversation
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		var p *PublicSession
		if p, c, err = a.publicConversation(ctx, q, identifier, sourceID, displayID); err != nil {
			return err
		}
		m = &baton.Message{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
			MessageType: baton.MessageIncoming, Content: in.Content, EchoID: in.EchoID,
			SenderType: baton.SenderContact, SenderID: p.Contact.ID, ContentAttributes: map[string]any{}}
		return a.addMessage(ctx, q, p.actor(), c, m, files)
	})
	if err != nil {
		a.deleteFiles(files)
		return nil, err
	}
	// The sender is the contact read in the transaction and the attachments
	// are those addMessage made: loadMessage would read both again, two
	// queries more on the customer message hot path.
	m.ConversationDisplayID = c.DisplayID
	m.Sender = &baton.Sender{Type: baton.SenderContact, Contact: c.Contact}
	return m, nil
}

// CSATWindow is how long after it was sent a CSAT survey can be answered.
const CSATWindow = 14 * 24 * time.Hour

// Answer is a customer's answer to an interactive message.
type Answer struct {
	SubmittedValues any    // an array for input_select and form, an object for input_csat
	SubmittedEmail  string // for input_email
}

// PublicAnswer records the contact's answer to an interactive message of one
// of their conversations.
func (a *App) PublicAnswer(ctx context.Context, identifier, sourceID string, displayID, messageID int64, ans Answer) (*baton.Message, error) {
	var m *baton.Message
	var c *baton.Conversation
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		var p *PublicSession
		if p, c, err = a.publicConversation(ctx, q, identifier, sourceID, displayID); err != nil {
			return err
		}
		if m, err = q.FindMessage(ctx, c.ID, messageID); err != nil {
			return err
		}
		if m.Private {
			return baton.ErrNotFound
		}
		return a.answer(ctx, q, p.Contact, c, m, ans)
	})
	if err != nil {
		return nil, err
	}
	return m, a.loadMessage(ctx, c, m)
}

// answer checks an answer against the message it answers and stores it in
// the message's content attributes. An e-mail given to input_email becomes
// the contact's when they have none.
func (a *App) answer(ctx context.Context, q *store.Queries, contact *baton.Contact, c *baton.Conversation, m *baton.Message, ans Answer) error {
	now := a.Now()
	switch m.ContentType {
	case baton.ContentInputEmail:
		email := baton.NormalizeEmail(ans.SubmittedEmail)
		if email == "" {
			email = baton.NormalizeEmail(firstValue(ans.SubmittedValues))
		}
		if !baton.ValidEmail(email) {
			return baton.Invalid("Submitted email is invalid", "submitted_email")
		}
		m.ContentAttributes["submitted_email"] = email
		// An e-mail another contact has stays theirs. It is looked up, not
		// left to the unique index: a failed statement aborts the whole
		// transaction on PostgreSQL.
		if contact.Email == "" {
			_, err := q.FindContactByEmail(ctx, contact.AccountID, email)
			switch baton.ErrorCode(err) {
			case baton.ENOTFOUND:
				contact.Email, contact.UpdatedAt = email, now
				if err := a.saveContact(ctx, q, contact); err != nil {
					return err
				}
			case "":
			default:
				return err
			}
		}
	case baton.ContentInputCSAT:
		if now.Sub(m.CreatedAt) > CSATWindow {
			return baton.Invalid("You cannot update the CSAT survey after 14 days", "submitted_values")
		}
		v, err := csatAnswer(ans.SubmittedValues)
		if err != nil {
			return err
		}
		m.ContentAttributes["submitted_values"] = v
	case baton.ContentInputSelect:
		v, err := selectAnswer(m, ans.SubmittedValues)
		if err != nil {
			return err
		}
		m.ContentAttributes["submitted_values"] = v
	case baton.ContentForm:
		v, err := formAnswer(m, ans.SubmittedValues)
		if err != nil {
			return err
		}
		m.ContentAttributes["submitted_values"] = v
	default:
		return baton.Invalid(fmt.Sprintf("Message %d is not a question that can be answered (content type %s)", m.ID, m.ContentType), "submitted_values")
	}
	m.UpdatedAt = now
	if err := q.UpdateMessage(ctx, m); err != nil {
		return err
	}
	link, err := inboxBot(ctx, q, c.InboxID)
	if err != nil {
		return err
	}
	return a.emitMessageTo(ctx, q, baton.EventMessageUpdated, c, m, link, true)
}

func firstValue(v any) string {
	if list, ok := v.([]any); ok && len(list) > 0 {
		if item, ok := list[0].(map[string]any); ok {
			s, _ := item["value"].(string)
			return s
		}
	}
	return ""
}

func csatAnswer(v any) (map[string]any, error) {
	obj, ok := v.(map[string]any)
	resp, ok2 := obj["csat_survey_response"].(map[string]any)
	if !ok || !ok2 {
		return nil, baton.Invalid("Submitted values must be {\"csat_survey_response\": {\"rating\": 1-5, \"feedback_message\": \"…\"}}", "submitted_values")
	}
	rating, ok := resp["rating"].(float64)
	if !ok || rating != float64(int(rating)) || rating < 1 || rating > 5 {
		return nil, baton.Invalid("Rating must be a whole number from 1 to 5", "submitted_values")
	}
	out := map[string]any{"rating": int(rating)}
	if fb, ok := resp["feedback_message"].(string); ok {
		out["feedback_message"] = fb
	} else if resp["feedback_message"] != nil {
		return nil, baton.Invalid("Feedback message must be text", "submitted_values")
	}
	return map[string]any{"csat_survey_response": out}, nil
}

// selectAnswer accepts the chosen items of an input_select: each must be one
// of the message's items, matched by value, or by title when it has none.
func selectAnswer(m *baton.Message, v any) ([]any, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, baton.Invalid("Submitted values must be a list of the chosen items", "submitted_values")
	}
	items, _ := m.ContentAttributes["items"].([]any)
	var out []any
	for _, raw := range list {
		chosen, ok := raw.(map[string]any)
		if !ok {
			return nil, baton.Invalid("Submitted values must be a list of the chosen items", "submitted_values")
		}
		var match map[string]any
		for _, it := range items {
			item, _ := it.(map[string]any)
			if item == nil {
				continue
			}
			if v, ok := chosen["value"]; ok && v != nil && fmt.Sprint(v) == fmt.Sprint(item["value"]) {
				match = item
			} else if t, ok := chosen["title"]; ok && item["value"] == nil && fmt.Sprint(t) == fmt.Sprint(item["title"]) {
				match = item
			}
			if match != nil {
				break
			}
		}
		if match == nil {
			return nil, baton.Invalid(fmt.Sprintf("Submitted value %v is not one of the options", chosen["value"]), "submitted_values")
		}
		out = append(out, map[string]any{"title": match["title"], "value": match["value"]})
	}
	return out, nil
}

// formAnswer accepts a form's answers: [{name, value}] for the form's
// fields, with every required field answered and e-mail fields valid.
func formAnswer(m *baton.Message, v any) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, baton.Invalid("Submitted values must be a list of {name, value}", "submitted_values")
	}
	items, _ := m.ContentAttributes["items"].([]any)
	fields := map[string]map[string]any{}
	for _, it := range items {
		if item, ok := it.(map[string]any); ok {
			if name, ok := item["name"].(string); ok {
				fields[name] = item
			}
		}
	}
	var out []any
	var answered []string
	for _, raw := range list {
		ans, ok := raw.(map[string]any)
		name, _ := ans["name"].(string)
		if !ok || name == "" {
			return nil, baton.Invalid("Submitted values must be a list of {name, value}", "submitted_values")
		}
		field, ok := fields[name]
		if !ok {
			return nil, baton.Invalid(fmt.Sprintf("The form has no field %q", name), "submitted_values")
		}
		value := fmt.Sprint(orBlank(ans["value"]))
		if field["type"] == "email" && value != "" && !baton.ValidEmail(strings.TrimSpace(value)) {
			return nil, baton.Invalid(fmt.Sprintf("Field %q needs an e-mail address", name), "submitted_values")
		}
		if value != "" {
			answered = append(answered, name)
		}
		out = append(out, map[string]any{"name": name, "value": value})
	}
	for name, field := range fields {
		if req, _ := field["required"].(bool); req && !slices.Contains(answered, name) {
			return nil, baton.Invalid(fmt.Sprintf("Field %q is required", name), "submitted_values")
		}
	}
	return out, nil
}

func orBlank(v any) any {
	if v == nil {
		return ""
	}
	return v
}
