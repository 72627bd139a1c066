package baton

import "time"

// Channel types, as Chatwoot names them on the wire.
const (
	ChannelAPI       = "Channel::Api"
	ChannelWebWidget = "Channel::WebWidget"
)

// Inbox is where conversations arrive: an API channel, which customers'
// own code reaches through the public client API, or a web widget.
// Baton keeps the channel's settings on the inbox itself.
type Inbox struct {
	ID          int64
	AccountID   int64
	Name        string
	ChannelType string

	// Identifier is the API channel's public identifier, used in
	// /public/api/v1/inboxes/:inbox_identifier.
	Identifier    string
	HMACToken     string
	HMACMandatory bool
	WebhookURL    string

	// WebsiteToken identifies a web widget inbox to the widget API.
	WebsiteToken   string
	WebsiteURL     string
	WidgetColor    string
	WelcomeTitle   string
	WelcomeTagline string

	GreetingEnabled            bool
	GreetingMessage            string
	EnableEmailCollect         bool
	CSATSurveyEnabled          bool
	AllowMessagesAfterResolved bool
	LockToSingleConversation   bool
	EnableAutoAssignment       bool
	WorkingHoursEnabled        bool
	OutOfOfficeMessage         string
	Timezone                   string

	// BotRepliesWhenOpen lets bots write publicly into conversations that
	// are people's (Chatwoot's behaviour); by default they may only leave
	// private notes there.
	BotRepliesWhenOpen bool
	// CustomerCanRequestHuman lets the customer hand a pending
	// conversation to people.
	CustomerCanRequestHuman bool
	// MaxAssignmentLimit caps the open conversations auto assignment gives
	// one agent in the inbox; 0 is no cap.
	MaxAssignmentLimit int

	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsAPI reports whether the inbox is an API channel.
func (i *Inbox) IsAPI() bool { return i.ChannelType == ChannelAPI }

// IsWebWidget reports whether the inbox is a web widget.
func (i *Inbox) IsWebWidget() bool { return i.ChannelType == ChannelWebWidget }
