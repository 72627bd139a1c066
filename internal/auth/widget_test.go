package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/auth"
)

// The vectors were computed outside Go, with Python's hmac and hashlib:
// the MAC key is HKDF-SHA256(secret, salt none, info "baton widget token"),
// f10a1130513559ccc6ac96771cf79ecf92bc6224455baf76fbdf4c8ea92c832b for
// testSecret, and each token is base64url(header).base64url(claims).
// base64url(HMAC) without padding.
const (
	testSecret = "0123456789abcdef0123456789abcdef"
	// {"alg":"HS256","typ":"JWT"}.{"source_id":"2f0c…1d11","inbox_id":7,"exp":1765552000,"iat":1750000000}
	vectorToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
		"eyJzb3VyY2VfaWQiOiIyZjBjNGMxZS01ZDJiLTRhNDEtOWE0My0wZjNjMmI5YTFkMTEiLCJpbmJveF9pZCI6NywiZXhwIjoxNzY1NTUyMDAwLCJpYXQiOjE3NTAwMDAwMDB9." +
		"6nyhmjL1faWw7wvziqIRlQugDW102Ns8vMFY3yMzmfQ"
	claims = "eyJzb3VyY2VfaWQiOiIyZjBjNGMxZS01ZDJiLTRhNDEtOWE0My0wZjNjMmI5YTFkMTEiLCJpbmJveF9pZCI6NywiZXhwIjoxNzY1NTUyMDAwLCJpYXQiOjE3NTAwMDAwMDB9"
)

var (
	issued    = time.Unix(1750000000, 0)
	vectorFor = auth.WidgetClaims{SourceID: "2f0c4c1e-5d2b-4a41-9a43-0f3c2b9a1d11", InboxID: 7,
		ExpiresAt: 1765552000, IssuedAt: 1750000000}
)

func testKey(t *testing.T) *auth.Key {
	t.Helper()
	k, err := auth.NewKey(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestWidgetTokenVector(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	if got := k.NewWidgetToken(vectorFor.SourceID, vectorFor.InboxID, issued); got != vectorToken {
		t.Fatalf("NewWidgetToken = %s\nwant %s", got, vectorToken)
	}
	if got := k.SignWidgetToken(vectorFor); got != vectorToken {
		t.Fatalf("SignWidgetToken = %s\nwant %s", got, vectorToken)
	}
	got, err := k.VerifyWidgetToken(vectorToken, issued.Add(time.Hour))
	if err != nil || got != vectorFor {
		t.Fatalf("VerifyWidgetToken = %+v, %v; want %+v", got, err, vectorFor)
	}
	// Chatwoot's Ruby jwt writes the header without typ; such a token,
	// signed with the same key, is as good.
	ruby := "eyJhbGciOiJIUzI1NiJ9." + claims + ".41W9R54_cPLOp3CuCM6ZeLeZHX7Sd2xr9aVJ3yScIQ0"
	if got, err := k.VerifyWidgetToken(ruby, issued); err != nil || got != vectorFor {
		t.Fatalf("VerifyWidgetToken(header without typ) = %+v, %v", got, err)
	}
}

func TestWidgetTokenLifetime(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	tok := k.NewWidgetToken("abc", 1, issued)
	c, err := k.VerifyWidgetToken(tok, issued)
	if err != nil {
		t.Fatal(err)
	}
	if c.ExpiresAt-c.IssuedAt != 180*24*3600 {
		t.Fatalf("token lives %ds, want 180 days", c.ExpiresAt-c.IssuedAt)
	}
	if _, err := k.VerifyWidgetToken(tok, issued.Add(auth.WidgetTokenLifetime-time.Second)); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	if _, err := k.VerifyWidgetToken(tok, issued.Add(auth.WidgetTokenLifetime)); !errors.Is(err, auth.ErrWidgetTokenExpired) {
		t.Fatalf("at expiry: %v, want expired", err)
	}
}

func TestWidgetTokenRefusals(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	other, err := auth.NewKey("another secret of at least 32 characters")
	if err != nil {
		t.Fatal(err)
	}
	sig := vectorToken[strings.LastIndex(vectorToken, ".")+1:]
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", auth.ErrWidgetTokenMalformed},
		{"two parts", "eyJhbGciOiJIUzI1NiJ9." + claims, auth.ErrWidgetTokenMalformed},
		{"four parts", vectorToken + ".x", auth.ErrWidgetTokenMalformed},
		{"not base64", "e!.e!.e!", auth.ErrWidgetTokenMalformed},
		{"header not JSON", "bm90IGpzb24." + claims + "." + sig, auth.ErrWidgetTokenMalformed},
		{"alg none", "eyJhbGciOiJub25lIn0." + claims + ".", auth.ErrWidgetTokenAlgorithm},
		{"alg none with the HS256 signature", "eyJhbGciOiJub25lIn0." + claims + "." + sig, auth.ErrWidgetTokenAlgorithm},
		{"alg HS512", "eyJhbGciOiJIUzUxMiJ9." + claims +
			".q2XGZY6GB0aFQxr4RfrttQElfQDxyTUCSwLeViq941xYxs3yJcJFk6rEbheXIMzAHbm5dlGFRqXzLgajb9emTA", auth.ErrWidgetTokenAlgorithm},
		{"critical extension", "eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiYjY0Il0sImI2NCI6ZmFsc2V9." + claims +
			".3XrR9UrVbnqDzdOb31rfbux9dUZViXydAMw96XnMFq0", auth.ErrWidgetTokenAlgorithm},
		{"signed with the raw secret", "eyJhbGciOiJIUzI1NiJ9." + claims + ".P3yAVVkjDZYci-cncrQYrF7bD95OQaCSHzLHqXkovBE", auth.ErrWidgetTokenSignature},
		{"signed with another key", other.SignWidgetToken(vectorFor), auth.ErrWidgetTokenSignature},
		{"no signature", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + claims + ".", auth.ErrWidgetTokenSignature},
		{"claims changed to inbox 8", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
			"eyJzb3VyY2VfaWQiOiIyZjBjNGMxZS01ZDJiLTRhNDEtOWE0My0wZjNjMmI5YTFkMTEiLCJpbmJveF9pZCI6OCwiZXhwIjoxNzY1NTUyMDAwLCJpYXQiOjE3NTAwMDAwMDB9." +
			sig, auth.ErrWidgetTokenSignature},
		{"no source id", "eyJhbGciOiJIUzI1NiJ9.eyJpbmJveF9pZCI6NywiZXhwIjoxNzY1NTUyMDAwLCJpYXQiOjE3NTAwMDAwMDB9." +
			"y18nqNad7-Y45lMtDmrB6-B5QLf3bCbh4LmQ4INI_v8", auth.ErrWidgetTokenClaims},
		{"no expiry", "eyJhbGciOiJIUzI1NiJ9.eyJzb3VyY2VfaWQiOiJ4IiwiaW5ib3hfaWQiOjcsImlhdCI6MTc1MDAwMDAwMH0." +
			"EF7gIuUq_U8q1hFuTDwe0IIjrM1zLAGVsn6k5N6CISE", auth.ErrWidgetTokenClaims},
		{"expired", k.SignWidgetToken(auth.WidgetClaims{SourceID: "x", InboxID: 7, IssuedAt: 1, ExpiresAt: issued.Unix()}), auth.ErrWidgetTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := k.VerifyWidgetToken(tt.token, issued)
			if !errors.Is(err, tt.want) || !errors.Is(err, auth.ErrWidgetToken) {
				t.Fatalf("VerifyWidgetToken = %+v, %v; want %v", c, err, tt.want)
			}
			if c != (auth.WidgetClaims{}) {
				t.Fatalf("a refused token yields claims %+v", c)
			}
		})
	}
}
