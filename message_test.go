package baton_test

import (
	"strings"
	"testing"

	"github.com/batonhq/baton"
)

// TestInteractiveItems: links in interactive items must be http, https,
// mailto or tel (or relative), however a browser would read their scheme;
// form options must be a list, and a select field's not empty, and
// required a boolean; a link action needs its uri; input_csat and
// input_email take no items; errors name the JSON type that was sent.
func TestInteractiveItems(t *testing.T) {
	t.Parallel()
	card := func(media, uri any) map[string]any {
		return map[string]any{"items": []any{map[string]any{"title": "Card", "media_url": media,
			"actions": []any{map[string]any{"type": "link", "text": "Go", "uri": uri}}}}}
	}
	article := func(link any) map[string]any {
		return map[string]any{"items": []any{map[string]any{"title": "A", "link": link}}}
	}
	field := func(k string, v any) map[string]any {
		typ := "text"
		if k == "options" {
			typ = "select"
		}
		return map[string]any{"items": []any{map[string]any{"name": "n", "type": typ, k: v}}}
	}
	for _, tc := range []struct {
		name  string
		ct    baton.ContentType
		attrs map[string]any
		want  string // "" when valid; else a part of the message
	}{
		{"https card", baton.ContentCards, card("https://x.test/a.png", "https://x.test"), ""},
		{"relative link", baton.ContentArticle, article("/help/1"), ""},
		{"mailto", baton.ContentCards, card(nil, "mailto:a@b.test"), ""},
		{"javascript uri", baton.ContentCards, card(nil, "javascript:alert(1)"), `scheme "javascript"`},
		{"JavaScript with a tab", baton.ContentCards, card(nil, " Java\tScript:alert(1)"), `scheme "javascript"`},
		{"data media", baton.ContentCards, card("data:text/html,<script>", "https://x.test"), `scheme "data"`},
		{"vbscript article", baton.ContentArticle, article("vbscript:msgbox"), `scheme "vbscript"`},
		{"link a number", baton.ContentArticle, article(5), "link that is a number, not text"},
		{"options a list", baton.ContentForm, field("options", []any{"a", "b"}), ""},
		{"options text", baton.ContentForm, field("options", "a,b"), "options that are text, not a list"},
		{"options an object", baton.ContentForm, field("options", map[string]any{"a": 1}), "options that are an object, not a list"},
		{"required true", baton.ContentForm, field("required", true), ""},
		{"required yes", baton.ContentForm, field("required", "yes"), "required that is text, not true or false"},
		{"select without options", baton.ContentForm, map[string]any{"items": []any{map[string]any{"name": "n", "type": "select"}}},
			"select field without options"},
		{"select with no options", baton.ContentForm, field("options", []any{}), "select field without options"},
		{"link without a uri", baton.ContentCards, card(nil, nil), "link action without a uri"},
		{"csat with items", baton.ContentInputCSAT, map[string]any{"items": []any{}}, "input_csat takes no items"},
		{"title a number", baton.ContentInputSelect, map[string]any{"items": []any{map[string]any{"title": 3, "value": "a"}}},
			"title that is a number, not text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := baton.ValidateContent(nil, tc.ct, tc.attrs)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s: %v, want valid", tc.name, err)
			case tc.want != "" && (err == nil || !strings.Contains(baton.ErrorMessage(err), tc.want)):
				t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
			}
		})
	}
}
