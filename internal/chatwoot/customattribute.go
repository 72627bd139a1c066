package chatwoot

import (
	"net/http"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// customAttributeJSON is a custom attribute definition as Chatwoot shows it.
type customAttributeJSON struct {
	ID                   int64    `json:"id"`
	AttributeDisplayName string   `json:"attribute_display_name"`
	AttributeDisplayType string   `json:"attribute_display_type"`
	AttributeDescription string   `json:"attribute_description"`
	AttributeKey         string   `json:"attribute_key"`
	RegexPattern         *string  `json:"regex_pattern"`
	RegexCue             *string  `json:"regex_cue"`
	AttributeValues      []string `json:"attribute_values"`
	AttributeModel       string   `json:"attribute_model"`
	DefaultValue         *string  `json:"default_value"`
	CreatedAt            string   `json:"created_at"`
	UpdatedAt            string   `json:"updated_at"`
}

func customAttributeView(c *baton.CustomAttribute) customAttributeJSON {
	orNil := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return customAttributeJSON{ID: c.ID, AttributeDisplayName: c.DisplayName, AttributeDisplayType: c.DisplayType,
		AttributeDescription: c.Description, AttributeKey: c.Key, RegexPattern: orNil(c.RegexPattern), RegexCue: orNil(c.RegexCue),
		AttributeValues: c.Values, AttributeModel: baton.CustomAttributeModels[c.Model], DefaultValue: orNil(c.DefaultValue),
		CreatedAt: iso(c.CreatedAt), UpdatedAt: iso(c.UpdatedAt)}
}

// customAttributeFields are a definition's fields in a request.
type customAttributeFields struct {
	AttributeDisplayName *string     `json:"attribute_display_name"`
	AttributeDisplayType *string     `json:"attribute_display_type"`
	AttributeDescription *string     `json:"attribute_description"`
	AttributeKey         *string     `json:"attribute_key"`
	AttributeValues      []string    `json:"attribute_values"`
	AttributeModel       *flexString `json:"attribute_model"`
	RegexPattern         *string     `json:"regex_pattern"`
	RegexCue             *string     `json:"regex_cue"`
	DefaultValue         *string     `json:"default_value"`
}

// customAttributeRequest is a definition create or update body: its fields
// at the top, or under custom_attribute_definition as Rails wraps them.
type customAttributeRequest struct {
	customAttributeFields
	Wrapped *customAttributeFields `json:"custom_attribute_definition"`
}

func (b customAttributeRequest) input() app.CustomAttributeInput {
	f := b.customAttributeFields
	if b.Wrapped != nil {
		f = *b.Wrapped
	}
	in := app.CustomAttributeInput{Key: f.AttributeKey, DisplayName: f.AttributeDisplayName, DisplayType: f.AttributeDisplayType,
		Description: f.AttributeDescription, Values: f.AttributeValues, RegexPattern: f.RegexPattern, RegexCue: f.RegexCue,
		DefaultValue: f.DefaultValue}
	if f.AttributeModel != nil {
		m := string(*f.AttributeModel)
		in.Model = &m
	}
	return in
}

func (h *Handler) listCustomAttributes(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	model := -1
	if s := r.URL.Query().Get("attribute_model"); s != "" {
		m, ok := app.ParseAttributeModel(s)
		if !ok {
			return baton.Invalid("attribute_model must be conversation_attribute or contact_attribute", "attribute_model")
		}
		model = m
	}
	cs, err := h.app.CustomAttributes(r.Context(), accountID, model)
	if err != nil {
		return err
	}
	out := make([]customAttributeJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, customAttributeView(c))
	}
	return ok(w, out)
}

func (h *Handler) showCustomAttribute(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	c, err := h.app.CustomAttribute(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, customAttributeView(c))
}

func (h *Handler) createCustomAttribute(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body customAttributeRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.CreateCustomAttribute(r.Context(), accountID, body.input())
	if err != nil {
		return err
	}
	return ok(w, customAttributeView(c))
}

func (h *Handler) updateCustomAttribute(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	var body customAttributeRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.UpdateCustomAttribute(r.Context(), accountID, id, body.input())
	if err != nil {
		return err
	}
	return ok(w, customAttributeView(c))
}

func (h *Handler) deleteCustomAttribute(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	if err := h.app.DeleteCustomAttribute(r.Context(), accountID, id); err != nil {
		return err
	}
	return empty(w)
}
