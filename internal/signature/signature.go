package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Headers returns the headers of a delivery: JSON content, the delivery id
// (the same on every attempt), and, when the target has secrets, Chatwoot's
// signature and the Standard Webhooks signatures, computed over the exact
// body sent. secrets is the current secret, then, while a rotation's
// overlap lasts, the previous one: it signs too, in webhook-signature (the
// Standard Webhooks way: several signatures, space-separated) and in
// X-Chatwoot-Signature-Previous, so a receiver verifies with whichever it
// has.
func Headers(id string, body []byte, secrets []string, now time.Time) map[string]string {
	h := map[string]string{
		"Content-Type":        "application/json",
		"Accept":              "application/json",
		"User-Agent":          "Baton",
		"X-Chatwoot-Delivery": id,
	}
	if len(secrets) == 0 {
		return h
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	h["X-Chatwoot-Timestamp"] = ts
	h["X-Chatwoot-Signature"] = Chatwoot(secrets[0], ts, body)
	h["webhook-id"] = id
	h["webhook-timestamp"] = ts
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sigs = append(sigs, Standard(s, id, ts, body))
	}
	h["webhook-signature"] = strings.Join(sigs, " ")
	if len(secrets) > 1 {
		h["X-Chatwoot-Signature-Previous"] = Chatwoot(secrets[1], ts, body)
	}
	return h
}

// Chatwoot is "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>"
// under the secret: the X-Chatwoot-Signature header.
func Chatwoot(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Standard is the Standard Webhooks signature: "v1," and the base64
// HMAC-SHA256 of "<id>.<timestamp>.<body>" under the secret's bytes
// (StandardSecret gives the secret in that specification's whsec_ form).
func Standard(secret, id, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(id + "." + timestamp + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// StandardSecret is a secret in the form Standard Webhooks libraries take:
// "whsec_" and the base64 of the key bytes.
func StandardSecret(secret string) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(secret))
}
