package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// WidgetTokenLifetime is how long a widget token is good for: Chatwoot's
// default of 180 days.
const WidgetTokenLifetime = 180 * 24 * time.Hour

// WidgetClaims are what a widget token says: the contact's source id in a
// web widget inbox, and when the token was issued and expires (Unix
// seconds). The JSON keys and their order are Chatwoot's.
type WidgetClaims struct {
	SourceID  string `json:"source_id"`
	InboxID   int64  `json:"inbox_id"`
	ExpiresAt int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
}

// Errors of VerifyWidgetToken; every one of them also matches
// ErrWidgetToken with errors.Is.
var (
	ErrWidgetToken          = errors.New("invalid widget token")
	ErrWidgetTokenMalformed = fmt.Errorf("%w: not a JSON web token", ErrWidgetToken)
	ErrWidgetTokenAlgorithm = fmt.Errorf("%w: algorithm is not HS256", ErrWidgetToken)
	ErrWidgetTokenSignature = fmt.Errorf("%w: bad signature", ErrWidgetToken)
	ErrWidgetTokenClaims    = fmt.Errorf("%w: claims are incomplete", ErrWidgetToken)
	ErrWidgetTokenExpired   = fmt.Errorf("%w: expired", ErrWidgetToken)
)

// widgetHeader is the JOSE header of every token Baton issues.
var widgetHeader = b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

var b64 = base64.RawURLEncoding

// NewWidgetToken returns a token for the contact inbox with the source id
// in the inbox, issued at now and good for WidgetTokenLifetime.
func (k *Key) NewWidgetToken(sourceID string, inboxID int64, now time.Time) string {
	return k.SignWidgetToken(WidgetClaims{SourceID: sourceID, InboxID: inboxID,
		ExpiresAt: now.Add(WidgetTokenLifetime).Unix(), IssuedAt: now.Unix()})
}

// SignWidgetToken returns the claims as an HS256 JSON web token.
func (k *Key) SignWidgetToken(c WidgetClaims) string {
	payload, err := json.Marshal(c)
	if err != nil {
		panic("auth: widget claims do not marshal: " + err.Error())
	}
	signed := widgetHeader + "." + b64.EncodeToString(payload)
	return signed + "." + b64.EncodeToString(k.widgetMAC(signed))
}

func (k *Key) widgetMAC(signed string) []byte {
	m := hmac.New(sha256.New, k.mac)
	m.Write([]byte(signed))
	return m.Sum(nil)
}

// VerifyWidgetToken checks a widget token made with this key and returns
// its claims. It refuses any algorithm but HS256 (alg "none" included), a
// signature that does not match, claims without a source id, inbox id or
// expiry, and a token that has expired at now.
func (k *Key) VerifyWidgetToken(token string, now time.Time) (WidgetClaims, error) {
	var c WidgetClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, ErrWidgetTokenMalformed
	}
	rawHeader, err1 := b64.DecodeString(parts[0])
	rawPayload, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return c, ErrWidgetTokenMalformed
	}
	var header struct {
		Alg  string          `json:"alg"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		return c, ErrWidgetTokenMalformed
	}
	// The algorithm is fixed, never taken from the token: that is what
	// keeps "none" and key-confusion tokens out. Critical extensions are
	// not understood, so a token that has them is refused (RFC 7515 §4.1.11).
	if header.Alg != "HS256" || header.Crit != nil {
		return c, ErrWidgetTokenAlgorithm
	}
	if !hmac.Equal(sig, k.widgetMAC(parts[0]+"."+parts[1])) {
		return c, ErrWidgetTokenSignature
	}
	if err := json.Unmarshal(rawPayload, &c); err != nil {
		return WidgetClaims{}, ErrWidgetTokenClaims
	}
	if c.SourceID == "" || c.InboxID <= 0 || c.ExpiresAt == 0 {
		return WidgetClaims{}, ErrWidgetTokenClaims
	}
	// Like Ruby's jwt, a token is expired from the second its exp names.
	if now.Unix() >= c.ExpiresAt {
		return WidgetClaims{}, ErrWidgetTokenExpired
	}
	return c, nil
}
