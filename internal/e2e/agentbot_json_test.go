package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestAgentBotJSON pins the bot as each API and each role sees it (spec
// §6.1-§6.3), and checks the actions that change a bot.
func TestAgentBotJSON(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		b := newBot(t, nil)
		e.connect(b, "?lang=en")
		conv := e.customer("casey")
		sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
		_, platformToken, err := e.App.CreatePlatformApp(sys, "Provisioner")
		if err != nil {
			t.Fatal(err)
		}
		agent, agentToken, err := e.App.CreateUserInAccount(sys, e.accountID, app.UserInput{Name: ptr("Sam"),
			Email: ptr(fmt.Sprintf("sam%d@acme.test", e.accountID)), Password: ptr("password123")}, "agent")
		if err != nil {
			t.Fatal(err)
		}

		// A global bot, made through the Platform API, which shows its real
		// outgoing URL where Chatwoot shows its name.
		raw := e.raw("POST", "/platform/api/v1/agent_bots", platformToken,
			`{"name":"Global helper","description":"For every account","outgoing_url":"https://global.example/hook?key=1"}`, 200)
		e.golden(b, "platform_agent_bot", raw)
		global := decodeJSON(t, raw).(map[string]any)
		if global["outgoing_url"] != "https://global.example/hook?key=1" || global["account_id"] != nil {
			t.Errorf("platform bot JSON %v", global)
		}
		e.golden(b, "platform_agent_bot_show", e.raw("GET", fmt.Sprintf("/platform/api/v1/agent_bots/%v", global["id"]), platformToken, "", 200))

		// The list: own bot with its secrets for administrators, the global
		// bot without its URL or secrets, nobody's secrets for agents.
		raw = e.raw("GET", e.acc("/agent_bots"), e.adminToken, "", 200)
		e.golden(b, "agent_bots_administrator", raw)
		for _, v := range decodeJSON(t, raw).([]any) {
			bot := v.(map[string]any)
			_, hasURL := bot["outgoing_url"]
			_, hasToken := bot["access_token"]
			_, hasSecret := bot["secret"]
			own := bot["id"] == float64(b.id)
			if own && (bot["access_token"] != b.token || bot["secret"] == nil || bot["outgoing_url"] != b.URL+"?lang=en") {
				t.Errorf("an administrator sees the account's bot as %v", bot)
			}
			if !own && (hasURL || hasToken || hasSecret || bot["system_bot"] != true) {
				t.Errorf("an administrator sees the global bot as %v", bot)
			}
		}
		raw = e.raw("GET", e.acc("/agent_bots"), agentToken, "", 200)
		e.golden(b, "agent_bots_agent", raw)
		if bytes.Contains(raw, []byte(`"access_token"`)) || bytes.Contains(raw, []byte(`"secret"`)) {
			t.Errorf("an agent sees secrets: %s", raw)
		}

		// The inbox's bot: the normal bot JSON, never a token record. Agents
		// see the inboxes they are members of.
		e.call("POST", e.acc("/inbox_members"), e.adminToken, fmt.Sprintf(`{"inbox_id":%v,"user_ids":[%d]}`, e.inbox["id"], agent.ID), 200)
		inboxBot := e.acc(fmt.Sprintf("/inboxes/%v/agent_bot", e.inbox["id"]))
		raw = e.raw("GET", inboxBot, e.adminToken, "", 200)
		e.golden(b, "inbox_agent_bot", raw)
		if got := decodeJSON(t, raw).(map[string]any)["agent_bot"].(map[string]any); got["access_token"] != b.token {
			t.Errorf("inbox agent_bot access_token %v, want the token string", got["access_token"])
		}
		raw = e.raw("GET", inboxBot, agentToken, "", 200)
		e.golden(b, "inbox_agent_bot_agent", raw)
		if bytes.Contains(raw, []byte(`"access_token"`)) {
			t.Errorf("an agent sees the inbox bot's token: %s", raw)
		}
		other := e.call("POST", e.acc("/inboxes"), e.adminToken, `{"name":"Other","channel":{"type":"api"}}`, 200).(map[string]any)
		if got := strings.TrimSpace(string(e.raw("GET", e.acc(fmt.Sprintf("/inboxes/%v/agent_bot", other["id"])), e.adminToken, "", 200))); got != "{}" {
			t.Errorf("an inbox without a bot answers %s, want {}", got)
		}

		// A new token: the old one stops working at once.
		botPath := e.acc(fmt.Sprintf("/agent_bots/%d", b.id))
		convPath := e.convPath(conv)
		e.call("GET", convPath, b.token, "", 200)
		raw = e.raw("POST", botPath+"/reset_access_token", e.adminToken, "", 200)
		e.golden(b, "agent_bot_reset_access_token", raw)
		fresh := decodeJSON(t, raw).(map[string]any)["access_token"].(string)
		if fresh == b.token || len(fresh) != 24 {
			t.Errorf("reset_access_token gave %q after %q", fresh, b.token)
		}
		e.call("GET", convPath, b.token, "", 401)
		e.call("GET", convPath, fresh, "", 200)
		b.token = fresh

		// A new secret.
		before := e.call("GET", botPath, e.adminToken, "", 200).(map[string]any)["secret"]
		after := e.call("POST", botPath+"/reset_secret", e.adminToken, "", 200).(map[string]any)["secret"]
		if s, _ := after.(string); s == "" || after == before {
			t.Errorf("reset_secret gave %v after %v", after, before)
		}

		// An avatar, served at its URL, then removed.
		png := pngImage(t)
		withAvatar := e.upload(botPath, e.adminToken, "PATCH", "avatar", "face.png", "image/png", png, nil)
		avatarURL, _ := withAvatar["avatar_url"].(string)
		if !strings.HasPrefix(avatarURL, e.URL+"/") || withAvatar["thumbnail"] != avatarURL {
			t.Fatalf("after an upload avatar_url is %q, thumbnail %v", avatarURL, withAvatar["thumbnail"])
		}
		res, err := http.Get(avatarURL)
		if err != nil {
			t.Fatal(err)
		}
		served, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(served, png) {
			t.Errorf("avatar_url serves %d %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(served))
		}
		raw = e.raw("DELETE", botPath+"/avatar", e.adminToken, "", 200)
		e.golden(b, "agent_bot_delete_avatar", raw)
		if got := decodeJSON(t, raw).(map[string]any); got["avatar_url"] != "" || got["thumbnail"] != "" {
			t.Errorf("after the avatar is deleted: avatar_url %v, thumbnail %v", got["avatar_url"], got["thumbnail"])
		}
		fetchStatus(t, avatarURL, 404)

		// Agents may read bots but not change them.
		for _, w := range []struct{ method, path, body string }{
			{"POST", e.acc("/agent_bots"), `{"name":"Mine","outgoing_url":"https://bot.example/"}`},
			{"PATCH", botPath, `{"name":"Renamed"}`},
			{"PUT", botPath, `{"name":"Renamed"}`},
			{"DELETE", botPath, ""},
			{"DELETE", botPath + "/avatar", ""},
			{"POST", botPath + "/reset_access_token", ""},
			{"POST", botPath + "/reset_secret", ""},
			{"POST", e.acc(fmt.Sprintf("/inboxes/%v/set_agent_bot", e.inbox["id"])), `{"agent_bot":null}`},
		} {
			got := e.call(w.method, w.path, agentToken, w.body, 401).(map[string]any)
			if got["error"] != "You are not authorized to do this action" || len(got) != 1 {
				t.Errorf("an agent's %s %s: %v", w.method, w.path, got)
			}
		}
		e.call("GET", botPath, agentToken, "", 200)

		// A global bot can be read through the account, not changed.
		globalPath := e.acc(fmt.Sprintf("/agent_bots/%v", global["id"]))
		for _, w := range []struct{ method, path, body string }{
			{"PATCH", globalPath, `{"name":"Taken"}`},
			{"PUT", globalPath, `{"name":"Taken"}`},
			{"DELETE", globalPath, ""},
			{"DELETE", globalPath + "/avatar", ""},
			{"POST", globalPath + "/reset_access_token", ""},
			{"POST", globalPath + "/reset_secret", ""},
		} {
			got := e.call(w.method, w.path, e.adminToken, w.body, 404).(map[string]any)
			if got["error"] != "Resource could not be found" {
				t.Errorf("%s %s of a global bot: %v", w.method, w.path, got)
			}
		}
		if got := e.call("GET", globalPath, e.adminToken, "", 200).(map[string]any); got["name"] != "Global helper" {
			t.Errorf("the global bot changed: %v", got)
		}
	})
}

// raw makes a request, checks its status and returns the bytes of the body.
func (e *env) raw(method, path, token, body string, status int) []byte {
	e.t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("api_access_token", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, status, b)
	}
	return b
}

// decodeJSON decodes a JSON body.
func decodeJSON(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	return v
}
