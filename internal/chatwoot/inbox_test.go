package chatwoot_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestInboxes(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	api := b.must(request{Method: "POST", Path: b.acc("/inboxes"), Token: b.admin,
		Body: map[string]any{"name": "Bots", "channel": map[string]any{"type": "api", "webhook_url": "https://hooks.test/in", "hmac_mandatory": true}}}).Object(t)
	apiID := num(t, api, "id")
	identifier, _ := api["inbox_identifier"].(string)
	if len(identifier) != 24 || api["channel_type"] != "Channel::Api" || api["webhook_url"] != "https://hooks.test/in" || api["hmac_mandatory"] != true {
		t.Fatalf("API inbox %v: want an inbox_identifier, Channel::Api, the webhook url and hmac_mandatory", api)
	}
	if tok, _ := api["hmac_token"].(string); tok == "" {
		t.Errorf("administrator does not see the hmac_token")
	}
	web := b.must(request{Method: "POST", Path: b.acc("/inboxes"), Token: b.admin,
		Body: map[string]any{"name": "Site", "channel": map[string]any{"type": "web_widget", "website_url": "https://acme.test", "widget_color": "#123456"}}}).Object(t)
	webID := num(t, web, "id")
	if web["channel_type"] != "Channel::WebWidget" || web["website_url"] != "https://acme.test" || web["website_token"] == nil || web["inbox_identifier"] != nil {
		t.Errorf("web widget inbox %v: want Channel::WebWidget with a website token and no inbox_identifier", web)
	}
	// Its script, to paste into the site: Chatwoot's snippet, pointed at
	// this server and this inbox.
	script, _ := web["web_widget_script"].(string)
	if !strings.Contains(script, `websiteToken: "`+web["website_token"].(string)+`"`) || !strings.Contains(script, `BASE_URL+"/packs/js/sdk.js"`) ||
		!strings.Contains(script, `var BASE_URL="http`) {
		t.Errorf("web_widget_script %q", script)
	}
	if _, ok := api["web_widget_script"]; ok {
		t.Errorf("an API inbox has a web_widget_script: %v", api["web_widget_script"])
	}

	b.run([]scenario{
		{name: "list as administrator", req: request{Method: "GET", Path: b.acc("/inboxes"), Token: b.admin}, status: 200,
			check: func(t testing.TB, r *response) {
				if n := len(r.Object(t)["payload"].([]any)); n != 4 {
					t.Errorf("administrator sees %d inboxes, want 4", n)
				}
			}},
		{name: "agent of no inbox sees none", req: request{Method: "GET", Path: b.acc("/inboxes"), Token: b.agent}, status: 200,
			contains: []string{`{"payload":[]}`}},
		{name: "show", req: request{Method: "GET", Path: b.acc("/inboxes/%d", apiID), Token: b.admin}, status: 200,
			contains: []string{`"name":"Bots"`, `"inbox_identifier":"` + identifier + `"`}},
		{name: "show a web widget inbox", req: request{Method: "GET", Path: b.acc("/inboxes/%d", webID), Token: b.admin}, status: 200,
			contains: []string{`"widget_color":"#123456"`, `"welcome_title":""`, `"welcome_tagline":""`, `"allowed_domains":""`}},
		{name: "a web widget made without a colour has Chatwoot's", req: request{Method: "POST", Path: b.acc("/inboxes"), Token: b.admin,
			Body: map[string]any{"name": "Plain", "channel": map[string]any{"type": "web_widget", "website_url": "https://plain.test"}}}, status: 200,
			contains: []string{`"widget_color":"#1f93ff"`}},
		{name: "a colour set empty shows the default", req: request{Method: "PATCH", Path: b.acc("/inboxes/%d", webID), Token: b.admin,
			Body: map[string]any{"channel": map[string]any{"widget_color": ""}}}, status: 200,
			contains: []string{`"widget_color":"#1f93ff"`}},
		{name: "and so does the widget's config", req: request{Method: "POST", Path: "/api/v1/widget/config?website_token=" + web["website_token"].(string)}, status: 200,
			contains: []string{`"widget_color":"#1f93ff"`}},
		{name: "colour back", req: request{Method: "PATCH", Path: b.acc("/inboxes/%d", webID), Token: b.admin,
			Body: map[string]any{"channel": map[string]any{"widget_color": "#123456"}}}, status: 200,
			contains: []string{`"widget_color":"#123456"`}},
		{name: "an API inbox has no widget strings", req: request{Method: "GET", Path: b.acc("/inboxes/%d", apiID), Token: b.admin}, status: 200,
			contains: []string{`"widget_color":null`, `"welcome_title":null`, `"welcome_tagline":null`, `"allowed_domains":null`}},
		{name: "update the welcome", req: request{Method: "PATCH", Path: b.acc("/inboxes/%d", webID), Token: b.admin,
			Body: map[string]any{"channel": map[string]any{"welcome_title": "Hello", "welcome_tagline": "We reply fast"}}}, status: 200,
			contains: []string{`"welcome_title":"Hello"`, `"welcome_tagline":"We reply fast"`}},
		{name: "list shows the welcome", req: request{Method: "GET", Path: b.acc("/inboxes"), Token: b.admin}, status: 200,
			contains: []string{`"widget_color":"#123456"`, `"welcome_title":"Hello"`, `"welcome_tagline":"We reply fast"`}},
		{name: "update", req: request{Method: "PATCH", Path: b.acc("/inboxes/%d", apiID), Token: b.admin,
			Body: map[string]any{"name": "Bots 2", "greeting_enabled": true, "greeting_message": "Hi", "channel": map[string]any{"webhook_url": "https://hooks.test/2"}}},
			status: 200, contains: []string{`"name":"Bots 2"`, `"greeting_enabled":true`, `"greeting_message":"Hi"`, `"webhook_url":"https://hooks.test/2"`, `"inbox_identifier":"` + identifier + `"`}},
		{name: "update with a bad webhook url", req: request{Method: "PUT", Path: b.acc("/inboxes/%d", apiID), Token: b.admin,
			Body: map[string]any{"channel": map[string]any{"webhook_url": "ftp://x"}}}, status: 422, contains: []string{`"attributes":["webhook_url"]`}},
		{name: "show after the failed update", req: request{Method: "GET", Path: b.acc("/inboxes/%d", apiID), Token: b.admin}, status: 200,
			contains: []string{`"webhook_url":"https://hooks.test/2"`}},
		{name: "create without a channel type", req: request{Method: "POST", Path: b.acc("/inboxes"), Token: b.admin, Body: map[string]any{"name": "x"}},
			status: 422, contains: []string{`"attributes":["channel"]`}},
		{name: "create without a name", req: request{Method: "POST", Path: b.acc("/inboxes"), Token: b.admin, Body: map[string]any{"channel": map[string]any{"type": "api"}}},
			status: 422, contains: []string{`"Name can't be blank"`}},
		{name: "agent may not create", req: request{Method: "POST", Path: b.acc("/inboxes"), Token: b.agent, Body: map[string]any{"name": "x", "channel": map[string]any{"type": "api"}}},
			status: 401, contains: []string{`{"error":"You are not authorized to do this action"}`}},
		{name: "unknown inbox", req: request{Method: "GET", Path: b.acc("/inboxes/999"), Token: b.admin}, status: 404},
		{name: "no members", req: request{Method: "GET", Path: b.acc("/inbox_members/%d", webID), Token: b.admin}, status: 200, contains: []string{`{"payload":[]}`}},
		{name: "add member", req: request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.admin,
			Body: map[string]any{"inbox_id": webID, "user_ids": []any{b.agentID}}}, status: 200,
			contains: []string{fmt.Sprintf(`"id":%d`, b.agentID), `"role":"agent"`}},
		{name: "agent now sees the inbox", req: request{Method: "GET", Path: b.acc("/inboxes"), Token: b.agent}, status: 200,
			check: func(t testing.TB, r *response) {
				list := r.Object(t)["payload"].([]any)
				if len(list) != 1 || num(t, list[0], "id") != webID {
					t.Errorf("agent sees %v, want the widget inbox alone", list)
				}
				if _, shown := list[0].(map[string]any)["hmac_token"]; shown {
					t.Errorf("agent sees the hmac_token")
				}
			}},
		{name: "replace members with strings for ids", req: request{Method: "PATCH", Path: b.acc("/inbox_members"), Token: b.admin,
			Body: map[string]any{"inbox_id": fmt.Sprint(webID), "user_ids": []any{fmt.Sprint(b.adminID)}}}, status: 200,
			check: func(t testing.TB, r *response) {
				list := r.Object(t)["payload"].([]any)
				if len(list) != 1 || num(t, list[0], "id") != b.adminID {
					t.Errorf("members %v, want the administrator alone", list)
				}
			}},
		{name: "add a stranger", req: request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.admin,
			Body: map[string]any{"inbox_id": webID, "user_ids": []any{999}}}, status: 422, contains: []string{`"attributes":["user_ids"]`}},
		{name: "members after the failed add", req: request{Method: "GET", Path: b.acc("/inbox_members/%d", webID), Token: b.admin}, status: 200,
			check: func(t testing.TB, r *response) {
				if n := len(r.Object(t)["payload"].([]any)); n != 1 {
					t.Errorf("%d members, want 1", n)
				}
			}},
		{name: "remove member", req: request{Method: "DELETE", Path: b.acc("/inbox_members"), Token: b.admin,
			Body: map[string]any{"inbox_id": webID, "user_ids": []any{b.adminID}}}, status: 200, contains: []string{`{"payload":[]}`}},
		{name: "members without an inbox", req: request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.admin,
			Body: map[string]any{"user_ids": []any{b.adminID}}}, status: 422, contains: []string{`"attributes":["inbox_id"]`}},
		{name: "agents", req: request{Method: "GET", Path: b.acc("/agents"), Token: b.agent}, status: 200,
			check: func(t testing.TB, r *response) {
				list := r.Array(t)
				if len(list) != 2 {
					t.Fatalf("%d agents, want 2", len(list))
				}
				roles := map[int64]any{}
				for _, a := range list {
					roles[num(t, a, "id")] = a.(map[string]any)["role"]
				}
				if roles[b.adminID] != "administrator" || roles[b.agentID] != "agent" {
					t.Errorf("agents %v", list)
				}
			}},
		{name: "delete inbox", req: request{Method: "DELETE", Path: b.acc("/inboxes/%d", webID), Token: b.admin}, status: 200},
		{name: "deleted inbox", req: request{Method: "GET", Path: b.acc("/inboxes/%d", webID), Token: b.admin}, status: 404},
	})
}
