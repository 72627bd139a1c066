package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestWidgetAllowedDomains: a web widget inbox's allowed_domains, as
// Chatwoot's inbox API takes and shows it (channel.allowed_domains,
// comma-separated; null for an API inbox), checked (422, nothing changed);
// the widget page answers with frame-ancestors of those domains separated
// by spaces, and with any site's "*" when there are none.
func TestWidgetAllowedDomains(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		w := newWidgetSite(e)
		inbox := e.acc(fmt.Sprintf("/inboxes/%d", w.inboxID))
		page := func() http.Header {
			t.Helper()
			res, err := http.Get(e.URL + "/widget?website_token=" + w.token)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("GET /widget: %d", res.StatusCode)
			}
			return res.Header
		}
		ancestors := func(h http.Header) string {
			for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
				if d = strings.TrimSpace(d); strings.HasPrefix(d, "frame-ancestors ") {
					return strings.TrimPrefix(d, "frame-ancestors ")
				}
			}
			return ""
		}
		send := func(method, path, token, body string) *batontest.Response {
			return e.Do(batontest.Request{Method: method, Path: path, Token: token, Body: body})
		}
		domains := func(v any) any { return v.(map[string]any)["allowed_domains"] }

		// None at first: any site frames the page, without X-Frame-Options.
		if got := domains(e.call("GET", inbox, e.adminToken, "", 200)); got != "" {
			t.Errorf("a new web widget's allowed_domains: %#v, want \"\"", got)
		}
		if h := page(); ancestors(h) != "*" || h.Get("X-Frame-Options") != "" {
			t.Errorf("without allowed domains: frame-ancestors %q, X-Frame-Options %q", ancestors(h), h.Get("X-Frame-Options"))
		}

		// Chatwoot's own example, as its pull request set it.
		v := e.call("PATCH", inbox, e.adminToken, `{"channel":{"allowed_domains":"*.chatwoot.dev,chatwoot.com"}}`, 200)
		if got := domains(v); got != "*.chatwoot.dev, chatwoot.com" {
			t.Errorf("allowed_domains after the update: %#v", got)
		}
		if got := domains(e.call("GET", inbox, e.adminToken, "", 200)); got != "*.chatwoot.dev, chatwoot.com" {
			t.Errorf("allowed_domains shown: %#v", got)
		}
		if h := page(); ancestors(h) != "*.chatwoot.dev chatwoot.com" || h.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Errorf("with allowed domains: frame-ancestors %q, X-Frame-Options %q", ancestors(h), h.Get("X-Frame-Options"))
		}

		// What could add a directive or a header, or is no host, is refused
		// and changes nothing.
		for _, bad := range []string{
			`"acme.test; script-src *"`, `"'self'"`, `"acme.test other.test"`, `"acme.test\r\nSet-Cookie: a=b"`,
			`"https://acme.test/path"`, `"acme.test:99999"`, `"` + strings.Repeat("a.test,", 51) + `"`,
			`"` + strings.Repeat("a", 2001) + `"`,
		} {
			res := send("PATCH", inbox, e.adminToken, `{"channel":{"allowed_domains":`+bad+`}}`)
			if res.Status != 422 || !strings.Contains(string(res.Body), `"attributes":["allowed_domains"]`) || !strings.Contains(string(res.Body), "Allowed domains") {
				t.Errorf("allowed_domains %.60s: %d %s, want 422 on allowed_domains", bad, res.Status, string(res.Body))
			}
		}
		if got := ancestors(page()); got != "*.chatwoot.dev chatwoot.com" {
			t.Errorf("frame-ancestors after the refusals: %q", got)
		}
		// An array is not Chatwoot's text.
		if res := send("PATCH", inbox, e.adminToken, `{"channel":{"allowed_domains":["acme.test"]}}`); res.Status/100 != 4 {
			t.Errorf("allowed_domains as an array: %d %s", res.Status, string(res.Body))
		}

		// Other settings leave them; "" and null clear them, as Rails' blank.
		e.call("PATCH", inbox, e.adminToken, `{"name":"Shop","channel":{"welcome_title":"Hi"}}`, 200)
		if got := ancestors(page()); got != "*.chatwoot.dev chatwoot.com" {
			t.Errorf("frame-ancestors after another update: %q", got)
		}
		for _, clear := range []string{`""`, `null`, `" , "`} {
			e.call("PATCH", inbox, e.adminToken, `{"channel":{"allowed_domains":"acme.test"}}`, 200)
			v = e.call("PATCH", inbox, e.adminToken, `{"channel":{"allowed_domains":`+clear+`}}`, 200)
			if h := page(); domains(v) != "" || ancestors(h) != "*" || h.Get("X-Frame-Options") != "" {
				t.Errorf("allowed_domains %s: %#v, frame-ancestors %q, X-Frame-Options %q", clear, domains(v), ancestors(h), h.Get("X-Frame-Options"))
			}
		}

		// Set when the inbox is made.
		v = e.call("POST", e.acc("/inboxes"), e.adminToken, `{"name":"Store","channel":{"type":"web_widget",
			"website_url":"https://store.test","allowed_domains":" https://store.test , *.store.test:8443 "}}`, 200)
		if got := domains(v); got != "https://store.test, *.store.test:8443" {
			t.Errorf("a new inbox's allowed_domains: %#v", got)
		}
		res := send("POST", e.acc("/inboxes"), e.adminToken,
			`{"name":"Bad","channel":{"type":"web_widget","allowed_domains":"store.test;"}}`)
		if res.Status != 422 {
			t.Errorf("a new inbox with a bad allowed_domains: %d %s", res.Status, string(res.Body))
		}

		// An API inbox has none: null, and the field is ignored, as
		// Chatwoot's API channel has no such column.
		api := e.acc(fmt.Sprintf("/inboxes/%d", int64(e.inbox["id"].(float64))))
		if got, ok := e.inbox["allowed_domains"]; !ok || got != nil {
			t.Errorf("an API inbox's allowed_domains: %#v (present %v), want null", got, ok)
		}
		v = e.call("PATCH", api, e.adminToken, `{"channel":{"allowed_domains":"acme.test"}}`, 200)
		if got := domains(v); got != nil {
			t.Errorf("an API inbox given allowed_domains shows %#v, want null", got)
		}
	})
}
