package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Key seals and opens secrets at rest with AES-256-GCM, and signs widget
// tokens with a MAC key derived from the same secret.
type Key struct {
	aead cipher.AEAD
	mac  []byte // HMAC-SHA256 key of widget tokens; never the sealing key
}

// NewKey derives a key from secret, which must be at least 32 characters.
func NewKey(secret string) (*Key, error) {
	if len(secret) < 32 {
		return nil, errors.New("secret key must be at least 32 characters")
	}
	sum := sha256.Sum256([]byte(secret))
	block, err := aes.NewCipher(sum[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// A separate key for signing, so that no key serves two algorithms.
	mac, err := hkdf.Key(sha256.New, []byte(secret), nil, "baton widget token", sha256.Size)
	if err != nil {
		return nil, err
	}
	return &Key{aead: aead, mac: mac}, nil
}

// LoadOrCreateKey returns the key from secret when it is set, else from the
// file secret_key in dir, which it creates with a new random secret (mode
// 0600) on first run.
func LoadOrCreateKey(secret, dir string) (*Key, error) {
	if secret != "" {
		return NewKey(secret)
	}
	path := filepath.Join(dir, "secret_key")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		b = []byte(hex.EncodeToString(raw))
		if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("write secret key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	return NewKey(strings.TrimSpace(string(b)))
}

// Seal encrypts plaintext; the nonce is stored in front of the ciphertext.
func (k *Key) Seal(plaintext string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return k.aead.Seal(nonce, nonce, []byte(plaintext), nil)
}

// Open decrypts what Seal made.
func (k *Key) Open(sealed []byte) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("sealed secret is too short")
	}
	b, err := k.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", errors.New("sealed secret does not open with this key")
	}
	return string(b), nil
}
