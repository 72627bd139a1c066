package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// onBothStores runs the test on SQLite and, when BATON_TEST_POSTGRES_URL
// is set, on PostgreSQL.
func onBothStores(t *testing.T, test func(t *testing.T, w *world)) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.OpenSQLite}, {"postgres", storetest.OpenPostgres}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			test(t, setupOn(t, db.open(t)))
		})
	}
}

// contactWorld is the world with contacts: Casey, a customer who wrote in
// the agent's inbox; Quinn, who wrote only in an inbox the agent does not
// work; and many quiet contacts, made one after the other.
type contactWorld struct {
	*world
	casey, quinn int64 // contact ids
	caseyConv    int64 // display id
	quinnConv    int64
}

func newContactWorld(t *testing.T, w *world, quiet int) *contactWorld {
	t.Helper()
	sys := batontest.System()
	for i := range quiet {
		name := fmt.Sprintf("Quiet %02d", i)
		if _, _, err := w.App.CreateContact(sys, w.account, app.ContactInput{Name: &name}, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	cw := &contactWorld{world: w}
	cw.caseyConv = w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	c, err := w.App.Conversation(sys, w.account, cw.caseyConv)
	if err != nil {
		t.Fatal(err)
	}
	cw.casey = c.ContactID

	// Quinn writes in a second inbox, which only the administrator works.
	other := w.NewInbox(w.account, "Billing API", baton.ChannelAPI)
	ctx := baton.NewContextWithCredential(context.Background(),
		baton.ContactCredential{InboxIdentifier: other.Identifier, SourceID: "quinn"})
	name, email := "Quinn Quiet", "quinn@example.com"
	qc, _, err := w.App.PublicCreateContact(ctx, app.PublicContactInput{SourceID: "quinn",
		ContactInput: app.ContactInput{Name: &name, Email: &email}})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := w.App.PublicCreateConversation(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	cw.quinn, cw.quinnConv = qc.ID, conv.DisplayID
	return cw
}

func (cw *contactWorld) contactsPath(rest string) string {
	return fmt.Sprintf("/app/accounts/%d/contacts%s", cw.account, rest)
}

var contactRowName = regexp.MustCompile(`<th scope="row"><a href="/app/accounts/\d+/contacts/\d+"><bdi>([^<]*)</bdi></a></th>`)

// rowNames are the contacts' names in the list's rows, in order.
func rowNames(p page) []string {
	var out []string
	for _, m := range contactRowName.FindAllStringSubmatch(p.body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// TestContactsList: the list holds the account's contacts, the most
// recently active first, fifteen a page with links between pages, each
// with its conversations; the search finds names, e-mails, phones and
// identifiers; nothing found and nobody yet say so.
func TestContactsList(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, w *world) {
		cw := newContactWorld(t, w, 16)
		b := w.browser()
		b.signIn(w.adminMail, password)

		p := b.get(cw.contactsPath(""))
		if p.status != http.StatusOK {
			t.Fatalf("the list: %d", p.status)
		}
		names := rowNames(p)
		if len(names) != app.ContactPageSize {
			t.Fatalf("page 1 has %d rows, want %d: %q", len(names), app.ContactPageSize, names)
		}
		// Casey wrote, so was active; Quinn only opened a conversation, so
		// never was, and comes with the quiet ones, newest first.
		if names[0] != "Casey Customer" || names[1] != "Quinn Quiet" || names[2] != "Quiet 15" {
			t.Errorf("the list's order: %q", names[:3])
		}
		for _, want := range []string{`<a href="/app/accounts/` + itoa(w.account) + `/contacts" aria-current="page">Contacts</a>`,
			`<caption class="visually-hidden">`, `<th scope="col">Name</th>`, `class="table-scroll"`,
			fmt.Sprintf(`1 · latest <a href="/app/accounts/%d/conversations/%d">#%d</a> <span class="status">With the bot</span>`,
				w.account, cw.caseyConv, cw.caseyConv),
			`casey@example.com`, `Next page`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("page 1 lacks %q", want)
			}
		}
		if strings.Contains(p.body, "Previous page") {
			t.Error("page 1 links to a previous page")
		}
		p2 := b.get(cw.contactsPath("?page=2"))
		if got := rowNames(p2); len(got) != 3 || got[2] != "Quiet 00" {
			t.Errorf("page 2: %q, want the three oldest", got)
		}
		if !strings.Contains(p2.body, "Previous page") || strings.Contains(p2.body, "Next page") {
			t.Error("page 2 should link back and not on")
		}

		for q, want := range map[string][]string{
			"casey":       {"Casey Customer"},
			"QUINN@EXAMP": {"Quinn Quiet"},
			"quiet 1":     {"Quiet 15", "Quiet 14", "Quiet 13", "Quiet 12", "Quiet 11", "Quiet 10"},
			"quinn":       {"Quinn Quiet"}, // the identifier the public API gave is not quinn, the e-mail is
		} {
			got := rowNames(b.get(cw.contactsPath("?q=" + url.QueryEscape(q))))
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("search %q: %q, want %q", q, got, want)
			}
		}
		none := b.get(cw.contactsPath("?q=" + url.QueryEscape("<nobody>")))
		if len(rowNames(none)) != 0 || !strings.Contains(none.body, "No contact matches “&lt;nobody&gt;”") {
			t.Errorf("a search that finds nothing: %q", rowNames(none))
		}

		// An account without contacts says so.
		empty := w.NewAccount("Empty")
		w.NewUser(empty, "Eli Empty", "eli@empty.test", "administrator")
		eb := w.browser()
		eb.signIn("eli@empty.test", password)
		if p := eb.get(fmt.Sprintf("/app/accounts/%d/contacts", empty)); p.status != http.StatusOK || !strings.Contains(p.body, "No contacts yet") {
			t.Errorf("an empty account's list: %d", p.status)
		}
	})
}

// TestContactsSearchPhoneAndIdentifier: the search finds a phone number
// and an identifier, as GET contacts/search does.
func TestContactsSearchPhoneAndIdentifier(t *testing.T) {
	t.Parallel()
	w := setup(t)
	name, phone, ident := "Pat Phone", "+14155550123", "crm-77"
	if _, _, err := w.App.CreateContact(batontest.System(), w.account,
		app.ContactInput{Name: &name, PhoneNumber: &phone, Identifier: &ident}, 0, ""); err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	b.signIn(w.agentMail, password)
	for _, q := range []string{"5550123", "CRM-7"} {
		p := b.get(fmt.Sprintf("/app/accounts/%d/contacts?q=%s", w.account, url.QueryEscape(q)))
		if got := rowNames(p); len(got) != 1 || got[0] != name {
			t.Errorf("search %q: %q", q, got)
		}
	}
}

// TestContactVisibility: every member sees every contact of the account,
// and of its conversations those app.ContactConversations gives them: an
// agent, those of the inboxes they work. Another account's contact is not
// found, and so is anything of an account one is not a member of.
func TestContactVisibility(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, w *world) {
		cw := newContactWorld(t, w, 0)
		quinnConv := fmt.Sprintf(`href="/app/accounts/%d/conversations/%d"`, w.account, cw.quinnConv)

		admin := w.browser()
		admin.signIn(w.adminMail, password)
		p := admin.get(cw.contactsPath("/" + itoa(cw.quinn)))
		if p.status != http.StatusOK || !strings.Contains(p.body, quinnConv) || !strings.Contains(p.body, "Billing API") {
			t.Errorf("the administrator's view of Quinn: %d, conversation listed %v", p.status, strings.Contains(p.body, quinnConv))
		}

		agent := w.browser()
		agent.signIn(w.agentMail, password)
		list := agent.get(cw.contactsPath(""))
		if got := rowNames(list); len(got) != 2 {
			t.Errorf("the agent's list: %q, want both contacts", got)
		}
		if strings.Contains(list.body, quinnConv) {
			t.Error("the agent's list links to a conversation of an inbox they do not work")
		}
		p = agent.get(cw.contactsPath("/" + itoa(cw.quinn)))
		if p.status != http.StatusOK || strings.Contains(p.body, quinnConv) || !strings.Contains(p.body, "No conversations you can see.") {
			t.Errorf("the agent's view of Quinn: %d, conversation listed %v", p.status, strings.Contains(p.body, quinnConv))
		}
		if p := agent.get(cw.contactsPath("/" + itoa(cw.casey))); !strings.Contains(p.body,
			fmt.Sprintf(`href="/app/accounts/%d/conversations/%d"`, w.account, cw.caseyConv)) {
			t.Error("the agent does not see Casey's conversation in their inbox")
		}

		// Another account's contact, through this account, is not found;
		// this account's contact, through another, neither.
		beta := w.NewAccount("Beta")
		name := "Bea Beta"
		bc, _, err := w.App.CreateContact(batontest.System(), beta, app.ContactInput{Name: &name}, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{
			cw.contactsPath("/" + itoa(bc.ID)),
			fmt.Sprintf("/app/accounts/%d/contacts/%d", beta, bc.ID),
			fmt.Sprintf("/app/accounts/%d/contacts", beta),
			cw.contactsPath("/0"), cw.contactsPath("/x"),
		} {
			if p := admin.get(path); p.status != http.StatusNotFound || strings.Contains(p.body, name) {
				t.Errorf("GET %s: %d, want 404 without the name", path, p.status)
			}
		}
		form := url.Values{"csrf_token": {p.csrf(t)}, "name": {"Taken over"}, "email": {""}, "phone_number": {""}}
		if p := agent.post(cw.contactsPath("/"+itoa(bc.ID)), form); p.status != http.StatusNotFound {
			t.Errorf("editing another account's contact: %d, want 404", p.status)
		}
		if c, _, err := w.App.Contact(batontest.System(), beta, bc.ID); err != nil || c.Name != name {
			t.Errorf("another account's contact after the edit: %v (%v)", c, err)
		}

		// Quinn's conversation assigned to the agent is theirs to see,
		// outside their inboxes: on Quinn's page, in the contacts' list
		// and in their own queue, as its page is.
		if _, err := w.App.Assign(batontest.System(), w.account, cw.quinnConv, w.agentID); err != nil {
			t.Fatal(err)
		}
		if p := agent.get(cw.contactsPath("/" + itoa(cw.quinn))); !strings.Contains(p.body, quinnConv) {
			t.Error("the agent's view of Quinn lacks the conversation assigned to them")
		}
		if p := agent.get(cw.contactsPath("")); !strings.Contains(p.body, quinnConv) {
			t.Error("the agent's list of contacts lacks the conversation assigned to them")
		}
		mine := agent.get(fmt.Sprintf("/app/accounts/%d/conversations?queue=mine", w.account))
		if !strings.Contains(mine.body, quinnConv) || !strings.Contains(mine.body, `data-count="mine">1<`) {
			t.Error("the agent's own queue lacks the conversation assigned to them")
		}
		if p := agent.get(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, cw.quinnConv)); p.status != http.StatusOK {
			t.Errorf("the conversation assigned to the agent: %d", p.status)
		}
	})
}

// TestContactEdit: the form saves through the app; a bad e-mail is 422
// with the API's message and what was typed kept, and nothing is saved; a
// post without the session's CSRF token is refused.
func TestContactEdit(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, w *world) {
		cw := newContactWorld(t, w, 0)
		sys := batontest.System()
		path := cw.contactsPath("/" + itoa(cw.casey))
		b := w.browser()
		b.signIn(w.agentMail, password)
		p := b.get(path)
		token := p.csrf(t)
		for _, want := range []string{`<dt>E-mail</dt><dd>casey@example.com</dd>`, `value="Casey Customer"`,
			`<label for="contact-edit-email">E-mail</label>`, `<time class="clock" datetime="`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the contact's page lacks %q", want)
			}
		}

		unchanged := func(what string) {
			t.Helper()
			c, _, err := w.App.Contact(sys, w.account, cw.casey)
			if err != nil || c.Name != "Casey Customer" || c.Email != "casey@example.com" || c.PhoneNumber != "" {
				t.Errorf("%s: the contact is now %q %q %q (%v)", what, c.Name, c.Email, c.PhoneNumber, err)
			}
		}

		bad := b.post(path, url.Values{"csrf_token": {token}, "name": {"Casey <b>C</b>"}, "email": {"not-an-email"},
			"phone_number": {"+4915112345678"}})
		if bad.status != http.StatusUnprocessableEntity {
			t.Errorf("a bad e-mail: %d, want 422", bad.status)
		}
		for _, want := range []string{`role="alert" id="contact-error">Email Invalid email</p>`,
			`value="not-an-email" autocomplete="off" aria-invalid="true"`, `value="Casey &lt;b&gt;C&lt;/b&gt;"`,
			`value="&#43;4915112345678"`} {
			if !strings.Contains(bad.body, want) {
				t.Errorf("the refused form lacks %q", want)
			}
		}
		unchanged("after a bad e-mail")

		phone := b.post(path, url.Values{"csrf_token": {token}, "name": {"Casey"}, "email": {"casey@example.com"},
			"phone_number": {"0151 123"}})
		if phone.status != http.StatusUnprocessableEntity || !strings.Contains(phone.body, "Phone number should be in e164 format") {
			t.Errorf("a bad phone number: %d", phone.status)
		}
		unchanged("after a bad phone number")

		for name, form := range map[string]url.Values{
			"no token":    {"name": {"Forged"}, "email": {"forged@example.com"}},
			"wrong token": {"csrf_token": {token + "x"}, "name": {"Forged"}, "email": {"forged@example.com"}},
		} {
			if p := b.post(path, form); p.status != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", name, p.status)
			}
		}
		unchanged("after forged posts")

		ok := b.post(path, url.Values{"csrf_token": {token}, "name": {"Casey C. Customer"}, "email": {"CASEY.C@Example.com"},
			"phone_number": {"+4915112345678"}})
		if ok.status != http.StatusOK || ok.url != path || !strings.Contains(ok.body, "Contact saved.") ||
			!strings.Contains(ok.body, `<h1 id="contact-name"><bdi>Casey C. Customer</bdi></h1>`) {
			t.Errorf("a good edit: %d at %s", ok.status, ok.url)
		}
		c, _, err := w.App.Contact(sys, w.account, cw.casey)
		if err != nil || c.Name != "Casey C. Customer" || c.Email != "casey.c@example.com" || c.PhoneNumber != "+4915112345678" {
			t.Errorf("after a good edit: %q %q %q (%v)", c.Name, c.Email, c.PhoneNumber, err)
		}

		// An e-mail another contact has is refused as the API refuses it.
		taken := b.post(path, url.Values{"csrf_token": {token}, "name": {"Casey"}, "email": {"quinn@example.com"}, "phone_number": {""}})
		if taken.status != http.StatusUnprocessableEntity || !strings.Contains(taken.body, "has already been taken") {
			t.Errorf("a taken e-mail: %d", taken.status)
		}
	})
}

// TestContactPageEscapes: what a customer wrote into their contact is text
// on the pages, never markup; company and location come from the
// additional attributes, custom attributes are listed.
func TestContactPageEscapes(t *testing.T) {
	t.Parallel()
	w := setup(t)
	name, email := `<img src=x onerror=alert(1)>`, "x@example.com"
	c, _, err := w.App.CreateContact(batontest.System(), w.account, app.ContactInput{Name: &name, Email: &email,
		AdditionalAttributes: map[string]any{"company_name": "<b>Acme</b>", "city": "Lyon", "country": "France"},
		CustomAttributes:     map[string]any{"plan": "<i>gold</i>"}}, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	b.signIn(w.adminMail, password)
	for _, path := range []string{fmt.Sprintf("/app/accounts/%d/contacts", w.account),
		fmt.Sprintf("/app/accounts/%d/contacts/%d", w.account, c.ID)} {
		p := b.get(path)
		if strings.Contains(p.body, "<img src=x") || !strings.Contains(p.body, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s: the name is not escaped", path)
		}
	}
	p := b.get(fmt.Sprintf("/app/accounts/%d/contacts/%d", w.account, c.ID))
	for _, want := range []string{`<dt>Company</dt><dd>&lt;b&gt;Acme&lt;/b&gt;</dd>`, `<dt>Location</dt><dd>Lyon, France</dd>`,
		`<dt>plan</dt><dd>&lt;i&gt;gold&lt;/i&gt;</dd>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the contact's page lacks %q", want)
		}
	}
}

// TestContactAttributeValues: custom attributes that are not text show as
// JSON, as they were sent, on the contact's page and beside the
// conversation: a number whole, null as null, an object as an object; an
// attribute the account defined is named by its display name.
func TestContactAttributeValues(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Hello")
	c, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(`{"total": 1500000, "ratio": 0.25, "vip": true, "coupon": null,
		"address": {"city": "Lyon"}, "tags": ["a", "b"], "plan": "gold"}`), &attrs); err != nil {
		t.Fatal(err)
	}
	if _, err := w.App.UpdateContact(batontest.System(), w.account, c.ContactID, app.ContactInput{CustomAttributes: attrs}); err != nil {
		t.Fatal(err)
	}
	// A defined attribute is named by its display name.
	if _, err := w.App.CreateCustomAttribute(batontest.System(), w.account, app.CustomAttributeInput{Key: ptr("plan"),
		Model: ptr("contact_attribute"), DisplayName: ptr("Pricing plan")}); err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	b.signIn(w.adminMail, password)
	for _, path := range []string{fmt.Sprintf("/app/accounts/%d/contacts/%d", w.account, c.ContactID),
		fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)} {
		p := b.get(path)
		for _, want := range []string{`<dt>total</dt><dd>1500000</dd>`, `<dt>ratio</dt><dd>0.25</dd>`, `<dt>vip</dt><dd>true</dd>`,
			`<dt>coupon</dt><dd>null</dd>`, `<dt>address</dt><dd>{&#34;city&#34;:&#34;Lyon&#34;}</dd>`,
			`<dt>tags</dt><dd>[&#34;a&#34;,&#34;b&#34;]</dd>`, `<dt>Pricing plan</dt><dd>gold</dd>`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
}

// TestConversationLinksContact: the conversation's contact panel links the
// contact's name to their page.
func TestConversationLinksContact(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Hello")
	c, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	b.signIn(w.adminMail, password)
	p := b.get(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	want := fmt.Sprintf(`<a href="/app/accounts/%d/contacts/%d" id="contact-link"><bdi>Casey Customer</bdi></a>`, w.account, c.ContactID)
	if !strings.Contains(p.body, want) {
		t.Errorf("the conversation page lacks %q", want)
	}
}

func itoa(i int64) string { return fmt.Sprint(i) }

// TestContactDelete: an administrator deletes a contact from their page,
// once the box says they know it cannot be undone: the contact and their
// conversation are gone and the contacts list says so. An agent sees no
// such form, and is refused the action; another account's contact is not
// found. Both databases.
func TestContactDelete(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, w *world) {
		cw := newContactWorld(t, w, 0)
		sys := batontest.System()
		path := cw.contactsPath("/" + itoa(cw.casey))

		agent := w.browser()
		agent.signIn(w.agentMail, password)
		p := agent.get(path)
		if strings.Contains(p.body, "Delete contact") {
			t.Error("an agent is offered the deletion")
		}
		if r := agent.post(path+"/delete", url.Values{"csrf_token": {p.csrf(t)}, "confirm": {"yes"}}); r.status != http.StatusForbidden {
			t.Errorf("an agent's deletion: %d, want 403", r.status)
		}

		admin := w.browser()
		admin.signIn(w.adminMail, password)
		p = admin.get(path)
		if !strings.Contains(p.body, "with 1 conversation, their messages and their files") {
			t.Errorf("the deletion does not say what it deletes:\n%s", p.body)
		}
		r := admin.post(path+"/delete", url.Values{"csrf_token": {p.csrf(t)}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="delete-error"`) {
			t.Errorf("a deletion without the box: %d %.400s", r.status, r.body)
		}
		if _, _, err := w.App.Contact(sys, w.account, cw.casey); err != nil {
			t.Fatalf("the contact after the refused deletions: %v", err)
		}

		r = admin.post(path+"/delete", url.Values{"csrf_token": {p.csrf(t)}, "confirm": {"yes"}})
		if r.status != http.StatusOK || !strings.HasSuffix(r.url, "/contacts") || !strings.Contains(r.body, "The contact is deleted") {
			t.Errorf("the deletion: %d at %s %.400s", r.status, r.url, r.body)
		}
		if _, _, err := w.App.Contact(sys, w.account, cw.casey); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("the deleted contact: %v", err)
		}
		if _, err := w.App.Conversation(sys, w.account, cw.caseyConv); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("the deleted contact's conversation: %v", err)
		}
		if got := admin.get(path); got.status != http.StatusNotFound {
			t.Errorf("the deleted contact's page: %d", got.status)
		}
		other := fmt.Sprintf("/app/accounts/%d/contacts/%d/delete", w.account+1000, cw.quinn)
		if got := admin.post(other, url.Values{"csrf_token": {p.csrf(t)}, "confirm": {"yes"}}); got.status != http.StatusNotFound {
			t.Errorf("another account's contact: %d", got.status)
		}
	})
}

// TestConversationAttributes: what the bot collected into the
// conversation's custom attributes shows beside the conversation (the
// defined ones in a form people edit, as their types take them), and in
// the handoff card once it is handed over, named by the account's
// definitions.
func TestConversationAttributes(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "My parcel is late")
	path := fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)
	b := w.browser()
	b.signIn(w.agentMail, password)
	if p := b.get(path); strings.Contains(p.body, `id="conv-attributes"`) {
		t.Error("a conversation without attributes shows a details list")
	}
	if _, err := w.App.CreateCustomAttribute(batontest.System(), w.account, app.CustomAttributeInput{Key: ptr("order_ref"),
		Model: ptr("conversation_attribute"), DisplayName: ptr("Order number")}); err != nil {
		t.Fatal(err)
	}
	w.Call("POST", fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/custom_attributes", w.account, id), w.botToken,
		map[string]any{"custom_attributes": map[string]any{"order_ref": "AB123", "items": 2}}, http.StatusOK)
	p := b.get(path)
	for _, want := range []string{`<label for="attr-order_ref">Order number</label>`, `id="attr-order_ref" name="attr-order_ref" type="text" value="AB123"`,
		`<dt>items</dt><dd>2</dd>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the conversation lacks %s", want)
		}
	}
	// A person edits the defined ones; the bot's other one stays.
	if _, err := w.App.CreateCustomAttribute(batontest.System(), w.account, app.CustomAttributeInput{Key: ptr("refund"),
		Model: ptr("conversation_attribute"), DisplayName: ptr("Refund"), DisplayType: ptr("currency")}); err != nil {
		t.Fatal(err)
	}
	edit := func(order, refund string) page {
		t.Helper()
		return b.post(path+"/attributes", url.Values{"csrf_token": {p.csrf(t)}, "attr-order_ref": {order}, "attr-refund": {refund}})
	}
	if r := edit("AB124", "12.5"); r.status != http.StatusOK {
		t.Fatalf("saving the details: %d %.300s", r.status, r.body)
	}
	got, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil || got.CustomAttributes["order_ref"] != "AB124" || got.CustomAttributes["refund"] != 12.5 || got.CustomAttributes["items"] != float64(2) {
		t.Errorf("after the edit: %v (%v)", got.CustomAttributes, err)
	}
	if r := edit("", "lots"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Refund: enter a number") {
		t.Errorf("a refund that is not a number: %d %.300s", r.status, r.body)
	}
	edit("", "")
	if got, _ := w.App.Conversation(batontest.System(), w.account, id); len(got.CustomAttributes) != 1 {
		t.Errorf("emptied, the details are %v, want the bot's items alone", got.CustomAttributes)
	}
	w.Call("POST", fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/custom_attributes", w.account, id), w.botToken,
		map[string]any{"custom_attributes": map[string]any{"order_ref": "AB123", "items": 2}}, http.StatusOK)
	// Handed over, the handoff card shows them first.
	w.handOff(id, "Customer asked for a person", "Parcel late")
	if p := b.get(path); !strings.Contains(p.body, `<h3>What the bot collected</h3>`) ||
		!strings.Contains(p.body, `<dl class="collected"><dt>items</dt><dd>2</dd><dt>Order number</dt><dd>AB123</dd></dl>`) {
		t.Errorf("the handoff card lacks what the bot collected:\n%s", p.body)
	}
}

// TestContactAttributesEdit: the contact's defined custom attributes are
// edited with the contact (a list's choice kept, left empty removed, a
// value not among the choices refused with why), the others left as they
// are. Both databases.
func TestContactAttributesEdit(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, w *world) {
		cw := newContactWorld(t, w, 0)
		sys := batontest.System()
		if _, err := w.App.CreateCustomAttribute(sys, w.account, app.CustomAttributeInput{Key: ptr("plan"), Model: ptr("contact_attribute"),
			DisplayName: ptr("Plan"), DisplayType: ptr("list"), Values: []string{"free", "pro"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.App.UpdateContact(sys, w.account, cw.casey, app.ContactInput{CustomAttributes: map[string]any{"crm": "x-1"}}); err != nil {
			t.Fatal(err)
		}
		path := cw.contactsPath("/" + itoa(cw.casey))
		b := w.browser()
		b.signIn(w.agentMail, password)
		p := b.get(path)
		if !strings.Contains(p.body, `<select id="attr-plan" name="attr-plan"><option value="">None</option><option>free</option><option>pro</option></select>`) {
			t.Fatalf("the edit form lacks the plan:\n%s", p.body)
		}
		save := func(plan string) page {
			return b.post(path, url.Values{"csrf_token": {p.csrf(t)}, "name": {"Casey Customer"}, "email": {"casey@example.com"}, "attr-plan": {plan}})
		}
		attrs := func() map[string]any {
			c, _, err := w.App.Contact(sys, w.account, cw.casey)
			if err != nil {
				t.Fatal(err)
			}
			return c.CustomAttributes
		}
		if r := save("pro"); r.status != http.StatusOK || !strings.Contains(r.body, "<option selected>pro</option>") {
			t.Errorf("saving pro: %d", r.status)
		}
		if a := attrs(); a["plan"] != "pro" || a["crm"] != "x-1" {
			t.Errorf("after saving pro: %v", a)
		}
		if r := save("gold"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Plan: choose one of its choices") {
			t.Errorf("saving gold: %d", r.status)
		}
		save("")
		if a := attrs(); len(a) != 1 || a["crm"] != "x-1" {
			t.Errorf("after emptying the plan: %v", a)
		}
	})
}
