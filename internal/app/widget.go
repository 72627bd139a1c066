package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

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

// WidgetEventTriggered is the one event the widget raises: the visitor
// opened the widget. Bots receive it as webwidget_triggered.
const WidgetEventTriggered = "webwidget.triggered"

// widgetInbox finds the web widget inbox of a website token, refusing it
// while its account is suspended, as Chatwoot does.
func widgetInbox(ctx context.Context, q *store.Queries, websiteToken string) (*baton.Account, *baton.Inbox, error) {
	if websiteToken == "" {
		// Chatwoot answers 404 here too: a widget always sends its token.
		return nil, nil, &baton.Error{Code: baton.ENOTFOUND, Message: "website_token is missing"}
	}
	inbox, err := q.FindInboxByWebsiteToken(ctx, websiteToken)
	if baton.ErrorCode(err) == baton.ENOTFOUND || (err == nil && !inbox.IsWebWidget()) {
		return nil, nil, &baton.Error{Code: baton.ENOTFOUND, Message: "No web widget has this website_token"}
	} else if err != nil {
		return nil, nil, err
	}
	acc, err := q.FindAccount(ctx, inbox.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if acc.Status == baton.AccountSuspended {
		return nil, nil, errSuspended
	}
	return acc, inbox, nil
}

// widgetSession finds the visitor a widget token names in the inbox of a
// website token. A missing, forged or expired token, one made for another
// inbox, or one whose contact is gone is refused with a 401 that says
// which, so that the widget knows to ask for a new one.
func (a *App) widgetSession(ctx context.Context, q *store.Queries, websiteToken, authToken string) (*WidgetSession, error) {
	acc, inbox, err := widgetInbox(ctx, q, websiteToken)
	if err != nil {
		return nil, err
	}
	return a.widgetVisitor(ctx, q, acc, inbox, authToken)
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
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil, unauthorized("X-Auth-Token names no contact of this inbox")
	} else if err != nil {
		return nil, err
	}
	c, err := q.FindContact(ctx, inbox.AccountID, ci.ContactID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil, unauthorized("X-Auth-Token names no contact of this inbox")
	} else if err != nil {
		return nil, err
	}
	return &WidgetSession{Account: acc, Inbox: inbox, ContactInbox: ci, Contact: c}, nil
}

// WidgetConfig starts or resumes a visit: with a valid widget token for the
// inbox it returns that token's contact, and without one (or with a token
// that is no longer good, as Chatwoot does) it makes a contact with a
// friendly random name and their contact inbox. Either way it issues a
// fresh token.
func (a *App) WidgetConfig(ctx context.Context, websiteToken, authToken string) (*WidgetSession, error) {
	if a.key == nil {
		return nil, errors.New("widget tokens need the server key")
	}
	// A returning visitor needs no write.
	acc, inbox, err := widgetInbox(ctx, a.store.Read(), websiteToken)
	if err != nil {
		return nil, err
	}
	var w *WidgetSession
	if authToken != "" {
		w, err = a.widgetVisitor(ctx, a.store.Read(), acc, inbox, authToken)
		if err != nil && baton.ErrorCode(err) != baton.EUNAUTHORIZED {
			return nil, err
		}
	}
	if w == nil {
		err = a.store.Write(ctx, func(q *store.Queries) error {
			now := a.Now()
			c := &baton.Contact{AccountID: inbox.AccountID, AdditionalAttributes: map[string]any{},
				CustomAttributes: map[string]any{}, CreatedAt: now, UpdatedAt: now}
			c.Name = defaultContactName(c)
			if err := a.insertContact(ctx, q, c); err != nil {
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

// WidgetTriggered raises webwidget_triggered to the inbox's bot: the
// visitor opened the widget. info is what the widget said of the visit,
// with what the server saw (language, browser) already merged in. The
// event has no conversation of its own, so it travels in the bot's lane of
// conversation-less events; current_conversation in its payload is the
// visitor's latest conversation, if any.
func (a *App) WidgetTriggered(ctx context.Context, websiteToken, authToken, name string, info map[string]any) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		w, err := a.widgetSession(ctx, q, websiteToken, authToken)
		if err != nil {
			return err
		}
		if name != WidgetEventTriggered {
			return baton.Invalid(fmt.Sprintf("Unknown event %q: the widget raises only %s", name, WidgetEventTriggered), "name")
		}
		// Chatwoot tells only the inbox's own bot, never a conversation's
		// assigned bot; loading the conversation is spared when it has none.
		bots, err := eventBots(ctx, q, w.Inbox.ID, 0)
		if err != nil || len(bots) == 0 || a.render == nil {
			return err
		}
		c, err := q.LastConversationOf(ctx, w.ContactInbox.ID)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			c, err = nil, nil
		} else if err == nil {
			err = newLoader(q).conversation(ctx, c)
		}
		if err != nil {
			return err
		}
		return a.emitTo(ctx, q, &baton.Event{AccountID: w.Inbox.AccountID, Account: w.Account, Name: baton.EventWebwidgetTriggered,
			ContactInbox: w.ContactInbox, Contact: w.Contact, Inbox: w.Inbox, Conversation: c,
			EventInfo: orEmpty(info)}, bots)
	})
}

// currentConversation is the conversation a visitor's message goes to: the
// latest, unless it is resolved and the inbox does not take messages on
// resolved conversations (then the widget starts a new one, as Chatwoot's
// does), or nil.
func currentConversation(ctx context.Context, q *store.Queries, w *WidgetSession) (*baton.Conversation, error) {
	c, err := q.LastConversationOf(ctx, w.ContactInbox.ID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if c.Status == baton.StatusResolved && !w.Inbox.AllowMessagesAfterResolved && !w.Inbox.LockToSingleConversation {
		return nil, nil
	}
	c.Inbox, c.Contact, c.ContactInbox = w.Inbox, w.Contact, w.ContactInbox
	return c, nil
}

// WidgetMessageInput is a visitor's message.
type WidgetMessageInput struct {
	Content *string
	EchoID  string
	ReplyTo int64 // the id of the message it answers, or 0
	// Visit becomes the additional attributes of a conversation the message
	// starts: browser, referer and initiated_at, as Chatwoot records them.
	Visit map[string]any
	Files []FileInput
}

// WidgetCreateMessage adds the visitor's message to their current
// conversation, starting one (pending when the inbox has an active bot)
// when there is none.
func (a *App) WidgetCreateMessage(ctx context.Context, websiteToken, authToken string, in WidgetMessageInput) (*baton.Message, error) {
	// Files are stored before the transaction, once the visitor is known,
	// as the public API does.
	var files []stored
	if len(in.Files) > 0 {
		w, err := a.widgetSession(ctx, a.store.Read(), websiteToken, authToken)
		if err != nil {
			return nil, err
		}
		if files, err = a.storeFiles(ctx, w.Inbox.AccountID, in.Files); err != nil {
			return nil, err
		}
	}
	var m *baton.Message
	var c *baton.Conversation
	var w *WidgetSession
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if w, err = a.widgetSession(ctx, q, websiteToken, authToken); err != nil {
			return err
		}
		if c, err = currentConversation(ctx, q, w); err != nil {
			return err
		}
		if c == nil {
			if c, err = a.newConversation(ctx, q, w.Inbox, w.Contact, w.ContactInbox, nil); err != nil {
				return err
			}
			c.AdditionalAttributes = orEmpty(in.Visit)
			if err := a.insertConversation(ctx, q, c); err != nil {
				return err
			}
		}
		m = &baton.Message{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
			MessageType: baton.MessageIncoming, Content: in.Content, EchoID: in.EchoID,
			SenderType: baton.SenderContact, SenderID: w.Contact.ID, ContentAttributes: map[string]any{}}
		if in.ReplyTo != 0 {
			// replyTarget reads the id as JSON decoded it.
			m.ContentAttributes["in_reply_to"] = float64(in.ReplyTo)
		}
		return a.addMessage(ctx, q, w.actor(), c, m, files)
	})
	if err != nil {
		a.deleteFiles(files)
		return nil, err
	}
	m.ConversationDisplayID = c.DisplayID
	m.Sender = &baton.Sender{Type: baton.SenderContact, Contact: w.Contact}
	return m, nil
}

// WidgetMessages lists the public messages of the visitor's latest
// conversation, the newest 20 before the id before when it is set; none
// when they have no conversation yet.
func (a *App) WidgetMessages(ctx context.Context, websiteToken, authToken string, before int64) ([]*baton.Message, error) {
	q := a.store.Read()
	w, err := a.widgetSession(ctx, q, websiteToken, authToken)
	if err != nil {
		return nil, err
	}
	c, err := q.LastConversationOf(ctx, w.ContactInbox.ID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return []*baton.Message{}, nil
	} else if err != nil {
		return nil, err
	}
	ms, err := q.ListMessages(ctx, store.MessageFilter{ConversationID: c.ID, Public: true, Before: before})
	if err != nil {
		return nil, err
	}
	return ms, newLoader(q).messages(ctx, c, ms)
}

// WidgetAnswer records the visitor's answer to an interactive message. The
// message must be one of the visitor's own conversations: Chatwoot looks it
// up in the whole inbox, which lets any visitor answer anybody's question.
func (a *App) WidgetAnswer(ctx context.Context, websiteToken, authToken string, messageID int64, ans Answer) (*baton.Message, error) {
	var m *baton.Message
	var c *baton.Conversation
	err := a.store.Write(ctx, func(q *store.Queries) error {
		w, err := a.widgetSession(ctx, q, websiteToken, authToken)
		if err != nil {
			return err
		}
		if m, err = q.FindInboxMessage(ctx, w.Inbox.ID, messageID); err != nil {
			return err
		}
		if c, err = q.FindConversationByID(ctx, m.ConversationID); err != nil {
			return err
		}
		if c.ContactInboxID != w.ContactInbox.ID || m.Private {
			return baton.ErrNotFound
		}
		c.Inbox, c.Contact, c.ContactInbox = w.Inbox, w.Contact, w.ContactInbox
		return a.answer(ctx, q, w.Contact, c, m, ans)
	})
	if err != nil {
		return nil, err
	}
	return m, a.loadMessage(ctx, c, m)
}
