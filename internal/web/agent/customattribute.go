package agent

import (
	"cmp"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

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

// choices reads a list's choices, separated by commas; the app trims them
// and drops the empty and the repeated.
func choices(s string) []string { return strings.Split(s, ",") }

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

// attributeField is a defined custom attribute as a form edits it.
type attributeField struct {
	Key     string
	Name    string
	Input   string // the input's type: text, number, date or url; "list" is a select, "checkbox" a box
	Value   string
	Checked bool
	Choices []string
	Cue     string // what the value's pattern asks for
}

// fieldOf is the definition's field holding the value v.
func fieldOf(d *baton.CustomAttribute, v any) attributeField {
	f := attributeField{Key: d.Key, Name: d.DisplayName, Input: "text", Choices: d.Values, Cue: d.RegexCue}
	switch d.DisplayType {
	case "number", "currency", "percent":
		f.Input = "number"
	case "date", "list", "checkbox":
		f.Input = d.DisplayType
	case "link":
		f.Input = "url"
	}
	switch x := v.(type) {
	case nil:
	case string:
		f.Value = x
	case bool:
		f.Checked, f.Value = x, strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		f.Value = string(b)
	}
	return f
}

// attributeValue reads the form's value of a defined attribute: nil when
// it is left empty (the attribute is removed), else the value as its
// type keeps it, or why it is not one.
func attributeValue(d *baton.CustomAttribute, form string) (any, error) {
	form = strings.TrimSpace(form)
	if form == "" {
		return nil, nil
	}
	bad := func(why string) error { return baton.Invalid(d.DisplayName+": "+why, "custom_attributes") }
	switch d.DisplayType {
	case "number", "currency", "percent":
		n, err := strconv.ParseFloat(form, 64)
		if err != nil {
			return nil, bad("enter a number")
		}
		return n, nil
	case "checkbox":
		return form == "true", nil
	case "list":
		if !slices.Contains(d.Values, form) {
			return nil, bad("choose one of its choices")
		}
	case "date":
		if _, err := time.Parse("2006-01-02", form); err != nil {
			return nil, bad("enter a date")
		}
	}
	if d.RegexPattern != "" {
		if re, err := regexp.Compile(d.RegexPattern); err == nil && !re.MatchString(form) {
			return nil, bad(cmp.Or(d.RegexCue, "the value does not have the form it must have"))
		}
	}
	return form, nil
}

// attributeEdits reads a form's fields of the account's defined
// attributes of the model: the values to set, and the keys left empty (or
// a box not ticked) to remove.
func (h *Handler) attributeEdits(r *http.Request, accountID int64, model int) (set map[string]any, unset []string, err error) {
	defs, err := h.app.CustomAttributes(r.Context(), accountID, model)
	if err != nil {
		return nil, nil, err
	}
	set = map[string]any{}
	for _, d := range defs {
		v, err := attributeValue(d, r.PostFormValue("attr-"+d.Key))
		if err != nil {
			return nil, nil, err
		}
		if v == nil || v == false {
			unset = append(unset, d.Key)
		} else {
			set[d.Key] = v
		}
	}
	return set, unset, nil
}

// attributeFields are the fields of the account's defined attributes of
// the model, holding the values of attrs.
func (h *Handler) attributeFields(r *http.Request, accountID int64, model int, attrs map[string]any) []attributeField {
	defs, _ := h.app.CustomAttributes(r.Context(), accountID, model) // without them, no fields
	fields := make([]attributeField, 0, len(defs))
	for _, d := range defs {
		fields = append(fields, fieldOf(d, attrs[d.Key]))
	}
	return fields
}

// fieldNames are the fields' names by their attributes' keys.
func fieldNames(fields []attributeField) map[string]string {
	names := make(map[string]string, len(fields))
	for _, f := range fields {
		names[f.Key] = f.Name
	}
	return names
}

// setAttributes saves the conversation's defined attributes as the side
// panel's form sends them (app.EditCustomAttributes): the others, a bot's
// among them, stay as they are.
func (h *Handler) setAttributes(r *http.Request, accountID, id int64) error {
	set, unset, err := h.attributeEdits(r, accountID, baton.AttributeOfConversation)
	if err != nil {
		return err
	}
	_, err = h.app.EditCustomAttributes(r.Context(), accountID, id, set, unset)
	return err
}
