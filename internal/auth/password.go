package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// HashPassword returns the bcrypt hash of a password.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", fmt.Errorf("password is too short (minimum is %d characters)", MinPasswordLength)
	}
	if len(password) > 72 {
		return "", errors.New("password is too long (maximum is 72 bytes)")
	}
	b, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(b), err
}

// CheckPassword reports whether password matches the hash.
func CheckPassword(hash, password string) bool {
	return hash != "" && bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// IdentifierHash is the hex HMAC-SHA256 of an identifier under an inbox's
// HMAC token: what a customer's back end signs to prove a contact's identity.
func IdentifierHash(hmacToken, identifier string) string {
	m := hmac.New(sha256.New, []byte(hmacToken))
	m.Write([]byte(identifier))
	return hex.EncodeToString(m.Sum(nil))
}

// ValidIdentifierHash compares a claimed identifier hash in constant time.
func ValidIdentifierHash(hmacToken, identifier, claimed string) bool {
	return hmac.Equal([]byte(IdentifierHash(hmacToken, identifier)), []byte(claimed))
}
