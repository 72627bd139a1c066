package agent_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/browsertest"
)

// TestBrowserSearchFindsMessages: an agent searches the list for words
// only a message holds and finds its conversation, the row showing the
// message with the words marked and who wrote it (a private note said
// so), never a conversation of an inbox they do not work.
func TestBrowserSearchFindsMessages(t *testing.T) {
	t.Parallel()
	w := setup(t)
	casey := w.customer("Casey Customer", "casey@example.com", "Hi there")
	w.say("casey-customer", casey, "My <b>order</b> 5521 never arrived; I would like a refund, please.")
	w.say("casey-customer", casey, "Anyone?")
	w.handOff(casey, "Customer asked for a person", "Wants a refund")
	dora := w.customer("Dora Phone", "dora@example.com", "Where is my parcel?")
	w.handOff(dora, "Customer asked for a person", "Called about a parcel", "Dora gave ORDER 5521 as hers on the phone")
	eve := w.customer("Eve Browsing", "eve@example.com", "Just looking at orders")
	w.handOff(eve, "Customer asked for a person", "Browsing")
	// A conversation of an inbox the agent does not work, which says the
	// same words.
	other := w.NewInbox(w.account, "Wholesale API", baton.ChannelAPI)
	ctx := baton.NewContextWithCredential(context.Background(),
		baton.ContactCredential{InboxIdentifier: other.Identifier, SourceID: "walt"})
	if _, _, err := w.App.PublicCreateContact(ctx, app.PublicContactInput{SourceID: "walt",
		ContactInput: app.ContactInput{Name: ptr("Walt Wholesale")}}); err != nil {
		t.Fatal(err)
	}
	c, err := w.App.PublicCreateConversation(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.App.PublicCreateMessage(ctx, c.DisplayID, app.PublicMessageInput{Content: ptr("Order 5521 for the wholesale account")}); err != nil {
		t.Fatal(err)
	}

	b := w.signedInTab(t, w.agentMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=open", w.account))
	b.waitFor("the list", `document.getElementById("f-q") !== null`)
	hint := js[string](b, `document.getElementById(document.getElementById("f-q").getAttribute("aria-describedby")).textContent`)
	if !strings.Contains(hint, "words a message holds") || !strings.Contains(hint, "90 days") || !strings.Contains(hint, "private notes") {
		t.Errorf("the search's hint says %q", hint)
	}
	b.tabTo("#f-q")
	b.keys("order 5521" + kb.Enter)
	b.waitFor("the results", `location.search.includes("q=order+5521") && document.readyState === "complete"`)
	rows := js[[]string](b, `[...document.querySelectorAll("tr[data-conversation]")].map(r => r.dataset.conversation).sort()`)
	if want := []string{fmt.Sprint(casey), fmt.Sprint(dora)}; strings.Join(rows, ",") != strings.Join(want, ",") {
		t.Errorf("searching order 5521 found rows %v, want Casey's and Dora's %v (not Eve's, nor the other inbox's %d)", rows, want, c.DisplayID)
	}
	match := func(id int64, what string) string {
		return js[string](b, fmt.Sprintf(`(() => { const m = document.querySelector('tr[data-conversation="%d"] .match'); return m ? %s : "none"; })()`, id, what))
	}
	if got := match(casey, `m.innerText`); got != "Customer: My <b>order</b> 5521 never arrived; I would like a refund, please." {
		t.Errorf("Casey's row shows %q", got)
	}
	if got := match(casey, `[...m.querySelectorAll("mark")].map(e => e.textContent).join("|")`); got != "order|5521" {
		t.Errorf("Casey's row marks %q, want order and 5521", got)
	}
	if got := match(casey, `String(m.querySelectorAll("b, script").length)`); got != "0" {
		t.Errorf("the customer's text was made HTML: %s elements", got)
	}
	if got := match(dora, `m.querySelector(".match-from").textContent + " " + [...m.querySelectorAll("mark")].map(e => e.textContent).join("|")`); got != "Private note: ORDER|5521" {
		t.Errorf("Dora's row shows %q, want the private note with ORDER and 5521 marked", got)
	}
	b.shot("agent-search-message")
	browsertest.Axe(t, b.ctx)

	// A search the contact alone answers shows no excerpt; one that
	// nothing answers says so.
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=open&q=Eve", w.account))
	b.waitFor("Eve's row", fmt.Sprintf(`document.querySelector('tr[data-conversation="%d"]') !== null`, eve))
	if got := match(eve, `m.innerText`); got != "none" {
		t.Errorf("a contact's match shows an excerpt %q", got)
	}
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=open&q=wholesale", w.account))
	b.waitFor("nothing found", `document.body.innerText.includes("Nothing in All open matches")`)

	// The administrator, who works every inbox, finds the other inbox's.
	a := w.signedInTab(t, w.adminMail)
	a.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=open&q=wholesale", w.account))
	a.waitFor("the other inbox's row", fmt.Sprintf(`document.querySelector('tr[data-conversation="%d"] .match mark') !== null`, c.DisplayID))
}
