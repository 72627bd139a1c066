package agent_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/browsertest"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserContacts walks the contacts with the keyboard alone: the
// navigation's Contacts, the search, a contact, and its edit form, which
// refuses a bad e-mail with a message the screen reader hears and keeps
// what was typed, then saves; light and dark pass axe; on a phone the list
// and the contact fit, the table scrolling in its own box.
func TestBrowserContacts(t *testing.T) {
	t.Parallel()
	w := setup(t)
	for i := range 3 {
		name := fmt.Sprintf("Quiet %02d", i)
		if _, _, err := w.App.CreateContact(batontest.System(), w.account, app.ContactInput{Name: &name}, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")

	b := w.signedInTab(t, w.agentMail)
	b.tabTo(`nav[aria-label="Main"] a[href$="/contacts"]`)
	if !b.focusVisible() {
		t.Error("the Contacts link shows no focus")
	}
	b.keys(kb.Enter)
	b.waitFor("the contacts", `location.pathname.endsWith("/contacts") && document.querySelectorAll("tbody tr").length === 4`)
	if got := js[string](b, `document.querySelector("tbody th a").textContent`); got != "Casey Customer" {
		t.Errorf("the first row is %q, want Casey, the one active last", got)
	}
	browsertest.Axe(t, b.ctx)
	b.shot("agent-contacts")

	b.tabTo("#contacts-q")
	b.keys("casey" + kb.Enter)
	b.waitFor("the search", `location.search.includes("q=casey") && document.querySelectorAll("tbody tr").length === 1`)
	b.tabTo(`tbody th a`)
	if !b.focusVisible() {
		t.Error("the contact's link shows no focus")
	}
	b.keys(kb.Enter)
	b.waitFor("the contact", `document.getElementById("contact-name") && document.getElementById("contact-name").textContent === "Casey Customer"`)
	if !js[bool](b, fmt.Sprintf(`!!document.querySelector('a[href$="/conversations/%d"]')`, id)) {
		t.Error("the contact's page does not link to Casey's conversation")
	}
	// The conversation's time is the viewer's local time, set by the script.
	b.waitFor("local times", `document.querySelector("time.clock[data-local]") !== null`)
	browsertest.Axe(t, b.ctx)

	// Edit by keyboard: a bad e-mail first.
	b.tabTo("#contact-edit-email")
	js[bool](b, `(document.activeElement.select(), true)`)
	b.keys("not-an-email")
	b.tabTo("#contact-edit-phone")
	b.keys("+4915112345678")
	b.tabTo(`form.stack button[type="submit"]`)
	b.keys(kb.Enter)
	b.waitFor("the refusal", `document.getElementById("contact-error") !== null`)
	if got := js[string](b, `document.getElementById("contact-error").textContent`); got != "Email Invalid email" {
		t.Errorf("the refusal says %q", got)
	}
	if got := js[string](b, `document.getElementById("contact-edit-email").value + " " + document.getElementById("contact-edit-phone").value`); got != "not-an-email +4915112345678" {
		t.Errorf("after the refusal the form holds %q, want what was typed", got)
	}
	if js[string](b, `document.getElementById("contact-edit-email").getAttribute("aria-invalid")`) != "true" {
		t.Error("the refused e-mail field is not marked invalid")
	}
	browsertest.Axe(t, b.ctx)
	b.shot("agent-contact-refused")

	b.tabTo("#contact-edit-email")
	js[bool](b, `(document.activeElement.select(), true)`)
	b.keys("casey.new@example.com")
	b.tabTo(`form.stack button[type="submit"]`)
	b.keys(kb.Enter)
	b.waitFor("the save", `document.getElementById("contact-saved") !== null`)
	if !b.has("casey.new@example.com") || !b.has("+4915112345678") {
		t.Error("the saved contact does not show the new e-mail and phone")
	}
	c, _, err := w.App.Contact(batontest.System(), w.account, js[int64](b, `+location.pathname.split("/").pop()`))
	if err != nil || c.Email != "casey.new@example.com" || c.PhoneNumber != "+4915112345678" {
		t.Errorf("the contact after the save: %v (%v)", c, err)
	}

	b.dark()
	b.open(fmt.Sprintf("/app/accounts/%d/contacts", w.account))
	b.waitFor("the contacts", `document.querySelectorAll("tbody tr").length === 4`)
	if bg := js[string](b, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(21, 24, 28)" {
		t.Errorf("dark mode's background is %s", bg)
	}
	browsertest.Axe(t, b.ctx)
	b.shot("agent-contacts-dark")

	// A phone, with a long name and address: the pages fit, the table
	// scrolls in its box.
	long := "Casey-" + strings.Repeat("Verylongsurname", 4)
	email := "casey.with.a.rather.long.address.for.testing@logistics-example.com"
	if _, _, err := w.App.CreateContact(batontest.System(), w.account, app.ContactInput{Name: &long, Email: &email,
		PhoneNumber: ptr("+4915112345679")}, 0, ""); err != nil {
		t.Fatal(err)
	}
	p := w.tab(t)
	p.phone()
	p.signIn(w.adminMail, password)
	p.waitFor("the queues", `location.pathname.endsWith("/conversations")`)
	p.open(fmt.Sprintf("/app/accounts/%d/contacts", w.account))
	p.waitFor("the contacts", `document.querySelectorAll("tbody tr").length === 5`)
	p.fits("phone-contacts")
	if js[float64](p, `(() => { const s = document.querySelector(".table-scroll"); return s.scrollWidth - s.clientWidth; })()`) <= 0 {
		t.Error("on a phone the contacts table does not scroll in its box (it has nothing to hide?)")
	}
	js[bool](p, `(document.querySelector(".table-scroll").scrollIntoView(), document.querySelector(".table-scroll").scrollLeft = 1000, true)`)
	p.shot("phone-contacts-scrolled")
	p.open(js[string](p, `document.querySelector("tbody th a").getAttribute("href")`))
	p.waitFor("the contact", `document.getElementById("contact-name") !== null`)
	p.fits("phone-contact")
}

// TestBrowserContactDelete: an administrator deletes a contact with the
// keyboard alone: the button without the box ticked is stopped by the
// browser, with the box ticked the contacts list comes back saying so.
func TestBrowserContactDelete(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Please forget me")
	c, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil {
		t.Fatal(err)
	}
	b := w.signedInTab(t, w.adminMail)
	b.open(fmt.Sprintf("/app/accounts/%d/contacts/%d", w.account, c.ContactID))
	b.waitFor("the contact", `!!document.getElementById("delete-confirm")`)
	b.shot("contact-delete")
	b.tabTo(`button.danger`)
	b.keys(kb.Enter)
	if !js[bool](b, `document.getElementById("delete-confirm").matches(":invalid")`) || !strings.HasSuffix(js[string](b, `location.pathname`), fmt.Sprint(c.ContactID)) {
		t.Error("the deletion went on without the box ticked")
	}
	b.tabTo("#delete-confirm")
	b.keys(" ")
	b.tabTo(`button.danger`)
	b.keys(kb.Enter)
	b.waitFor("the contacts", `location.pathname.endsWith("/contacts") && !!document.getElementById("contact-deleted")`)
	if n := js[int](b, `document.querySelectorAll("tbody tr").length`); n != 0 {
		t.Errorf("%d contacts left, want none", n)
	}
	b.shot("contact-deleted")
}
