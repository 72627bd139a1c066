package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestBotPayloads pins, byte for byte but for volatile values, every event
// body a bot receives in one conversation's life.
func TestBotPayloads(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		conv := e.customer("casey")
		path := e.convPath(conv)
		pin := func(name string, match func(ev map[string]any) bool) map[string]any {
			t.Helper()
			raw := b.nextBody(t, match)
			e.golden(b, name, raw)
			var ev map[string]any
			_ = json.Unmarshal(raw, &ev)
			return ev
		}

		// message_created, from each kind of sender.
		e.say("casey", conv, "Where is my order?")
		pin("message_created_incoming", is("message_created", "incoming"))
		e.call("POST", path+"/messages", e.adminToken, `{"content":"Let me check."}`, 200)
		userMessage := pin("message_created_outgoing_user", sentBy("user"))
		// The person's reply took the conversation over; it goes back to
		// the bot, unassigned, for the bot's own events below.
		e.call("POST", path+"/toggle_status", e.adminToken, `{"status":"pending"}`, 200)
		e.call("POST", path+"/assignments", e.adminToken, `{"assignee_id":null}`, 200)
		e.call("POST", path+"/messages", b.token, `{"content":"I am the bot."}`, 200)
		pin("message_created_outgoing_bot", sentBy("agent_bot"))
		e.call("POST", path+"/messages", e.adminToken, `{"content":"Customer is a VIP","private":true}`, 200)
		note := pin("message_created_private_note", func(ev map[string]any) bool { return ev["private"] == true })
		if got := note["conversation"].(map[string]any)["messages"].([]any)[0].(map[string]any)["content"]; got != "I am the bot." {
			t.Errorf("conversation.messages of a private note's event holds %v, want the last public message", got)
		}
		e.upload(fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/casey/conversations/%d/messages", e.identifier, conv), "",
			"POST", "attachments[]", "photo.png", "image/png", pngImage(t), map[string]string{"content": "Here is a photo"})
		withFile := pin("message_created_attachment", func(ev map[string]any) bool { return ev["attachments"] != nil })
		att := withFile["attachments"].([]any)[0].(map[string]any)
		if got := fetchStatus(t, att["data_url"].(string), 200); !bytes.Equal(got, pngImage(t)) {
			t.Errorf("data_url serves %d bytes, not the image", len(got))
		}

		// message_updated: the customer answers each kind of question.
		answer := func(name, contentType, attrs, reply string) {
			t.Helper()
			body := fmt.Sprintf(`{"content":%q,"content_type":%q,"content_attributes":%s}`, name, contentType, attrs)
			m := e.call("POST", path+"/messages", b.token, body, 200).(map[string]any)
			b.next(t, is("message_created", "outgoing"))
			e.call("PATCH", fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/casey/conversations/%d/messages/%v", e.identifier, conv, m["id"]),
				"", reply, 200)
			pin("message_updated_"+contentType, is("message_updated"))
		}
		answer("Which size?", "input_select", `{"items":[{"title":"Small","value":"s"},{"title":"Large","value":"l"}]}`,
			`{"submitted_values":[{"title":"Large","value":"l"}]}`)
		answer("Where do we ship?", "form", `{"items":[{"type":"text","name":"city","label":"City"},{"type":"email","name":"email","label":"Email"}]}`,
			`{"submitted_values":[{"name":"city","value":"Lyon"},{"name":"email","value":"casey@example.com"}]}`)
		answer("How did we do?", "input_csat", `{}`,
			`{"submitted_values":{"csat_survey_response":{"rating":5,"feedback_message":"Quick, thanks"}}}`)
		answer("Your e-mail?", "input_email", `{}`, `{"submitted_email":"casey@example.com"}`)
		e.call("DELETE", fmt.Sprintf("%s/messages/%v", path, userMessage["id"]), e.adminToken, "", 200)
		pin("message_updated_deleted", is("message_updated"))

		// conversation_updated, for each attribute a bot acts on.
		e.call("POST", path+"/labels", b.token, `{"labels":["billing","vip"]}`, 200)
		pin("conversation_updated_labels", changed("conversation_updated", "label_list"))
		e.call("POST", path+"/toggle_priority", b.token, `{"priority":"high"}`, 200)
		pin("conversation_updated_priority", changed("conversation_updated", "priority"))
		e.call("POST", path+"/custom_attributes", b.token, `{"custom_attributes":{"order":"1042"}}`, 200)
		pin("conversation_updated_custom_attributes", changed("conversation_updated", "custom_attributes"))

		// The bot hands over; a person takes it, gives it back to the bot,
		// then resolves it.
		e.call("POST", path+"/toggle_status", b.token, `{"status":"open"}`, 200)
		pin("conversation_opened", is("conversation_opened"))
		ev := pin("conversation_status_changed", is("conversation_status_changed"))
		want := []any{map[string]any{"status": map[string]any{"previous_value": "pending", "current_value": "open"}}}
		if !reflect.DeepEqual(ev["changed_attributes"], want) {
			t.Errorf("conversation_status_changed changed_attributes %v, want %v", ev["changed_attributes"], want)
		}
		pin("conversation_updated_status", changed("conversation_updated", "status"))
		profile := e.call("GET", "/api/v1/profile", e.adminToken, "", 200).(map[string]any)
		e.call("POST", path+"/assignments", e.adminToken, fmt.Sprintf(`{"assignee_id":%v}`, profile["id"]), 200)
		pin("conversation_updated_assignee_user", changed("conversation_updated", "assignee_id"))
		e.call("POST", path+"/assignments", e.adminToken, fmt.Sprintf(`{"assignee_type":"AgentBot","assignee_id":%d}`, b.id), 200)
		ev = pin("conversation_updated_assignee_bot", changed("conversation_updated", "assignee_agent_bot_id"))
		if meta := ev["meta"].(map[string]any); meta["assignee_type"] != "AgentBot" || meta["assignee"].(map[string]any)["type"] != "agent_bot" {
			t.Errorf("a conversation assigned to a bot has meta %v", meta)
		}
		e.call("POST", path+"/toggle_status", e.adminToken, `{"status":"resolved"}`, 200)
		pin("conversation_resolved", is("conversation_resolved"))
	})
}

// sentBy matches message_created events by their sender's type.
func sentBy(senderType string) func(ev map[string]any) bool {
	return func(ev map[string]any) bool {
		s, _ := ev["sender"].(map[string]any)
		return ev["event"] == "message_created" && ev["private"] == false && s != nil && s["type"] == senderType
	}
}

// changed matches conversation events whose changed_attributes name attr.
func changed(name, attr string) func(ev map[string]any) bool {
	return func(ev map[string]any) bool {
		if ev["event"] != name {
			return false
		}
		list, _ := ev["changed_attributes"].([]any)
		for _, c := range list {
			if _, ok := c.(map[string]any)[attr]; ok {
				return true
			}
		}
		return false
	}
}

// nextBody waits for the bot's next event that matches, like next, and
// returns the bytes it received.
func (b *bot) nextBody(t *testing.T, match func(ev map[string]any) bool) []byte {
	t.Helper()
	ev := b.next(t, match)
	b.Mu.Lock()
	defer b.Mu.Unlock()
	for i := len(b.Events) - 1; i >= 0; i-- {
		if reflect.DeepEqual(b.Events[i], ev) {
			return b.Bodies[i]
		}
	}
	t.Fatalf("no body recorded for %v", ev["event"])
	return nil
}

// volatileKeys hold values that change from run to run: times, tokens,
// secrets, and links that carry random keys.
var volatileKeys = map[string]bool{
	"created_at": true, "updated_at": true, "timestamp": true, "last_activity_at": true,
	"agent_last_seen_at": true, "contact_last_seen_at": true, "assignee_last_seen_at": true,
	"waiting_since": true, "first_reply_created_at": true, "snoozed_until": true,
	"pubsub_token": true, "access_token": true, "secret": true, "webhook_secret": true, "uuid": true,
	"data_url": true, "thumb_url": true, "avatar_url": true, "thumbnail": true,
	"at": true, // a handoff's time
}

var (
	isoTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)
	uuidRE  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// normalizeJSON rewrites a JSON document token by token, so that its keys
// keep the order they were sent in. Volatile values that are set become
// placeholders that keep their kind: "<iso>" for ISO times, "<unix>" and
// "<unix-float>" for unix times, "<key>" for other strings; zeros, nulls
// and empty strings stay, since they say "never" or "none". The server's
// and the bot's addresses become http://baton and http://bot.
func normalizeJSON(raw []byte, subs map[string]string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	type frame struct {
		object, wantKey bool
		n               int
		key             string
	}
	var stack []*frame
	var out bytes.Buffer
	str := func(s string) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		out.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		key := ""
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.object && top.wantKey {
				if top.n > 0 {
					out.WriteByte(',')
				}
				top.n++
				top.key, top.wantKey = tok.(string), false
				str(top.key)
				out.WriteByte(':')
				continue
			}
			if top.object {
				key, top.wantKey = top.key, true
			} else {
				if top.n > 0 {
					out.WriteByte(',')
				}
				top.n++
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(v))
			stack = append(stack, &frame{object: v == '{', wantKey: v == '{'})
		case nil:
			out.WriteString("null")
		case bool:
			fmt.Fprint(&out, v)
		case json.Number:
			switch {
			case !volatileKeys[key] || v == "0":
				out.WriteString(string(v))
			case strings.ContainsAny(string(v), ".eE"):
				str("<unix-float>")
			default:
				str("<unix>")
			}
		case string:
			for from, to := range subs {
				v = strings.ReplaceAll(v, from, to)
			}
			switch {
			case isoTime.MatchString(v):
				v = "<iso>"
			case uuidRE.MatchString(v):
				v = "<uuid>"
			case volatileKeys[key] && v != "":
				v = "<" + key + ">"
			}
			str(v)
		}
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, out.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	indented.WriteByte('\n')
	return indented.Bytes(), nil
}

// golden compares a body, normalized, with testdata/<name>.golden.json, or
// rewrites the file with -update.
func (e *env) golden(b *bot, name string, raw []byte) {
	e.t.Helper()
	subs := map[string]string{e.URL: "http://baton"}
	if b != nil {
		subs[b.URL] = "http://bot"
	}
	got, err := normalizeJSON(raw, subs)
	if err != nil {
		e.t.Fatalf("%s: %v\n%s", name, err, raw)
	}
	batontest.Golden(e.t, name, got)
}

// upload sends a multipart request with one file and some fields, and
// returns the body; the status must be 200.
func (e *env) upload(path, token, method, field, filename, contentType string, data []byte, fields map[string]string) map[string]any {
	e.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = part.Write(data)
	_ = w.Close()
	req, err := http.NewRequest(method, e.URL+path, &body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	if token != "" {
		req.Header.Set("api_access_token", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		e.t.Fatalf("%s %s: status %d: %s", method, path, res.StatusCode, b)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		e.t.Fatalf("%s %s: %s", method, path, b)
	}
	return v
}

// fetchStatus GETs an absolute URL, checks the status and returns the body.
func fetchStatus(t *testing.T, url string, status int) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d", url, res.StatusCode, status)
	}
	return b
}

// pngImage is a small PNG image.
func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// payloadLevel is a place in a message_created payload, as a path of keys ("0"
// for a list's first element).
type payloadLevel []string

func (l payloadLevel) String() string {
	if len(l) == 0 {
		return "(top)"
	}
	return strings.Join(l, ".")
}

// objectAt returns the object at the level, or nil when there is none.
func objectAt(v any, l payloadLevel) map[string]any {
	for _, k := range l {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			if len(x) == 0 {
				return nil
			}
			v = x[0]
		default:
			return nil
		}
	}
	m, _ := v.(map[string]any)
	return m
}

// chatwootLevels are the objects whose keys are compared with Chatwoot's.
var chatwootLevels = []payloadLevel{
	{}, {"conversation"}, {"conversation", "contact_inbox"}, {"conversation", "messages", "0"},
	{"conversation", "messages", "0", "conversation"}, {"conversation", "messages", "0", "sender"},
	{"conversation", "messages", "0", "attachments", "0"}, {"conversation", "meta"},
	{"conversation", "meta", "sender"}, {"conversation", "meta", "assignee"}, {"sender"}, {"attachments", "0"},
}

// keyAllowance lists, per reference payload and level, the keys Baton may
// have that the payload lacks (extra) or lack that it has (missing), each
// with the reason.
type keyAllowance struct {
	extra, missing map[string]map[string]string
}

// newerChatwoot is the reason for the keys that newer Chatwoot adds.
//
// Why Baton's keys differ from each real payload, below: both payloads
// predate the Chatwoot version Baton follows, which adds keys (spec
// §2.1-§2.3); the 2025 one went through the Botpress bridge, which adds its
// own.
const newerChatwoot = "newer Chatwoot adds it (spec §2.1)"

// batonHandoff explains the one key Baton adds to the conversation: the
// latest handoff (docs/webhooks.md), which Chatwoot bots ignore.
const batonHandoff = "Baton's latest handoff, null before any (docs/webhooks.md)"

var chatwootAllowances = map[string]keyAllowance{
	"message_created-new_message.json": { // Chatwoot of June 2022, an API inbox
		extra: map[string]map[string]string{
			"(top)": {"additional_attributes": "message webhook_data has it since 2023 (spec §2.3; in the 2025 payload)"},
			"conversation": {
				"labels": "missing from ≤2022 payloads (spec §2.1)", "priority": "missing from ≤2022 payloads (spec §2.1)",
				"first_reply_created_at": "missing from ≤2022 payloads (spec §2.1)", "waiting_since": "missing from ≤2022 payloads (spec §2.1)",
				"last_activity_at": "missing from ≤2022 payloads (spec §2.1)", "created_at": "missing from ≤2022 payloads (spec §2.1)",
				"updated_at": "missing from ≤2022 payloads (spec §2.1)", "account": newerChatwoot,
				"handoff": batonHandoff,
			},
			"conversation.messages.0": {
				"additional_attributes":     "message push_event_data has it since 2023 (spec §2.2)",
				"processed_message_content": "message push_event_data has it since 2023 (spec §2.2)",
				"sentiment":                 "message push_event_data has it since 2023 (spec §2.2)",
				"sender":                    "present when the message has a sender (spec §2.2); the 2022 message had none",
			},
			"conversation.messages.0.conversation": {
				"unread_count":     "message push_event_data has it since 2023 (spec §2.2)",
				"last_activity_at": "message push_event_data has it since 2023 (spec §2.2)",
				"contact_inbox":    "message push_event_data has it since 2023 (spec §2.2)",
			},
			"conversation.meta":        {"team": "meta has it since 2023 (spec §2.1; in the 2025 payload)", "assignee_type": newerChatwoot},
			"conversation.meta.sender": {"blocked": "contact push_event_data has it (spec §1.6)"},
		},
		missing: map[string]map[string]string{
			"conversation.meta.sender": {"pubsub_token": "removed from contact push_event_data upstream (spec §1.6 lists none)"},
		},
	},
	"message_created-new_message_with_no_content_and_with_attachment.json": { // Chatwoot of June 2025, a WhatsApp inbox
		extra: map[string]map[string]string{
			"conversation": {
				"last_activity_at": newerChatwoot + ": push_timestamps", "updated_at": newerChatwoot + ": push_timestamps", "account": newerChatwoot,
				"handoff": batonHandoff,
			},
			"conversation.meta":              {"assignee_type": newerChatwoot},
			"conversation.meta.sender":       {"blocked": "contact push_event_data has it (spec §1.6)"},
			"conversation.messages.0.sender": {"blocked": "contact push_event_data has it (spec §1.6)"},
			"sender":                         {"blocked": "contact webhook_data has it (spec §1.6)"},
		},
		missing: map[string]map[string]string{
			"(top)": {
				"botpress_endpoint": "added by the Botpress bridge", "botpress_bot_id": "added by the Botpress bridge",
				"chatwoot_bot_token": "added by the Botpress bridge", "chatwoot_endpoint": "added by the Botpress bridge",
				"active_buttons": "added by the Botpress bridge", "chatwoot_admin_token": "added by the Botpress bridge",
				"controller": "added by the Botpress bridge (Rails params)", "action": "added by the Botpress bridge (Rails params)",
				"chatwoot": "added by the Botpress bridge (the payload again)",
			},
		},
	},
}

// jsonKind is a JSON value's kind, telling integers from other numbers.
func jsonKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// sameKind reports whether Baton's value is of the kind of Chatwoot's: a
// float such as conversation.updated_at may happen to be whole.
func sameKind(baton, chatwoot any) bool {
	b, c := jsonKind(baton), jsonKind(chatwoot)
	return b == c || (c == "number" && b == "integer")
}

// TestPayloadMatchesChatwoot compares Baton's message_created payloads
// with real ones from Chatwoot, key for key at every level, and the kinds
// of the values both have.
func TestPayloadMatchesChatwoot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		conv := e.customer("casey")
		// An assignee, to compare meta.assignee with the 2022 payload's.
		profile := e.call("GET", "/api/v1/profile", e.adminToken, "", 200).(map[string]any)
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/assignments", conv)), e.adminToken, fmt.Sprintf(`{"assignee_id":%v}`, profile["id"]), 200)
		e.say("casey", conv, "Where is my order?")
		var text map[string]any
		_ = json.Unmarshal(b.nextBody(t, is("message_created", "incoming")), &text)
		e.upload(fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/casey/conversations/%d/messages", e.identifier, conv), "",
			"POST", "attachments[]", "photo.png", "image/png", pngImage(t), nil)
		var photo map[string]any
		_ = json.Unmarshal(b.nextBody(t, func(ev map[string]any) bool { return ev["attachments"] != nil }), &photo)

		for file, ours := range map[string]map[string]any{
			"message_created-new_message.json":                                     text,
			"message_created-new_message_with_no_content_and_with_attachment.json": photo,
		} {
			raw, err := os.ReadFile(filepath.Join("testdata", "chatwoot", file))
			if err != nil {
				t.Fatal(err)
			}
			var theirs map[string]any
			if err := json.Unmarshal(raw, &theirs); err != nil {
				t.Fatal(err)
			}
			allow := chatwootAllowances[file]
			for _, l := range chatwootLevels {
				o, c := objectAt(ours, l), objectAt(theirs, l)
				if o == nil || c == nil {
					continue // a sender or an assignee only one of them has
				}
				for k, v := range o {
					cv, ok := c[k]
					if !ok {
						if allow.extra[l.String()][k] == "" {
							t.Errorf("%s: %s.%s is not in Chatwoot's payload", file, l, k)
						}
						continue
					}
					if v != nil && cv != nil && !sameKind(v, cv) {
						t.Errorf("%s: %s.%s is %s (%v), Chatwoot's is %s (%v)", file, l, k, jsonKind(v), v, jsonKind(cv), cv)
					}
				}
				for k := range c {
					if _, ok := o[k]; !ok && allow.missing[l.String()][k] == "" {
						t.Errorf("%s: %s.%s is missing", file, l, k)
					}
				}
			}
		}

		// The kinds that differ between the top level and the conversation's
		// messages (spec §2, §10.2-§10.3).
		for _, ev := range []map[string]any{text, photo} {
			c := ev["conversation"].(map[string]any)
			m := c["messages"].([]any)[0].(map[string]any)
			checks := []struct {
				what string
				got  any
				want string
			}{
				{"message_type", ev["message_type"], "string"},
				{"conversation.messages[0].message_type", m["message_type"], "integer"},
				{"created_at", ev["created_at"], "string"},
				{"conversation.messages[0].created_at", m["created_at"], "integer"},
				{"conversation.created_at", c["created_at"], "integer"},
				{"conversation.timestamp", c["timestamp"], "integer"},
			}
			for _, ch := range checks {
				if jsonKind(ch.got) != ch.want {
					t.Errorf("%s is %s (%v), want %s", ch.what, jsonKind(ch.got), ch.got, ch.want)
				}
			}
			if !isoTime.MatchString(ev["created_at"].(string)) || !strings.HasSuffix(ev["created_at"].(string), "Z") {
				t.Errorf("created_at %v is not an ISO UTC time", ev["created_at"])
			}
			if c["id"] != float64(conv) || m["conversation_id"] != float64(conv) {
				t.Errorf("conversation.id %v and messages[0].conversation_id %v, want the display id %d", c["id"], m["conversation_id"], conv)
			}
			if ev["message_type"] != "incoming" || m["message_type"] != float64(0) || m["id"] != ev["id"] {
				t.Errorf("messages[0] is %v/%v, want the event's message as incoming (0)", m["id"], m["message_type"])
			}
		}
	})
}
