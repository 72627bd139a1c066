package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestOneConversationUnderConcurrency: a widget visitor's first messages
// sent at once start one conversation, not one each; an inbox locked to
// one conversation a contact gives a contact one, however many creates
// arrive at once. The rule is held by a lock, so it holds on PostgreSQL,
// where transactions run side by side.
func TestOneConversationUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		const n = 20
		at := func(fn func() error) {
			t.Helper()
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Go(func() { errs <- fn() })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		count := func(contactID int64) int {
			t.Helper()
			cs, err := w.app.ContactConversations(w.admin, w.account.ID, contactID)
			if err != nil {
				t.Fatal(err)
			}
			return len(cs)
		}

		visitor, visitorContact := w.visitor(t)
		at(func() error {
			_, err := w.app.WidgetCreateMessage(visitor, app.WidgetMessageInput{Content: ptr("hello")})
			return err
		})
		if got := count(visitorContact.ID); got != 1 {
			t.Errorf("%d first messages at once from one visitor made %d conversations, want 1", n, got)
		}
		// Once it is resolved, in an inbox that takes no messages after
		// that, the next messages at once start one more.
		if _, err := w.app.UpdateInbox(w.admin, w.account.ID, w.widget.ID, app.InboxInput{AllowMessagesAfterResolved: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.app.WidgetResolve(visitor); err != nil {
			t.Fatal(err)
		}
		at(func() error {
			_, err := w.app.WidgetCreateMessage(visitor, app.WidgetMessageInput{Content: ptr("again")})
			return err
		})
		if got := count(visitorContact.ID); got != 2 {
			t.Errorf("%d messages at once after the conversation was resolved made %d conversations in all, want 2", n, got)
		}

		if _, err := w.app.UpdateInbox(w.admin, w.account.ID, w.api.ID, app.InboxInput{LockToSingleConversation: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		c, _, err := w.app.PublicCreateContact(w.publicCaller(""), app.PublicContactInput{SourceID: "single"})
		if err != nil {
			t.Fatal(err)
		}
		at(func() error {
			_, err := w.app.PublicCreateConversation(w.publicCaller("single"), nil)
			return err
		})
		if got := count(c.ID); got != 1 {
			t.Errorf("%d creates at once in an inbox locked to one conversation made %d conversations, want 1", n, got)
		}
	})
}

// TestTakeOverAtOnce: two people who saw the same conversation waiting
// take it over at once: one has it, the other is told who was first, and
// nothing of theirs was done. Seeing it as theirs, or sending no sight,
// takes it whatever changed.
func TestTakeOverAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		other := actAs(t, w.app, w.account.ID, fmt.Sprintf("second%d@acme.test", w.account.ID), "administrator")
		for round := range 5 {
			c := w.customer(t, fmt.Sprintf("casey-%d", round))
			if key := app.OwnerKey(c); key != "waiting" {
				t.Fatalf("a new conversation without a bot is %q, want waiting", key)
			}
			errs := make(chan error, 2)
			for _, who := range []context.Context{w.admin, other} {
				go func() {
					_, err := w.app.TakeOver(who, w.account.ID, c.DisplayID, "waiting")
					errs <- err
				}()
			}
			var won, lost int
			for range 2 {
				switch err := <-errs; {
				case err == nil:
					won++
				case baton.ErrorCode(err) == baton.ECONFLICT && strings.Contains(baton.ErrorMessage(err), "took this conversation over first"):
					lost++
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if won != 1 || lost != 1 {
				t.Fatalf("round %d: %d took it over and %d were told, want one each", round, won, lost)
			}
			got, err := w.app.Conversation(w.admin, w.account.ID, c.DisplayID)
			if err != nil || got.AssigneeID == 0 || got.Status != baton.StatusOpen {
				t.Fatalf("round %d: after the race the conversation is %v, assignee %d (%v)", round, got.Status, got.AssigneeID, err)
			}
			// The loser, knowing now, takes it; so does anyone who asks
			// without saying what they saw.
			loser := other
			if got.AssigneeID != baton.ActorFromContext(w.admin).User.ID {
				loser = w.admin
			}
			if got, err = w.app.TakeOver(loser, w.account.ID, c.DisplayID, app.OwnerKey(got)); err != nil || got.AssigneeID != baton.ActorFromContext(loser).User.ID {
				t.Fatalf("round %d: taking it over knowingly: %v", round, err)
			}
			if _, err = w.app.TakeOver(other, w.account.ID, c.DisplayID, ""); err != nil {
				t.Fatalf("round %d: taking it over without a sight: %v", round, err)
			}
		}
	})
}

// TestSnoozeEnds: a conversation snoozed until a time reopens once that
// time has passed, with an activity message saying why, and only then; one
// snoozed until the customer replies stays snoozed.
func TestSnoozeEnds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var now atomic.Int64
		now.Store(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC).UnixMicro())
		w := setup(t, s, func(c *app.Config) { c.Now = func() time.Time { return time.UnixMicro(now.Load()) } })
		at := func(d time.Duration) *time.Time { v := time.UnixMicro(now.Load()).Add(d).UTC(); return &v }
		soon, later, untilReply := w.customer(t, "soon"), w.customer(t, "later"), w.customer(t, "reply")
		for _, c := range []struct {
			c     *baton.Conversation
			until *time.Time
		}{{soon, at(time.Hour)}, {later, at(3 * time.Hour)}, {untilReply, nil}} {
			if _, err := w.app.ToggleStatus(w.admin, w.account.ID, c.c.DisplayID, app.StatusChange{Status: ptr("snoozed"), SnoozedUntil: c.until}); err != nil {
				t.Fatal(err)
			}
		}
		status := func(c *baton.Conversation) baton.Status {
			t.Helper()
			got, err := w.app.Conversation(w.admin, w.account.ID, c.DisplayID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Status
		}
		wake := func() int {
			t.Helper()
			n, err := w.app.WakeSnoozed(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := wake(); n != 0 {
			t.Fatalf("before any snooze ended, %d reopened", n)
		}
		now.Add((2 * time.Hour).Microseconds())
		if n := wake(); n != 1 {
			t.Fatalf("an hour after the first snooze ended, %d reopened, want 1", n)
		}
		if got := status(soon); got != baton.StatusOpen {
			t.Errorf("the conversation whose snooze ended is %v, want open", got)
		}
		if got, got2 := status(later), status(untilReply); got != baton.StatusSnoozed || got2 != baton.StatusSnoozed {
			t.Errorf("the others are %v and %v, want both snoozed", got, got2)
		}
		page, err := w.app.Messages(w.admin, w.account.ID, soon.DisplayID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		last := page.Messages[len(page.Messages)-1]
		if last.MessageType != baton.MessageActivity || last.Content == nil || *last.Content != "The snooze ended: the conversation was reopened" {
			t.Errorf("the last message is %v %v, want the activity saying the snooze ended", last.MessageType, last.Content)
		}
		if n := wake(); n != 0 {
			t.Errorf("looking again reopened %d", n)
		}
		now.Add((2 * time.Hour).Microseconds())
		if n := wake(); n != 1 || status(later) != baton.StatusOpen {
			t.Errorf("after the second snooze ended, %d reopened and it is %v", n, status(later))
		}
		if got := status(untilReply); got != baton.StatusSnoozed {
			t.Errorf("snoozed until the customer replies, it is %v after hours", got)
		}
	})
}

// TestSearchWords: a search's words are split at spaces, their ASCII
// letters lower case (others as typed, for the database to lower), each
// once, and at most MaxSearchWords.
func TestSearchWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"  Order   5521 ", "order|5521"},
		{"REFUND refund Refund", "refund"},
		{"Émile ÉMILE émile", "Émile|émile"},
		{"a b c d e f g", "a|b|c|d|e"},
		{"", ""},
	} {
		if got := strings.Join(app.SearchWords(c.in), "|"); got != c.want {
			t.Errorf("SearchWords(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestSnoozedUntilBounds: a snooze ends in the future and by the end of
// the year 9999 (the last second is taken); a time past it, which the
// agent app's chosen time with a time zone west of UTC could make of
// 9999-12-31, is refused and changes nothing, as one in the past is.
func TestSnoozedUntilBounds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		c := w.customer(t, "bounds")
		snooze := func(until time.Time) error {
			_, err := w.app.ToggleStatus(w.admin, w.account.ID, c.DisplayID, app.StatusChange{Status: ptr("snoozed"), SnoozedUntil: &until})
			return err
		}
		for _, until := range []time.Time{time.Date(10000, 1, 1, 13, 59, 0, 0, time.UTC), time.Now().Add(-time.Minute)} {
			var be *baton.Error
			if err := snooze(until); !errors.As(err, &be) || be.Code != baton.EINVALID || be.Attributes[0] != "snoozed_until" {
				t.Errorf("snoozed until %v: %v, want invalid snoozed_until", until, err)
			}
			got, err := w.app.Conversation(w.admin, w.account.ID, c.DisplayID)
			if err != nil || got.Status != baton.StatusOpen || got.SnoozedUntil != nil {
				t.Errorf("after a refused snooze until %v: %v until %v (%v)", until, got.Status, got.SnoozedUntil, err)
			}
		}
		last := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
		if err := snooze(last); err != nil {
			t.Fatalf("snoozed until the last second of 9999: %v", err)
		}
		got, err := w.app.Conversation(w.admin, w.account.ID, c.DisplayID)
		if err != nil || got.Status != baton.StatusSnoozed || got.SnoozedUntil == nil || !got.SnoozedUntil.Equal(last) {
			t.Errorf("snoozed until the last second of 9999: %v until %v (%v)", got.Status, got.SnoozedUntil, err)
		}
	})
}

// TestWidgetLabels: a widget visitor adds only labels of the form
// Chatwoot's label titles have (letters of any script, digits, - and _),
// as Chatwoot's widget adds only the account's labels; markup, line
// breaks and control or bidirectional characters are refused and the
// conversation keeps its labels. Any label may be taken off.
func TestWidgetLabels(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		visitor, _ := w.visitor(t)
		if _, err := w.app.WidgetCreateMessage(visitor, app.WidgetMessageInput{Content: ptr("hello")}); err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{"<b>vip</b>", "a\nb", "a\tb", "refund\u202egpj", "zero\u200bwidth", "x:y", "a/b"} {
			if _, err := w.app.WidgetLabel(visitor, l, true); !errors.Is(err, &baton.Error{Code: baton.EINVALID}) {
				t.Errorf("label %q: %v, want invalid", l, err)
			}
		}
		var c *baton.Conversation
		var err error
		for _, l := range []string{"Pre-Sales", "café", "訂單_2"} {
			if c, err = w.app.WidgetLabel(visitor, l, true); err != nil {
				t.Fatalf("label %q: %v", l, err)
			}
		}
		if want := []string{"pre-sales", "café", "訂單_2"}; !slices.Equal(c.Labels, want) {
			t.Fatalf("labels %q, want %q", c.Labels, want)
		}
		if c, err = w.app.WidgetLabel(visitor, "café", false); err != nil || slices.Contains(c.Labels, "café") {
			t.Fatalf("taking a label off: %v, labels %q", err, c.Labels)
		}
	})
}

// TestLabelsBounded: a conversation holds at most 100 labels however they
// come (a list of labels, repeats counted once); more is refused and the
// conversation keeps the labels it had. One request set 110,000 labels,
// each then in every payload of the conversation.
func TestLabelsBounded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		c := w.customer(t, "many-labels")
		labels := func(n int) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprintf("l%d", i)
			}
			return out
		}
		got, err := w.app.SetLabels(w.admin, w.account.ID, c.DisplayID, append(labels(100), labels(50)...))
		if err != nil || len(got.Labels) != 100 {
			t.Fatalf("100 labels and 50 repeats: %v, %d labels", err, len(got.Labels))
		}
		for _, n := range []int{101, 100000} {
			if _, err := w.app.SetLabels(w.admin, w.account.ID, c.DisplayID, labels(n)); !errors.Is(err, &baton.Error{Code: baton.EINVALID}) {
				t.Errorf("%d labels: %v, want invalid", n, err)
			}
		}
		if got, err = w.app.Conversation(w.admin, w.account.ID, c.DisplayID); err != nil || len(got.Labels) != 100 {
			t.Fatalf("after the refusals: %v, %d labels", err, len(got.Labels))
		}
	})
}

// TestLabelsFilterBounded: the list's labels filter names at most 100
// labels, as many as a conversation has (422 past it); each is a condition
// of the statement, and 2,000 were a 500 on SQLite (its expression tree
// too deep).
func TestLabelsFilterBounded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		c := w.customer(t, "filtered")
		labels := make([]string, 100)
		for i := range labels {
			labels[i] = fmt.Sprintf("l%d", i)
		}
		if _, err := w.app.SetLabels(w.admin, w.account.ID, c.DisplayID, labels); err != nil {
			t.Fatal(err)
		}
		list, err := w.app.Conversations(w.admin, w.account.ID, app.ConversationQuery{Status: "all", Labels: labels})
		if err != nil || len(list.Conversations) != 1 {
			t.Fatalf("100 labels: %v, want the conversation", err)
		}
		for _, n := range []int{101, 2000} {
			many := make([]string, n)
			for i := range many {
				many[i] = fmt.Sprintf("l%d", i)
			}
			if _, err := w.app.Conversations(w.admin, w.account.ID, app.ConversationQuery{Status: "all", Labels: many}); !errors.Is(err, &baton.Error{Code: baton.EINVALID}) {
				t.Errorf("%d labels: %v, want invalid", n, err)
			}
		}
	})
}

// TestSearchBounded: a search holds at most app.MaxSearchLength bytes,
// wherever it is made (the conversations' q and the agent app's search,
// the contacts', the canned responses'); a longer one is refused before
// any database reads it. Each is matched with LIKE at a cost of the text
// read times the search's length: a search of 4,000 characters took 7 s
// over three long messages.
func TestSearchBounded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		searches := map[string]func(string) error{
			"conversations q": func(q string) error {
				_, err := w.app.Conversations(w.agent, w.account.ID, app.ConversationQuery{Query: q})
				return err
			},
			"conversations search": func(q string) error {
				_, err := w.app.Conversations(w.agent, w.account.ID, app.ConversationQuery{Search: q})
				return err
			},
			"conversation counts": func(q string) error {
				_, err := w.app.ConversationCounts(w.agent, w.account.ID, app.ConversationQuery{Search: q})
				return err
			},
			"contacts": func(q string) error {
				_, _, _, err := w.app.Contacts(w.agent, w.account.ID, q, 1, false)
				return err
			},
			"canned responses": func(q string) error {
				_, err := w.app.CannedResponses(w.agent, w.account.ID, q)
				return err
			},
			"canned choices": func(q string) error {
				_, err := w.app.SearchCannedResponses(w.agent, w.account.ID, q, 10)
				return err
			},
		}
		for name, search := range searches {
			if err := search(strings.Repeat("é", app.MaxSearchLength/2)); err != nil {
				t.Errorf("%s: a search of %d bytes: %v", name, app.MaxSearchLength, err)
			}
			if err := search(strings.Repeat("a", app.MaxSearchLength+1)); !errors.Is(err, &baton.Error{Code: baton.EINVALID}) {
				t.Errorf("%s: a search of %d bytes: %v, want invalid", name, app.MaxSearchLength+1, err)
			}
		}
	})
}

// TestLabelsFilterAnyCase: the list's labels filter finds a label in any
// case, as labels are kept lower case (Chatwoot's tagged_with matches
// any case too): on PostgreSQL VIP found no conversation labelled vip,
// and on SQLite CAFÉ none labelled café, where SQLite's LIKE folded VIP.
func TestLabelsFilterAnyCase(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		c := w.customer(t, "labelled")
		if _, err := w.app.SetLabels(w.admin, w.account.ID, c.DisplayID, []string{"VIP", "Café"}); err != nil {
			t.Fatal(err)
		}
		w.customer(t, "unlabelled")
		for _, l := range []string{"vip", "VIP", "Vip", "café", "CAFÉ", " vip "} {
			list, err := w.app.Conversations(w.admin, w.account.ID, app.ConversationQuery{Status: "all", Labels: []string{l}})
			if err != nil || len(list.Conversations) != 1 || list.Conversations[0].ID != c.ID {
				t.Errorf("label %q: %v, %d conversations, want the labelled one", l, err, len(list.Conversations))
			}
		}
	})
}

// TestHandBack: a person hands a conversation back to its bot in one
// transaction: the note as their private note first, then unassigned and
// pending, with an activity message each; a note the conversation cannot
// take (too long) changes nothing at all; a conversation with its bot
// already takes the note and stays as it is. Both databases.
func TestHandBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		c := w.customer(t, "casey")
		if _, err := w.app.TakeOver(w.admin, w.account.ID, c.DisplayID, ""); err != nil {
			t.Fatal(err)
		}
		messages := func() []*baton.Message {
			t.Helper()
			p, err := w.app.Messages(w.admin, w.account.ID, c.DisplayID, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			return p.Messages
		}
		before := len(messages())

		_, err := w.app.HandBack(w.admin, w.account.ID, c.DisplayID, strings.Repeat("x", 150_001))
		if baton.ErrorCode(err) != baton.EINVALID {
			t.Fatalf("a note too long: %v, want invalid", err)
		}
		got, err := w.app.Conversation(w.admin, w.account.ID, c.DisplayID)
		if err != nil || got.Status != baton.StatusOpen || got.AssigneeID == 0 || len(messages()) != before {
			t.Fatalf("after a refused hand-back: %v, assignee %d, %d messages (was %d) (%v)", got.Status, got.AssigneeID, len(messages()), before, err)
		}

		got, err = w.app.HandBack(w.admin, w.account.ID, c.DisplayID, "Order found, please confirm delivery")
		if err != nil || got.Status != baton.StatusPending || got.AssigneeID != 0 {
			t.Fatalf("the hand-back: %v, assignee %d (%v)", got.Status, got.AssigneeID, err)
		}
		ms := messages()[before:]
		var kinds []string
		for _, m := range ms {
			kinds = append(kinds, fmt.Sprintf("%v private=%v %s", m.MessageType, m.Private, *m.Content))
		}
		if len(ms) != 3 || !ms[0].Private || *ms[0].Content != "Order found, please confirm delivery" || ms[0].SenderType != baton.SenderUser ||
			ms[1].MessageType != baton.MessageActivity || ms[2].MessageType != baton.MessageActivity {
			t.Errorf("the hand-back wrote %q, want the note, then the unassignment and the status", kinds)
		}

		got, err = w.app.HandBack(w.admin, w.account.ID, c.DisplayID, "One more thing")
		if err != nil || got.Status != baton.StatusPending || len(messages()) != before+4 {
			t.Errorf("a second hand-back: %v, %d messages (%v), want the note alone", got.Status, len(messages())-before, err)
		}
	})
}

// TestEditCustomAttributes: a person's edit sets some custom attributes
// and removes others, leaving the rest (a bot's) as they are. Both
// databases.
func TestEditCustomAttributes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		c := w.customer(t, "casey")
		if _, err := w.app.SetCustomAttributes(w.admin, w.account.ID, c.DisplayID, map[string]any{"bot": "kept", "old": "gone", "n": 1}); err != nil {
			t.Fatal(err)
		}
		got, err := w.app.EditCustomAttributes(w.admin, w.account.ID, c.DisplayID, map[string]any{"n": 2.5, "new": "here"}, []string{"old", "absent"})
		if err != nil {
			t.Fatal(err)
		}
		again, err := w.app.Conversation(w.admin, w.account.ID, c.DisplayID)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []map[string]any{got.CustomAttributes, again.CustomAttributes} {
			if len(v) != 3 || v["bot"] != "kept" || v["n"] != 2.5 || v["new"] != "here" {
				t.Errorf("after the edit: %v", v)
			}
		}
		if _, err := w.app.EditCustomAttributes(w.agent, w.account.ID, c.DisplayID, map[string]any{"x": 1}, nil); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("an agent of no inbox: %v, want not found", err)
		}
	})
}
