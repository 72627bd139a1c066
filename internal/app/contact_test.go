package app_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestAttributesBounded: the custom and additional attributes of contacts
// and conversations hold at most baton.MaxAttributesBytes of JSON, however
// they are written: merged in request after request (a widget visitor's
// or public API client's own contact, the widget's conversation
// attributes, an update's additional attributes) or at once. A visitor's
// contact grew by a megabyte a request, and every webhook payload and live
// frame about them with it. A change within the bound still goes through.
func TestAttributesBounded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		third := strings.Repeat("x", baton.MaxAttributesBytes/3)
		big := map[string]any{"all": strings.Repeat("x", baton.MaxAttributesBytes)}
		visitor, _ := w.visitor(t)
		if _, err := w.app.WidgetCreateMessage(visitor, app.WidgetMessageInput{Content: ptr("hello")}); err != nil {
			t.Fatal(err)
		}
		conv := w.customer(t, "casey")
		tests := []struct {
			name string
			// write writes one attribute of the value under the key.
			write func(key string, v any) error
		}{
			{"widget contact", func(key string, v any) error {
				_, err := w.app.WidgetUpdateContact(visitor, app.WidgetContactInput{PublicContactInput: app.PublicContactInput{
					ContactInput: app.ContactInput{CustomAttributes: map[string]any{key: v}}}})
				return err
			}},
			{"public contact", func(key string, v any) error {
				_, err := w.app.PublicUpdateContact(w.publicCaller("casey"), app.PublicContactInput{
					ContactInput: app.ContactInput{AdditionalAttributes: map[string]any{key: v}}})
				return err
			}},
			{"widget conversation", func(key string, v any) error {
				_, err := w.app.WidgetConversationAttributes(visitor, map[string]any{key: v}, nil)
				return err
			}},
			{"conversation update", func(key string, v any) error {
				_, err := w.app.UpdateConversation(w.admin, w.account.ID, conv.DisplayID,
					app.UpdateConversationInput{AdditionalAttributes: map[string]any{key: v}})
				return err
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for i, key := range []string{"a", "b"} {
					if err := tt.write(key, third); err != nil {
						t.Fatalf("attribute %d of a third of the bound: %v", i+1, err)
					}
				}
				if err := tt.write("c", third); !errors.Is(err, &baton.Error{Code: baton.EINVALID}) {
					t.Fatalf("a third attribute of a third of the bound, merged in: %v, want invalid", err)
				}
				if err := tt.write("a", "small"); err != nil {
					t.Fatalf("a change within the bound: %v", err)
				}
			})
		}
		if _, err := w.app.SetCustomAttributes(w.admin, w.account.ID, conv.DisplayID, big); !errors.Is(err, &baton.Error{Code: baton.EINVALID}) {
			t.Errorf("a conversation's custom attributes past the bound at once: %v, want invalid", err)
		}
		if _, _, err := w.app.CreateContact(w.admin, w.account.ID, app.ContactInput{Name: ptr("Big"), CustomAttributes: big}, 0, ""); !errors.Is(err, &baton.Error{Code: baton.EINVALID}) {
			t.Errorf("a contact made with custom attributes past the bound: %v, want invalid", err)
		}
	})
}
