package agent_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
)

// TestCannedResponseSettings: an agent, not only an administrator, makes,
// changes and deletes canned responses on the settings page, whose link
// every member sees; the forms need the CSRF token; refusals say why;
// another account's is not found; the conversation page carries none of
// them (TestCannedChoices is the picker's JSON).
func TestCannedResponseSettings(t *testing.T) {
	t.Parallel()
	w := setup(t)
	b := w.browser()
	home := b.signIn(w.agentMail, password)
	csrf := home.csrf(t)
	set := fmt.Sprintf("/app/accounts/%d/settings/canned_responses", w.account)
	if !strings.Contains(home.body, `href="`+set+`"`) {
		t.Errorf("an agent's navigation has no link to the canned responses")
	}

	p := b.get(set)
	if p.status != http.StatusOK || !strings.Contains(p.body, "No canned responses yet.") || !strings.Contains(p.body, `aria-current="page">Canned responses`) {
		t.Fatalf("empty list: %d\n%s", p.status, p.body)
	}
	p = b.post(set, url.Values{"csrf_token": {csrf}, "short_code": {"refund"}, "content": {"Your refund <b>is</b> on its way."}})
	if p.status != http.StatusOK || p.url != set || !strings.Contains(p.body, `value="refund"`) ||
		!strings.Contains(p.body, "Your refund &lt;b&gt;is&lt;/b&gt; on its way.</textarea>") {
		t.Fatalf("after create (%d, %s):\n%s", p.status, p.url, p.body)
	}
	if r := b.post(set, url.Values{"short_code": {"nocsrf"}, "content": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("a create without the CSRF token: %d, want 403", r.status)
	}
	if r := b.post(set, url.Values{"csrf_token": {csrf}, "short_code": {"refund"}, "content": {"Again"}}); r.status != http.StatusConflict ||
		!strings.Contains(r.body, "Short code has already been taken") {
		t.Errorf("a taken short code: %d\n%s", r.status, r.body)
	}
	if r := b.post(set, url.Values{"csrf_token": {csrf}, "short_code": {"empty"}, "content": {""}}); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "Content can&#39;t be blank") {
		t.Errorf("blank content: %d\n%s", r.status, r.body)
	}

	m := regexp.MustCompile(`canned_responses/(\d+)/delete`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no delete form:\n%s", p.body)
	}
	one := set + "/" + m[1]
	p = b.post(one, url.Values{"csrf_token": {csrf}, "short_code": {"refunded"}, "content": {"Refunded today."}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="refunded"`) || !strings.Contains(p.body, "Refunded today.</textarea>") {
		t.Errorf("after update (%d):\n%s", p.status, p.body)
	}

	// The conversation page carries none of them: its picker asks for them.
	id := w.customer("Casey", "casey@example.com", "hello")
	c := b.get(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	if strings.Contains(c.body, "Refunded today.") || !strings.Contains(c.body, `role="listbox"`) ||
		!strings.Contains(c.body, fmt.Sprintf(`data-url="/app/accounts/%d/canned_responses"`, w.account)) {
		t.Errorf("the conversation page carries the canned responses, or no picker:\n%s", c.body)
	}
	choices := fmt.Sprintf("/app/accounts/%d/canned_responses", w.account)
	if p := b.get(choices + "?search=REF"); p.status != http.StatusOK ||
		strings.TrimSpace(p.body) != `{"canned_responses":[{"short_code":"refunded","content":"Refunded today."}],"more":false}` {
		t.Errorf("the picker's answer: %d %s", p.status, p.body)
	}
	// Another account's member finds nothing there.
	o := w.browser()
	oc := o.signIn(w.other, password).csrf(t)
	if r := o.post(one, url.Values{"csrf_token": {oc}, "short_code": {"x"}, "content": {"x"}}); r.status != http.StatusNotFound {
		t.Errorf("another account's member changes it: %d", r.status)
	}
	if r := o.post(one+"/delete", url.Values{"csrf_token": {oc}}); r.status != http.StatusNotFound {
		t.Errorf("another account's member deletes it: %d", r.status)
	}

	p = b.post(one+"/delete", url.Values{"csrf_token": {csrf}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "No canned responses yet.") {
		t.Errorf("after delete (%d):\n%s", p.status, p.body)
	}
	if r := b.post(one+"/delete", url.Values{"csrf_token": {csrf}}); r.status != http.StatusNotFound {
		t.Errorf("deleted twice: %d", r.status)
	}
}

// TestCannedChoices: the reply box's picker asks for the canned responses
// that match what was typed after "/": the first 20 in the search's order,
// whether more match, as JSON; every member may ask, another account's
// member finds nothing, nobody signed out gets anything, and a long search
// is cut, not refused.
func TestCannedChoices(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sys := batontest.System()
	for i := range 25 {
		code, content := fmt.Sprintf("order-%02d", i), fmt.Sprintf("About your order, answer %d.", i)
		if _, err := w.App.CreateCannedResponse(sys, w.account, app.CannedResponseInput{ShortCode: &code, Content: &content}); err != nil {
			t.Fatal(err)
		}
	}
	html := "<b>Hello</b> & </script>"
	if _, err := w.App.CreateCannedResponse(sys, w.account, app.CannedResponseInput{ShortCode: ptr("hello"), Content: &html}); err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	b.signIn(w.agentMail, password)
	choices := fmt.Sprintf("/app/accounts/%d/canned_responses", w.account)
	type answer struct {
		CannedResponses []struct {
			ShortCode string `json:"short_code"`
			Content   string `json:"content"`
		} `json:"canned_responses"`
		More bool `json:"more"`
	}
	ask := func(b *browser, query string, status int) answer {
		t.Helper()
		p := b.get(choices + query)
		var a answer
		if p.status != status {
			t.Fatalf("GET %s: %d, want %d\n%s", query, p.status, status, p.body)
		}
		if status == http.StatusOK {
			if err := json.Unmarshal([]byte(p.body), &a); err != nil {
				t.Fatalf("GET %s: %v\n%s", query, err, p.body)
			}
		}
		return a
	}
	codes := func(a answer) string {
		var out []string
		for _, c := range a.CannedResponses {
			out = append(out, c.ShortCode)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		query, codes string
		more         bool
	}{
		{"", "hello,order-00,order-01,order-02,order-03,order-04,order-05,order-06,order-07,order-08,order-09," +
			"order-10,order-11,order-12,order-13,order-14,order-15,order-16,order-17,order-18", true},
		{"?search=ORDER-2", "order-20,order-21,order-22,order-23,order-24", false},
		{"?search=answer+7", "order-07", false},
		{"?search=hel", "hello", false},
		{"?search=nothing", "", false},
		{"?search=" + strings.Repeat("x", 10000), "", false},
	} {
		a := ask(b, c.query, http.StatusOK)
		if got := codes(a); got != c.codes || a.More != c.more {
			t.Errorf("GET %.40s: %s (more %v), want %s (more %v)", c.query, got, a.More, c.codes, c.more)
		}
		if c.codes == "" && a.CannedResponses == nil {
			t.Errorf("GET %.40s: null, want an empty list", c.query)
		}
	}
	if a := ask(b, "?search=hello", http.StatusOK); len(a.CannedResponses) != 1 || a.CannedResponses[0].Content != html {
		t.Errorf("the content as written: %+v", a)
	}

	o := w.browser()
	o.signIn(w.other, password)
	ask(o, "", http.StatusNotFound)
	res, err := http.Get(w.URL + choices)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), "order-00") {
		t.Errorf("signed out, the canned responses were given: %s", body)
	}
}
