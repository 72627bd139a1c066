// Package auth makes and checks Baton's secrets: access tokens (generated,
// looked up by hash, sealed at rest), passwords, HMAC identities, widget tokens
// (HS256 JSON web tokens) and the server key everything sealed and signed
// depends on.
package auth
