package agent

import (
	"net/http"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// Custom attributes: administrators define the account's, which the
// conversation and contact pages name by their display names.

type customAttributesPage struct {
	base
	Attributes []customAttributeRow
	Types      []string
}

// customAttributeRow is a defined attribute as the settings list shows it.
type customAttributeRow struct {
	*baton.CustomAttribute
	AppliesTo string
	Choices   string
}

func (h *Handler) listCustomAttributes(w http.ResponseWriter, r *http.Request) {
	h.list(w, r, "Custom attributes", "attributes", func(b base) (any, error) {
		cs, err := h.app.CustomAttributes(r.Context(), b.AccountID, -1)
		p := customAttributesPage{base: b, Types: baton.CustomAttributeTypes}
		for _, c := range cs {
			applies := "Conversations"
			if c.Model == baton.AttributeOfContact {
				applies = "Contacts"
			}
			p.Attributes = append(p.Attributes, customAttributeRow{CustomAttribute: c, AppliesTo: applies, Choices: strings.Join(c.Values, ", ")})
		}
		return p, err
	})
}

// choices reads a list's choices, separated by commas.
func choices(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (h *Handler) createCustomAttribute(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	name, key, model, typ, desc := r.FormValue("name"), r.FormValue("key"), r.FormValue("model"), r.FormValue("type"), r.FormValue("description")
	_, err := h.app.CreateCustomAttribute(r.Context(), b.AccountID, app.CustomAttributeInput{DisplayName: &name, Key: &key, Model: &model,
		DisplayType: &typ, Description: &desc, Values: choices(r.FormValue("choices"))})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, accountPath(b.AccountID, "/settings/attributes"))
}

// customAttributeAction runs an action on the attribute in the path, then
// shows the list.
func (h *Handler) customAttributeAction(fn func(r *http.Request, accountID, id int64) error) http.HandlerFunc {
	return h.idAction(fn, func(int64) string { return "/settings/attributes" })
}

func (h *Handler) updateCustomAttribute(r *http.Request, accountID, id int64) error {
	name, desc := r.FormValue("name"), r.FormValue("description")
	_, err := h.app.UpdateCustomAttribute(r.Context(), accountID, id, app.CustomAttributeInput{DisplayName: &name, Description: &desc,
		Values: choices(r.FormValue("choices"))})
	return err
}

func (h *Handler) deleteCustomAttribute(r *http.Request, accountID, id int64) error {
	return h.app.DeleteCustomAttribute(r.Context(), accountID, id)
}
