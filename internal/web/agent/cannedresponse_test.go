package agent_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestCannedResponseSettings: an agent, not only an administrator, makes,
// changes and deletes canned responses on the settings page, whose link
// every member sees; the forms need the CSRF token; refusals say why;
// another account's is not found; the conversation page carries them for
// the reply box's picker, escaped.
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

	// The conversation page carries them as JSON the page's script reads.
	id := w.customer("Casey", "casey@example.com", "hello")
	c := b.get(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	if !strings.Contains(c.body, `<script type="application/json" id="canned-responses">[{"short_code":"refunded","content":"Refunded today."}]</script>`) ||
		!strings.Contains(c.body, `role="listbox"`) {
		t.Errorf("the conversation page lacks the canned responses:\n%s", c.body)
	}
	b.post(one, url.Values{"csrf_token": {csrf}, "short_code": {"refunded"}, "content": {"</script><script>alert(1)</script>"}})
	c = b.get(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	if strings.Contains(c.body, "<script>alert(1)") {
		t.Errorf("a canned response's content ends the page's script:\n%s", c.body)
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
