package app

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// InboxInput holds the fields of an inbox create or update; nil fields are
// left as they are. ChannelType is read on create only.
type InboxInput struct {
	Name                       *string
	ChannelType                string // baton.ChannelAPI or baton.ChannelWebWidget
	WebhookURL                 *string
	HMACMandatory              *bool
	WebsiteURL                 *string
	WidgetColor                *string
	WelcomeTitle               *string
	WelcomeTagline             *string
	GreetingEnabled            *bool
	GreetingMessage            *string
	EnableEmailCollect         *bool
	CSATSurveyEnabled          *bool
	AllowMessagesAfterResolved *bool
	LockToSingleConversation   *bool
	EnableAutoAssignment       *bool
	WorkingHoursEnabled        *bool
	OutOfOfficeMessage         *string
	Timezone                   *string
	BotRepliesWhenOpen         *bool
	CustomerCanRequestHuman    *bool
	MaxAssignmentLimit         *int // 0 is no limit
}

func (in InboxInput) apply(i *baton.Inbox) error {
	setString := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	setBool := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	setString(&i.Name, in.Name)
	if i.Name == "" {
		return baton.Invalid("Name can't be blank", "name")
	}
	if len(i.Name) > 255 {
		return baton.Invalid("Name is too long (maximum is 255 characters)", "name")
	}
	setString(&i.WebhookURL, in.WebhookURL)
	if i.WebhookURL != "" && !validHTTPURL(i.WebhookURL) {
		return baton.Invalid("Webhook url is invalid", "webhook_url")
	}
	setBool(&i.HMACMandatory, in.HMACMandatory)
	setString(&i.WebsiteURL, in.WebsiteURL)
	setString(&i.WidgetColor, in.WidgetColor)
	setString(&i.WelcomeTitle, in.WelcomeTitle)
	setString(&i.WelcomeTagline, in.WelcomeTagline)
	setBool(&i.GreetingEnabled, in.GreetingEnabled)
	setString(&i.GreetingMessage, in.GreetingMessage)
	setBool(&i.EnableEmailCollect, in.EnableEmailCollect)
	setBool(&i.CSATSurveyEnabled, in.CSATSurveyEnabled)
	setBool(&i.AllowMessagesAfterResolved, in.AllowMessagesAfterResolved)
	setBool(&i.LockToSingleConversation, in.LockToSingleConversation)
	setBool(&i.EnableAutoAssignment, in.EnableAutoAssignment)
	setBool(&i.WorkingHoursEnabled, in.WorkingHoursEnabled)
	setString(&i.OutOfOfficeMessage, in.OutOfOfficeMessage)
	setString(&i.Timezone, in.Timezone)
	setBool(&i.BotRepliesWhenOpen, in.BotRepliesWhenOpen)
	setBool(&i.CustomerCanRequestHuman, in.CustomerCanRequestHuman)
	if in.MaxAssignmentLimit != nil {
		if *in.MaxAssignmentLimit < 0 || *in.MaxAssignmentLimit > 10000 {
			return baton.Invalid("Max assignment limit must be between 0 and 10000", "auto_assignment_config")
		}
		i.MaxAssignmentLimit = *in.MaxAssignmentLimit
	}
	if i.Timezone == "" {
		i.Timezone = "UTC"
	}
	return nil
}

func validHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// CreateInbox makes an API-channel or web-widget inbox. Administrators only.
func (a *App) CreateInbox(ctx context.Context, accountID int64, in InboxInput) (*baton.Inbox, error) {
	now := a.Now()
	i := &baton.Inbox{AccountID: accountID, ChannelType: in.ChannelType, EnableEmailCollect: true,
		AllowMessagesAfterResolved: true, EnableAutoAssignment: true, CustomerCanRequestHuman: true, CreatedAt: now, UpdatedAt: now}
	switch in.ChannelType {
	case baton.ChannelAPI:
		i.Identifier, i.HMACToken = auth.RandomString(24), auth.RandomString(24)
	case baton.ChannelWebWidget:
		i.WebsiteToken, i.HMACToken = auth.RandomString(24), auth.RandomString(24)
	default:
		return nil, baton.Invalid("Channel type must be api or web_widget", "channel")
	}
	if err := in.apply(i); err != nil {
		return nil, err
	}
	if i.ChannelType == baton.ChannelAPI {
		if err := a.vetWebhookURL(ctx, accountID, in.WebhookURL, "webhook_url"); err != nil {
			return nil, err
		}
	}
	err := a.store.Write(ctx, func(q *store.Queries) error {
		s, err := a.accountScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		if err := s.admin(); err != nil {
			return err
		}
		if err := q.CreateInbox(ctx, i); err != nil {
			return err
		}
		return a.syncInboxWebhook(ctx, q, i)
	})
	return i, err
}

// Inboxes lists the account's inboxes the caller works.
func (a *App) Inboxes(ctx context.Context, accountID int64) ([]*baton.Inbox, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	var memberID int64 // administrators see every inbox
	if s.inboxIDs != nil {
		memberID = s.userID()
	}
	return q.ListInboxes(ctx, accountID, memberID)
}

// Inbox returns an inbox of the account the caller works.
func (a *App) Inbox(ctx context.Context, accountID, id int64) (*baton.Inbox, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	return s.inbox(ctx, q, id)
}

// UpdateInbox changes an inbox's settings. Administrators only.
func (a *App) UpdateInbox(ctx context.Context, accountID, id int64, in InboxInput) (*baton.Inbox, error) {
	if err := a.vetWebhookURL(ctx, accountID, in.WebhookURL, "webhook_url"); err != nil {
		return nil, err
	}
	var i *baton.Inbox
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		s, err := a.accountScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		if i, err = q.FindInbox(ctx, accountID, id); err != nil {
			return err
		}
		if err := s.admin(); err != nil {
			return err
		}
		if err := in.apply(i); err != nil {
			return err
		}
		i.UpdatedAt = a.Now()
		if err := q.UpdateInbox(ctx, i); err != nil {
			return err
		}
		return a.syncInboxWebhook(ctx, q, i)
	})
	return i, err
}

// DeleteInbox deletes an inbox with its conversations. Administrators only.
func (a *App) DeleteInbox(ctx context.Context, accountID, id int64) error {
	var keys []string
	err := a.store.Write(ctx, func(q *store.Queries) error {
		s, err := a.accountScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		if err := s.admin(); err != nil {
			return err
		}
		if keys, err = q.StorageKeysOfInbox(ctx, accountID, id); err != nil {
			return err
		}
		return q.DeleteInbox(ctx, accountID, id)
	})
	if err == nil {
		a.removeFiles(keys, "a deleted inbox")
	}
	return err
}

// Agents lists the account's members.
func (a *App) Agents(ctx context.Context, accountID int64) ([]*baton.AccountUser, error) {
	q := a.store.Read()
	if _, err := a.accountScope(ctx, q, accountID); err != nil {
		return nil, err
	}
	aus, err := q.ListAccountUsers(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return aus, a.withPresence(ctx, q, aus)
}

// InboxMembers lists the members of an inbox.
func (a *App) InboxMembers(ctx context.Context, accountID, inboxID int64) ([]*baton.AccountUser, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	if _, err := s.inbox(ctx, q, inboxID); err != nil {
		return nil, err
	}
	ids, err := q.ListInboxMemberIDs(ctx, inboxID)
	if err != nil {
		return nil, err
	}
	all, err := q.ListAccountUsers(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []*baton.AccountUser
	for _, au := range all {
		for _, id := range ids {
			if au.UserID == id {
				out = append(out, au)
			}
		}
	}
	return out, a.withPresence(ctx, q, out)
}

// Inbox member changes.
const (
	MembersAdd     = "add"
	MembersReplace = "replace"
	MembersRemove  = "remove"
)

// ChangeInboxMembers adds, replaces or removes inbox members. Every user must
// be a member of the account. Administrators only.
func (a *App) ChangeInboxMembers(ctx context.Context, accountID, inboxID int64, how string, userIDs []int64) ([]*baton.AccountUser, error) {
	err := a.store.Write(ctx, func(q *store.Queries) error {
		s, err := a.accountScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		if err := s.admin(); err != nil {
			return err
		}
		if _, err := q.FindInbox(ctx, accountID, inboxID); err != nil {
			return err
		}
		for _, id := range userIDs {
			if _, err := q.FindAccountUser(ctx, accountID, id); errors.Is(err, baton.ErrNotFound) {
				return baton.Invalid("User "+itoa(id)+" is not a member of the account", "user_ids")
			} else if err != nil {
				return err
			}
		}
		now := a.Now().UnixMicro()
		switch how {
		case MembersAdd:
			return q.AddInboxMembers(ctx, inboxID, userIDs, now)
		case MembersReplace:
			return q.SetInboxMembers(ctx, inboxID, userIDs, now)
		case MembersRemove:
			return q.RemoveInboxMembers(ctx, inboxID, userIDs)
		}
		return baton.Invalid("unknown change to inbox members")
	})
	if err != nil {
		return nil, err
	}
	return a.InboxMembers(ctx, accountID, inboxID)
}

// PublicInbox returns the API inbox the context's credential names.
func (a *App) PublicInbox(ctx context.Context) (*baton.Inbox, error) {
	return a.store.Read().FindInboxByIdentifier(ctx, baton.CredentialFromContext(ctx).InboxIdentifier)
}

// WidgetInbox returns the web widget inbox the context's website token
// names: what the widget page needs to exist.
func (a *App) WidgetInbox(ctx context.Context) (*baton.Inbox, error) {
	_, inbox, err := widgetInbox(ctx, a.store.Read(), baton.CredentialFromContext(ctx).WebsiteToken)
	return inbox, err
}
