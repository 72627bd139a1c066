package agent_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/browsertest"
)

// light switches the tab back to the light color scheme.
func (b *tab) light() {
	b.t.Helper()
	err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}})
		return err
	}))
	if err != nil {
		b.t.Fatal(err)
	}
}

// audit runs browsertest.Audit on the page as it is, in light and in
// dark, with a screenshot of each; the page's announcements must have
// their live region.
func (b *tab) audit(name string, opts ...browsertest.AuditOption) {
	b.t.Helper()
	opts = append(opts, browsertest.LiveRegion("#live"))
	b.light()
	browsertest.Audit(b.t, b.ctx, opts...)
	b.shot("audit-" + name)
	b.dark()
	browsertest.Audit(b.t, b.ctx, opts...)
	b.shot("audit-" + name + "-dark")
	b.light()
}

// TestBrowserAudit audits every page of the agent app (browsertest.Audit:
// contrast of all visible text, names of the controls, no positive
// tabindex, a visible focus on everything focusable, the live region), in
// light and dark, with what a busy account shows: queues with rows, a
// handed-off conversation with notes, every kind of message and the
// controls opened (Snooze…, Hand back…, the canned responses, the
// shortcuts' dialog), the contacts, the settings, a bot's deliveries and
// the reports.
func TestBrowserAudit(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sys := batontest.System()
	acc := fmt.Sprintf("/app/accounts/%d", w.account)
	if _, err := w.App.CreateCannedResponse(sys, w.account, app.CannedResponseInput{ShortCode: ptr("thanks"), Content: ptr("Thank you for waiting.")}); err != nil {
		t.Fatal(err)
	}
	team, err := w.App.CreateTeam(sys, w.account, app.TeamInput{Name: ptr("Returns"), Description: ptr("Parcels coming back")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.App.CreateCustomAttribute(sys, w.account, app.CustomAttributeInput{Key: ptr("order_ref"), Model: ptr("conversation_attribute"),
		DisplayName: ptr("Order number"), DisplayType: ptr("list"), Values: []string{"A-1234", "B-5678"}, Description: ptr("The order asked about")}); err != nil {
		t.Fatal(err)
	}
	site := w.NewInbox(w.account, "Website", baton.ChannelWebWidget)
	id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	conv := fmt.Sprintf("/api/v1/accounts/%d/conversations/%d", w.account, id)
	for _, m := range []map[string]any{
		{"content": "Here is what I found:\n- **Orders** ship in 2 days\n- see [our FAQ](https://shop.test/faq) and `code`"},
		{"content": "Pick a topic", "content_type": "input_select", "content_attributes": map[string]any{"items": []map[string]any{{"title": "Sales", "value": "sales"}, {"title": "Support", "value": "support"}}}},
		{"content": "Our products", "content_type": "cards", "content_attributes": map[string]any{"items": []map[string]any{{"title": "Blue mug", "description": "Holds 300 ml",
			"actions": []map[string]any{{"type": "link", "text": "View", "uri": "https://shop.test/mug"}, {"type": "postback", "text": "Buy", "payload": "BUY"}}}}}},
		{"content": "Read these", "content_type": "article", "content_attributes": map[string]any{"items": []map[string]any{{"title": "Returns", "description": "How to return", "link": "https://shop.test/returns"}}}},
		{"content": "Checked the order", "private": true},
	} {
		w.Call("POST", conv+"/messages", w.botToken, m, http.StatusOK)
	}
	w.Call("POST", conv+"/custom_attributes", w.botToken, map[string]any{"custom_attributes": map[string]any{"order_ref": "A-1234"}}, http.StatusOK)
	w.handOff(id, "Customer asked for a person", "Parcel A-1234 is late; Casey wants to talk to someone.", "Order number: A-1234")
	w.say("casey-customer", id, "Any news?")
	other := w.customer("Dora Later", "dora@example.com", "Hello?")
	w.handOff(other, "Customer asked for a person", "Dora wants a person")
	w.customer("Bea Bot", "bea@example.com", "Hello bot")
	c, err := w.App.Conversation(sys, w.account, id)
	if err != nil {
		t.Fatal(err)
	}

	b := w.tab(t)
	b.open("/app/login")
	b.waitFor("the sign-in page", `!!document.getElementById("email")`)
	b.audit("login")
	b.signIn(w.adminMail, password)
	b.waitFor("the queues", `location.pathname.endsWith("/conversations")`)

	page := func(name, path, ready string, opts ...browsertest.AuditOption) {
		t.Helper()
		b.open(path)
		b.waitFor(name, `document.readyState === "complete" && (`+ready+`)`)
		b.audit(name, opts...)
	}
	page("queue", acc+"/conversations?queue=open", `document.querySelectorAll("tr[data-conversation]").length === 2`)
	page("queue-bot", acc+"/conversations?queue=bot", `document.querySelectorAll("tr[data-conversation]").length === 1`)
	page("search", acc+"/conversations?queue=all&q=parcel", `!!document.querySelector("tr[data-conversation] mark")`)
	page("conversation", fmt.Sprintf("%s/conversations/%d", acc, id), `!!document.getElementById("reply-content") && !document.getElementById("canned-open").hidden`)

	// What opens on the conversation's page: Snooze… and Hand back…, the
	// canned responses' list, the shortcuts' dialog.
	js[bool](b, `(document.querySelectorAll("details").forEach(d => d.open = true), true)`)
	b.audit("conversation-open")
	b.tabTo("#reply-content")
	b.keys("/")
	b.waitFor("the canned responses", `!document.getElementById("canned-picker").hidden`)
	b.audit("conversation-canned")
	page("shortcuts", acc+"/conversations?queue=open", `!document.getElementById("shortcuts-open").hidden`)
	b.tabTo("#shortcuts-open")
	b.keys(kb.Enter)
	b.waitFor("the dialog", `document.getElementById("shortcuts").open`)
	b.audit("shortcuts-dialog")

	page("contacts", acc+"/contacts", `document.querySelectorAll("table.contacts-table tbody tr").length >= 3`)
	page("contact", fmt.Sprintf("%s/contacts/%d", acc, c.ContactID), `!!document.querySelector("main form")`)
	page("canned-responses", acc+"/settings/canned_responses", `document.querySelectorAll(".canned-list li").length === 1`)
	page("inboxes", acc+"/settings/inboxes", `!!document.querySelector("main table")`)
	page("inbox", fmt.Sprintf("%s/settings/inboxes/%d", acc, w.inbox.ID), `!!document.querySelector("main form")`)
	page("inbox-widget", fmt.Sprintf("%s/settings/inboxes/%d", acc, site.ID), `!!document.querySelector("main form")`)
	page("agents", acc+"/settings/agents", `!!document.querySelector("main table")`)
	page("teams", acc+"/settings/teams", `!!document.querySelector("main a[href*='/teams/']")`)
	page("team", fmt.Sprintf("%s/settings/teams/%d", acc, team.ID), `!!document.querySelector("main form")`)
	page("bots", acc+"/settings/bots", `!!document.querySelector("main a[href*='/bots/']")`)
	page("bot", fmt.Sprintf("%s/settings/bots/%d", acc, w.botID), `!!document.querySelector("main form")`)
	page("deliveries", fmt.Sprintf("%s/settings/bots/%d/deliveries", acc, w.botID), `!!document.querySelector('a[href*="/deliveries/"]')`)
	page("delivery", js[string](b, `document.querySelector('a[href*="/deliveries/"]').getAttribute("href")`), `!!document.querySelector("main h1")`)
	page("report-bots", acc+"/reports/bots", `!!document.querySelector("main h1")`)
	page("report-people", acc+"/reports/people", `!!document.querySelector("main table")`)
	page("attributes", acc+"/settings/attributes", `!!document.querySelector("main form")`)
	page("profile", acc+"/profile", `!!document.querySelector("main form")`)
	page("not-found", acc+"/nothing-here", `!!document.querySelector("main")`)
}
