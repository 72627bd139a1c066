package chatwoot

import (
	"cmp"
	"context"
	"net/http"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// profileAccountJSON is one of the accounts in a profile.
type profileAccountJSON struct {
	ID                 int64  `json:"id"`
	Name               string `json:"name"`
	Status             string `json:"status"`
	Role               string `json:"role"`
	Availability       string `json:"availability"`
	AvailabilityStatus string `json:"availability_status"`
	AutoOffline        bool   `json:"auto_offline"`
}

// profileJSON is the calling user, as /api/v1/profile shows them.
type profileJSON struct {
	AccessToken        string               `json:"access_token"`
	AccountID          int64                `json:"account_id"`
	Accounts           []profileAccountJSON `json:"accounts"`
	AvailableName      string               `json:"available_name"`
	AvatarURL          string               `json:"avatar_url"`
	Confirmed          bool                 `json:"confirmed"`
	DisplayName        any                  `json:"display_name"`
	Email              string               `json:"email"`
	ID                 int64                `json:"id"`
	Name               string               `json:"name"`
	Provider           string               `json:"provider"`
	PubsubToken        any                  `json:"pubsub_token"`
	Role               string               `json:"role"`
	UID                string               `json:"uid"`
	Type               string               `json:"type"`
	AvailabilityStatus string               `json:"availability_status"`
	CustomAttributes   map[string]any       `json:"custom_attributes"`
	UISettings         map[string]any       `json:"ui_settings"`
}

func (h *Handler) showProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := h.profile(r.Context())
	if err != nil {
		return err
	}
	return ok(w, p)
}

// profile is the calling user as profileJSON.
func (h *Handler) profile(ctx context.Context) (*profileJSON, error) {
	u, token, aus, err := h.app.Profile(ctx)
	if err != nil {
		return nil, err
	}
	pubsub, err := h.app.PubsubToken(ctx)
	if err != nil {
		return nil, err
	}
	p := &profileJSON{AccessToken: token, Accounts: []profileAccountJSON{}, AvailableName: u.AvailableName(),
		Confirmed: true, DisplayName: nilIfEmpty(u.DisplayName), Email: u.Email, ID: u.ID, Name: u.Name,
		Provider: "email", UID: u.Email, Type: "user", AvailabilityStatus: baton.Offline.String(),
		CustomAttributes: objectOrEmpty(u.CustomAttributes), UISettings: map[string]any{}, PubsubToken: pubsub}
	for i, au := range aus {
		if i == 0 {
			p.AccountID, p.Role = au.AccountID, au.Role.String()
			p.AvailabilityStatus = au.AvailabilityStatus().String()
		}
		name, _ := h.app.AccountName(ctx, au.AccountID)
		p.Accounts = append(p.Accounts, profileAccountJSON{ID: au.AccountID, Name: name,
			Status: "active", Role: au.Role.String(), Availability: au.Availability.String(),
			AvailabilityStatus: au.AvailabilityStatus().String()})
	}
	return p, nil
}

// agentJSON is an account member, as the agents list shows them.
type agentJSON struct {
	ID                 int64          `json:"id"`
	AccountID          int64          `json:"account_id"`
	AvailabilityStatus string         `json:"availability_status"`
	AutoOffline        bool           `json:"auto_offline"`
	Confirmed          bool           `json:"confirmed"`
	Email              string         `json:"email"`
	AvailableName      string         `json:"available_name"`
	Name               string         `json:"name"`
	Role               string         `json:"role"`
	Thumbnail          string         `json:"thumbnail"`
	CustomAttributes   map[string]any `json:"custom_attributes"`
}

func agentView(au *baton.AccountUser) agentJSON {
	u := au.User
	return agentJSON{ID: u.ID, AccountID: au.AccountID, AvailabilityStatus: au.AvailabilityStatus().String(),
		AutoOffline: true, Confirmed: true, Email: u.Email, AvailableName: u.AvailableName(), Name: u.Name,
		Role: au.Role.String(), Thumbnail: "", CustomAttributes: objectOrEmpty(u.CustomAttributes)}
}

func (h *Handler) listAgents(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	aus, err := h.app.Agents(r.Context(), accountID)
	if err != nil {
		return err
	}
	out := make([]agentJSON, 0, len(aus))
	for _, au := range aus {
		out = append(out, agentView(au))
	}
	return ok(w, out)
}

// agentRequest is the body of Chatwoot's agents create and update:
// availability_status on create, availability on update; password is
// Baton's (see app.AddAgent). auto_offline is read and not kept: a
// person's presence is their live connection.
type agentRequest struct {
	Name               string  `json:"name"`
	Email              string  `json:"email"`
	Role               string  `json:"role"`
	AvailabilityStatus string  `json:"availability_status"`
	Availability       string  `json:"availability"`
	AutoOffline        *bool   `json:"auto_offline"`
	Password           *string `json:"password"`
}

// createAgent adds a person to the account (app.AddAgent) and answers
// with them as an agent.
func (h *Handler) createAgent(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body agentRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	if body.Role == "" {
		return baton.Invalid("Role can't be blank", "role")
	}
	au, err := h.app.AddAgent(r.Context(), accountID, app.AgentInput{Name: body.Name, Email: body.Email, Role: body.Role,
		Availability: cmp.Or(body.AvailabilityStatus, body.Availability), Password: body.Password})
	if err != nil {
		return err
	}
	return ok(w, agentView(au))
}

// updateAgent changes a member's role or availability (app.UpdateAgent).
func (h *Handler) updateAgent(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	var body agentRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	au, err := h.app.UpdateAgent(r.Context(), accountID, id, body.Role, cmp.Or(body.Availability, body.AvailabilityStatus))
	if err != nil {
		return err
	}
	return ok(w, agentView(au))
}

// deleteAgent ends a person's membership of the account (app.RemoveAgent):
// their inboxes and teams of it, and their conversations go to nobody and
// are routed. The user stays, with any other account of theirs.
func (h *Handler) deleteAgent(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	if err := h.app.RemoveAgent(r.Context(), accountID, id); err != nil {
		return err
	}
	return empty(w)
}

// userPush is a user's push_event_data: how a user appears as a sender or
// an assignee.
type userPush struct {
	ID                 int64  `json:"id"`
	Name               string `json:"name"`
	AvailableName      string `json:"available_name"`
	AvatarURL          string `json:"avatar_url"`
	Type               string `json:"type"`
	AvailabilityStatus string `json:"availability_status"`
	Thumbnail          string `json:"thumbnail"`
}

func userPushView(u *baton.User) *userPush {
	if u == nil {
		return nil
	}
	return &userPush{ID: u.ID, Name: u.Name, AvailableName: u.AvailableName(), AvatarURL: "", Type: "user",
		AvailabilityStatus: u.Availability.String(), Thumbnail: ""}
}

// assigneeView is the conversation's assignee as an agent, with their
// availability as the team sees it.
func assigneeView(c *baton.Conversation) agentJSON {
	v := agentView(&baton.AccountUser{AccountID: c.AccountID, User: c.Assignee, Role: c.AssigneeRole})
	v.AvailabilityStatus = c.AssigneeStatus.String()
	return v
}

// assigneePushView is the conversation's assignee as its meta shows them,
// with their availability as the team sees it: offline when not connected.
func assigneePushView(c *baton.Conversation) *userPush {
	v := userPushView(c.Assignee)
	if v != nil {
		v.AvailabilityStatus = c.AssigneeStatus.String()
	}
	return v
}

// profileRequest is Chatwoot's profile update body.
type profileRequest struct {
	Profile struct {
		Name                 *string `json:"name"`
		DisplayName          *string `json:"display_name"`
		Email                *string `json:"email"`
		CurrentPassword      string  `json:"current_password"`
		Password             *string `json:"password"`
		PasswordConfirmation *string `json:"password_confirmation"`
	} `json:"profile"`
}

// updateProfile changes the caller's own profile (app.UpdateProfile) and
// answers with it, as Chatwoot does. A new password ends the caller's
// other sessions; a device signed in with devise-token-auth that made the
// change stays signed in.
func (h *Handler) updateProfile(w http.ResponseWriter, r *http.Request) error {
	var body profileRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	p := body.Profile
	keep := ""
	if token, _, _ := deviseHeaders(r); token != "" && r.Header.Get("api_access_token") == "" {
		keep = token
	}
	u, err := h.app.UpdateProfile(r.Context(), app.ProfileInput{Name: p.Name, DisplayName: p.DisplayName, Email: p.Email,
		CurrentPassword: p.CurrentPassword, Password: p.Password, Confirmation: p.PasswordConfirmation}, keep)
	if err != nil {
		return err
	}
	// The answer shows the user as they are now, not as the request's
	// token read them.
	actor := *baton.ActorFromContext(r.Context())
	actor.User, actor.Name = u, u.AvailableName()
	return h.showProfile(w, r.WithContext(baton.NewContextWithActor(r.Context(), &actor)))
}

// resetAccessToken gives the caller a new access token and answers with
// the profile, which holds it, as Chatwoot does.
func (h *Handler) resetAccessToken(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.app.ResetAccessToken(r.Context()); err != nil {
		return err
	}
	return h.showProfile(w, r)
}

// availabilityRequest is Chatwoot's profile/availability body.
type availabilityRequest struct {
	Profile struct {
		AccountID    flexInt `json:"account_id"`
		Availability string  `json:"availability"`
	} `json:"profile"`
}

// setAvailability sets the caller's availability in an account and answers
// with the profile, as Chatwoot does.
func (h *Handler) setAvailability(w http.ResponseWriter, r *http.Request) error {
	var body availabilityRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	if body.Profile.AccountID == 0 {
		return baton.Invalid("account_id is required", "account_id")
	}
	if err := h.app.SetAvailability(r.Context(), int64(body.Profile.AccountID), body.Profile.Availability); err != nil {
		return err
	}
	return h.showProfile(w, r)
}
