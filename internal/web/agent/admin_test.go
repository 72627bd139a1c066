package agent_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
)

func TestAdministration(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.customer("Casey", "casey@example.com", "hello bot")
	w.bot.wait(t, "the customer's message", func(e map[string]any) bool { return e["event"] == "message_created" })
	b := w.browser()
	home := b.signIn(w.adminMail, password)
	csrf := home.csrf(t)
	set := fmt.Sprintf("/app/accounts/%d/settings", w.account)

	// A website inbox shows its snippet.
	p := b.post(set+"/inboxes", url.Values{"csrf_token": {csrf}, "name": {"Shop <site>"}, "channel": {"website"}, "website_url": {"https://shop.test"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "Shop &lt;site&gt;") || !strings.Contains(p.body, "chatwootSDK.run") ||
		!strings.Contains(p.body, "/packs/js/sdk.js") {
		t.Fatalf("new website inbox page: %d\n%s", p.status, p.body)
	}

	// Its pre-chat form and working hours: turned on, a field relabelled
	// and made required; a bad time zone is refused and changes nothing.
	inbox := regexp.MustCompile(`settings/inboxes/(\d+)/widget"`).FindStringSubmatch(p.body)
	if inbox == nil {
		t.Fatalf("no widget settings form on the website inbox page:\n%s", p.body)
	}
	widget := set + "/inboxes/" + inbox[1] + "/widget"
	p = b.post(widget, url.Values{"csrf_token": {csrf}, "pre_chat_form_enabled": {"1"}, "pre_chat_message": {"Who are you?"},
		"field_enabled_0": {"1"}, "field_required_0": {"1"}, "field_label_0": {"Your e-mail"}, "field_label_1": {"Full name"},
		"field_label_2": {"Phone number"}, "working_hours_enabled": {"1"}, "timezone": {"Europe/Lisbon"},
		"out_of_office_message": {"Closed now"}})
	for _, want := range []string{`name="pre_chat_form_enabled" value="1" checked`, `>Who are you?</textarea>`,
		`name="field_label_0" value="Your e-mail"`, `name="field_enabled_0" value="1" checked`, `name="field_required_0" value="1" checked`,
		`name="working_hours_enabled" value="1" checked`, `value="Europe/Lisbon"`, `>Closed now</textarea>`} {
		if p.status != http.StatusOK || !strings.Contains(p.body, want) {
			t.Fatalf("after saving the widget settings (%d) the page lacks %s:\n%s", p.status, want, p.body)
		}
	}
	if strings.Contains(p.body, `name="field_enabled_1" value="1" checked`) {
		t.Error("the name field is asked though it was left off")
	}
	p = b.post(widget, url.Values{"csrf_token": {csrf}, "timezone": {"Mars/Olympus"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Timezone is not a known time zone") {
		t.Errorf("a bad time zone: %d\n%s", p.status, p.body)
	}
	if p = b.get(set + "/inboxes/" + inbox[1]); !strings.Contains(p.body, `value="Europe/Lisbon"`) || !strings.Contains(p.body, `name="pre_chat_form_enabled" value="1" checked`) {
		t.Error("a refused save changed the inbox")
	}

	// The sites that may show its widget: saved with the form's token,
	// shown as the API shows them; a bad one is refused with the reason
	// and changes nothing; without the token nothing is saved.
	domains := set + "/inboxes/" + inbox[1] + "/domains"
	p = b.post(domains, url.Values{"csrf_token": {csrf}, "allowed_domains": {"shop.test,*.shop.test"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="allowed_domains" value="shop.test, *.shop.test"`) ||
		!strings.Contains(p.body, `<label for="allowed-domains">Allowed domains</label>`) {
		t.Errorf("after saving allowed domains (%d) the page does not show them:\n%s", p.status, p.body)
	}
	p = b.post(domains, url.Values{"csrf_token": {csrf}, "allowed_domains": {`shop.test; script-src *`}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "which is not a domain") {
		t.Errorf("a bad allowed domain: %d\n%s", p.status, p.body)
	}
	if p = b.post(domains, url.Values{"allowed_domains": {"evil.test"}}); p.status != http.StatusForbidden {
		t.Errorf("allowed domains without the form's token: %d", p.status)
	}
	if p = b.get(set + "/inboxes/" + inbox[1]); !strings.Contains(p.body, `value="shop.test, *.shop.test"`) {
		t.Error("a refused save changed the allowed domains")
	}
	if p = b.get(set + fmt.Sprintf("/inboxes/%d", w.inbox.ID)); strings.Contains(p.body, "allowed_domains") {
		t.Error("an API inbox's page offers allowed domains")
	}

	// Its general settings: the satisfaction survey turned on.
	p = b.post(set+"/inboxes/"+inbox[1], url.Values{"csrf_token": {csrf}, "name": {"Shop"}, "csat_survey_enabled": {"1"},
		"max_assignment_limit": {"3"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="csat_survey_enabled" value="1" checked`) ||
		!strings.Contains(p.body, `name="max_assignment_limit" inputmode="numeric" pattern="[0-9]*" value="3"`) {
		t.Errorf("after turning the survey on and a limit of 3 (%d) the page does not show them:\n%s", p.status, p.body)
	}
	if p = b.post(set+"/inboxes/"+inbox[1], url.Values{"csrf_token": {csrf}, "name": {"Shop"}, "max_assignment_limit": {"many"}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("a limit that is not a number: %d", p.status)
	}

	// Agents: create, change role, remove.
	// An inbox that is not the account's: refused, and no one is made.
	if r := b.post(set+"/agents", url.Values{"csrf_token": {csrf}, "name": {"Nina New"}, "email": {"nina@acme.test"},
		"password": {"password123"}, "role": {"agent"}, "inbox_ids": {"999999"}}); r.status != http.StatusUnprocessableEntity ||
		strings.Contains(b.get(set+"/agents").body, "nina@acme.test") {
		t.Errorf("an agent with another account's inbox: %d", r.status)
	}
	p = b.post(set+"/agents", url.Values{"csrf_token": {csrf}, "name": {"Nina New"}, "email": {"nina@acme.test"}, "password": {"password123"},
		"role": {"agent"}, "inbox_ids": {inbox[1]}})
	if !strings.Contains(p.body, "nina@acme.test") {
		t.Fatal("the new agent is not listed")
	}
	websiteID, _ := strconv.ParseInt(inbox[1], 10, 64)
	members, err := w.App.InboxMembers(batontest.System(), w.account, websiteID)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) == 0 || members[len(members)-1].User.Email != "nina@acme.test" {
		t.Errorf("the new agent does not work the inbox ticked for her: %d members", len(members))
	}
	nina := w.browser()
	if r := nina.signIn("nina@acme.test", "password123"); r.status != http.StatusOK {
		t.Fatalf("the new agent cannot sign in: %d", r.status)
	}
	ninaID := regexp.MustCompile(`settings/agents/(\d+)/remove" *>\s*<input[^>]*>\s*<button[^>]*aria-label="Remove Nina New"`).FindStringSubmatch(p.body)
	if ninaID == nil {
		t.Fatalf("no remove button for Nina:\n%s", p.body)
	}
	if r := b.post(set+"/agents/"+ninaID[1]+"/role", url.Values{"csrf_token": {csrf}, "role": {"administrator"}}); r.status != http.StatusOK {
		t.Fatalf("change role: %d", r.status)
	}
	if r := nina.get(set + "/agents"); r.status != http.StatusOK {
		t.Errorf("an agent made administrator cannot see the agents: %d", r.status)
	}
	if r := b.post(set+"/agents/"+ninaID[1]+"/remove", url.Values{"csrf_token": {csrf}}); strings.Contains(r.body, "nina@acme.test") {
		t.Error("the removed agent is still listed")
	}

	// Bots: the log shows the delivery of the customer's message; an
	// attempt shows the request and the answer; redeliver sends it again.
	bot := fmt.Sprintf("%s/bots/%d", set, w.botID)
	p = b.get(bot)
	if !strings.Contains(p.body, w.botToken) {
		t.Error("the bot page does not show its token")
	}
	log := b.get(bot + "/deliveries?status=succeeded")
	m := regexp.MustCompile(`deliveries/([0-9a-f-]{36})"`).FindStringSubmatch(log.body)
	if m == nil {
		t.Fatalf("no delivery in the log:\n%s", log.body)
	}
	d := b.get(bot + "/deliveries/" + m[1])
	if !strings.Contains(d.body, "message_created") || !strings.Contains(d.body, "hello bot") || !strings.Contains(d.body, ">200<") {
		t.Errorf("the delivery page lacks the request or the answer:\n%s", d.body)
	}
	if r := b.post(bot+"/deliveries/"+m[1]+"/redeliver", url.Values{"csrf_token": {csrf}}); r.status != http.StatusOK {
		t.Fatalf("redeliver: %d", r.status)
	}
	deadline := time.Now().Add(30 * time.Second)
	for w.bot.count(func(e map[string]any) bool { return e["event"] == "message_created" && e["content"] == "hello bot" }) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the bot never received the redelivery")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGlobalBotPage: an administrator connects a global bot to an inbox
// and sees it named on its page, without the platform's settings, URL,
// token or secret, which are not the account's to see or change.
func TestGlobalBotPage(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sys := batontest.System()
	g, err := w.App.PlatformCreateAgentBot(sys, 0, app.AgentBotInput{Name: ptr("Shared Bot"), Description: ptr("Answers everyone"),
		OutgoingURL: ptr("https://bots.example.com/shared")})
	if err != nil {
		t.Fatal(err)
	}
	other := w.NewInbox(w.account, "Second API", baton.ChannelAPI)
	if err := w.App.SetInboxAgentBot(sys, w.account, other.ID, g.Bot.ID); err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	b.signIn(w.adminMail, password)
	p := b.get(fmt.Sprintf("/app/accounts/%d/settings/bots/%d", w.account, g.Bot.ID))
	if p.status != http.StatusOK || !strings.Contains(p.body, "Shared Bot") || !strings.Contains(p.body, "A global bot") ||
		!strings.Contains(p.body, "Answers everyone") {
		t.Fatalf("the global bot's page: %d\n%s", p.status, p.body)
	}
	for _, hidden := range []string{"bots.example.com", "Reset token", "Reset secret", "Save bot", g.AccessToken} {
		if strings.Contains(p.body, hidden) {
			t.Errorf("the global bot's page shows %q:\n%s", hidden, p.body)
		}
	}
	// The account's own bot keeps its settings.
	if p = b.get(fmt.Sprintf("/app/accounts/%d/settings/bots/%d", w.account, w.botID)); !strings.Contains(p.body, "Save bot") ||
		!strings.Contains(p.body, "Reset token") {
		t.Errorf("the account's bot's page lost its settings:\n%s", p.body)
	}
}

// TestCustomAttributesSettings: an administrator defines a custom
// attribute from the settings (a list with its choices), changes its name
// and choices, and deletes it; its key and owner stay as made; an agent
// sees no link to the page and is refused it.
func TestCustomAttributesSettings(t *testing.T) {
	t.Parallel()
	w := setup(t)
	set := fmt.Sprintf("/app/accounts/%d/settings/attributes", w.account)
	admin := w.browser()
	admin.signIn(w.adminMail, password)
	p := admin.get(set)
	if p.status != http.StatusOK || !strings.Contains(p.body, "No custom attributes yet.") {
		t.Fatalf("the page: %d %.300s", p.status, p.body)
	}
	csrf := p.csrf(t)
	p = admin.post(set, url.Values{"csrf_token": {csrf}, "name": {"Plan"}, "key": {"plan"}, "model": {"contact_attribute"},
		"type": {"list"}, "choices": {"free, pro, pro"}, "description": {"What they pay for"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "<code>plan</code>") || !strings.Contains(p.body, "<td>free, pro</td>") ||
		!strings.Contains(p.body, "<td>Contacts</td>") {
		t.Fatalf("after making one: %d %.2000s", p.status, p.body)
	}
	cs, err := w.App.CustomAttributes(batontest.System(), w.account, -1)
	if err != nil || len(cs) != 1 {
		t.Fatalf("the account's attributes: %v %v", cs, err)
	}
	id := cs[0].ID
	p = admin.post(fmt.Sprintf("%s/%d", set, id), url.Values{"csrf_token": {csrf}, "name": {"Pricing plan"}, "description": {""}, "choices": {"free, pro, enterprise"}})
	if !strings.Contains(p.body, "Pricing plan") || !strings.Contains(p.body, "<td>free, pro, enterprise</td>") {
		t.Errorf("after the change: %.2000s", p.body)
	}
	if r := admin.post(set, url.Values{"csrf_token": {csrf}, "name": {"List"}, "key": {"l"}, "model": {"conversation_attribute"}, "type": {"list"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("a list without choices: %d", r.status)
	}

	agent := w.browser()
	agent.signIn(w.agentMail, password)
	if p := agent.get(fmt.Sprintf("/app/accounts/%d/conversations", w.account)); strings.Contains(p.body, "/settings/attributes") {
		t.Error("an agent is shown the attributes' settings")
	}
	if p := agent.get(set); p.status != http.StatusForbidden {
		t.Errorf("an agent at the page: %d", p.status)
	}
	p = admin.post(fmt.Sprintf("%s/%d/delete", set, id), url.Values{"csrf_token": {csrf}})
	if !strings.Contains(p.body, "No custom attributes yet.") {
		t.Errorf("after deleting it: %.500s", p.body)
	}
}

// TestNewAgentWhoUsesBatonAlready: Settings → Agents adds someone who works
// in another account already by their e-mail alone, their password their
// own (one given is refused), with the inboxes ticked; someone new needs
// a password.
func TestNewAgentWhoUsesBatonAlready(t *testing.T) {
	t.Parallel()
	w := setup(t)
	set := fmt.Sprintf("/app/accounts/%d/settings/agents", w.account)
	admin := w.browser()
	csrf := admin.signIn(w.adminMail, password).csrf(t)
	add := func(email, pass string) page {
		return admin.post(set, url.Values{"csrf_token": {csrf}, "name": {"Olga Other"}, "email": {email}, "password": {pass},
			"role": {"agent"}, "inbox_ids": {itoa(w.inbox.ID)}})
	}
	if r := add("new@acme.test", ""); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Password can&#39;t be blank") {
		t.Errorf("someone new without a password: %d %.300s", r.status, r.body)
	}
	if r := add(w.other, "taken-over-1"); r.status != http.StatusUnprocessableEntity {
		t.Errorf("someone else's password set: %d", r.status)
	}
	if r := add(w.other, ""); r.status != http.StatusOK || !strings.Contains(r.body, w.other) {
		t.Fatalf("adding someone who uses Baton already: %d %.300s", r.status, r.body)
	}
	them := w.browser()
	if r := them.signIn(w.other, password); r.status != http.StatusOK {
		t.Fatalf("their own password no longer signs them in: %d", r.status)
	}
	if p := them.get(fmt.Sprintf("/app/accounts/%d/conversations", w.account)); p.status != http.StatusOK {
		t.Errorf("they cannot see the account they joined: %d", p.status)
	}
	members, err := w.App.InboxMembers(batontest.System(), w.account, w.inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range members {
		found = found || m.User.Email == w.other
	}
	if !found {
		t.Error("they do not work the inbox ticked for them")
	}
}
