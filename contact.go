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

// ClaimedEmailKey names, in a contact's additional attributes, an e-mail
// the contact asked for through a public API while another contact of the
// account had it. The contact does not get that address; it is shown back
// only to the contact itself, so that no public answer tells whether an
// e-mail is a customer's.
const ClaimedEmailKey = "claimed_email"

// AsSeenByItself returns the contact as the public and widget APIs show
// it to the contact itself: with the e-mail it claimed, if any, in place
// of its own, and without the claim among its attributes.
func (c *Contact) AsSeenByItself() *Contact {
	v, has := c.AdditionalAttributes[ClaimedEmailKey]
	if !has {
		return c
	}
	claimed, ok := v.(string)
	seen := *c
	if ok {
		seen.Email = claimed
	}
	seen.AdditionalAttributes = make(map[string]any, len(c.AdditionalAttributes))
	for k, v := range c.AdditionalAttributes {
		if k != ClaimedEmailKey {
			seen.AdditionalAttributes[k] = v
		}
	}
	return &seen
}

// ClaimEmail records the e-mail the contact asked for, which it was not
// given, or forgets the claim when email is what the contact has.
// The attributes are copied, not changed in place.
func (c *Contact) ClaimEmail(email string) {
	_, had := c.AdditionalAttributes[ClaimedEmailKey]
	if email == c.Email && !had {
		return
	}
	attrs := make(map[string]any, len(c.AdditionalAttributes)+1)
	for k, v := range c.AdditionalAttributes {
		attrs[k] = v
	}
	if email == c.Email {
		delete(attrs, ClaimedEmailKey)
	} else {
		attrs[ClaimedEmailKey] = email
	}
	c.AdditionalAttributes = attrs
}
