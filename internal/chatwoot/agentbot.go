package chatwoot

import (
	"net/http"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/signature"
)

// agentBotRequest is the body of a bot create or update, as JSON or a form
// with an avatar file.
type agentBotRequest struct {
	Name        *string    `json:"name"`
	Description *string    `json:"description"`
	OutgoingURL *string    `json:"outgoing_url"`
	BotType     any        `json:"bot_type"`
	BotConfig   flexObject `json:"bot_config"`
	AccountID   flexInt    `json:"account_id"`

	// Baton's failure policy for the bot, beyond Chatwoot.
	HandoffDeadlineSeconds *flexInt  `json:"handoff_deadline_seconds"`
	KeepPendingOnFailure   *flexBool `json:"keep_pending_on_failure"`
	OpenWhileBreakerOpen   *flexBool `json:"open_while_breaker_open"`
}

func (h *Handler) agentBotInput(w http.ResponseWriter, r *http.Request) (app.AgentBotInput, *agentBotRequest, func(), error) {
	var body agentBotRequest
	if err := h.decodeUpload(w, r, &body); err != nil {
		return app.AgentBotInput{}, nil, func() {}, err
	}
	switch body.BotType {
	case nil, "webhook", float64(0), "0":
	default:
		return app.AgentBotInput{}, nil, func() {}, baton.Invalid("Bot type must be webhook (0)", "bot_type")
	}
	in := app.AgentBotInput{Name: body.Name, Description: body.Description, OutgoingURL: body.OutgoingURL,
		BotConfig: body.BotConfig, KeepPendingOnFailure: boolPtr(body.KeepPendingOnFailure),
		OpenWhileBreakerOpen: boolPtr(body.OpenWhileBreakerOpen)}
	if body.HandoffDeadlineSeconds != nil {
		// Out of range stays out of range: the app refuses it, where the
		// multiplication could have wrapped around into a valid deadline.
		secs := min(max(int64(*body.HandoffDeadlineSeconds), -1), int64(app.MaxHandoffDeadline/time.Second)+1)
		d := time.Duration(secs) * time.Second
		in.HandoffDeadline = &d
	}
	closeFile := func() {}
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["avatar"]; len(fhs) > 0 {
			f, err := fhs[0].Open()
			if err != nil {
				return app.AgentBotInput{}, nil, func() {}, baton.Errorf(baton.EBADREQUEST, "Avatar could not be read")
			}
			closeFile = func() { f.Close() }
			in.Avatar = &app.FileInput{Name: fhs[0].Filename, ContentType: fhs[0].Header.Get("Content-Type"), Body: f}
		}
	}
	return in, &body, closeFile, nil
}

// saveAgentBot reads a bot's body, has save store it and closes the avatar
// file after.
func (h *Handler) saveAgentBot(w http.ResponseWriter, r *http.Request,
	save func(in app.AgentBotInput, body *agentBotRequest) (*app.AgentBotView, error)) (*app.AgentBotView, error) {
	in, body, closeFile, err := h.agentBotInput(w, r)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	return save(in, body)
}

// agentBotJSON is a bot as the Application API shows it (§6.1).
type agentBotJSON struct {
	ID            int64          `json:"id"`
	Name          string         `json:"name"`
	Description   string         `json:"description"`
	Thumbnail     string         `json:"thumbnail"`
	AvatarURL     string         `json:"avatar_url"`
	OutgoingURL   *string        `json:"outgoing_url,omitempty"`
	BotType       string         `json:"bot_type"`
	BotConfig     map[string]any `json:"bot_config"`
	AccountID     *int64         `json:"account_id"`
	AccessToken   string         `json:"access_token,omitempty"`
	Secret        string         `json:"secret,omitempty"`
	WebhookSecret string         `json:"webhook_secret,omitempty"` // the secret as Standard Webhooks libraries take it
	SystemBot     bool           `json:"system_bot"`

	// Baton's failure policy, on the account's own bots.
	HandoffDeadlineSeconds *int64 `json:"handoff_deadline_seconds,omitempty"`
	KeepPendingOnFailure   *bool  `json:"keep_pending_on_failure,omitempty"`
	OpenWhileBreakerOpen   *bool  `json:"open_while_breaker_open,omitempty"`
}

// agentBotView shows a bot; global bots' URLs are not shown to accounts,
// and secrets only where the app handed them out.
func (h *Handler) agentBotView(v *app.AgentBotView) agentBotJSON {
	b := v.Bot
	j := agentBotJSON{ID: b.ID, Name: b.Name, Description: b.Description, Thumbnail: h.avatarURL(b),
		AvatarURL: h.avatarURL(b), BotType: "webhook", BotConfig: objectOrEmpty(b.BotConfig),
		AccessToken: v.AccessToken, SystemBot: b.Global()}
	if !b.Global() {
		url, id := b.OutgoingURL, b.AccountID
		j.OutgoingURL, j.AccountID, j.Secret = &url, &id, v.Secret
		if v.Secret != "" {
			j.WebhookSecret = signature.StandardSecret(v.Secret)
		}
		deadline := int64(b.HandoffDeadline / time.Second)
		keep, open := b.KeepPendingOnFailure, b.OpenWhileBreakerOpen
		j.HandoffDeadlineSeconds, j.KeepPendingOnFailure, j.OpenWhileBreakerOpen = &deadline, &keep, &open
	}
	return j
}

func (h *Handler) listAgentBots(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	bots, err := h.app.AgentBots(r.Context(), accountID)
	if err != nil {
		return err
	}
	out := make([]agentBotJSON, 0, len(bots))
	for _, b := range bots {
		out = append(out, h.agentBotView(b))
	}
	return ok(w, out)
}

func (h *Handler) createAgentBot(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	v, err := h.saveAgentBot(w, r, func(in app.AgentBotInput, _ *agentBotRequest) (*app.AgentBotView, error) {
		return h.app.CreateAgentBot(r.Context(), accountID, in)
	})
	if err != nil {
		return err
	}
	return ok(w, h.agentBotView(v))
}

func (h *Handler) showAgentBot(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	v, err := h.app.AgentBot(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, h.agentBotView(v))
}

func (h *Handler) updateAgentBot(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	v, err := h.saveAgentBot(w, r, func(in app.AgentBotInput, _ *agentBotRequest) (*app.AgentBotView, error) {
		return h.app.UpdateAgentBot(r.Context(), accountID, id, in)
	})
	if err != nil {
		return err
	}
	return ok(w, h.agentBotView(v))
}

func (h *Handler) deleteAgentBot(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	if err := h.app.DeleteAgentBot(r.Context(), accountID, id); err != nil {
		return err
	}
	return empty(w)
}

// botAction runs one of the bot actions that answer with the bot.
func (h *Handler) botAction(w http.ResponseWriter, r *http.Request, fn func(r *http.Request, accountID, id int64) (*app.AgentBotView, error)) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	v, err := fn(r, accountID, id)
	if err != nil {
		return err
	}
	return ok(w, h.agentBotView(v))
}

func (h *Handler) deleteAgentBotAvatar(w http.ResponseWriter, r *http.Request) error {
	return h.botAction(w, r, func(r *http.Request, accountID, id int64) (*app.AgentBotView, error) {
		return h.app.DeleteAgentBotAvatar(r.Context(), accountID, id)
	})
}

func (h *Handler) resetAgentBotToken(w http.ResponseWriter, r *http.Request) error {
	return h.botAction(w, r, func(r *http.Request, accountID, id int64) (*app.AgentBotView, error) {
		return h.app.ResetAgentBotToken(r.Context(), accountID, id)
	})
}

func (h *Handler) resetAgentBotSecret(w http.ResponseWriter, r *http.Request) error {
	return h.botAction(w, r, func(r *http.Request, accountID, id int64) (*app.AgentBotView, error) {
		return h.app.ResetAgentBotSecret(r.Context(), accountID, id)
	})
}

type setAgentBotRequest struct {
	AgentBot flexInt `json:"agent_bot"`
}

// setInboxAgentBot connects, re-points or (with null) disconnects the
// inbox's bot; 200 with an empty body, as Chatwoot.
func (h *Handler) setInboxAgentBot(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	var body setAgentBotRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	if err := h.app.SetInboxAgentBot(r.Context(), accountID, id, int64(body.AgentBot)); err != nil {
		return err
	}
	return empty(w)
}

// showInboxAgentBot answers {"agent_bot": {…}} or {} when the inbox has no
// bot; the token appears only as the normal bot JSON allows.
func (h *Handler) showInboxAgentBot(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	v, err := h.app.InboxAgentBot(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	if v == nil {
		return ok(w, map[string]any{})
	}
	return ok(w, map[string]any{"agent_bot": h.agentBotView(v)})
}

// platformBotJSON is a bot as the Platform API shows it, with its real
// outgoing URL (Chatwoot shows the name there by mistake).
type platformBotJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	OutgoingURL string `json:"outgoing_url"`
	AccountID   *int64 `json:"account_id"`
	AccessToken string `json:"access_token"`
	AvatarURL   string `json:"avatar_url"`
}

func (h *Handler) platformBotView(v *app.AgentBotView) platformBotJSON {
	b := v.Bot
	j := platformBotJSON{ID: b.ID, Name: b.Name, Description: b.Description, OutgoingURL: b.OutgoingURL,
		AccessToken: v.AccessToken, AvatarURL: h.avatarURL(b)}
	if !b.Global() {
		id := b.AccountID
		j.AccountID = &id
	}
	return j
}

func (h *Handler) platformListAgentBots(w http.ResponseWriter, r *http.Request) error {
	bots, err := h.app.PlatformAgentBots(r.Context())
	if err != nil {
		return err
	}
	out := make([]platformBotJSON, 0, len(bots))
	for _, b := range bots {
		out = append(out, h.platformBotView(b))
	}
	return ok(w, out)
}

func (h *Handler) platformCreateAgentBot(w http.ResponseWriter, r *http.Request) error {
	v, err := h.saveAgentBot(w, r, func(in app.AgentBotInput, body *agentBotRequest) (*app.AgentBotView, error) {
		return h.app.PlatformCreateAgentBot(r.Context(), int64(body.AccountID), in)
	})
	if err != nil {
		return err
	}
	return ok(w, h.platformBotView(v))
}

func (h *Handler) platformShowAgentBot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := h.app.PlatformAgentBot(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, h.platformBotView(v))
}

func (h *Handler) platformUpdateAgentBot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := h.saveAgentBot(w, r, func(in app.AgentBotInput, _ *agentBotRequest) (*app.AgentBotView, error) {
		return h.app.PlatformUpdateAgentBot(r.Context(), id, in, false)
	})
	if err != nil {
		return err
	}
	return ok(w, h.platformBotView(v))
}

func (h *Handler) platformDeleteAgentBot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.app.PlatformDeleteAgentBot(r.Context(), id); err != nil {
		return err
	}
	return empty(w)
}

func (h *Handler) platformDeleteAgentBotAvatar(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := h.app.PlatformUpdateAgentBot(r.Context(), id, app.AgentBotInput{}, true)
	if err != nil {
		return err
	}
	return ok(w, h.platformBotView(v))
}

// serveAvatar sends a bot's avatar image as the type its key's extension
// names, which app.storeAvatar took from the image's bytes, never from the
// client; nosniff keeps a browser from taking it for anything else.
func (h *Handler) serveAvatar(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	body, err := h.app.OpenAvatar(r.Context(), "avatars/"+name)
	if err != nil {
		return err
	}
	defer body.Close()
	ct := "application/octet-stream"
	switch {
	case strings.HasSuffix(name, ".png"):
		ct = "image/png"
	case strings.HasSuffix(name, ".jpg"), strings.HasSuffix(name, ".jpeg"):
		ct = "image/jpeg"
	case strings.HasSuffix(name, ".gif"):
		ct = "image/gif"
	case strings.HasSuffix(name, ".webp"):
		ct = "image/webp"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return copyBody(w, body)
}
