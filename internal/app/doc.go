// Package app holds Baton's use cases, one method per action: who may do
// it, validation, one transaction, and what the change implies (activity
// messages now; events for bots as they come). It knows nothing of HTTP:
// surfaces decode their wire format and call these methods with the
// caller's identity in the context.
package app
