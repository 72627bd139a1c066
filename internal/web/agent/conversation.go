package agent

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// ListPageSize is how many conversations a queue page shows.
const ListPageSize = 50

// queue is one of the lists people work from.
type queue struct {
	Key   string
	Label string
	query app.ConversationQuery
}

// queues, in the order the navigation shows them. The bot's are pending;
// waiting are open and unassigned, oldest-waiting first.
var queues = []queue{
	{"waiting", "Waiting", app.ConversationQuery{Queue: app.QueueWaiting}},
	{"mine", "Mine", app.ConversationQuery{Queue: app.QueueMine}},
	{"bot", "Bot", app.ConversationQuery{Status: "pending", AssigneeType: "all"}},
	{"team", "Team", app.ConversationQuery{Queue: app.QueueTeam}},
	{"open", "All open", app.ConversationQuery{Status: "open", AssigneeType: "all"}},
	{"snoozed", "Snoozed", app.ConversationQuery{Status: "snoozed", AssigneeType: "all"}},
	{"resolved", "Resolved", app.ConversationQuery{Status: "resolved", AssigneeType: "all"}},
}

func findQueue(key string) queue {
	for _, q := range queues {
		if q.Key == key {
			return q
		}
	}
	return queues[0]
}

// queueCount is a queue with its count, for the navigation.
type queueCount struct {
	Key     string
	Label   string
	Count   int
	Current bool
	URL     string
}

// row is one conversation of a list.
type row struct {
	DisplayID   int64
	URL         string
	Contact     string
	Email       string
	Inbox       string
	LastMessage string
	LastFrom    string
	Owner       string
	OwnerKind   string // bot, waiting, person, resolved
	Waited      string
	WaitedSince string
	Priority    string
	Labels      []string
	Unread      int
	Why         string // why it was handed to people, while it is theirs
	Match       *match // why a search found it, when a message did
}

// match is why a search found a conversation: an excerpt of its newest
// message that holds the search's words, the words marked.
type match struct {
	From  string // who wrote it, as the transcript names them, or "Private note"
	Note  bool
	Parts []part
}

// part is a piece of an excerpt, marked where it is one of the words.
type part struct {
	Text string
	Mark bool
}

type listPage struct {
	base
	Queue   string
	Label   string
	Queues  []queueCount
	Rows    []row
	Inboxes []*baton.Inbox
	InboxID int64
	Teams   []*baton.Team
	TeamID  int64
	Search  string
	// SearchDays is how recently a conversation was active for the search
	// to read its messages (app.SearchWindow), as the hint says.
	SearchDays int
	Page       int
	NextURL    string
	PrevURL    string
	// The bulk bar: the people conversations may be assigned to, where
	// its form comes back to, and what the last bulk action did (Notice,
	// an error when NoticeBad).
	People    []*baton.AccountUser
	Back      string
	Notice    string
	NoticeBad bool
}

// counts returns each queue's count under the filters, read in one
// statement. The team queue is the open conversations of the filter's
// team, which the open count then is.
func (h *Handler) counts(r *http.Request, accountID int64, filter app.ConversationQuery) (map[string]int, error) {
	byStatus, err := h.app.ConversationCounts(r.Context(), accountID, filter)
	if err != nil {
		return nil, err
	}
	open := byStatus[baton.StatusOpen]
	out := map[string]int{"waiting": open.Unassigned, "mine": open.Mine, "open": open.All,
		"bot": byStatus[baton.StatusPending].All, "snoozed": byStatus[baton.StatusSnoozed].All,
		"resolved": byStatus[baton.StatusResolved].All}
	if filter.TeamID != 0 {
		out["team"] = open.All
	}
	return out, nil
}

// listFilter reads the list's filters from the query string.
func listFilter(r *http.Request) (app.ConversationQuery, error) {
	inboxID, err := formID(r, "inbox_id")
	if err != nil {
		return app.ConversationQuery{}, err
	}
	teamID, err := formID(r, "team_id")
	if err != nil {
		return app.ConversationQuery{}, err
	}
	search := strings.TrimSpace(r.FormValue("q"))
	if len(search) > app.MaxSearchLength {
		search = strings.ToValidUTF8(search[:app.MaxSearchLength], "") // not half a character
	}
	return app.ConversationQuery{InboxID: inboxID, TeamID: teamID, Search: search}, nil
}

func (h *Handler) listConversations(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	accountID, err := pathID(r, "account_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	filter, err := listFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	teams, mine, err := h.app.Teams(r.Context(), accountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	qu := findQueue(r.FormValue("queue"))
	if qu.Key == "team" && filter.TeamID == 0 {
		// The team queue is the caller's first team's, or none.
		for _, t := range teams {
			if mine[t.ID] {
				filter.TeamID = t.ID
				break
			}
		}
		if filter.TeamID == 0 {
			qu = queues[0]
		}
	}
	page, _ := strconv.Atoi(r.FormValue("page"))
	page = max(page, 1)
	cq := qu.query
	cq.InboxID, cq.TeamID, cq.Search, cq.Page, cq.PageSize = filter.InboxID, filter.TeamID, filter.Search, page, ListPageSize
	cq.PageOnly = true // the queues' counts are read apart, all at once
	list, err := h.app.Conversations(r.Context(), accountID, cq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	counts, err := h.counts(r, accountID, filter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	inboxes, err := h.app.Inboxes(r.Context(), accountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	people, err := h.app.Agents(r.Context(), accountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	link := func(key string, page int) string {
		v := url.Values{"queue": {key}}
		if filter.InboxID != 0 {
			v.Set("inbox_id", itoa(filter.InboxID))
		}
		if filter.TeamID != 0 {
			v.Set("team_id", itoa(filter.TeamID))
		}
		if filter.Search != "" {
			v.Set("q", filter.Search)
		}
		if page > 1 {
			v.Set("page", strconv.Itoa(page))
		}
		return accountPath(accountID, "/conversations?"+v.Encode())
	}
	b.Title, b.Section = qu.Label+" · Conversations", "conversations"
	p := listPage{base: b, Queue: qu.Key, Label: qu.Label, Inboxes: inboxes, InboxID: filter.InboxID,
		Teams: teams, TeamID: filter.TeamID, Search: filter.Search, SearchDays: int(app.SearchWindow.Hours() / 24), Page: page,
		People: people, Back: r.URL.RequestURI()}
	p.Notice, p.NoticeBad = h.takeNotice(w, r, accountID)
	for _, q := range queues {
		if q.Key == "team" && filter.TeamID == 0 {
			continue // no team chosen and none of the caller's
		}
		p.Queues = append(p.Queues, queueCount{Key: q.Key, Label: q.Label, Count: counts[q.Key],
			Current: q.Key == qu.Key, URL: link(q.Key, 1)})
	}
	now := h.now()
	words := app.SearchWords(filter.Search)
	for _, c := range list.Conversations {
		rw := rowOf(now, accountID, c)
		if m := list.Matches[c.ID]; m != nil {
			rw.Match = matchOf(m, words)
		}
		p.Rows = append(p.Rows, rw)
	}
	if len(list.Conversations) == ListPageSize {
		p.NextURL = link(qu.Key, page+1)
	}
	if page > 1 {
		p.PrevURL = link(qu.Key, page-1)
	}
	h.render(w, http.StatusOK, "conversations", p)
}

// owner says who holds a conversation: the bot, nobody yet, or a person.
func owner(c *baton.Conversation) (name, kind string) {
	switch {
	case c.Status == baton.StatusPending:
		if c.AssigneeBot != nil {
			return "Bot (" + c.AssigneeBot.Name + ")", "bot"
		}
		return "Bot", "bot"
	case c.Assignee != nil:
		return c.Assignee.AvailableName(), "person"
	case c.Status == baton.StatusResolved:
		return "Resolved", "resolved"
	}
	return "Waiting", "waiting"
}

func contactName(c *baton.Contact) string {
	if c == nil {
		return "Unknown contact"
	}
	if c.Name != "" {
		return c.Name
	}
	if c.Email != "" {
		return c.Email
	}
	return "Contact " + itoa(c.ID)
}

func rowOf(now time.Time, accountID int64, c *baton.Conversation) row {
	rw := row{DisplayID: c.DisplayID, URL: accountPath(accountID, "/conversations/"+itoa(c.DisplayID)),
		Contact: contactName(c.Contact), Priority: c.Priority.String(), Labels: c.Labels, Unread: c.UnreadCount}
	if c.Contact != nil {
		rw.Email = c.Contact.Email
	}
	if c.Inbox != nil {
		rw.Inbox = c.Inbox.Name
	}
	rw.Owner, rw.OwnerKind = owner(c)
	if m := c.LastMessage; m != nil {
		rw.LastMessage = snippet(m)
		rw.LastFrom = roleLabels[senderKind(m)]
		if fromBaton(m) {
			rw.LastFrom = "Baton"
		}
	}
	if c.WaitingSince != nil && c.Status != baton.StatusResolved {
		rw.Waited, rw.WaitedSince = ago(now, *c.WaitingSince), c.WaitingSince.UTC().Format(time.RFC3339)
	}
	if h := c.Handoff; h != nil && c.Status == baton.StatusOpen {
		rw.Why = reasonText(h.Reason)
		if h.Summary != "" {
			rw.Why += " " + h.Summary
		}
		rw.Why = clip(rw.Why, 140)
	}
	return rw
}

// snippet is the start of a message's text for a list.
func snippet(m *baton.Message) string {
	s := ""
	if m.Content != nil {
		s = strings.Join(strings.Fields(*m.Content), " ")
	}
	if s == "" && len(m.Attachments) > 0 {
		s = "Attachment"
	}
	return clip(s, 120)
}

// matchOf is the excerpt of a message a search's words found.
func matchOf(m *baton.Message, words []string) *match {
	mt := &match{From: roleLabels[senderKind(m)], Note: m.Private}
	if fromBaton(m) {
		mt.From = "Baton"
	}
	if m.Private {
		mt.From = "Private note"
	}
	text := ""
	if m.Content != nil {
		text = *m.Content
	}
	mt.Parts = excerpt(text, words, excerptLength)
	return mt
}

// excerptLength is about how many characters a match's excerpt shows.
const excerptLength = 140

// excerpt is the part of text, its spaces made single, around the first
// place one of the words is in it: about n characters, an ellipsis where
// it is clipped, each of the words in it marked. Case is ignored, a
// character at a time (the database's LOWER may fold a few characters
// otherwise: then nothing is marked, and the excerpt is text's start).
func excerpt(text string, words []string, n int) []part {
	rs := []rune(strings.Join(strings.Fields(text), " "))
	lower := make([]rune, len(rs))
	for i, r := range rs {
		lower[i] = unicode.ToLower(r)
	}
	marked := make([]bool, len(rs))
	first, firstEnd := -1, 0
	for _, w := range words {
		wr := []rune(w)
		for i, r := range wr {
			wr[i] = unicode.ToLower(r)
		}
		if len(wr) == 0 {
			continue
		}
		for i := 0; i+len(wr) <= len(lower); i++ {
			if slices.Equal(lower[i:i+len(wr)], wr) {
				for j := i; j < i+len(wr); j++ {
					marked[j] = true
				}
				if first < 0 || i < first {
					first, firstEnd = i, i+len(wr)
				}
			}
		}
	}
	start := 0
	if first > n/3 {
		// Some words before the first match, begun at a word's start.
		start = first - n/3
		if sp := slices.Index(rs[start:first], ' '); sp >= 0 {
			start += sp + 1
		}
	}
	end := min(len(rs), max(start+n, firstEnd))
	if end < len(rs) {
		// Ended at a word's end, if one is near.
		for i := end; i > max(firstEnd, end-20); i-- {
			if rs[i] == ' ' {
				end = i
				break
			}
		}
	}
	var parts []part
	add := func(s string, mark bool) {
		if k := len(parts) - 1; k >= 0 && parts[k].Mark == mark {
			parts[k].Text += s
			return
		}
		parts = append(parts, part{Text: s, Mark: mark})
	}
	if start > 0 {
		add("…", false)
	}
	for i := start; i < end; i++ {
		add(string(rs[i]), marked[i])
	}
	if end < len(rs) {
		add("…", false)
	}
	return parts
}

// clip shortens s to n characters at most, the last an ellipsis.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// roleLabels name a sender's kind (senderKind): in a queue's rows and in
// the transcript (the pages' "role").
var roleLabels = map[string]string{"customer": "Customer", "bot": "Bot", "person": "Agent", "activity": "Activity"}

// fromBaton reports whether Baton itself wrote the message, with no sender:
// what a customer is told when nobody is online, the CSAT survey.
func fromBaton(m *baton.Message) bool {
	return m.SenderType == "" && m.MessageType != baton.MessageIncoming && m.MessageType != baton.MessageActivity
}

// senderKind tells customers, bots and people apart.
func senderKind(m *baton.Message) string {
	switch {
	case m.MessageType == baton.MessageActivity:
		return "activity"
	case m.SenderType == baton.SenderContact || m.MessageType == baton.MessageIncoming:
		return "customer"
	case m.SenderType == baton.SenderAgentBot:
		return "bot"
	}
	return "person"
}

// countsJSON answers the script's poll for the queues' counts, so the
// navigation and the title stay current and the script can tell when a
// conversation was handed to the team or assigned to the user.
func (h *Handler) countsJSON(w http.ResponseWriter, r *http.Request) {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	filter, err := listFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	counts, err := h.counts(r, accountID, filter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"counts": counts})
}

// labelsJSON answers the labels field's suggestions: the labels the
// account's conversations use (app.Labels), asked for once a page, when
// the field is first used.
func (h *Handler) labelsJSON(w http.ResponseWriter, r *http.Request) {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	labels, err := h.app.Labels(r.Context(), accountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if labels == nil {
		labels = []string{}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"labels": labels})
}

// conversationPath reads the account and conversation ids of the path.
func conversationPath(r *http.Request) (accountID, id int64, err error) {
	if accountID, err = pathID(r, "account_id"); err != nil {
		return 0, 0, err
	}
	id, err = pathID(r, "id")
	return accountID, id, err
}

// done ends a successful action: a short answer to the script, or back to
// the page for a plain form.
func (h *Handler) done(w http.ResponseWriter, r *http.Request, back string) {
	if fromScript(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// takeOverConversation makes the conversation the caller's: from the bot
// it is handed over (reason agent_takeover, asked to go to the caller);
// from nobody or another person it is assigned to the caller; resolved or
// snoozed it opens.
func (h *Handler) takeOverConversation(r *http.Request, accountID, id int64) error {
	// The page sends whose it saw the conversation as (seen): when that
	// changed meanwhile, someone else was first, and is named.
	_, err := h.app.TakeOver(r.Context(), accountID, id, r.PostFormValue("seen"))
	return err
}

// act runs one of the conversation's actions.
func (h *Handler) act(fn func(r *http.Request, accountID, id int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		accountID, id, err := conversationPath(r)
		if err == nil {
			err = fn(r, accountID, id)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.done(w, r, accountPath(accountID, "/conversations/"+itoa(id)))
	}
}

func (h *Handler) takeOver(r *http.Request, accountID, id int64) error {
	return h.takeOverConversation(r, accountID, id)
}

// handBack gives the conversation back to the bot: pending, unassigned,
// with the optional note to the bot left first as a private note, which
// the bot receives.
func (h *Handler) handBack(r *http.Request, accountID, id int64) error {
	note := strings.TrimSpace(strings.ReplaceAll(r.FormValue("note"), "\r\n", "\n"))
	_, err := h.app.HandBack(r.Context(), accountID, id, note)
	return err
}

// resolve resolves the conversation. Its page's "Resolve and next" posts
// next too: the page's script finds the next conversation of the list it
// was opened from itself; without the script the form goes back to the
// conversations, where the next one is.
func (h *Handler) resolve(w http.ResponseWriter, r *http.Request) {
	accountID, id, err := conversationPath(r)
	if err == nil {
		err = h.setStatus("resolved")(r, accountID, id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	back := "/conversations/" + itoa(id)
	if r.PostFormValue("next") != "" {
		back = "/conversations"
	}
	h.done(w, r, accountPath(accountID, back))
}

// markUnread makes the conversation unread again from the customer's
// newest message (app.MarkUnread) and goes back to the conversations,
// which say so; the page's script goes to the list it was opened from.
func (h *Handler) markUnread(w http.ResponseWriter, r *http.Request) {
	accountID, id, err := conversationPath(r)
	if err == nil {
		_, err = h.app.MarkUnread(r.Context(), accountID, id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setNotice(w, r, accountID, "Conversation #"+itoa(id)+" marked as unread.", false)
	h.done(w, r, accountPath(accountID, "/conversations"))
}

func (h *Handler) setStatus(status string) func(r *http.Request, accountID, id int64) error {
	return func(r *http.Request, accountID, id int64) error {
		_, err := h.app.ToggleStatus(r.Context(), accountID, id, app.StatusChange{Status: &status})
		return err
	}
}

// snooze snoozes the conversation until the time chosen (snoozeUntil).
func (h *Handler) snooze(r *http.Request, accountID, id int64) error {
	until, err := snoozeUntil(r.FormValue("until"), h.app.Now(), r.FormValue("zone"), r.FormValue("tz"), r.FormValue("at"))
	if err != nil {
		return err
	}
	snoozed := "snoozed"
	_, err = h.app.ToggleStatus(r.Context(), accountID, id, app.StatusChange{Status: &snoozed, SnoozedUntil: until})
	return err
}

// snoozeUntil is when a conversation snoozed with the choice wakes, as the
// person choosing sees the clock: zone is their time zone's name and tz
// their offset from UTC in minutes east (the page's script fills both;
// without them, UTC), at the time of their own choice as a datetime-local
// field gives it. "reply" is until the customer replies (nil), "hour" an
// hour from now, "tomorrow" and "week" 9:00 tomorrow and next Monday.
// The zone, when the server knows it, is used over the offset: a time
// past a change to or from summer time has the offset of its own day.
func snoozeUntil(choice string, now time.Time, zone, tz, at string) (*time.Time, error) {
	offset := 0
	if tz = strings.TrimSpace(tz); tz != "" {
		n, err := strconv.Atoi(tz)
		if err != nil || n < -14*60 || n > 14*60 {
			return nil, baton.Invalid("The time zone's offset is not a number of minutes from UTC", "tz")
		}
		offset = n
	}
	loc := time.FixedZone("", offset*60)
	// LoadLocation refuses a path; "Local" would be the server's zone.
	if zone = strings.TrimSpace(zone); zone != "" && zone != "Local" {
		if l, err := time.LoadLocation(zone); err == nil {
			loc = l
		}
	}
	local := now.In(loc)
	nine := func(days int) *time.Time {
		t := time.Date(local.Year(), local.Month(), local.Day()+days, 9, 0, 0, 0, loc).UTC()
		return &t
	}
	switch choice {
	case "reply":
		return nil, nil
	case "hour":
		t := now.Add(time.Hour)
		return &t, nil
	case "tomorrow":
		return nine(1), nil
	case "week":
		days := (int(time.Monday) - int(local.Weekday()) + 7) % 7
		if days == 0 {
			days = 7 // a Monday's next week is in seven days
		}
		return nine(days), nil
	case "custom":
		t, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(at), loc)
		if err != nil {
			return nil, baton.Invalid("Choose the date and time to snooze until", "at")
		}
		t = t.UTC()
		return &t, nil
	}
	return nil, baton.Invalid("Choose how long to snooze", "until")
}

func (h *Handler) assign(r *http.Request, accountID, id int64) error {
	userID, err := formID(r, "assignee_id")
	if err != nil {
		return err
	}
	_, err = h.app.Assign(r.Context(), accountID, id, userID)
	return err
}

func (h *Handler) setLabels(r *http.Request, accountID, id int64) error {
	var labels []string
	for _, l := range strings.Split(r.FormValue("labels"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	_, err := h.app.SetLabels(r.Context(), accountID, id, labels)
	return err
}

func (h *Handler) setPriority(r *http.Request, accountID, id int64) error {
	_, err := h.app.TogglePriority(r.Context(), accountID, id, r.FormValue("priority"))
	return err
}

func (h *Handler) setTeam(r *http.Request, accountID, id int64) error {
	teamID, err := formID(r, "team_id")
	if err != nil {
		return err
	}
	_, err = h.app.SetTeam(r.Context(), accountID, id, teamID)
	return err
}

// typing tells the customer (or, for a private note, only the team) that
// the person is typing, over /cable.
func (h *Handler) typing(r *http.Request, accountID, id int64) error {
	return h.app.Typing(r.Context(), accountID, id, r.FormValue("status"), r.FormValue("private") != "")
}
