package chatwoot

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
)

// accessToken returns the token of a request: the api_access_token header in
// either spelling (Go keeps api_access_token as Api_access_token), or a
// bearer token. Tokens are never read from the query string.
func accessToken(r *http.Request) string {
	if t := r.Header.Get("api_access_token"); t != "" {
		return t
	}
	if t := r.Header.Get("Api-Access-Token"); t != "" {
		return t
	}
	if v := r.Header.Get("Authorization"); len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

// token authenticates the request's access token and puts its owner in the
// context.
func (h *Handler) token(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var actor *baton.Actor
		var err error
		if token, client, uid := deviseHeaders(r); token != "" && r.Header.Get("api_access_token") == "" {
			// Chatwoot's dashboard and mobile app: a signed-in device.
			actor, err = h.app.AuthenticateSession(r.Context(), token, app.SessionDevice, client, uid)
		} else {
			actor, err = h.app.Authenticate(r.Context(), accessToken(r))
		}
		if err != nil {
			return err
		}
		return next(w, r.WithContext(baton.NewContextWithActor(r.Context(), actor)))
	}
}

// user authenticates like token but refuses bots, with Chatwoot's body.
func (h *Handler) user(next handlerFunc) handlerFunc {
	return h.token(func(w http.ResponseWriter, r *http.Request) error {
		if baton.ActorFromContext(r.Context()).Kind == baton.ActorAgentBot {
			return auth.ErrBotNotPermitted
		}
		return next(w, r)
	})
}

// platform requires a platform app's token.
func (h *Handler) platform(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := h.app.Authenticate(r.Context(), accessToken(r))
		if err != nil || actor.Kind != baton.ActorPlatformApp {
			return auth.ErrPlatformOnly
		}
		return next(w, r.WithContext(baton.NewContextWithActor(r.Context(), actor)))
	}
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) error {
	return baton.ErrNotFound
}

// public puts the credential of a public client API request in the
// context: the inbox identifier and contact identifier of its path. It
// verifies nothing; the use case does, inside its transaction.
func (h *Handler) public(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		cred := baton.ContactCredential{InboxIdentifier: r.PathValue("inbox_identifier"), SourceID: r.PathValue("contact_identifier")}
		return next(w, r.WithContext(baton.NewContextWithCredential(r.Context(), cred)))
	}
}

// widget puts the credential of a widget request in the context:
// ?website_token= names the inbox and the X-Auth-Token header the visitor.
// Like public, it verifies nothing.
func (h *Handler) widget(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		cred := baton.ContactCredential{WebsiteToken: r.URL.Query().Get("website_token"),
			WidgetToken: strings.TrimSpace(r.Header.Get("X-Auth-Token"))}
		ctx := baton.NewContextWithCredential(r.Context(), cred)
		// The server has put the client's address (behind trusted proxies)
		// in RemoteAddr; new visitors are limited per address.
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			ctx = baton.NewContextWithClientAddr(ctx, ap.Addr().Unmap())
		}
		return next(w, r.WithContext(ctx))
	}
}
