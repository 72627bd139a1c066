// Package auth makes and checks Baton's secrets: access tokens (generated,
// looked up by hash, sealed at rest), passwords, HMAC identities and the
// server key everything sealed depends on.
package auth
