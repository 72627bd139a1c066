package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

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

// TestClientAddr: behind a trusted proxy the rate limit counts the client
// the proxy names, not the proxy; nobody else's X-Forwarded-For counts.
func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		remote, forwarded, want string
	}{
		{"203.0.113.7:5000", "", "203.0.113.7"},
		{"203.0.113.7:5000", "198.51.100.1", "203.0.113.7"}, // not a proxy of ours: its header is ignored
		{"127.0.0.1:5000", "198.51.100.1", "198.51.100.1"},
		{"10.1.2.3:5000", "198.51.100.9, 198.51.100.1, 10.0.0.5", "198.51.100.1"}, // the nearest untrusted hop
		{"10.1.2.3:5000", "not-an-address", "10.1.2.3"},
	} {
		t.Run(tc.remote+" "+tc.forwarded, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.forwarded != "" {
				r.Header.Set("X-Forwarded-For", tc.forwarded)
			}
			if got := clientAddr(r, trusted); got.String() != tc.want {
				t.Errorf("from %s forwarding %q: %s, want %s", tc.remote, tc.forwarded, got, tc.want)
			}
		})
	}
}

// TestWithClientAddr: behind a trusted proxy the surfaces see the address
// it forwarded; a direct client cannot claim another address.
func TestWithClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	var seen string
	h := withClientAddr(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr }), trusted)
	for _, tc := range []struct{ remote, forwarded, want string }{
		{"10.1.2.3:5000", "203.0.113.5", "203.0.113.5:0"},
		{"198.51.100.7:5000", "203.0.113.5", "198.51.100.7:0"},
	} {
		t.Run(tc.remote, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/app/login", nil)
			r.RemoteAddr = tc.remote
			r.Header.Set("X-Forwarded-For", tc.forwarded)
			h.ServeHTTP(httptest.NewRecorder(), r)
			if seen != tc.want {
				t.Errorf("from %s forwarding %s: RemoteAddr %s, want %s", tc.remote, tc.forwarded, seen, tc.want)
			}
		})
	}
}
