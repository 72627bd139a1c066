package baton

import "time"

// Contact is a customer of an account.
type Contact struct {
	ID                   int64
	AccountID            int64
	Name                 string
	Email                string
	PhoneNumber          string
	Identifier           string
	AdditionalAttributes map[string]any
	CustomAttributes     map[string]any
	Blocked              bool
	LastActivityAt       *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// ContactInbox is a contact's identity in one inbox. SourceID is that
// identity (a UUID for API and widget inboxes unless the client brings its
// own); the public client API calls it the contact identifier.
type ContactInbox struct {
	ID           int64
	ContactID    int64
	InboxID      int64
	SourceID     string
	HMACVerified bool
	PubsubToken  string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}
