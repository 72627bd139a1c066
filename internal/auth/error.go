package auth

import "github.com/batonhq/baton"

// The authentication and authorization errors, with Chatwoot's messages for
// the cases its clients tell apart. They all carry baton.EUNAUTHORIZED, so
// errors.Is(err, ErrNotAuthorized) holds for any of them.
var (
	ErrNotAuthorized   = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "You are not authorized to do this action"}
	ErrInvalidToken    = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "Invalid Access Token"}
	ErrNotMember       = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "You are not authorized to access this account"}
	ErrSuspended       = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "Account is suspended"}
	ErrPlatformOnly    = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "Invalid access_token"}
	ErrNonPermissible  = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "Non permissible resource"}
	ErrBotNotPermitted = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "Access to this endpoint is not authorized for bots"}
	ErrBotAccount      = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "Bot is not authorized to access this account"}
	ErrBotsOnly        = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "Only an agent bot's access token may pull its events"}
	ErrIdentifierHash  = &baton.Error{Code: baton.EUNAUTHORIZED, Message: "HMAC failed: Invalid Identifier Hash Provided"}
)
