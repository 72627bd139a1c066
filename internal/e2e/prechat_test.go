package e2e_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// preChatForm is a pre-chat form as Chatwoot's dashboard sends it: the
// three standard fields, a contact attribute and two conversation ones.
const preChatForm = `{"channel":{"pre_chat_form_enabled":true,"pre_chat_form_options":{
	"pre_chat_message":"Tell us who you are",
	"pre_chat_fields":[
	 {"field_type":"standard","label":"Email Id","name":"emailAddress","type":"email","required":true,"enabled":true},
	 {"field_type":"standard","label":"Full name","name":"fullName","type":"text","required":true,"enabled":true},
	 {"field_type":"standard","label":"Phone number","name":"phoneNumber","type":"text","required":false,"enabled":true},
	 {"field_type":"contact_attribute","label":"Plan","name":"plan","type":"list","values":["free","pro"],"required":true,"enabled":true},
	 {"field_type":"conversation_attribute","label":"Order","name":"order_ref","type":"text","required":false,"enabled":true,
	  "placeholder":"AB123","regex_pattern":"[A-Z]{2}[0-9]+","regex_cue":"two capitals and digits, like AB123"},
	 {"field_type":"conversation_attribute","label":"Items","name":"items","type":"number","required":false,"enabled":true},
	 {"field_type":"contact_attribute","label":"Hidden","name":"hidden","type":"text","required":true,"enabled":false}]}}}`

// TestWidgetPreChatForm: the inbox API takes and shows the pre-chat form in
// Chatwoot's shape and refuses a malformed one; the widget config carries
// it; POST /api/v1/widget/conversations checks the answers against it and
// writes them to the contact and the conversation, or writes nothing.
func TestWidgetPreChatForm(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		w := newWidgetSite(e)
		inbox := e.acc(fmt.Sprintf("/inboxes/%d", w.inboxID))

		// A new inbox has Chatwoot's default form, off.
		v := e.call("GET", inbox, e.adminToken, "", 200).(map[string]any)
		if v["pre_chat_form_enabled"] != false || len(v["pre_chat_form_options"].(map[string]any)["pre_chat_fields"].([]any)) != 3 {
			t.Fatalf("a new inbox's pre-chat form: %v %v", v["pre_chat_form_enabled"], v["pre_chat_form_options"])
		}
		v = e.call("PATCH", inbox, e.adminToken, preChatForm, 200).(map[string]any)
		var sent struct {
			Channel struct {
				Options map[string]any `json:"pre_chat_form_options"`
			} `json:"channel"`
		}
		if err := json.Unmarshal([]byte(preChatForm), &sent); err != nil {
			t.Fatal(err)
		}
		for _, got := range []map[string]any{v, e.call("GET", inbox, e.adminToken, "", 200).(map[string]any)} {
			if got["pre_chat_form_enabled"] != true || !sameJSON(got["pre_chat_form_options"], sent.Channel.Options) {
				t.Fatalf("pre-chat form shown as %v %s, want %s", got["pre_chat_form_enabled"], js(got["pre_chat_form_options"]), js(sent.Channel.Options))
			}
		}

		// Malformed forms are refused, and the inbox keeps its form.
		for _, bad := range []struct{ field, want string }{
			{`{"field_type":"standard","name":"nickname","label":"Nick","type":"text","enabled":true}`, "emailAddress, fullName or phoneNumber"},
			{`{"field_type":"account_attribute","name":"x","label":"X","type":"text","enabled":true}`, "field_type must be"},
			{`{"field_type":"contact_attribute","name":"x","label":"X","type":"colour","enabled":true}`, "type must be one of"},
			{`{"field_type":"contact_attribute","name":"x","label":"X","type":"list","enabled":true}`, "a list has 1 to 100 values"},
			{`{"field_type":"contact_attribute","name":"x y","label":"X","type":"text","enabled":true}`, "name must be"},
			{`{"field_type":"contact_attribute","name":"x","label":"X","type":"text","regex_pattern":"([a-z","enabled":true}`, "regex_pattern is not a valid regular expression"},
			{`{"field_type":"contact_attribute","name":"x","label":"` + strings.Repeat("L", 256) + `","type":"text","enabled":true}`, "at most 255"},
		} {
			r := e.Do(batontest.Request{Method: "PATCH", Path: inbox, Token: e.adminToken,
				Body: `{"channel":{"pre_chat_form_options":{"pre_chat_fields":[` + bad.field + `]}}}`})
			if r.Status != 422 || !strings.Contains(string(r.Body), bad.want) {
				t.Errorf("field %s: %d %s, want 422 saying %q", bad.field, r.Status, r.Body, bad.want)
			}
		}
		if got := e.call("GET", inbox, e.adminToken, "", 200).(map[string]any); !sameJSON(got["pre_chat_form_options"], sent.Channel.Options) {
			t.Fatalf("a refused update changed the form: %s", js(got["pre_chat_form_options"]))
		}

		// The widget config carries the form.
		r := w.must(200, "POST", "/config", "", "", "")
		cfg := r.body.(map[string]any)["website_channel_config"].(map[string]any)
		if cfg["pre_chat_form_enabled"] != true || !sameJSON(cfg["pre_chat_form_options"], sent.Channel.Options) {
			t.Fatalf("widget config pre-chat form: %v %s", cfg["pre_chat_form_enabled"], js(cfg["pre_chat_form_options"]))
		}
		token := r.body.(map[string]any)["auth_token"].(string)
		contact := r.body.(map[string]any)["contact"].(map[string]any)
		contactURL := e.acc(fmt.Sprintf("/contacts/%v", contact["id"]))

		// Bad answers: 422 saying what is wrong, and nothing written, not
		// even the good answers that came with them.
		good := map[string]string{"name": `"Ana Lima"`, "email": `"ana@shop.test"`, "phone": `"+351912345678"`,
			"plan": `"pro"`, "order": `"AB123"`, "items": `"3"`}
		body := func(change map[string]string) string {
			f := map[string]string{}
			for k, v := range good {
				f[k] = v
			}
			for k, v := range change {
				f[k] = v
			}
			return fmt.Sprintf(`{"contact":{"name":%s,"email":%s,"phone_number":%s,"custom_attributes":{"plan":%s}},
				"message":{"content":"Where is my order?","timestamp":"now","referer_url":"https://shop.test/cart"},
				"custom_attributes":{"order_ref":%s,"items":%s}}`, f["name"], f["email"], f["phone"], f["plan"], f["order"], f["items"])
		}
		for _, bad := range []struct {
			change map[string]string
			want   string
		}{
			{map[string]string{"email": `""`}, "Email Id is required"},
			{map[string]string{"email": `"ana@"`}, "Email Id is not a valid e-mail address"},
			{map[string]string{"name": `"  "`}, "Full name is required"},
			{map[string]string{"phone": `"912 345 678"`}, "Phone number should be in e164 format"},
			{map[string]string{"plan": `null`}, "Plan is required"},
			{map[string]string{"plan": `"gold"`}, "Plan must be one of free, pro"},
			{map[string]string{"order": `"ab1"`}, "Order is not valid: two capitals and digits, like AB123"},
			{map[string]string{"items": `"many"`}, "Items must be a number"},
			{map[string]string{"items": `{"n":1}`}, "Items must be text"},
			{map[string]string{"order": fmt.Sprintf("%q", "AB"+strings.Repeat("1", 300))}, "Order is too long"},
		} {
			r := w.request("POST", "/conversations", "", token, body(bad.change))
			if r.status != 422 || !strings.Contains(r.raw, bad.want) {
				t.Errorf("answers %v: %d %s, want 422 saying %q", bad.change, r.status, r.raw, bad.want)
			}
		}
		if c := w.must(200, "GET", "/conversations", "", token, "").body.(map[string]any); len(c) != 0 {
			t.Fatalf("refused answers started a conversation: %v", c)
		}
		got := e.call("GET", contactURL, e.adminToken, "", 200).(map[string]any)["payload"].(map[string]any)
		if got["email"] != nil || got["name"] != contact["name"] || len(got["custom_attributes"].(map[string]any)) != 0 {
			t.Fatalf("refused answers changed the contact: %v", got)
		}

		// Good answers land on the contact and the conversation.
		c := w.must(200, "POST", "/conversations", "", token, body(nil)).body.(map[string]any)
		if !sameJSON(c["custom_attributes"], map[string]any{"order_ref": "AB123", "items": 3}) {
			t.Errorf("conversation custom attributes %s", js(c["custom_attributes"]))
		}
		got = e.call("GET", contactURL, e.adminToken, "", 200).(map[string]any)["payload"].(map[string]any)
		if got["name"] != "Ana Lima" || got["email"] != "ana@shop.test" || got["phone_number"] != "+351912345678" ||
			!sameJSON(got["custom_attributes"], map[string]any{"plan": "pro"}) {
			t.Errorf("the contact after the form: %v", got)
		}
		admin := e.call("GET", e.acc(fmt.Sprintf("/conversations/%v", c["id"])), e.adminToken, "", 200).(map[string]any)
		if !sameJSON(admin["custom_attributes"], map[string]any{"order_ref": "AB123", "items": 3}) {
			t.Errorf("the conversation as the agent sees it: %s", js(admin["custom_attributes"]))
		}

		// A known visitor starting another conversation is not asked again
		// for what the contact has; the conversation's fields are its own.
		w.must(200, "GET", "/conversations/toggle_status", "", token, "")
		c = w.must(200, "POST", "/conversations", "", token, `{"message":{"content":"Me again"}}`).body.(map[string]any)
		if c["status"] == "resolved" || len(c["custom_attributes"].(map[string]any)) != 0 {
			t.Errorf("second conversation: %v", c)
		}
	})
}

// TestInboxWorkingHours: the inbox API takes Chatwoot's working hours, day
// by day, and its time zone; the widget config says whether the inbox is
// out of office by the server's clock.
func TestInboxWorkingHours(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		// Wednesday 2026-12-02 18:30 in Lisbon (UTC+0 in winter).
		clock := batontest.NewClock(time.Date(2026, 12, 2, 18, 30, 0, 0, time.UTC))
		e := start(t, st, clock.Now)
		w := newWidgetSite(e)
		inbox := e.acc(fmt.Sprintf("/inboxes/%d", w.inboxID))
		v := e.call("GET", inbox, e.adminToken, "", 200).(map[string]any)
		want := `[{"day_of_week":0,"closed_all_day":true,"open_all_day":false,"open_hour":null,"open_minutes":null,"close_hour":null,"close_minutes":null},` +
			`{"day_of_week":1,"closed_all_day":false,"open_all_day":false,"open_hour":9,"open_minutes":0,"close_hour":17,"close_minutes":0},` +
			`{"day_of_week":2,"closed_all_day":false,"open_all_day":false,"open_hour":9,"open_minutes":0,"close_hour":17,"close_minutes":0},` +
			`{"day_of_week":3,"closed_all_day":false,"open_all_day":false,"open_hour":9,"open_minutes":0,"close_hour":17,"close_minutes":0},` +
			`{"day_of_week":4,"closed_all_day":false,"open_all_day":false,"open_hour":9,"open_minutes":0,"close_hour":17,"close_minutes":0},` +
			`{"day_of_week":5,"closed_all_day":false,"open_all_day":false,"open_hour":9,"open_minutes":0,"close_hour":17,"close_minutes":0},` +
			`{"day_of_week":6,"closed_all_day":true,"open_all_day":false,"open_hour":null,"open_minutes":null,"close_hour":null,"close_minutes":null}]`
		if got := js(v["working_hours"]); !sameJSON(v["working_hours"], json.RawMessage(want)) {
			t.Fatalf("a new inbox's working hours:\n%s\nwant\n%s", got, want)
		}
		config := func() map[string]any {
			return w.must(200, "POST", "/config", "", "", "").body.(map[string]any)["website_channel_config"].(map[string]any)
		}
		if cfg := config(); cfg["out_of_office"] != false || cfg["working_hours_enabled"] != false {
			t.Fatalf("working hours off: out_of_office %v", cfg["out_of_office"])
		}
		v = e.call("PATCH", inbox, e.adminToken, `{"working_hours_enabled":true,"timezone":"Europe/Lisbon",
			"out_of_office_message":"We are closed. We open at 9.",
			"working_hours":[{"day_of_week":3,"open_hour":8,"open_minutes":30,"close_hour":19,"close_minutes":0},
			{"day_of_week":6,"open_all_day":true}]}`, 200).(map[string]any)
		days := v["working_hours"].([]any)
		if len(days) != 7 || !sameJSON(days[3], json.RawMessage(`{"day_of_week":3,"closed_all_day":false,"open_all_day":false,"open_hour":8,"open_minutes":30,"close_hour":19,"close_minutes":0}`)) ||
			!sameJSON(days[6], json.RawMessage(`{"day_of_week":6,"closed_all_day":false,"open_all_day":true,"open_hour":0,"open_minutes":0,"close_hour":23,"close_minutes":59}`)) ||
			!sameJSON(days[1], json.RawMessage(`{"day_of_week":1,"closed_all_day":false,"open_all_day":false,"open_hour":9,"open_minutes":0,"close_hour":17,"close_minutes":0}`)) {
			t.Fatalf("working hours after the update: %s", js(days))
		}
		cfg := config()
		if cfg["out_of_office"] != false || cfg["out_of_office_message"] != "We are closed. We open at 9." ||
			cfg["timezone"] != "Europe/Lisbon" || cfg["utc_off_set"] != "+00:00" || len(cfg["working_hours"].([]any)) != 7 {
			t.Fatalf("widget config at 18:30 on an 08:30-19:00 day: %v", cfg)
		}
		clock.Add(30 * time.Minute) // 19:00: closed
		if cfg := config(); cfg["out_of_office"] != true {
			t.Fatalf("at 19:00 the inbox is not out of office")
		}
		// In Tokyo it is already Thursday 04:00, before 09:00.
		e.call("PATCH", inbox, e.adminToken, `{"timezone":"Asia/Tokyo","working_hours":[{"day_of_week":3,"open_hour":8,"close_hour":19}]}`, 200)
		if cfg := config(); cfg["out_of_office"] != true || cfg["utc_off_set"] != "+09:00" {
			t.Fatalf("Thursday 04:00 in Tokyo: %v %v", cfg["out_of_office"], cfg["utc_off_set"])
		}
		clock.Add(5 * time.Hour) // 09:00 Thursday in Tokyo: open
		if cfg := config(); cfg["out_of_office"] != false {
			t.Fatalf("Thursday 09:00 in Tokyo is out of office")
		}

		for _, bad := range []struct{ body, want string }{
			{`{"working_hours":[{"day_of_week":7,"closed_all_day":true}]}`, "day_of_week must be 0 (Sunday) to 6 (Saturday)"},
			{`{"working_hours":[{"day_of_week":2,"open_hour":18,"close_hour":9}]}`, "closing time should be after opening time"},
			{`{"working_hours":[{"day_of_week":2,"open_hour":9,"close_hour":24}]}`, "hours are 0 to 23"},
			{`{"working_hours":[{"day_of_week":2,"closed_all_day":true},{"day_of_week":2,"open_all_day":true}]}`, "twice"},
			{`{"timezone":"Mars/Olympus"}`, "Timezone is not a known time zone"},
			{`{"out_of_office_message":"` + strings.Repeat("x", 2001) + `"}`, "Out of office message is too long"},
		} {
			r := e.Do(batontest.Request{Method: "PATCH", Path: inbox, Token: e.adminToken, Body: bad.body})
			if r.Status != 422 || !strings.Contains(string(r.Body), bad.want) {
				t.Errorf("%s: %d %s, want 422 saying %q", bad.body, r.Status, r.Body, bad.want)
			}
		}
		if got := e.call("GET", inbox, e.adminToken, "", 200).(map[string]any); got["timezone"] != "Asia/Tokyo" || js(got["working_hours"].([]any)[2]) != js(days[2]) {
			t.Fatalf("refused updates changed the inbox: %v %s", got["timezone"], js(got["working_hours"]))
		}
	})
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sameJSON reports whether a and b are the same JSON document.
func sameJSON(a, b any) bool {
	var x, y any
	_ = json.Unmarshal([]byte(js(a)), &x)
	_ = json.Unmarshal([]byte(js(b)), &y)
	return js(x) == js(y)
}

// TestWidgetInboxMembersAndCampaigns: the widget's team is the inbox's
// members, with Chatwoot's four keys and no e-mail, by website token
// alone; campaigns are an empty list; an unknown token is 404 for both.
func TestWidgetInboxMembersAndCampaigns(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		w := newWidgetSite(e)
		agent, _, err := e.App.CreateUserInAccount(system(), e.accountID, app.UserInput{Name: ptr("Bea Costa"),
			Email: ptr(fmt.Sprintf("bea%d@acme.test", e.accountID)), Password: ptr("password123")}, "agent")
		if err != nil {
			t.Fatal(err)
		}
		e.call("POST", e.acc("/inbox_members"), e.adminToken, fmt.Sprintf(`{"inbox_id":%d,"user_ids":[%d]}`, w.inboxID, agent.ID), 200)

		got := w.must(200, "GET", "/inbox_members", "", "", "").body.(map[string]any)["payload"].([]any)
		want := fmt.Sprintf(`[{"id":%d,"name":"Bea Costa","avatar_url":"","availability_status":"offline"}]`, agent.ID)
		if !sameJSON(got, json.RawMessage(want)) {
			t.Errorf("inbox members %s, want %s", js(got), want)
		}
		if c := w.must(200, "GET", "/campaigns", "", "", "").raw; strings.TrimSpace(c) != "[]" {
			t.Errorf("campaigns %s", c)
		}
		for _, path := range []string{"/inbox_members", "/campaigns"} {
			other := &widgetSite{e: e, token: "nope"}
			if r := other.request("GET", path, "", "", ""); r.status != 404 {
				t.Errorf("%s with an unknown token: %d %s", path, r.status, r.raw)
			}
		}
	})
}
