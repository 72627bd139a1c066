package agent_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
)

// otherInboxConversation starts an open conversation in a second inbox of
// the account, one the agent is not a member of.
func (w *world) otherInboxConversation(t *testing.T, name string) int64 {
	t.Helper()
	sys := batontest.System()
	inbox := w.NewInbox(w.account, "Billing "+name, baton.ChannelAPI)
	contact, _, err := w.App.CreateContact(sys, w.account, app.ContactInput{Name: &name}, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.App.CreateConversation(sys, w.account, app.ConversationInput{InboxID: inbox.ID, ContactID: contact.ID})
	if err != nil {
		t.Fatal(err)
	}
	return c.DisplayID
}

// TestBulkActionForm: the bulk bar as a plain form, without script: each
// row's box is labelled with the conversation (its customer's name
// escaped), the form needs the page's CSRF token, acts through the app's
// bulk action and goes back to the list, which says once what was done and
// what was skipped; an agent's conversations outside their inboxes are
// skipped, another account's people are not let in, and the way back
// stays in the list.
func TestBulkActionForm(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sys := batontest.System()
	evil := `Eve <img src=x onerror=alert(1)>`
	c1 := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	c2 := w.customer(evil, "eve@example.com", "Hi")
	away := w.otherInboxConversation(t, "Nora Elsewhere")

	b := w.browser()
	b.signIn(w.agentMail, password)
	list := fmt.Sprintf("/app/accounts/%d/conversations", w.account)
	p := b.get(list + "?queue=bot")
	for _, want := range []string{
		fmt.Sprintf(`<input type="checkbox" name="ids" value="%d" form="bulk" id="pick-%d"><span class="visually-hidden">Select #%d Casey Customer</span>`, c1, c1, c1),
		fmt.Sprintf(`Select #%d %s</span>`, c2, html.EscapeString(evil)),
		`<form id="bulk" class="bulk" method="post" action="` + list + `/bulk"`,
		`<option value="0">Nobody</option>`, `>Ada Admin</option>`, `>Sam Agent</option>`,
		`name="do" value="resolve"`, `name="do" value="reopen"`, `name="do" value="assign"`, `name="do" value="label"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the bot's queue lacks %s", want)
		}
	}
	if strings.Contains(p.body, "<img src=x") {
		t.Error("a customer's name is written as markup")
	}
	back := list + "?queue=bot"
	form := func(do string, ids ...int64) url.Values {
		v := url.Values{"csrf_token": {p.csrf(t)}, "back": {back}, "do": {do}}
		for _, id := range ids {
			v.Add("ids", fmt.Sprint(id))
		}
		return v
	}

	// Without the token nothing happens.
	noToken := form("resolve", c1)
	noToken.Del("csrf_token")
	if r := b.post(list+"/bulk", noToken); r.status != http.StatusForbidden {
		t.Errorf("a bulk action without the CSRF token: %d, want 403", r.status)
	}
	if c, _ := w.App.Conversation(sys, w.account, c1); c.Status != baton.StatusPending {
		t.Fatalf("after the refused form the conversation is %s", c.Status)
	}

	// Assign both of the bot's to Ada, and one the agent may not see.
	v := form("assign", c1, c2, away)
	v.Set("assignee_id", fmt.Sprint(w.adminID(t)))
	r := b.post(list+"/bulk", v)
	want := fmt.Sprintf("2 conversations assigned to Ada Admin; 1 skipped: #%d not found or not in your inboxes.", away)
	if r.status != http.StatusOK || r.url != list || !strings.Contains(r.body, want) {
		t.Fatalf("after assigning: %d at %s, want the list saying %q:\n%.3000s", r.status, r.url, want, r.body)
	}
	if !strings.Contains(r.body, `role="status" tabindex="-1">`+want) {
		t.Error("the result is not a status message")
	}
	for _, id := range []int64{c1, c2} {
		if c, _ := w.App.Conversation(sys, w.account, id); c.AssigneeID != w.adminID(t) {
			t.Errorf("conversation %d is assigned to %d, want Ada", id, c.AssigneeID)
		}
	}
	if c, _ := w.App.Conversation(sys, w.account, away); c.AssigneeID != 0 {
		t.Errorf("the conversation outside the agent's inboxes was assigned to %d", c.AssigneeID)
	}
	if again := b.get(back); strings.Contains(again.body, "assigned to Ada Admin") {
		t.Error("the result is shown again on the next visit")
	}

	// Resolve, label, and forms that ask for nothing possible.
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"resolve", form("resolve", c1, c2), "2 conversations resolved."},
		{"label", func() url.Values { v := form("label", c1); v.Set("label", "Refund, VIP"); return v }(), "1 conversation labelled refund, vip."},
		{"label by Enter", func() url.Values { v := form("default", c2); v.Set("label", "spam"); return v }(), "1 conversation labelled spam."},
		{"nothing ticked", form("resolve"), "Select at least one conversation first."},
		{"nobody chosen", form("assign", c1), "Choose whom to assign them to."},
		{"no label", form("label", c1), "Type a label to add."},
	} {
		r := b.post(list+"/bulk", tc.form)
		if r.status != http.StatusOK || !strings.Contains(r.body, html.EscapeString(tc.want)) {
			t.Errorf("%s: %d at %s, want the list saying %q", tc.name, r.status, r.url, tc.want)
		}
	}
	if c, _ := w.App.Conversation(sys, w.account, c1); c.Status != baton.StatusResolved || strings.Join(c.Labels, ",") != "refund,vip" {
		t.Errorf("conversation %d: %s with labels %v", c1, c.Status, c.Labels)
	}

	// Snooze both until tomorrow 9:00 in the person's zone; none chosen
	// is asked for.
	if r := b.post(list+"/bulk", form("snooze", c1, c2)); !strings.Contains(r.body, "Choose how long to snooze them.") {
		t.Errorf("a snooze without a time: %d, want the list asking for one", r.status)
	}
	v = form("snooze", c1, c2)
	v.Set("until", "tomorrow")
	v.Set("zone", "Asia/Tokyo")
	if r := b.post(list+"/bulk", v); !strings.Contains(r.body, "2 conversations snoozed.") {
		t.Errorf("snoozing: %d at %s, want the list saying they were snoozed", r.status, r.url)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		tokyo = time.UTC // no zone data here: the page's offset (none) counts
	}
	for _, id := range []int64{c1, c2} {
		c, _ := w.App.Conversation(sys, w.account, id)
		if c.Status != baton.StatusSnoozed || c.SnoozedUntil == nil {
			t.Fatalf("conversation %d is %s until %v, want snoozed", id, c.Status, c.SnoozedUntil)
		}
		if at := c.SnoozedUntil.In(tokyo); at.Hour() != 9 || at.Minute() != 0 || !at.After(w.App.Now()) || at.Sub(w.App.Now()) > 33*time.Hour {
			t.Errorf("conversation %d snoozed until %v, want tomorrow 9:00 in Tokyo", id, at)
		}
	}

	// Handed back: the bot's again.
	if r := b.post(list+"/bulk", form("hand_back", c1, c2)); !strings.Contains(r.body, "2 conversations handed back to the bot.") {
		t.Errorf("handing back: %d at %s, want the list saying they were handed back", r.status, r.url)
	}
	for _, id := range []int64{c1, c2} {
		if c, _ := w.App.Conversation(sys, w.account, id); c.Status != baton.StatusPending || c.AssigneeID != 0 {
			t.Errorf("conversation %d after the hand back: %s, assigned to %d; want pending and nobody's", id, c.Status, c.AssigneeID)
		}
	}

	// The way back stays in this account's list.
	v = form("reopen", c1)
	v.Set("back", "https://evil.example/")
	if r := b.post(list+"/bulk", v); r.url != list {
		t.Errorf("back to https://evil.example/ went to %s, want %s", r.url, list)
	}

	// Another account's administrator is not let in, and changes nothing.
	o := w.browser()
	o.signIn(w.other, password)
	otherPage := o.get("/app")
	v = url.Values{"csrf_token": {otherPage.csrf(t)}, "do": {"resolve"}, "ids": {fmt.Sprint(c1)}}
	if r := o.post(list+"/bulk", v); r.status != http.StatusNotFound {
		t.Errorf("another account's administrator: %d, want 404", r.status)
	}
	if c, _ := w.App.Conversation(sys, w.account, c1); c.Status != baton.StatusOpen {
		t.Errorf("after the other account's try the conversation is %s, want open", c.Status)
	}
	// A form of theirs that asks for nothing possible is not found either,
	// not sent back to the list with a notice: the membership comes first.
	for name, v := range map[string]url.Values{
		"nothing ticked": {"csrf_token": {otherPage.csrf(t)}, "do": {"resolve"}},
		"nobody chosen":  {"csrf_token": {otherPage.csrf(t)}, "do": {"assign"}, "ids": {fmt.Sprint(c1)}},
	} {
		if r := o.post(list+"/bulk", v); r.status != http.StatusNotFound || r.url != list+"/bulk" {
			t.Errorf("another account's administrator, %s: %d at %s, want 404 at the form's address", name, r.status, r.url)
		}
	}
}

// adminID is Ada's user id.
func (w *world) adminID(t *testing.T) int64 {
	t.Helper()
	aus, err := w.App.Agents(batontest.System(), w.account)
	if err != nil {
		t.Fatal(err)
	}
	for _, au := range aus {
		if au.User.Email == w.adminMail {
			return au.User.ID
		}
	}
	t.Fatal("no Ada")
	return 0
}
