package agent

import (
	"errors"
	"net/http"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
)

// The profile: a person's own name, display name, e-mail and password.
// A change of the e-mail or the password asks for the current password;
// a new password signs the person out everywhere but here.

type profilePage struct {
	base
	Name, DisplayName, Email string
	Saved                    string // what was just saved, said at the top
	Error                    string // why the form was refused
	Form                     string // the refused form: "details" or "password"
	Field                    string // the refused field
	MinPassword              int
	AccessToken              string // the person's token for the API
}

// profile runs next for a member of the path's account: the page shows
// the account's navigation around it.
func (h *Handler) profile(next http.HandlerFunc) http.HandlerFunc {
	return h.signedIn(func(w http.ResponseWriter, r *http.Request) {
		if b, _ := baseFrom(r); !b.member() {
			h.fail(w, r, baton.ErrNotFound)
			return
		}
		next(w, r)
	})
}

func (h *Handler) showProfile(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	p := h.profilePage(r, b)
	switch r.URL.Query().Get("saved") {
	case "details":
		p.Saved = "Your profile is saved."
	case "password":
		p.Saved = "Your password is changed. You are signed out everywhere else."
	case "token":
		p.Saved = "Your access token is new. The old one no longer works."
	}
	h.render(w, http.StatusOK, "profile", p)
}

func (h *Handler) profilePage(r *http.Request, b base) profilePage {
	b.Title, b.Section = "Your profile", "profile"
	token, _ := h.app.AccessToken(r.Context()) // without it, the page shows none
	return profilePage{base: b, Name: b.User.Name, DisplayName: b.User.DisplayName, Email: b.User.Email,
		MinPassword: auth.MinPasswordLength, AccessToken: token}
}

// resetToken gives the person a new access token (app.ResetAccessToken).
func (h *Handler) resetToken(w http.ResponseWriter, r *http.Request) {
	_, err := h.app.ResetAccessToken(r.Context())
	h.profileDone(w, r, err, "token", func(*profilePage) {})
}

func (h *Handler) updateProfile(w http.ResponseWriter, r *http.Request) {
	name, display, email := r.PostFormValue("name"), r.PostFormValue("display_name"), r.PostFormValue("email")
	_, err := h.app.UpdateProfile(r.Context(), app.ProfileInput{Name: &name, DisplayName: &display, Email: &email,
		CurrentPassword: r.PostFormValue("current_password")}, sessionToken(r))
	h.profileDone(w, r, err, "details", func(p *profilePage) { p.Name, p.DisplayName, p.Email = name, display, email })
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	password, confirmation := r.PostFormValue("password"), r.PostFormValue("password_confirmation")
	_, err := h.app.UpdateProfile(r.Context(), app.ProfileInput{CurrentPassword: r.PostFormValue("current_password"),
		Password: &password, Confirmation: &confirmation}, sessionToken(r))
	h.profileDone(w, r, err, "password", func(*profilePage) {})
}

// profileDone ends a profile form: saved, back to the page that says so;
// refused (a value, a wrong current password, an e-mail someone has), the
// page again with the form as it was sent and why, 422 as the API answers.
func (h *Handler) profileDone(w http.ResponseWriter, r *http.Request, err error, form string, keep func(*profilePage)) {
	b, _ := baseFrom(r)
	var be *baton.Error
	if errors.As(err, &be) && (be.Code == baton.EINVALID || be.Code == baton.ECONFLICT || be.Code == baton.ERATELIMIT) {
		p := h.profilePage(r, b)
		keep(&p)
		p.Error, p.Form = baton.ErrorMessage(err), form
		if len(be.Attributes) > 0 {
			p.Field = be.Attributes[0]
		}
		status := http.StatusUnprocessableEntity
		if be.Code == baton.ERATELIMIT {
			status = http.StatusTooManyRequests
		}
		h.render(w, status, "profile", p)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, accountPath(b.AccountID, "/profile?saved="+form), http.StatusSeeOther)
}

// sessionToken is the token of the signed-in request's session.
func sessionToken(r *http.Request) string {
	if s, ok := r.Context().Value(sessionKey{}).(*sessionInfo); ok {
		return s.token
	}
	return ""
}
