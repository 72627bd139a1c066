package agent_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/batontest"
)

func TestHandoffTakeOverReplyHandBack(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Where is my order?")
	w.handOff(id, "Refund over 100 EUR needs a person", "Casey's parcel A-1234 arrived damaged; wants a refund.",
		"Order number: A-1234", "E-mail confirmed: casey@example.com")
	b := w.browser()
	list := b.signIn(w.agentMail, password)
	if !strings.Contains(list.body, "Casey Customer") || !strings.Contains(list.body, "Waiting") {
		t.Fatalf("the waiting queue does not show the handed-off conversation:\n%s", list.body)
	}
	if !strings.Contains(list.body, `data-count="waiting">1<`) {
		t.Errorf("waiting count is not 1")
	}
	conv := fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)
	p := b.get(conv)
	for _, want := range []string{"Handed over by Order Bot", "Refund over 100 EUR needs a person", "Order number: A-1234",
		"arrived damaged; wants a refund.", "E-mail confirmed", "Private note", "Take over", "Hand back to bot", "Resolve", `<label for="reply-content">Reply</label>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("conversation page lacks %q", want)
		}
	}
	csrf := p.csrf(t)

	if r := b.post(conv+"/take_over", url.Values{"csrf_token": {csrf}}); r.status != http.StatusOK {
		t.Fatalf("take over: %d", r.status)
	}
	c, _ := w.App.Conversation(batontest.System(), w.account, id)
	if c.AssigneeID != w.agentID || c.Status.String() != "open" {
		t.Fatalf("after take over: assignee %d status %s", c.AssigneeID, c.Status)
	}
	if r := b.post(conv+"/messages", url.Values{"csrf_token": {csrf}, "content": {"Hi Casey, <b>Sam</b> here."}}); r.status != http.StatusOK {
		t.Fatalf("reply: %d %s", r.status, r.body)
	}
	if r := b.post(conv+"/messages", url.Values{"csrf_token": {csrf}, "content": {"Checked the warehouse"}, "private_note": {"1"}}); r.status != http.StatusOK {
		t.Fatalf("note: %d", r.status)
	}
	p = b.get(conv)
	if !strings.Contains(p.body, "Hi Casey, &lt;b&gt;Sam&lt;/b&gt; here.") {
		t.Error("the reply is missing or not escaped")
	}
	if !strings.Contains(p.body, "Checked the warehouse") {
		t.Error("the private note is missing")
	}
	w.bot.wait(t, "the reply", func(e map[string]any) bool {
		return e["event"] == "message_created" && e["content"] == "Hi Casey, <b>Sam</b> here."
	})

	if r := b.post(conv+"/hand_back", url.Values{"csrf_token": {csrf}, "note": {"Order found, please confirm delivery"}}); r.status != http.StatusOK {
		t.Fatalf("hand back: %d", r.status)
	}
	c, _ = w.App.Conversation(batontest.System(), w.account, id)
	if c.Status.String() != "pending" || c.AssigneeID != 0 {
		t.Fatalf("after hand back: status %s assignee %d", c.Status, c.AssigneeID)
	}
	w.bot.wait(t, "the status change to pending", func(e map[string]any) bool {
		return e["event"] == "conversation_status_changed" && e["status"] == "pending"
	})
	w.bot.wait(t, "the note to the bot", func(e map[string]any) bool {
		return e["event"] == "message_created" && e["content"] == "Order found, please confirm delivery"
	})

	if r := b.post(conv+"/resolve", url.Values{"csrf_token": {csrf}}); r.status != http.StatusOK {
		t.Fatalf("resolve: %d", r.status)
	}
	if c, _ = w.App.Conversation(batontest.System(), w.account, id); c.Status.String() != "resolved" {
		t.Fatalf("after resolve: %s", c.Status)
	}
	if r := b.post(conv+"/reopen", url.Values{"csrf_token": {csrf}}); r.status != http.StatusOK {
		t.Fatalf("reopen: %d", r.status)
	}
	if c, _ = w.App.Conversation(batontest.System(), w.account, id); c.Status.String() != "open" {
		t.Fatalf("after reopen: %s", c.Status)
	}
}

func TestReplyToBotsConversationTakesItOver(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Dana", "dana@example.com", "Hello?")
	b := w.browser()
	b.signIn(w.agentMail, password)
	conv := fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)
	p := b.get(conv)
	if !strings.Contains(p.body, "Sending a reply takes it over from the bot") {
		t.Error("the page does not say that replying takes over")
	}
	b.post(conv+"/messages", url.Values{"csrf_token": {p.csrf(t)}, "content": {"Hi Dana"}})
	c, _ := w.App.Conversation(batontest.System(), w.account, id)
	if c.Status.String() != "open" || c.AssigneeID != w.agentID {
		t.Errorf("after replying: status %s assignee %d, want open and mine", c.Status, c.AssigneeID)
	}
}

func TestQueuesCountsAndSearch(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.customer("Bot Only", "bot@example.com", "hi")
	a := w.customer("Anna Waiting", "anna@example.com", "help")
	w.handOff(a, "help", "Anna needs help")
	z := w.customer("Zed Waiting", "zed@example.com", "help too")
	w.handOff(z, "help", "Zed needs help")
	b := w.browser()
	b.signIn(w.agentMail, password)
	base := fmt.Sprintf("/app/accounts/%d/conversations", w.account)
	p := b.get(base + "?queue=waiting")
	for key, n := range map[string]int{"waiting": 2, "bot": 1, "mine": 0, "open": 2, "resolved": 0} {
		if !strings.Contains(p.body, fmt.Sprintf(`data-count="%s">%d<`, key, n)) {
			t.Errorf("count of %s is not %d", key, n)
		}
	}
	if i, j := strings.Index(p.body, "Anna Waiting"), strings.Index(p.body, "Zed Waiting"); i < 0 || j < 0 || i > j {
		t.Errorf("waiting queue is not oldest first (Anna at %d, Zed at %d)", i, j)
	}
	if strings.Contains(p.body, "Bot Only") {
		t.Error("the waiting queue shows the bot's conversation")
	}
	// Each row says why it was handed over, and shows its labels.
	if !strings.Contains(p.body, `Handed over: </span>help Anna needs help</div>`) {
		t.Errorf("the waiting row does not say why it was handed over:\n%s", p.body)
	}
	if _, err := w.App.SetLabels(batontest.System(), w.account, a, []string{"refund"}); err != nil {
		t.Fatal(err)
	}
	if p = b.get(base + "?queue=waiting"); !strings.Contains(p.body, `<span class="badge label">refund</span>`) {
		t.Errorf("the waiting row does not show its label:\n%s", p.body)
	}
	bot := b.get(base + "?queue=bot")
	if !strings.Contains(bot.body, "Bot Only") || !strings.Contains(bot.body, ">Bot") {
		t.Error("the bot's queue does not show its conversation owned by Bot")
	}
	s := b.get(base + "?queue=open&q=ZED@example")
	if !strings.Contains(s.body, "Zed Waiting") || strings.Contains(s.body, "Anna Waiting") {
		t.Error("search by e-mail does not find exactly Zed")
	}
	s = b.get(base + "?queue=open&q=anna")
	if !strings.Contains(s.body, "Anna Waiting") || strings.Contains(s.body, "Zed Waiting") {
		t.Error("search by name does not find exactly Anna")
	}
	// By the conversation's number, with or without its #.
	for _, q := range []string{fmt.Sprint(z), fmt.Sprintf("%%23%d", z)} {
		if s = b.get(base + "?queue=open&q=" + q); !strings.Contains(s.body, "Zed Waiting") || strings.Contains(s.body, "Anna Waiting") {
			t.Errorf("search for %s does not find exactly Zed's conversation", q)
		}
	}
	// Nothing in this queue: the queues where it is are offered.
	s = b.get(base + "?queue=mine&q=anna")
	if !strings.Contains(s.body, "Nothing in Mine matches “anna”.") || !strings.Contains(s.body, ">Waiting: 1</a>") {
		t.Errorf("an empty search does not say where it matches:\n%s", s.body)
	}
}

func TestTeamQueue(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Tia Team", "tia@example.com", "help")
	w.handOff(id, "billing", "Tia has a billing question")
	other := w.customer("Otto Other", "otto@example.com", "help")
	w.handOff(other, "help", "Otto needs help")
	admin := w.browser()
	p := admin.signIn(w.adminMail, password)
	csrf := p.csrf(t)
	set := fmt.Sprintf("/app/accounts/%d/settings", w.account)
	team := admin.post(set+"/teams", url.Values{"csrf_token": {csrf}, "name": {"Billing"}})
	if team.status != http.StatusOK || !strings.Contains(team.body, "Billing") {
		t.Fatalf("new team: %d", team.status)
	}
	teamPath := team.url
	admin.post(teamPath+"/members", url.Values{"csrf_token": {csrf}, "member": {fmt.Sprint(w.agentID)}})
	teamID := teamPath[strings.LastIndex(teamPath, "/")+1:]
	conv := fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)
	if r := admin.post(conv+"/team", url.Values{"csrf_token": {csrf}, "team_id": {teamID}}); r.status != http.StatusOK {
		t.Fatalf("assign team: %d %s", r.status, r.body)
	}
	b := w.browser()
	b.signIn(w.agentMail, password)
	q := b.get(fmt.Sprintf("/app/accounts/%d/conversations?queue=team", w.account))
	if !strings.Contains(q.body, "Tia Team") || strings.Contains(q.body, "Otto Other") || !strings.Contains(q.body, `data-count="team">1<`) {
		t.Errorf("the agent's team queue:\n%s", q.body)
	}
	f := b.get(fmt.Sprintf("/app/accounts/%d/conversations?queue=open&team_id=%s", w.account, teamID))
	if !strings.Contains(f.body, "Tia Team") || strings.Contains(f.body, "Otto Other") {
		t.Error("the team filter does not narrow the list")
	}
}

// TestResolveAndNextWithoutScript: the page's "Resolve and next" is a form
// that works without the script: it resolves (with the CSRF token, as every
// action) and goes to the conversations, where the next one is; Resolve
// alone comes back to the conversation.
func TestResolveAndNextWithoutScript(t *testing.T) {
	t.Parallel()
	w := setup(t)
	first := w.customer("Ann First", "ann@example.com", "Hello")
	w.handOff(first, "Customer asked for a person", "Ann")
	second := w.customer("Ben Second", "ben@example.com", "Hi")
	w.handOff(second, "Customer asked for a person", "Ben")
	b := w.browser()
	b.signIn(w.adminMail, password)
	conv := func(id int64) string { return fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id) }
	p := b.get(conv(first))
	if !strings.Contains(p.body, `data-resolve-next><input type="hidden" name="csrf_token"`) || !strings.Contains(p.body, "Resolve and next</button>") {
		t.Fatalf("the page has no Resolve and next form:\n%s", p.body)
	}
	csrf := p.csrf(t)
	if r := b.post(conv(first)+"/resolve", url.Values{"next": {"1"}}); r.status != http.StatusForbidden {
		t.Errorf("Resolve and next without the CSRF token: %d", r.status)
	}
	r := b.post(conv(first)+"/resolve", url.Values{"csrf_token": {csrf}, "next": {"1"}})
	if r.status != http.StatusOK || r.url != fmt.Sprintf("/app/accounts/%d/conversations", w.account) || !strings.Contains(r.body, "Ben Second") {
		t.Errorf("Resolve and next went to %s (%d)", r.url, r.status)
	}
	if c, _ := w.App.Conversation(batontest.System(), w.account, first); c.Status.String() != "resolved" {
		t.Errorf("Ann's conversation is %s", c.Status)
	}
	if r := b.post(conv(second)+"/resolve", url.Values{"csrf_token": {csrf}}); r.url != conv(second) {
		t.Errorf("Resolve went to %s, want back to the conversation", r.url)
	}
	if p := b.get(conv(second)); strings.Contains(p.body, "Resolve and next") {
		t.Error("a resolved conversation offers Resolve and next")
	}
}

// TestConversationHeaderSays: the conversation's header says since when
// the customer has waited for a reply (until someone answers), and its
// priority and labels (as text), so they show with the details hidden.
func TestConversationHeaderSays(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Where is my order?")
	w.handOff(id, "Customer asked for a person", "Casey wants a person")
	b := w.browser()
	b.signIn(w.adminMail, password)
	conv := fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)
	p := b.get(conv)
	if !strings.Contains(p.body, `<span id="waiting">Waiting for a reply since <time class="clock" datetime="`) {
		t.Errorf("the header does not say since when the customer waits:\n%s", p.body)
	}
	if strings.Contains(p.body, "Priority: <span") || strings.Contains(p.body, "Labels: <span") {
		t.Errorf("the header shows a priority or labels the conversation has not")
	}
	csrf := p.csrf(t)
	b.post(conv+"/priority", url.Values{"csrf_token": {csrf}, "priority": {"urgent"}})
	b.post(conv+"/labels", url.Values{"csrf_token": {csrf}, "labels": {"vip, <b>x</b>"}})
	b.post(conv+"/messages", url.Values{"csrf_token": {csrf}, "content": {"Looking into it"}})
	p = b.get(conv)
	for _, want := range []string{`Priority: <span class="badge">urgent</span>`, `<span class="badge label">vip</span>`,
		`<span class="badge label">&lt;b&gt;x&lt;/b&gt;</span>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the header lacks %s", want)
		}
	}
	if strings.Contains(p.body, `id="waiting"`) {
		t.Error("the header says the customer waits after a reply")
	}
}

// TestSnoozeChosenTimeBounds: a chosen time of 9999-12-31 in a zone west
// of UTC ends in the year 10000, which is refused with why (the API would
// answer it with a five-digit year); the conversation stays as it was.
func TestSnoozeChosenTimeBounds(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Hello")
	before, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	b.signIn(w.adminMail, password)
	conv := fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)
	r := b.post(conv+"/snooze", url.Values{"csrf_token": {b.get(conv).csrf(t)}, "until": {"custom"}, "at": {"9999-12-31T23:59"}, "tz": {"-840"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Snoozed until must be before the year 10000") {
		t.Errorf("snoozed until 9999-12-31 23:59 at UTC-14: %d", r.status)
	}
	c, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil || c.Status != before.Status || c.SnoozedUntil != nil {
		t.Errorf("after the refused snooze: %v until %v (%v)", c.Status, c.SnoozedUntil, err)
	}
}

// TestSearchFindsWhatIsWritten: the list's and the contacts' searches find
// what a message or a name spells, letters that are not ASCII included,
// in any case, on both databases (a search lowered by Go where the
// database lowers only ASCII letters found nothing for "Élodie"; SQLite's
// lower, which folds ASCII letters alone, nothing for "élodie").
func TestSearchFindsWhatIsWritten(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, w *world) {
		id := w.customer("Élodie Ærø", "elodie@example.com", "ÇA VA? Mon colis n'est pas arrivé.")
		w.handOff(id, "help", "")
		w.customer("Bob", "bob@example.com", "hello")
		b := w.browser()
		b.signIn(w.adminMail, password)
		list := fmt.Sprintf("/app/accounts/%d/conversations?queue=open&q=", w.account)
		for _, q := range []string{"Élodie", "élodie", "ÇA va", "Ça VA", "çA vA", "arrivé", "ARRIVÉ", "Ærø", "æRØ"} {
			p := b.get(list + url.QueryEscape(q))
			if p.status != http.StatusOK || !strings.Contains(p.body, "Élodie Ærø") || strings.Contains(p.body, ">Bob<") {
				t.Errorf("the list's search %q: %d, Élodie's conversation not (alone) in it", q, p.status)
			}
		}
		if p := b.get(list + url.QueryEscape("çA va")); !strings.Contains(p.body, "<mark>ÇA</mark> <mark>VA</mark>") {
			t.Errorf("the match's words are not marked:\n%s", p.body)
		}
		for _, q := range []string{"Élodie", "ÉLODIE", "élodie", "Ærø", "ÆRØ"} {
			p := b.get(fmt.Sprintf("/app/accounts/%d/contacts?q=%s", w.account, url.QueryEscape(q)))
			if names := rowNames(p); len(names) != 1 || names[0] != "Élodie Ærø" {
				t.Errorf("the contacts' search %q found %q", q, names)
			}
		}
	})
}

// TestMarkUnreadWithoutScript: Mark as unread posts with the CSRF token
// (refused without it, nothing changed), makes the conversation unread
// from the customer's newest message and goes to the conversations, which
// show it unread and say what was done. Another account's conversation is
// not found.
func TestMarkUnreadWithoutScript(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Ann First", "ann@example.com", "Hello")
	w.handOff(id, "Customer asked for a person", "Ann")
	w.say("ann-first", id, "Are you there?")
	b := w.browser()
	b.signIn(w.adminMail, password)
	conv := fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)
	p := b.get(conv)
	if !strings.Contains(p.body, `action="`+conv+`/unread" data-unread><input type="hidden" name="csrf_token"`) ||
		!strings.Contains(p.body, "Mark as unread</button>") {
		t.Fatalf("the page has no Mark as unread form:\n%s", p.body)
	}
	seen := func() int {
		c, err := w.App.Conversation(batontest.System(), w.account, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.UnreadCount
	}
	if n := seen(); n != 0 {
		t.Fatalf("opened, the conversation has %d unread", n)
	}
	if r := b.post(conv+"/unread", url.Values{}); r.status != http.StatusForbidden || seen() != 0 {
		t.Errorf("Mark as unread without the CSRF token: %d, %d unread", r.status, seen())
	}
	o := w.browser()
	landed := o.signIn(w.other, password)
	if r := o.post(conv+"/unread", url.Values{"csrf_token": {landed.csrf(t)}}); r.status != http.StatusNotFound || seen() != 0 {
		t.Errorf("Mark as unread from another account: %d, %d unread", r.status, seen())
	}
	r := b.post(conv+"/unread", url.Values{"csrf_token": {p.csrf(t)}})
	if r.status != http.StatusOK || r.url != fmt.Sprintf("/app/accounts/%d/conversations", w.account) {
		t.Fatalf("Mark as unread went to %s (%d)", r.url, r.status)
	}
	if n := seen(); n < 1 {
		t.Errorf("marked unread, the conversation has %d unread", n)
	}
	if !strings.Contains(r.body, fmt.Sprintf("Conversation #%d marked as unread.", id)) || !strings.Contains(r.body, `class="badge unread"`) {
		t.Errorf("the list does not say it, or show it unread:\n%s", r.body)
	}
}

// TestLabelsJSON: the labels field's suggestions are the labels the
// account's conversations use, each once, in order; another account's
// member gets nothing of them.
func TestLabelsJSON(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sys := batontest.System()
	for i, labels := range [][]string{{"vip", "billing"}, {"billing", "bug"}, {}} {
		id := w.customer(fmt.Sprintf("Customer %d", i), fmt.Sprintf("c%d@example.com", i), "Hello")
		if _, err := w.App.SetLabels(sys, w.account, id, labels); err != nil {
			t.Fatal(err)
		}
	}
	b := w.browser()
	b.signIn(w.agentMail, password)
	path := fmt.Sprintf("/app/accounts/%d/labels", w.account)
	if p := b.get(path); p.status != http.StatusOK || strings.TrimSpace(p.body) != `{"labels":["billing","bug","vip"]}` {
		t.Errorf("the labels: %d %s", p.status, p.body)
	}
	o := w.browser()
	o.signIn(w.other, password)
	if p := o.get(path); p.status != http.StatusNotFound || strings.Contains(p.body, "billing") {
		t.Errorf("another account's member: %d %s", p.status, p.body)
	}
}
