package chatwoot

import (
	"bytes"
	"encoding/json"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// handoffJSON is a conversation's latest handoff, beyond Chatwoot: why and
// by whom the bot's conversation went to people, and to whom it was asked
// to go.
type handoffJSON struct {
	Reason     any           `json:"reason"`
	Summary    any           `json:"summary"`
	At         int64         `json:"at"`
	By         handoffByJSON `json:"by"`
	AssigneeID any           `json:"assignee_id"`
	TeamID     any           `json:"team_id"`
}

// handoffByJSON is who handed the conversation over: a bot, a user or
// Baton itself.
type handoffByJSON struct {
	Type string `json:"type"`
	ID   any    `json:"id"`
}

func handoffView(h *baton.Handoff) *handoffJSON {
	if h == nil {
		return nil
	}
	v := &handoffJSON{Reason: nilIfEmpty(h.Reason), Summary: nilIfEmpty(h.Summary), At: unix(h.CreatedAt),
		By: handoffByJSON{Type: h.ByType}, AssigneeID: nilIfZero(h.AssigneeID), TeamID: nilIfZero(h.TeamID)}
	v.By.ID = nilIfZero(h.ByID)
	return v
}

// handoffRequest is the handoff object of a toggle_status to open.
type handoffRequest struct {
	Reason     *string `json:"reason"`
	Summary    *string `json:"summary"`
	AssigneeID flexInt `json:"assignee_id"`
	TeamID     flexInt `json:"team_id"`
}

// handoffInput reads a handoff object; unknown keys are refused, so that a
// misspelt field is not silently dropped.
func handoffInput(raw json.RawMessage) (*app.HandoffInput, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var body handoffRequest
	if err := dec.Decode(&body); err != nil {
		return nil, baton.Invalid("handoff must be an object with reason, summary, assignee_id and team_id only", "handoff")
	}
	in := &app.HandoffInput{AssigneeID: int64(body.AssigneeID), TeamID: int64(body.TeamID)}
	if body.Reason != nil {
		in.Reason = *body.Reason
	}
	if body.Summary != nil {
		in.Summary = *body.Summary
	}
	return in, nil
}
