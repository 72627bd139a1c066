package agent

import (
	"net/http"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// Canned responses: every member of the account manages them, as in
// Chatwoot, so their pages are behind h.signedIn, not h.admin.

type cannedResponsesPage struct {
	base
	CannedResponses []*baton.CannedResponse
	MaxShortCode    int
	MaxContent      int
}

func (h *Handler) listCannedResponses(w http.ResponseWriter, r *http.Request) {
	h.list(w, r, "Canned responses", "canned_responses", func(b base) (any, error) {
		cs, err := h.app.CannedResponses(r.Context(), b.AccountID, "")
		return cannedResponsesPage{base: b, CannedResponses: cs, MaxShortCode: baton.MaxShortCodeLength,
			MaxContent: baton.MaxCannedContentLength}, err
	})
}

// cannedResponseInput reads the form's short code and content.
func cannedResponseInput(r *http.Request) app.CannedResponseInput {
	code, content := r.FormValue("short_code"), r.FormValue("content")
	return app.CannedResponseInput{ShortCode: &code, Content: &content}
}

func (h *Handler) createCannedResponse(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	if _, err := h.app.CreateCannedResponse(r.Context(), b.AccountID, cannedResponseInput(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, accountPath(b.AccountID, "/settings/canned_responses"))
}

// cannedResponseAction runs an action on the canned response in the path,
// then shows the list.
func (h *Handler) cannedResponseAction(fn func(r *http.Request, accountID, id int64) error) http.HandlerFunc {
	return h.idAction(fn, func(int64) string { return "/settings/canned_responses" })
}

func (h *Handler) updateCannedResponse(r *http.Request, accountID, id int64) error {
	_, err := h.app.UpdateCannedResponse(r.Context(), accountID, id, cannedResponseInput(r))
	return err
}

func (h *Handler) deleteCannedResponse(r *http.Request, accountID, id int64) error {
	return h.app.DeleteCannedResponse(r.Context(), accountID, id)
}

// cannedChoice is a canned response as the reply box's picker reads it,
// from JSON that html/template escapes into the page.
type cannedChoice struct {
	ShortCode string `json:"short_code"`
	Content   string `json:"content"`
}

func cannedChoices(cs []*baton.CannedResponse) []cannedChoice {
	out := make([]cannedChoice, 0, len(cs))
	for _, c := range cs {
		out = append(out, cannedChoice{ShortCode: c.ShortCode, Content: c.Content})
	}
	return out
}
