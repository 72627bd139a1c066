package agent

import (
	"encoding/json"
	"net/http"
	"strings"

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

// CannedChoices is how many canned responses the reply box's picker shows
// at once: it asks the server for them as the short code is typed, so that
// a conversation's page carries none of them, however many the account
// keeps.
const CannedChoices = 20

// maxCannedSearch is the most bytes of a picker's search that are read: a
// short code's worth, and then some.
const maxCannedSearch = 2 * baton.MaxShortCodeLength

// cannedChoice is a canned response as the reply box's picker reads it.
type cannedChoice struct {
	ShortCode string `json:"short_code"`
	Content   string `json:"content"`
}

// cannedChoicesJSON answers the reply box's picker: the first CannedChoices
// of the account's canned responses for what was typed after "/" (search,
// matched as the settings' and Chatwoot's search match, the short codes
// that start with it first), and whether more match.
func (h *Handler) cannedChoicesJSON(w http.ResponseWriter, r *http.Request) {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	search := strings.TrimSpace(r.FormValue("search"))
	if len(search) > maxCannedSearch {
		search = strings.ToValidUTF8(search[:maxCannedSearch], "") // not half a character
	}
	cs, err := h.app.SearchCannedResponses(r.Context(), accountID, search, CannedChoices+1)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	more := len(cs) > CannedChoices
	out := make([]cannedChoice, 0, CannedChoices)
	for _, c := range cs[:min(len(cs), CannedChoices)] {
		out = append(out, cannedChoice{ShortCode: c.ShortCode, Content: c.Content})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"canned_responses": out, "more": more})
}
