package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"math/big"
)

// base58 is the alphabet of Rails' has_secure_token, which Chatwoot's tokens
// use: no 0, O, I or l.
const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// TokenLength is the length of an access token, as Chatwoot's.
const TokenLength = 24

// NewToken returns a random base58 token of TokenLength characters.
func NewToken() string { return RandomString(TokenLength) }

// RandomString returns n random base58 characters.
func RandomString(n int) string {
	b := make([]byte, n)
	limit := big.NewInt(int64(len(base58)))
	for i := range b {
		v, err := rand.Int(rand.Reader, limit)
		if err != nil {
			panic("auth: no randomness: " + err.Error())
		}
		b[i] = base58[v.Int64()]
	}
	return string(b)
}

// HashToken returns the SHA-256 of a token, the form tokens are looked up by.
// Tokens are long and random, so a fast hash is enough: nothing to guess.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
