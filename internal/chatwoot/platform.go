package chatwoot

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// accountRequest is the body of a platform account create or update.
type accountRequest struct {
	Name             *string    `json:"name"`
	Locale           *string    `json:"locale"`
	Domain           *string    `json:"domain"`
	SupportEmail     *string    `json:"support_email"`
	Status           *string    `json:"status"`
	CustomAttributes flexObject `json:"custom_attributes"`
	Settings         flexObject `json:"settings"`
}

func (b accountRequest) input() app.AccountInput {
	return app.AccountInput{Name: b.Name, Locale: b.Locale, Domain: b.Domain, SupportEmail: b.SupportEmail,
		Status: b.Status, CustomAttributes: b.CustomAttributes, Settings: b.Settings}
}

// accountJSON is a platform account.
type accountJSON struct {
	ID               int64          `json:"id"`
	Name             string         `json:"name"`
	Locale           string         `json:"locale"`
	Domain           string         `json:"domain"`
	SupportEmail     string         `json:"support_email"`
	Status           string         `json:"status"`
	CustomAttributes map[string]any `json:"custom_attributes"`
	Settings         map[string]any `json:"settings"`
	CreatedAt        string         `json:"created_at"`
}

func accountView(a *baton.Account) accountJSON {
	return accountJSON{ID: a.ID, Name: a.Name, Locale: a.Locale, Domain: a.Domain, SupportEmail: a.SupportEmail,
		Status: a.Status.String(), CustomAttributes: objectOrEmpty(a.CustomAttributes),
		Settings: objectOrEmpty(a.Settings), CreatedAt: iso(a.CreatedAt)}
}

func (h *Handler) createAccount(w http.ResponseWriter, r *http.Request) error {
	var body accountRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	acc, err := h.app.CreateAccount(r.Context(), body.input())
	if err != nil {
		return err
	}
	return ok(w, accountView(acc))
}

func (h *Handler) showAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	acc, err := h.app.Account(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, accountView(acc))
}

func (h *Handler) updateAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body accountRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	acc, err := h.app.UpdateAccount(r.Context(), id, body.input())
	if err != nil {
		return err
	}
	return ok(w, accountView(acc))
}

func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	if err := h.app.DeleteAccount(r.Context(), id); err != nil {
		return err
	}
	return empty(w)
}

// accountUserJSON is a membership as the Platform API shows it.
type accountUserJSON struct {
	AccountID int64  `json:"account_id"`
	UserID    int64  `json:"user_id"`
	Role      string `json:"role"`
}

func (h *Handler) listAccountUsers(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	aus, err := h.app.AccountUsers(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]accountUserJSON, 0, len(aus))
	for _, au := range aus {
		out = append(out, accountUserView(au))
	}
	return ok(w, out)
}

// accountUserView shows a membership.
func accountUserView(au *baton.AccountUser) accountUserJSON {
	return accountUserJSON{AccountID: au.AccountID, UserID: au.UserID, Role: au.Role.String()}
}

type accountUserRequest struct {
	UserID flexInt `json:"user_id"`
	Role   string  `json:"role"`
}

// accountUserInput reads a membership change: the account from the path,
// the user (required) and role from the body.
func (h *Handler) accountUserInput(w http.ResponseWriter, r *http.Request) (int64, accountUserRequest, error) {
	var body accountUserRequest
	id, err := pathID(r, "account_id")
	if err != nil {
		return 0, body, err
	}
	if err := h.decode(w, r, &body); err != nil {
		return 0, body, err
	}
	if body.UserID == 0 {
		return 0, body, baton.Invalid("user_id is required", "user_id")
	}
	return id, body, nil
}

func (h *Handler) createAccountUser(w http.ResponseWriter, r *http.Request) error {
	id, body, err := h.accountUserInput(w, r)
	if err != nil {
		return err
	}
	au, err := h.app.AddAccountUser(r.Context(), id, int64(body.UserID), body.Role)
	if err != nil {
		return err
	}
	return ok(w, accountUserView(au))
}

func (h *Handler) deleteAccountUser(w http.ResponseWriter, r *http.Request) error {
	id, body, err := h.accountUserInput(w, r)
	if err != nil {
		return err
	}
	if err := h.app.RemoveAccountUser(r.Context(), id, int64(body.UserID)); err != nil {
		return err
	}
	return empty(w)
}

// userRequest is the body of a platform user create or update.
type userRequest struct {
	Name             *string    `json:"name"`
	DisplayName      *string    `json:"display_name"`
	Email            *string    `json:"email"`
	Password         *string    `json:"password"`
	CustomAttributes flexObject `json:"custom_attributes"`
}

func (b userRequest) input() app.UserInput {
	return app.UserInput{Name: b.Name, DisplayName: b.DisplayName, Email: b.Email, Password: b.Password,
		CustomAttributes: b.CustomAttributes}
}

// platformUserJSON is a user as the Platform API shows it, token included.
type platformUserJSON struct {
	AccessToken      string         `json:"access_token"`
	AvailableName    string         `json:"available_name"`
	AvatarURL        string         `json:"avatar_url"`
	Confirmed        bool           `json:"confirmed"`
	DisplayName      any            `json:"display_name"`
	Email            string         `json:"email"`
	ID               int64          `json:"id"`
	Name             string         `json:"name"`
	Provider         string         `json:"provider"`
	PubsubToken      any            `json:"pubsub_token"`
	Type             string         `json:"type"`
	UID              string         `json:"uid"`
	CustomAttributes map[string]any `json:"custom_attributes"`
}

func platformUserView(u *baton.User, token string) platformUserJSON {
	return platformUserJSON{AccessToken: token, AvailableName: u.AvailableName(), AvatarURL: "", Confirmed: true,
		DisplayName: nilIfEmpty(u.DisplayName), Email: u.Email, ID: u.ID, Name: u.Name, Provider: "email",
		Type: "User", UID: u.Email, CustomAttributes: objectOrEmpty(u.CustomAttributes)}
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) error {
	var body userRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	u, token, err := h.app.CreateUser(r.Context(), body.input())
	if err != nil {
		return err
	}
	return ok(w, platformUserView(u, token))
}

// userLogin is Chatwoot's GET users/{id}/login: a link that signs the user
// in to the agent app once, within app.SignInLinkLifetime.
func (h *Handler) userLogin(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	email, token, err := h.app.SignInLink(r.Context(), id)
	if err != nil {
		return err
	}
	q := url.Values{"email": {email}, "sso_auth_token": {token}}
	return ok(w, map[string]string{"url": strings.TrimRight(h.publicURL(), "/") + "/app/login?" + q.Encode()})
}

func (h *Handler) showUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, token, err := h.app.User(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, platformUserView(u, token))
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body userRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	u, token, err := h.app.UpdateUser(r.Context(), id, body.input())
	if err != nil {
		return err
	}
	return ok(w, platformUserView(u, token))
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.app.DeleteUser(r.Context(), id); err != nil {
		return err
	}
	return empty(w)
}
