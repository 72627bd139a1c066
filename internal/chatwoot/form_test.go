package chatwoot_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/store/storetest"
)

// TestForms: multipart and form bodies keep the JSON limits where no file
// is taken, text that looks like JSON stays text, and booleans come in
// Rails' spellings.
func TestForms(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.OpenSQLite(t))
	conv := b.customer("casey")
	post := func(path, token string, fields map[string]string, files map[string][]byte) *response {
		body, ct := multipartBody(t, fields, files, "image/png")
		req, err := http.NewRequest("POST", b.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		if token != "" {
			req.Header.Set("api_access_token", token)
		}
		return b.send(req)
	}

	// A public contact create takes no file: a multipart body over the
	// JSON limit is refused, file or field, and nothing is stored.
	big := strings.Repeat("x", 2<<20)
	if r := post(b.pub("/contacts"), "", map[string]string{"custom_attributes": `{"a":"` + big + `"}`}, nil); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MB of form fields: status %d, want 413: %s", r.Status, r.Body)
	}
	if r := post(b.pub("/contacts"), "", map[string]string{"name": "x"}, map[string][]byte{"a.png": []byte(big)}); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 2 MB file to a route that takes none: status %d, want 413", r.Status)
	}

	// A message with a file may be large; its text stays text even when
	// it looks like JSON; private takes Rails' spellings.
	path := b.acc("/conversations/%d/messages", conv)
	r := post(path, b.admin, map[string]string{"content": `{"order": 5}`, "private": "True"},
		map[string][]byte{"a.png": []byte(big)})
	if r.Status != http.StatusOK {
		t.Fatalf("a 2 MB attachment: status %d: %s", r.Status, r.Body)
	}
	m := r.Object(t)
	if m["content"] != `{"order": 5}` || m["private"] != true {
		t.Fatalf("content %v private %v, want the text as sent and true", m["content"], m["private"])
	}
	for _, tc := range []struct {
		value string
		want  bool
	}{{"yes", true}, {"on", true}, {"t", true}, {"FALSE", false}, {"off", false}} {
		t.Run(tc.value, func(t *testing.T) {
			r := post(path, b.admin, map[string]string{"content": "x", "private": tc.value}, nil)
			if r.Status != http.StatusOK || r.Object(t)["private"] != tc.want {
				t.Fatalf("private=%s: status %d private %v, want %v", tc.value, r.Status, r.Object(t)["private"], tc.want)
			}
		})
	}
	if r := post(path, b.admin, map[string]string{"content": "x", "private": "maybe"}, nil); r.Status != http.StatusBadRequest {
		t.Fatalf("private=maybe: status %d, want 400", r.Status)
	}
}

// TestEnumsAndFieldNames: message_type may come as Chatwoot's own number,
// and a type error names the field as the caller wrote it.
func TestEnumsAndFieldNames(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.OpenSQLite(t))
	conv := b.customer("casey")
	path := b.acc("/conversations/%d/messages", conv)
	r := b.do(request{Method: "POST", Path: path, Token: b.admin, Body: `{"content":"x","message_type":1}`})
	if r.Status != http.StatusOK || r.Object(t)["message_type"] != float64(1) {
		t.Fatalf("message_type 1: status %d: %s", r.Status, r.Body)
	}
	if r := b.do(request{Method: "POST", Path: path, Token: b.admin, Body: `{"content":"x","message_type":7}`}); r.Status != http.StatusBadRequest {
		t.Fatalf("message_type 7: status %d, want 400", r.Status)
	}
	r = b.do(request{Method: "POST", Path: b.pub("/contacts"), Body: `{"name":123}`})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "Field name must be a string") {
		t.Fatalf("a number for a name: status %d: %s", r.Status, r.Body)
	}
}

// TestDeleteWithFormBody: a DELETE's form-encoded body is read, as Rails
// reads it.
func TestDeleteWithFormBody(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.OpenSQLite(t))
	add := b.do(request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.admin,
		Body: fmt.Sprintf(`{"inbox_id":%d,"user_ids":[%d]}`, b.api.ID, b.agentID)})
	if add.Status != http.StatusOK {
		t.Fatalf("adding a member: %d %s", add.Status, add.Body)
	}
	req, err := http.NewRequest("DELETE", b.URL+b.acc("/inbox_members"),
		strings.NewReader(fmt.Sprintf("inbox_id=%d&user_ids[]=%d", b.api.ID, b.agentID)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("api_access_token", b.admin)
	if r := b.send(req); r.Status != http.StatusOK {
		t.Fatalf("DELETE with a form Body: status %d: %s", r.Status, r.Body)
	}
	r := b.do(request{Method: "GET", Path: b.acc("/inbox_members/%d", b.api.ID), Token: b.admin})
	if payload := r.Object(t)["payload"].([]any); len(payload) != 0 {
		t.Fatalf("the member is still there: %v", payload)
	}
}
