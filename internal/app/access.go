package app

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// Authenticate returns the owner of an access token as an actor. An unknown
// token is unauthorized with Chatwoot's "Invalid Access Token".
func (a *App) Authenticate(ctx context.Context, token string) (*baton.Actor, error) {
	if token == "" {
		return nil, auth.ErrInvalidToken
	}
	q := a.store.Read()
	// The token with its owner, a user or a bot, in one statement.
	o, err := q.FindTokenOwner(ctx, auth.HashToken(token))
	if errors.Is(err, baton.ErrNotFound) {
		return nil, auth.ErrInvalidToken
	} else if err != nil {
		return nil, err
	}
	t := o.Token
	switch t.OwnerType {
	case store.OwnerUser:
		if o.User == nil {
			return nil, auth.ErrInvalidToken
		}
		return &baton.Actor{Kind: baton.ActorUser, User: o.User, Name: o.User.AvailableName()}, nil
	case store.OwnerPlatformApp:
		p, err := q.FindPlatformApp(ctx, t.OwnerID)
		if err != nil {
			return nil, auth.ErrInvalidToken
		}
		return &baton.Actor{Kind: baton.ActorPlatformApp, PlatformApp: p, Name: p.Name}, nil
	case store.OwnerAgentBot:
		if o.Bot == nil {
			return nil, auth.ErrInvalidToken
		}
		return &baton.Actor{Kind: baton.ActorAgentBot, Bot: o.Bot, Name: o.Bot.Name}, nil
	}
	return nil, auth.ErrInvalidToken
}

// scope is the caller's standing in one account.
type scope struct {
	account *baton.Account
	actor   *baton.Actor
	role    baton.Role
	// inboxIDs are the inboxes an agent is a member of; nil for anyone who
	// sees every inbox of the account.
	inboxIDs []int64
}

// accountScope resolves the caller of ctx in the account. Users must be
// members; an account they are not in answers the same whether or not it
// exists. The system actor sees everything.
func (a *App) accountScope(ctx context.Context, q *store.Queries, accountID int64) (*scope, error) {
	actor := baton.ActorFromContext(ctx)
	s := &scope{actor: actor}
	var acc *baton.Account
	var err error
	// The account is read with the caller's standing in it, in one
	// statement for users and bots.
	switch actor.Kind {
	case baton.ActorUser:
		acc, s.role, err = q.FindAccountForUser(ctx, accountID, actor.User.ID)
		if errors.Is(err, baton.ErrNotFound) {
			return nil, auth.ErrNotMember
		} else if err != nil {
			return nil, err
		}
		if s.role != baton.RoleAdministrator {
			all, err := q.ListInboxes(ctx, accountID, actor.User.ID)
			if err != nil {
				return nil, err
			}
			s.inboxIDs = make([]int64, 0, len(all))
			for _, i := range all {
				s.inboxIDs = append(s.inboxIDs, i.ID)
			}
		}
	case baton.ActorSystem:
		s.role = baton.RoleAdministrator
		acc, err = q.FindAccount(ctx, accountID)
		if errors.Is(err, baton.ErrNotFound) {
			return nil, auth.ErrNotMember
		} else if err != nil {
			return nil, err
		}
	case baton.ActorAgentBot:
		// A bot acts in the inboxes it is connected to, in accounts where
		// it is connected to one (an account bot only in its own).
		b := actor.Bot
		if !b.Global() && b.AccountID != accountID {
			return nil, auth.ErrBotAccount
		}
		var ids []int64
		acc, ids, err = q.FindAccountForBot(ctx, accountID, b.ID)
		if err != nil && !errors.Is(err, baton.ErrNotFound) {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, auth.ErrBotAccount
		}
		s.inboxIDs, s.role = ids, baton.RoleAgent
	case baton.ActorPlatformApp:
		return nil, auth.ErrNotMember
	default:
		return nil, auth.ErrInvalidToken
	}
	if acc.Status == baton.AccountSuspended {
		return nil, auth.ErrSuspended
	}
	s.account = acc
	return s, nil
}

// admin requires the administrator role.
func (s *scope) admin() error {
	if s.role != baton.RoleAdministrator {
		return auth.ErrNotAuthorized
	}
	return nil
}

// adminScope is accountScope for a caller who must administer the account.
func (a *App) adminScope(ctx context.Context, q *store.Queries, accountID int64) (*scope, error) {
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	if err := s.admin(); err != nil {
		return nil, err
	}
	return s, nil
}

// adminOf requires the caller to administer the account.
func (a *App) adminOf(ctx context.Context, q *store.Queries, accountID int64) error {
	_, err := a.adminScope(ctx, q, accountID)
	return err
}

// inboxMember is the user whose inboxes the caller sees: theirs, an
// agent's; 0 for anyone who sees every inbox of the account.
func (s *scope) inboxMember() int64 {
	if s.inboxIDs == nil {
		return 0
	}
	return s.userID()
}

// seesInbox reports whether the caller works the inbox.
func (s *scope) seesInbox(inboxID int64) bool {
	return s.inboxIDs == nil || slices.Contains(s.inboxIDs, inboxID)
}

// inbox finds an inbox of the account that the caller works: any other is
// not found, whether or not it exists.
func (s *scope) inbox(ctx context.Context, q *store.Queries, inboxID int64) (*baton.Inbox, error) {
	if !s.seesInbox(inboxID) {
		return nil, baton.ErrNotFound
	}
	return q.FindInbox(ctx, s.account.ID, inboxID)
}

// seesConversation reports whether the caller may see the conversation: an
// agent sees those of their inboxes and those assigned to them.
func (s *scope) seesConversation(c *baton.Conversation) bool {
	if s.seesInbox(c.InboxID) {
		return true
	}
	switch {
	case s.actor.User != nil:
		return c.AssigneeID == s.actor.User.ID
	case s.actor.Bot != nil:
		return c.AssigneeAgentBotID == s.actor.Bot.ID
	}
	return false
}

// assigned is who the caller is among assignees: the conversations
// assigned to them are theirs to see outside their inboxes, as
// seesConversation says, in lists too.
func (s *scope) assigned() store.Assigned {
	switch {
	case s.actor.User != nil:
		return store.Assigned{UserID: s.actor.User.ID}
	case s.actor.Bot != nil:
		return store.Assigned{AgentBotID: s.actor.Bot.ID}
	}
	return store.Assigned{}
}

// userID is the acting user's id, or 0.
func (s *scope) userID() int64 {
	if s.actor.User != nil {
		return s.actor.User.ID
	}
	return 0
}

// setToken gives the owner a new token and returns it.
func (a *App) setToken(ctx context.Context, q *store.Queries, ownerType string, ownerID int64) (string, error) {
	token := auth.NewToken()
	err := q.SetAccessToken(ctx, store.AccessToken{OwnerType: ownerType, OwnerID: ownerID,
		Hash: auth.HashToken(token), Sealed: a.key.Seal(token)}, a.Now())
	return token, err
}

// token returns the owner's token, opened from its sealed form.
func (a *App) token(ctx context.Context, q *store.Queries, ownerType string, ownerID int64) (string, error) {
	t, err := q.FindAccessToken(ctx, ownerType, ownerID)
	if err != nil {
		return "", err
	}
	return a.key.Open(t.Sealed)
}

// Administers requires the caller to administer the account, and answers
// as every administrators' request of the account does when they do not:
// what a handler asks before it reads a request whose faults it would
// otherwise tell someone outside the account.
func (a *App) Administers(ctx context.Context, accountID int64) error {
	return a.adminOf(ctx, a.store.Read(), accountID)
}

// IsAdmin reports whether the caller administers the account, for views
// that show administrators more.
func (a *App) IsAdmin(ctx context.Context, accountID int64) bool {
	s, err := a.accountScope(ctx, a.store.Read(), accountID)
	return err == nil && s.role == baton.RoleAdministrator
}

// The public client API serves customers' own code: an API inbox is found by
// its identifier and a contact by their source id there (the contact
// identifier). Knowing both is the credential, as in Chatwoot; the HTTP surface
// passes them in the context as a baton.ContactCredential.

// PublicSession is a contact acting through the public API in one inbox.
type PublicSession struct {
	Inbox        *baton.Inbox
	ContactInbox *baton.ContactInbox
	Contact      *baton.Contact
}

func (p *PublicSession) actor() *baton.Actor {
	return &baton.Actor{Kind: baton.ActorContact, ContactInbox: p.ContactInbox, Name: p.Contact.Name}
}

// publicSession finds the contact of the context's credential: a source id
// in an API inbox.
func (a *App) publicSession(ctx context.Context, q *store.Queries) (*PublicSession, error) {
	cred := baton.CredentialFromContext(ctx)
	inbox, err := q.FindInboxByIdentifier(ctx, cred.InboxIdentifier)
	if err != nil {
		return nil, err
	}
	ci, err := q.FindContactInboxBySource(ctx, inbox.ID, cred.SourceID)
	if err != nil {
		return nil, err
	}
	c, err := q.FindContact(ctx, inbox.AccountID, ci.ContactID)
	if err != nil {
		return nil, err
	}
	return &PublicSession{Inbox: inbox, ContactInbox: ci, Contact: c}, nil
}

// publicConversation finds one of the contact's conversations by display id.
func (a *App) publicConversation(ctx context.Context, q *store.Queries, displayID int64) (*PublicSession, *baton.Conversation, error) {
	cred := baton.CredentialFromContext(ctx)
	c, err := q.FindPublicConversation(ctx, cred.InboxIdentifier, cred.SourceID, displayID)
	if err != nil {
		return nil, nil, err
	}
	return &PublicSession{Inbox: c.Inbox, ContactInbox: c.ContactInbox, Contact: c.Contact}, c, nil
}

// The widget API serves the web widget: a web widget inbox is found by its
// website token, and the visitor by the widget token (X-Auth-Token) that
// WidgetConfig issues, a signed {source_id, inbox_id} naming their contact
// inbox. Unlike the public API's source ids, widget tokens cannot be made
// up: they are signed with the server key.

// WidgetSession is a visitor of a web widget inbox: the contact behind a
// valid widget token.
type WidgetSession struct {
	Account      *baton.Account
	Inbox        *baton.Inbox
	ContactInbox *baton.ContactInbox
	Contact      *baton.Contact
	// Token is the widget token WidgetConfig issued; empty elsewhere.
	Token string
}

func (w *WidgetSession) actor() *baton.Actor {
	return &baton.Actor{Kind: baton.ActorContact, ContactInbox: w.ContactInbox, Name: w.Contact.Name}
}

// widgetInbox finds the web widget inbox of a website token, refusing it
// while its account is suspended, as Chatwoot does.
func widgetInbox(ctx context.Context, q *store.Queries, websiteToken string) (*baton.Account, *baton.Inbox, error) {
	if websiteToken == "" {
		// Chatwoot answers 404 here too: a widget always sends its token.
		return nil, nil, &baton.Error{Code: baton.ENOTFOUND, Message: "website_token is missing"}
	}
	inbox, err := q.FindInboxByWebsiteToken(ctx, websiteToken)
	if errors.Is(err, baton.ErrNotFound) || (err == nil && !inbox.IsWebWidget()) {
		return nil, nil, &baton.Error{Code: baton.ENOTFOUND, Message: "No web widget has this website_token"}
	} else if err != nil {
		return nil, nil, err
	}
	acc, err := q.FindAccount(ctx, inbox.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if acc.Status == baton.AccountSuspended {
		return nil, nil, auth.ErrSuspended
	}
	return acc, inbox, nil
}

// widgetSession finds the visitor the context's credential names: a widget
// token in the inbox of a website token. A missing, forged or expired token, one made for another
// inbox, or one whose contact is gone is refused with a 401 that says
// which, so that the widget knows to ask for a new one.
func (a *App) widgetSession(ctx context.Context, q *store.Queries) (*WidgetSession, error) {
	cred := baton.CredentialFromContext(ctx)
	// A good token of a visitor of a working widget, nearly every call:
	// read in one statement. Anything else is read step by step, so that
	// the answer says what is wrong.
	if cred.WebsiteToken != "" && cred.WidgetToken != "" && a.key != nil {
		if claims, err := a.key.VerifyWidgetToken(cred.WidgetToken, a.now()); err == nil {
			v, err := q.FindWidgetVisitor(ctx, cred.WebsiteToken, claims.InboxID, claims.SourceID)
			if err == nil && v.Inbox.IsWebWidget() && v.Account.Status != baton.AccountSuspended {
				return &WidgetSession{Account: v.Account, Inbox: v.Inbox, ContactInbox: v.ContactInbox, Contact: v.Contact}, nil
			} else if err != nil && !errors.Is(err, baton.ErrNotFound) {
				return nil, err
			}
		}
	}
	acc, inbox, err := widgetInbox(ctx, q, cred.WebsiteToken)
	if err != nil {
		return nil, err
	}
	return a.widgetVisitor(ctx, q, acc, inbox, cred.WidgetToken)
}

func (a *App) widgetVisitor(ctx context.Context, q *store.Queries, acc *baton.Account, inbox *baton.Inbox, authToken string) (*WidgetSession, error) {
	unauthorized := func(msg string) error { return &baton.Error{Code: baton.EUNAUTHORIZED, Message: msg} }
	if authToken == "" {
		return nil, unauthorized("X-Auth-Token is missing: POST /api/v1/widget/config issues one")
	}
	if a.key == nil {
		return nil, errors.New("widget tokens need the server key")
	}
	claims, err := a.key.VerifyWidgetToken(authToken, a.now())
	switch {
	case errors.Is(err, auth.ErrWidgetTokenExpired):
		return nil, unauthorized("X-Auth-Token has expired")
	case err != nil:
		return nil, unauthorized("X-Auth-Token is invalid: " + strings.TrimPrefix(err.Error(), auth.ErrWidgetToken.Error()+": "))
	case claims.InboxID != inbox.ID:
		return nil, unauthorized("X-Auth-Token belongs to another inbox")
	}
	ci, err := q.FindContactInboxBySource(ctx, inbox.ID, claims.SourceID)
	if errors.Is(err, baton.ErrNotFound) {
		return nil, unauthorized("X-Auth-Token names no contact of this inbox")
	} else if err != nil {
		return nil, err
	}
	c, err := q.FindContact(ctx, inbox.AccountID, ci.ContactID)
	if errors.Is(err, baton.ErrNotFound) {
		return nil, unauthorized("X-Auth-Token names no contact of this inbox")
	} else if err != nil {
		return nil, err
	}
	return &WidgetSession{Account: acc, Inbox: inbox, ContactInbox: ci, Contact: c}, nil
}
