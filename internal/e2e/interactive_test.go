package e2e_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestInteractiveMessages sends each kind of interactive message with a
// bot's token (spec §1.8, §7.2): good ones are stored as sent, bad ones are
// refused with a 422 that names content_attributes, and nothing is written.
func TestInteractiveMessages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		conv := e.customer("casey")
		path := e.acc(fmt.Sprintf("/conversations/%d/messages", conv))
		count := func() int {
			t.Helper()
			page := e.call("GET", path, e.adminToken, "", 200).(map[string]any)
			return len(page["payload"].([]any))
		}
		send := func(contentType, attrs string, status int) any {
			t.Helper()
			body := fmt.Sprintf(`{"content":"Question","content_type":%q,"content_attributes":%s}`, contentType, attrs)
			return e.call("POST", path, b.token, body, status)
		}

		for _, ok := range []struct{ contentType, attrs string }{
			{"input_select", `{"items":[{"title":"Yes","value":"yes"},{"title":"No","value":"no"}]}`},
			{"cards", `{"items":[{"title":"Red shoe","description":"Size 42","media_url":"https://img.example/shoe.png",
				"actions":[{"type":"link","text":"View","uri":"https://shop.example/shoe"},{"type":"postback","text":"Buy","payload":"BUY_SHOE"}]}]}`},
			{"form", `{"items":[{"type":"text","name":"name","label":"Name","placeholder":"Your name","required":true},
				{"type":"text_area","name":"note","label":"Note"},
				{"type":"email","name":"email","label":"Email","pattern":"^.+@.+$","pattern_error":"Not an e-mail"},
				{"type":"select","name":"size","label":"Size","options":[{"label":"Small","value":"s"}],"default":"s"}]}`},
			{"article", `{"items":[{"title":"Returns","description":"How to send a parcel back","link":"https://help.example/returns"}]}`},
			{"input_email", `{}`},
			{"input_csat", `{}`},
		} {
			m := send(ok.contentType, ok.attrs, 200).(map[string]any)
			var want any
			_ = json.Unmarshal([]byte(ok.attrs), &want)
			if m["content_type"] != ok.contentType || !reflect.DeepEqual(m["content_attributes"], want) {
				t.Errorf("%s: stored as %v %v, want %v", ok.contentType, m["content_type"], m["content_attributes"], want)
			}
		}

		for _, bad := range []struct{ name, contentType, attrs, says string }{
			{"no items", "input_select", `{}`, "At least one item is required"},
			{"empty items", "cards", `{"items":[]}`, "At least one item is required"},
			{"items not objects", "input_select", `{"items":["yes","no"]}`, "Items should be a hash"},
			{"unknown item key", "input_select", `{"items":[{"title":"Yes","value":"yes","colour":"green"}]}`, "invalid keys for items : colour"},
			{"unknown article key", "article", `{"items":[{"title":"Returns","url":"https://help.example"}]}`, "invalid keys for items : url"},
			{"card without actions", "cards", `{"items":[{"title":"Red shoe"}]}`, "missing actions"},
			{"card action with unknown key", "cards", `{"items":[{"title":"Red shoe","actions":[{"type":"link","text":"View","uri":"https://shop.example","target":"_blank"}]}]}`,
				"invalid keys for actions: target"},
			{"form field of unknown type", "form", `{"items":[{"type":"date","name":"when","label":"When"}]}`, "unknown field type"},
		} {
			before := count()
			got := send(bad.contentType, bad.attrs, 422).(map[string]any)
			msg, _ := got["message"].(string)
			if !strings.Contains(msg, bad.says) || got["error"] != msg || !reflect.DeepEqual(got["attributes"], []any{"content_attributes"}) {
				t.Errorf("%s: %v, want a message saying %q and attributes [content_attributes]", bad.name, got, bad.says)
			}
			if n := count(); n != before {
				t.Errorf("%s: %d messages after a refused one, want %d", bad.name, n, before)
			}
		}

		// content_attributes as a string holding JSON, as form posts send it.
		m := e.call("POST", path, b.token,
			`{"content":"Pick","content_type":"input_select","content_attributes":"{\"items\":[{\"title\":\"A\",\"value\":\"a\"}]}"}`, 200).(map[string]any)
		want := map[string]any{"items": []any{map[string]any{"title": "A", "value": "a"}}}
		if !reflect.DeepEqual(m["content_attributes"], want) {
			t.Errorf("content_attributes sent as a string stored as %v", m["content_attributes"])
		}

		// Keys other than items and in_reply_to are the server's: dropped.
		m = e.call("POST", path, b.token, fmt.Sprintf(`{"content":"Pick again","content_type":"input_select","content_attributes":
			{"items":[{"title":"A","value":"a"}],"in_reply_to":%v,"submitted_values":[{"title":"A","value":"a"}],"deleted":true,"colour":"green"}}`,
			m["id"]), 200).(map[string]any)
		attrs := m["content_attributes"].(map[string]any)
		if len(attrs) != 2 || !reflect.DeepEqual(attrs["items"], want["items"]) || attrs["in_reply_to"] == nil {
			t.Errorf("content_attributes with keys of the server's stored as %v, want items and in_reply_to only", attrs)
		}
	})
}
