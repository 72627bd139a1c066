package baton

import "time"

// CannedResponse is a reply saved in an account under a short code, which
// people insert into a message instead of typing it again.
type CannedResponse struct {
	ID        int64
	AccountID int64
	ShortCode string
	Content   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxShortCodeLength is the most bytes a canned response's short code may
// hold: it is typed after a "/" and shown in every picker.
const MaxShortCodeLength = 64

// MaxCannedContentLength is the most bytes a canned response's content may
// hold, a long message's worth.
const MaxCannedContentLength = 10000
