// Package signature signs deliveries as their receivers verify them:
// Chatwoot's X-Chatwoot-Signature and the Standard Webhooks headers. It is
// its own small package so that the HTTP surface (which shows a secret in
// its Standard Webhooks form) and the delivery engine (which signs) share
// it without the surface importing the engine.
package signature
