package chatwoot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestMessages(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	conv := b.customer("c")
	created := b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin,
		Body: map[string]any{"content": "How can I help?", "echo_id": "e-1", "source_id": "ext-1",
			"content_attributes": map[string]any{"ignored": true}}})
	golden(t, "message_create", created.Body)
	first := num(t, created.Object(t), "id")

	// A private note is in the Application API and nowhere public.
	note := b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin,
		Body: map[string]any{"content": "internal only", "private": "true"}}).Object(t)
	if note["private"] != true || note["message_type"] != float64(1) {
		t.Errorf("private note %v", note)
	}
	incoming := b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin,
		Body: map[string]any{"content": "relayed", "message_type": "incoming"}}).Object(t)
	if incoming["message_type"] != float64(0) || incoming["sender"].(map[string]any)["type"] != "contact" {
		t.Errorf("incoming message through the API inbox %v: want the contact as sender", incoming)
	}

	for _, path := range []string{
		b.pub("/contacts/c/conversations/%d/messages", conv),
		b.pub("/contacts/c/conversations/%d", conv),
		b.pub("/contacts/c/conversations"),
	} {
		r := b.must(request{Method: "GET", Path: path})
		if bytes.Contains(r.Body, []byte("internal only")) || !bytes.Contains(r.Body, []byte("How can I help?")) {
			t.Errorf("GET %s: want the reply and not the private note\n%s", path, r.Body)
		}
	}
	if r := b.do(request{Method: "PATCH", Path: b.pub("/contacts/c/conversations/%d/messages/%d", conv, num(t, note, "id")),
		Body: map[string]any{"submitted_values": []any{}}}); r.Status != http.StatusNotFound {
		t.Errorf("answering a private note: status %d, want 404", r.Status)
	}
	all := b.messages(conv)
	if len(all) != 3 || all[1].(map[string]any)["content"] != "internal only" {
		t.Errorf("the Application API lists %v, want three messages with the note", all)
	}

	// Pages: before and after a message id.
	var ids []int64
	ids = append(ids, first)
	for i := range 4 {
		m := b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin,
			Body: map[string]any{"content": fmt.Sprint("page ", i)}}).Object(t)
		ids = append(ids, num(t, m, "id"))
	}
	page := func(query string) []int64 {
		r := b.must(request{Method: "GET", Path: b.acc("/conversations/%d/messages?%s", conv, query), Token: b.admin}).Object(t)
		var got []int64
		for _, m := range r["payload"].([]any) {
			got = append(got, num(t, m, "id"))
		}
		return got
	}
	if got, want := page(fmt.Sprint("before=", ids[1])), []int64{first, num(t, note, "id"), num(t, incoming, "id")}; !slices.Equal(got, want) {
		t.Errorf("before %d: %v, want %v", ids[1], got, want)
	}
	if got := page(fmt.Sprint("after=", ids[2])); !slices.Equal(got, ids[3:]) {
		t.Errorf("after %d: %v, want %v", ids[2], got, ids[3:])
	}
	if r := b.do(request{Method: "GET", Path: b.acc("/conversations/%d/messages?before=x", conv), Token: b.admin}); r.Status != http.StatusBadRequest {
		t.Errorf("before=x: status %d, want 400", r.Status)
	}

	// Delete keeps the row, marked deleted.
	del := b.must(request{Method: "DELETE", Path: b.acc("/conversations/%d/messages/%d", conv, first), Token: b.admin}).Object(t)
	if del["content"] != "This message was deleted" || del["content_attributes"].(map[string]any)["deleted"] != true {
		t.Errorf("deleted message %v", del)
	}
	listed := b.messages(conv)[0].(map[string]any)
	if num(t, listed, "id") != first || listed["content"] != "This message was deleted" {
		t.Errorf("deleted message as listed: %v", listed)
	}
	b.run([]scenario{
		{name: "delete unknown message", req: request{Method: "DELETE", Path: b.acc("/conversations/%d/messages/999", conv), Token: b.admin}, status: 404},
		{name: "delete in unknown conversation", req: request{Method: "DELETE", Path: b.acc("/conversations/99/messages/%d", first), Token: b.admin}, status: 404},
		{name: "incoming in a widget inbox", req: request{Method: "POST", Path: b.acc("/conversations"), Token: b.admin,
			Body: map[string]any{"inbox_id": b.widget.ID, "contact_id": num(t, incoming, "sender", "id"), "message": map[string]any{"content": "x", "message_type": "incoming"}}},
			status: 422, contains: []string{`"Incoming messages are only allowed in Api inboxes"`}},
		{name: "conversation after the failed create", req: request{Method: "GET", Path: b.acc("/conversations/2"), Token: b.admin}, status: 404},
		{name: "unknown message type", req: request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin,
			Body: map[string]any{"content": "x", "message_type": "telepathy"}}, status: 422, contains: []string{`"attributes":["message_type"]`}},
		{name: "unknown content type", req: request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin,
			Body: map[string]any{"content": "x", "content_type": "hologram"}}, status: 422, contains: []string{`"attributes":["content_type"]`}},
		{name: "blank content", req: request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin,
			Body: map[string]any{"content": "  "}}, status: 422, contains: []string{`"Content can't be blank"`}},
		{name: "reply to a message of the conversation", req: request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin,
			Body: map[string]any{"content": "re", "content_attributes": map[string]any{"in_reply_to": ids[1]}}}, status: 200,
			contains: []string{fmt.Sprintf(`"in_reply_to":%d`, ids[1])}},
		{name: "reply to an unknown message", req: request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin,
			Body: map[string]any{"content": "re", "content_attributes": `{"in_reply_to": 99999}`}}, status: 422,
			contains: []string{`"attributes":["content_attributes"]`}},
	})
}

func TestMessageAttachments(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	conv := b.customer("c")
	file := []byte("hello, attachment\n")
	body, contentType := multipartBody(t, map[string]string{"content": "see attached", "private": "false"},
		map[string][]byte{"notes.txt": file}, "text/plain")
	req, err := http.NewRequest("POST", b.URL+b.acc("/conversations/%d/messages", conv), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("api_access_token", b.admin)
	r := b.send(req)
	if r.Status != http.StatusOK {
		t.Fatalf("multipart message: status %d\n%s", r.Status, r.Body)
	}
	m := r.Object(t)
	atts, _ := m["attachments"].([]any)
	if m["content"] != "see attached" || len(atts) != 1 {
		t.Fatalf("multipart message %v: want the content and one attachment", m)
	}
	att := atts[0].(map[string]any)
	if att["file_type"] != "file" || num(t, att, "file_size") != int64(len(file)) || att["extension"] != "txt" {
		t.Errorf("attachment %v", att)
	}
	url := att["data_url"].(string)
	if !strings.HasPrefix(url, b.URL+"/attachments/") {
		t.Fatalf("data_url %q is not on this server", url)
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, err = got.ReadFrom(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || !bytes.Equal(got.Bytes(), file) {
		t.Fatalf("GET data_url: status %d, %q, want %q", res.StatusCode, got.Bytes(), file)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("a text file is served as %q, want a download", cd)
	}
	// The attachment shows in lists and in the public API.
	pub := b.must(request{Method: "GET", Path: b.pub("/contacts/c/conversations/%d/messages", conv)})
	if !bytes.Contains(pub.Body, []byte(url)) {
		t.Errorf("the public message list lacks the attachment\n%s", pub.Body)
	}
	// The id alone opens nothing.
	r = b.do(request{Method: "GET", Path: fmt.Sprintf("/attachments/%d/guess.txt", num(t, att, "id"))})
	if r.Status != http.StatusNotFound {
		t.Errorf("attachment with a wrong key: status %d, want 404", r.Status)
	}

	// A refused file type writes nothing.
	before := len(b.messages(conv))
	body, contentType = multipartBody(t, map[string]string{"content": "run me"}, map[string][]byte{"x.html": []byte("<script>")}, "text/html")
	req, _ = http.NewRequest("POST", b.URL+b.acc("/conversations/%d/messages", conv), bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("api_access_token", b.admin)
	if r := b.send(req); r.Status != http.StatusUnprocessableEntity || !bytes.Contains(r.Body, []byte(`"attributes":["attachments"]`)) {
		t.Errorf("HTML attachment: status %d %s, want 422 about attachments", r.Status, r.Body)
	}
	if after := len(b.messages(conv)); after != before {
		t.Errorf("the refused upload left %d messages, want %d", after, before)
	}

	// Deleting the message removes the file.
	b.must(request{Method: "DELETE", Path: b.acc("/conversations/%d/messages/%d", conv, num(t, m, "id")), Token: b.admin})
	res, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("data_url after delete: status %d, want 404", res.StatusCode)
	}
}

// FuzzCreateMessage sends arbitrary bodies to the Application API's message
// create: whatever arrives, the answer is never a 500 and always JSON.
func FuzzCreateMessage(f *testing.F) {
	for _, seed := range []string{
		`{"content":"hi"}`,
		`{"content":"hi","private":true,"message_type":"incoming","echo_id":"e"}`,
		`{"content":"pick","content_type":"input_select","content_attributes":{"items":[{"title":"A","value":"a"}]}}`,
		`{"content":"c","content_type":"cards","content_attributes":"{\"items\":[{\"title\":\"t\",\"actions\":[{\"type\":\"link\",\"uri\":\"u\"}]}]}"}`,
		`{"content":"f","content_type":"form","content_attributes":{"items":[{"name":"n","type":"email","required":true}]}}`,
		`{"content":"r","content_attributes":{"in_reply_to":1.5}}`,
		`{"private":{"x":1}}`, `{"content":5}`, `[]`, `null`, `{"content":"a"}{}`, `{"content":`, "",
	} {
		f.Add([]byte(seed))
	}
	b := setup(f, nil)
	conv := b.customer("c")
	f.Fuzz(func(t *testing.T, body []byte) {
		bb := b.with(t)
		r := bb.do(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin, Body: body})
		if r.Status >= 500 || !json.Valid(r.Body) {
			t.Fatalf("body %q: status %d, body %s", body, r.Status, r.Body)
		}
	})
}
