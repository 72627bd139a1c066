// Package e2e holds Baton's end-to-end tests: the whole server (store, app,
// delivery engine, Chatwoot surface, middleware) on real HTTP, with bots
// played by httptest servers that behave as the public Chatwoot bots do.
package e2e
