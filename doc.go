// Package baton is the vocabulary of Baton, a self-hosted customer-conversation
// server where bots and people share one conversation and pass it between them.
//
// It holds the domain types (accounts, users, inboxes, contacts,
// conversations, messages), their enumerations and validation rules, the
// error type that every layer speaks, and the context helpers that carry the
// caller's identity. It imports only the standard library: storage lives in
// internal/store, use cases in internal/app, and the Chatwoot-compatible HTTP
// surface in internal/chatwoot.
package baton
