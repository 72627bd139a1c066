package baton

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the HTTP layer's table.
const (
	EBADREQUEST   = "bad_request"  // the request could not be read: malformed JSON, wrong types
	ECONFLICT     = "conflict"     // the action conflicts with existing state, such as a taken e-mail
	EINTERNAL     = "internal"     // a failure that is ours, not the caller's
	EINVALID      = "invalid"      // the request was read but a value is not acceptable
	ENOTFOUND     = "not_found"    // no such thing, or it belongs to somebody else
	EUNAUTHORIZED = "unauthorized" // no identity, or the identity may not do this
	ETOOLARGE     = "too_large"    // a body, file or field is over its limit
	ERATELIMIT    = "rate_limited" // too many requests or messages in a window
	ESUSPENDED    = "suspended"    // the account is suspended
	ENOTOWNER     = "not_owner"    // a bot writes publicly into a conversation that is people's
)

// Error is the error type of the domain. Code is one of the E* constants;
// Message is safe to show to the caller. Attributes names the fields a
// validation error is about, as Chatwoot's {"message","attributes"} body does.
type Error struct {
	Code       string
	Message    string
	Attributes []string
}

// Error returns the message with its code, for logs.
func (e *Error) Error() string {
	return fmt.Sprintf("baton error: code=%s message=%s", e.Code, e.Message)
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrNotFound) holds for every not-found error, whatever its
// message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// MaxNameLength is the most bytes a name or identifier may hold: names of
// accounts, users, inboxes, bots and contacts, e-mail addresses, a
// contact's identifier, an account's domain. They are repeated in every
// list and webhook that shows their owner.
const MaxNameLength = 255

// MaxLocaleLength is the most bytes a locale may hold ("zh_TW", "pt-BR").
const MaxLocaleLength = 16

// TooLong returns an EINVALID error when v is longer than max bytes, naming
// the attribute as Rails does ("Name is too long (maximum is 255
// characters)"), and nil otherwise.
func TooLong(attribute, label, v string, max int) error {
	if len(v) <= max {
		return nil
	}
	return Invalid(fmt.Sprintf("%s is too long (maximum is %d characters)", label, max), attribute)
}

// MaxAttributesBytes is the most bytes of JSON a contact's or a
// conversation's custom or additional attributes may hold. They travel in
// every webhook payload and live frame about their owner, and a widget
// visitor or public API client writes their own: merged in, request after
// request, without a bound they grew to any size.
const MaxAttributesBytes = 64 << 10

// AttributesTooLarge returns an EINVALID error when m is more than
// MaxAttributesBytes of JSON, naming the attribute ("custom_attributes"),
// and nil otherwise.
func AttributesTooLarge(attribute, label string, m map[string]any) error {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return Invalid(fmt.Sprintf("%s are not JSON", label), attribute)
	}
	if len(b) <= MaxAttributesBytes {
		return nil
	}
	return Invalid(fmt.Sprintf("%s are too large (maximum is %d bytes of JSON)", label, MaxAttributesBytes), attribute)
}

// Invalid returns an EINVALID error about the named attributes.
func Invalid(message string, attributes ...string) *Error {
	return &Error{Code: EINVALID, Message: message, Attributes: attributes}
}

// ErrNotFound is the error for a resource that does not exist or is not the
// caller's. Both cases answer the same, so that ids of other accounts leak nothing.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "Resource could not be found"}

// ErrConflict is the error for a change that conflicts with what is
// stored, such as a second row for a unique key.
var ErrConflict = &Error{Code: ECONFLICT, Message: "The change conflicts with what is stored"}

// ErrorCode returns the code of err when it is or wraps an *Error, and
// EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err; errors that are not
// *Error are internal and get a generic message.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error"
}
