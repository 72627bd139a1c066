package chatwoot

import (
	"cmp"
	"net/http"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// customFilterJSON is a saved filter as Chatwoot shows it: its type under
// both names, as its spec (type) and its model (filter_type) have it.
type customFilterJSON struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	FilterType string         `json:"filter_type"`
	Query      map[string]any `json:"query"`
	CreatedAt  string         `json:"created_at"`
	UpdatedAt  string         `json:"updated_at"`
}

func customFilterView(f *baton.CustomFilter) customFilterJSON {
	return customFilterJSON{ID: f.ID, Name: f.Name, Type: f.Type, FilterType: f.Type, Query: objectOrEmpty(f.Query),
		CreatedAt: iso(f.CreatedAt), UpdatedAt: iso(f.UpdatedAt)}
}

// customFilterFields are a saved filter's fields in a request.
type customFilterFields struct {
	Name       *string    `json:"name"`
	Type       *string    `json:"type"`
	FilterType *string    `json:"filter_type"`
	Query      flexObject `json:"query"`
}

// customFilterRequest is a saved filter's create or update body: its
// fields at the top, or under custom_filter as Rails wraps them.
type customFilterRequest struct {
	customFilterFields
	Wrapped *customFilterFields `json:"custom_filter"`
}

func (b customFilterRequest) input() app.CustomFilterInput {
	f := b.customFilterFields
	if b.Wrapped != nil {
		f = *b.Wrapped
	}
	typ := f.Type
	if typ == nil {
		typ = f.FilterType
	}
	return app.CustomFilterInput{Name: f.Name, Type: typ, Query: f.Query}
}

func (h *Handler) listCustomFilters(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	fs, err := h.app.CustomFilters(r.Context(), accountID, cmp.Or(q.Get("filter_type"), q.Get("type")))
	if err != nil {
		return err
	}
	out := make([]customFilterJSON, 0, len(fs))
	for _, f := range fs {
		out = append(out, customFilterView(f))
	}
	return ok(w, out)
}

func (h *Handler) showCustomFilter(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	f, err := h.app.CustomFilter(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, customFilterView(f))
}

func (h *Handler) createCustomFilter(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body customFilterRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	f, err := h.app.CreateCustomFilter(r.Context(), accountID, body.input())
	if err != nil {
		return err
	}
	return ok(w, customFilterView(f))
}

func (h *Handler) updateCustomFilter(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	var body customFilterRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	f, err := h.app.UpdateCustomFilter(r.Context(), accountID, id, body.input())
	if err != nil {
		return err
	}
	return ok(w, customFilterView(f))
}

func (h *Handler) deleteCustomFilter(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	if err := h.app.DeleteCustomFilter(r.Context(), accountID, id); err != nil {
		return err
	}
	return empty(w)
}
