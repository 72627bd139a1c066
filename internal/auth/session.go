package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// SessionTokenLength is the length of a session token: 32 base58
// characters, about 187 bits.
const SessionTokenLength = 32

// NewSessionToken returns a random session token.
func NewSessionToken() string { return RandomString(SessionTokenLength) }

// CSRFToken returns the token that a session's forms and state-changing
// calls must carry: an HMAC of a fixed label under the session token, so it
// needs no storage, differs per session and reveals nothing of the session.
func CSRFToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("baton csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ValidCSRFToken compares a claimed CSRF token in constant time.
func ValidCSRFToken(sessionToken, claimed string) bool {
	return sessionToken != "" && hmac.Equal([]byte(CSRFToken(sessionToken)), []byte(claimed))
}
