package chatwoot

import (
	"net/http"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// cannedResponseJSON is a canned response as Chatwoot renders the model.
type cannedResponseJSON struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	ShortCode string `json:"short_code"`
	Content   string `json:"content"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func cannedResponseView(c *baton.CannedResponse) cannedResponseJSON {
	return cannedResponseJSON{ID: c.ID, AccountID: c.AccountID, ShortCode: c.ShortCode, Content: c.Content,
		CreatedAt: iso(c.CreatedAt), UpdatedAt: iso(c.UpdatedAt)}
}

// cannedResponseFields are the fields a client may set.
type cannedResponseFields struct {
	ShortCode *string `json:"short_code"`
	Content   *string `json:"content"`
}

// cannedResponseRequest is a create or update, at the top level or under
// "canned_response" as Rails clients send it.
type cannedResponseRequest struct {
	cannedResponseFields
	CannedResponse *cannedResponseFields `json:"canned_response"`
}

func (b cannedResponseRequest) input() app.CannedResponseInput {
	f := b.cannedResponseFields
	if b.CannedResponse != nil {
		f = *b.CannedResponse
	}
	return app.CannedResponseInput{ShortCode: f.ShortCode, Content: f.Content}
}

func (h *Handler) listCannedResponses(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	cs, err := h.app.CannedResponses(r.Context(), accountID, r.URL.Query().Get("search"))
	if err != nil {
		return err
	}
	out := make([]cannedResponseJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, cannedResponseView(c))
	}
	return ok(w, out)
}

func (h *Handler) createCannedResponse(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body cannedResponseRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.CreateCannedResponse(r.Context(), accountID, body.input())
	if err != nil {
		return err
	}
	return ok(w, cannedResponseView(c))
}

func (h *Handler) updateCannedResponse(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	var body cannedResponseRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.UpdateCannedResponse(r.Context(), accountID, id, body.input())
	if err != nil {
		return err
	}
	return ok(w, cannedResponseView(c))
}

func (h *Handler) deleteCannedResponse(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	if err := h.app.DeleteCannedResponse(r.Context(), accountID, id); err != nil {
		return err
	}
	return empty(w)
}
