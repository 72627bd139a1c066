package server

import "testing"

// TestRedact: the access log keeps where a request went, not the parts of
// its path that work as credentials.
func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/public/api/v1/inboxes/abc/contacts/casey/conversations/1/messages": "/public/api/v1/inboxes/abc/contacts/[contact]/conversations/1/messages",
		"/public/api/v1/inboxes/abc/contacts":                                "/public/api/v1/inboxes/abc/contacts",
		"/attachments/12/1/0123abcd.png":                                     "/attachments/12/[key]/[key]",
		"/api/v1/accounts/1/contacts/7":                                      "/api/v1/accounts/1/contacts/7",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
