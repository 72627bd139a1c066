package chatwoot

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
)

// Devise Token Auth, as Chatwoot mounts it at /auth: sign-in answers with
// the user and five headers (access-token, token-type, client, expiry, uid)
// that Chatwoot's dashboard and mobile app send back on every request.

// deviseError writes devise_token_auth's error body.
func deviseError(w http.ResponseWriter, status int, msg string) error {
	return writeJSON(w, status, map[string]any{"success": false, "errors": []string{msg}})
}

// deviseHeaders are a device session's credentials as sent on requests.
func deviseHeaders(r *http.Request) (token, client, uid string) {
	return r.Header.Get("access-token"), r.Header.Get("client"), r.Header.Get("uid")
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		SSOToken string `json:"sso_auth_token"` // a sign-in link's (Platform API users/{id}/login)
	}
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	client := auth.RandomString(22)
	s, err := h.app.SignIn(r.Context(), app.SignInInput{Email: in.Email, Password: in.Password, Link: in.SSOToken,
		Addr: clientAddr(r), Kind: app.SessionDevice, Client: client})
	switch baton.ErrorCode(err) {
	case "":
	case baton.EUNAUTHORIZED:
		return deviseError(w, http.StatusUnauthorized, "Invalid login credentials. Please try again.")
	case baton.ERATELIMIT:
		w.Header().Set("Retry-After", "900")
		return deviseError(w, http.StatusTooManyRequests, baton.ErrorMessage(err))
	default:
		return err
	}
	actor := &baton.Actor{Kind: baton.ActorUser, User: s.User, Name: s.User.AvailableName()}
	p, err := h.profile(baton.NewContextWithActor(r.Context(), actor))
	if err != nil {
		return err
	}
	expiry := strconv.FormatInt(s.ExpiresAt.Unix(), 10)
	hd := w.Header()
	hd.Set("access-token", s.Token)
	hd.Set("token-type", "Bearer")
	hd.Set("client", client)
	hd.Set("expiry", expiry)
	hd.Set("uid", s.User.Email)
	b, _ := json.Marshal(map[string]string{"access-token": s.Token, "token-type": "Bearer",
		"client": client, "expiry": expiry, "uid": s.User.Email})
	hd.Set("authorization", "Bearer "+base64.StdEncoding.EncodeToString(b))
	hd.Set("Cache-Control", "no-store")
	return ok(w, map[string]any{"data": p})
}

func (h *Handler) validateToken(w http.ResponseWriter, r *http.Request) error {
	token, client, uid := deviseHeaders(r)
	actor, err := h.app.AuthenticateSession(r.Context(), token, app.SessionDevice, client, uid)
	if baton.ErrorCode(err) == baton.EUNAUTHORIZED {
		return deviseError(w, http.StatusUnauthorized, "Invalid login credentials")
	} else if err != nil {
		return err
	}
	p, err := h.profile(baton.NewContextWithActor(r.Context(), actor))
	if err != nil {
		return err
	}
	data := struct {
		*profileJSON
		CreatedAt string `json:"created_at"`
	}{p, iso(actor.User.CreatedAt)}
	return ok(w, map[string]any{"payload": map[string]any{"success": true, "data": data}})
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) error {
	token, client, uid := deviseHeaders(r)
	if _, err := h.app.AuthenticateSession(r.Context(), token, app.SessionDevice, client, uid); err != nil {
		return deviseError(w, http.StatusNotFound, "User was not found or was not logged in.")
	}
	if err := h.app.SignOut(r.Context(), token); err != nil && baton.ErrorCode(err) != baton.ENOTFOUND {
		return err
	}
	return ok(w, map[string]any{"success": true})
}

// clientAddr is the client's address, for the sign-in limit: the
// server's middleware has put the address trusted proxies forwarded in
// RemoteAddr.
func clientAddr(r *http.Request) string {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().String()
	}
	return r.RemoteAddr
}
