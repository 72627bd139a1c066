package batontest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Call sends a JSON request to the world's server as the token's holder
// (api_access_token; none when empty), fails the test unless it answers
// status, and returns the body decoded (nil when empty). A body that is a
// string or []byte is sent as it is; anything else as JSON.
func (w *World) Call(method, path, token string, body any, status int) any {
	w.T.Helper()
	return Call(w.T, method, w.URL+path, token, body, status)
}

// Call is World.Call for a server at any URL.
func Call(t testing.TB, method, url, token string, body any, status int) any {
	t.Helper()
	req, err := http.NewRequest(method, url, reader(t, body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("api_access_token", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, res.StatusCode, status, b)
	}
	var v any
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, url, b)
		}
	}
	return v
}

// reader is a request body: a string or []byte as it is, anything else as
// JSON, nothing for nil.
func reader(t testing.TB, body any) io.Reader {
	switch v := body.(type) {
	case nil:
		return strings.NewReader("")
	case string:
		return strings.NewReader(v)
	case []byte:
		return bytes.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.NewReader(raw)
	}
}

// Request is one HTTP request to a world's server, for tests that look at
// what a call answers whatever it is.
type Request struct {
	Method string
	Path   string
	Token  string // sent as api_access_token
	Body   any    // a string or []byte as it is, anything else as JSON
	Header map[string]string
}

// Response is what the server answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends the request and returns the answer, whatever its status;
// redirects are not followed.
func (w *World) Do(rq Request) *Response {
	w.T.Helper()
	var body io.Reader
	if rq.Body != nil {
		body = reader(w.T, rq.Body)
	}
	req, err := http.NewRequest(rq.Method, w.URL+rq.Path, body)
	if err != nil {
		w.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.Token != "" {
		req.Header.Set("api_access_token", rq.Token)
	}
	for k, v := range rq.Header {
		req.Header.Set(k, v)
	}
	return Send(w.T, req)
}

// Send sends a request without following redirects and returns the answer.
func Send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// Object decodes the body as a JSON object.
func (r *Response) Object(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return v
}

// Array decodes the body as a JSON array.
func (r *Response) Array(t testing.TB) []any {
	t.Helper()
	var v []any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not a JSON array: %v\n%s", err, r.Body)
	}
	return v
}
