package chatwoot_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// monday is the week the reports' tests happen in, 00:00 UTC.
var monday = time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)

// reportWeek is a week of a support team, on a clock the test sets, with
// the times each report must show:
//
//	Mon 09:00 c1 from a customer; 09:01 given to Alan; 09:04 Alan's first
//	  reply (4 min); 09:10 the customer again, 09:12 Alan's reply (2 min
//	  wait), 09:13 his private note; 10:00 Alan resolves it (1 h).
//	Tue 09:00 c2, given to Bea, labelled vip, of team Returns; 09:10 Bea's
//	  first reply (10 min); 11:00 Ada resolves it (2 h).
//	Wed 09:00 the customer of c1 writes again and it reopens; 09:30 Alan
//	  resolves it (30 min from the reopening).
//	Thu 09:00 c3 to a bot; 09:05 the bot's reply; 09:10 the bot hands it
//	  over; 09:12 Bea's first reply (2 min from the handoff, not 12 from
//	  the start).
type reportWeek struct {
	*bundle
	alan, bea         string // agents' tokens
	alanID, beaID     int64
	botInbox, team    int64
	c1, c2, c3        int64
	reports           string // the reports' path
	other             other
	botToken, outside string // the bot's token, and an agent's of the other account
	outsideID         int64
}

func newReportWeek(t *testing.T, s *store.Store) *reportWeek {
	clock := batontest.NewClock(monday)
	w := &reportWeek{bundle: setupOn(t, s, clock)}
	b := w.bundle
	at := func(day, hour, minute int) {
		clock.Set(monday.Add(time.Duration(day*24+hour)*time.Hour + time.Duration(minute)*time.Minute))
	}
	w.reports = fmt.Sprintf("/api/v2/accounts/%d/reports", b.account)
	w.alanID, w.alan = b.agentID, b.agent
	w.beaID, w.bea = b.NewUser(b.account, "Bea", fmt.Sprintf("bea%d@acme.test", b.account), "agent")
	bot := b.must(request{Method: "POST", Path: b.acc("/agent_bots"), Token: b.admin, Body: map[string]any{"name": "Bot"}}).Object(t)
	w.botToken = bot["access_token"].(string)
	inbox := b.NewInbox(b.account, "Bot API", baton.ChannelAPI)
	w.botInbox = inbox.ID
	b.must(request{Method: "POST", Path: b.acc("/inboxes/%d/set_agent_bot", inbox.ID), Token: b.admin, Body: map[string]any{"agent_bot": num(t, bot, "id")}})
	for _, m := range []struct {
		inbox int64
		users []int64
	}{{b.api.ID, []int64{w.alanID, w.beaID}}, {inbox.ID, []int64{w.beaID}}} {
		b.must(request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.admin, Body: map[string]any{"inbox_id": m.inbox, "user_ids": m.users}})
	}
	team := b.must(request{Method: "POST", Path: b.acc("/teams"), Token: b.admin, Body: map[string]any{"name": "Returns"}}).Object(t)
	w.team = num(t, team, "id")
	reply := func(conv int64, token, content string, private bool) {
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: token,
			Body: map[string]any{"content": content, "private": private}})
	}
	status := func(conv int64, token string, body map[string]any) {
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", conv), Token: token, Body: body})
	}
	assign := func(conv int64, body map[string]any) {
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/assignments", conv), Token: b.admin, Body: body})
	}

	at(0, 9, 0)
	w.c1 = b.customer("c1")
	b.say("c1", w.c1, "Where is my parcel?")
	at(0, 9, 1)
	assign(w.c1, map[string]any{"assignee_id": w.alanID})
	at(0, 9, 4)
	reply(w.c1, w.alan, "Let me look.", false)
	at(0, 9, 10)
	b.say("c1", w.c1, "Any news?")
	at(0, 9, 12)
	reply(w.c1, w.alan, "It arrives today.", false)
	at(0, 9, 13)
	reply(w.c1, w.alan, "Checked with the courier.", true)
	at(0, 10, 0)
	status(w.c1, w.alan, map[string]any{"status": "resolved"})

	at(1, 9, 0)
	w.c2 = b.customer("c2")
	b.say("c2", w.c2, "I want a refund")
	assign(w.c2, map[string]any{"assignee_id": w.beaID})
	assign(w.c2, map[string]any{"team_id": w.team})
	b.must(request{Method: "POST", Path: b.acc("/conversations/%d/labels", w.c2), Token: b.admin, Body: map[string]any{"labels": []string{"vip"}}})
	at(1, 9, 10)
	reply(w.c2, w.bea, "Refunded.", false)
	at(1, 11, 0)
	status(w.c2, b.admin, map[string]any{"status": "resolved"})

	at(2, 9, 0)
	b.say("c1", w.c1, "It did not arrive")
	at(2, 9, 30)
	status(w.c1, w.alan, map[string]any{"status": "resolved"})

	at(3, 9, 0)
	pub := "/public/api/v1/inboxes/" + inbox.Identifier + "/contacts"
	b.must(request{Method: "POST", Path: pub, Body: map[string]any{"source_id": "c3", "name": "Customer c3"}})
	w.c3 = num(t, b.must(request{Method: "POST", Path: pub + "/c3/conversations"}).Object(t), "id")
	b.must(request{Method: "POST", Path: pub + fmt.Sprintf("/c3/conversations/%d/messages", w.c3), Body: map[string]any{"content": "hello bot"}})
	at(3, 9, 5)
	reply(w.c3, w.botToken, "I am the bot.", false)
	at(3, 9, 10)
	status(w.c3, w.botToken, map[string]any{"status": "open", "handoff": map[string]any{"reason": "refund"}})
	at(3, 9, 12)
	reply(w.c3, w.bea, "I am Bea.", false)

	w.other = b.otherAccount("Globex")
	w.outsideID, w.outside = b.NewUser(w.other.account, "Olga", "olga@globex.test", "agent")
	return w
}

// get asks for a report with the parameters, as the administrator.
func (w *reportWeek) get(path string, params url.Values) *response {
	w.T.Helper()
	return w.must(request{Method: "GET", Path: w.reports + path + "?" + params.Encode(), Token: w.admin})
}

// week are the parameters of the week.
func week(kv ...string) url.Values {
	v := url.Values{"since": {fmt.Sprint(monday.Unix())}, "until": {fmt.Sprint(monday.AddDate(0, 0, 7).Unix())}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// TestAccountReports: Chatwoot's summary and timeseries of the week, of
// the account and of each person, inbox, team and label, on both
// databases, from times the test set.
func TestAccountReports(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := newReportWeek(t, s)
		summary := func(what string, params url.Values, want map[string]any) {
			t.Helper()
			got := w.get("/summary", params).Object(t)
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: %s = %v, want %v (%v)", what, k, got[k], v, got)
				}
			}
		}
		all := w.get("/summary", week("type", "account"))
		golden(t, "report_summary", all.Body)
		summary("the account", week("type", "account"), map[string]any{"conversations_count": 3.0,
			"incoming_messages_count": 5.0, "outgoing_messages_count": 6.0, "resolutions_count": 3.0,
			// (4 + 10 + 2) / 3 minutes; (60 + 120 + 30) / 3 minutes; 2 minutes.
			"avg_first_response_time": 320.0, "avg_resolution_time": 4200.0, "reply_time": 120.0})
		summary("Alan", week("type", "agent", "id", fmt.Sprint(w.alanID)), map[string]any{"conversations_count": 1.0,
			"incoming_messages_count": 0.0, "outgoing_messages_count": 3.0, "resolutions_count": 2.0,
			"avg_first_response_time": 240.0, "avg_resolution_time": 2700.0, "reply_time": 120.0})
		summary("Bea", week("type", "agent", "id", fmt.Sprint(w.beaID)), map[string]any{"conversations_count": 1.0,
			"outgoing_messages_count": 2.0, "resolutions_count": 0.0,
			"avg_first_response_time": 360.0, "avg_resolution_time": nil, "reply_time": nil})
		summary("Ada, who resolved Bea's", week("type", "agent", "id", fmt.Sprint(w.adminID)), map[string]any{
			"conversations_count": 0.0, "resolutions_count": 1.0, "avg_resolution_time": 7200.0})
		summary("the bot's inbox", week("type", "inbox", "id", fmt.Sprint(w.botInbox)), map[string]any{
			"conversations_count": 1.0, "incoming_messages_count": 1.0, "outgoing_messages_count": 2.0,
			"avg_first_response_time": 120.0, "resolutions_count": 0.0})
		c2 := map[string]any{"conversations_count": 1.0, "incoming_messages_count": 1.0, "outgoing_messages_count": 1.0,
			"avg_first_response_time": 600.0, "resolutions_count": 1.0, "avg_resolution_time": 7200.0}
		summary("the team", week("type", "team", "id", fmt.Sprint(w.team)), c2)
		summary("the label", week("type", "label", "id", "VIP"), c2)
		summary("a label nobody has", week("type", "label", "id", "vi"), map[string]any{"conversations_count": 0.0,
			"avg_first_response_time": nil})
		tuesday := week("type", "account", "since", fmt.Sprint(monday.AddDate(0, 0, 1).Unix()),
			"until", fmt.Sprint(monday.AddDate(0, 0, 2).Unix()))
		summary("Tuesday", tuesday, map[string]any{"conversations_count": 1.0, "outgoing_messages_count": 1.0,
			"avg_first_response_time": 600.0, "reply_time": nil})
		prev := w.get("/summary", tuesday).Object(t)["previous"].(map[string]any)
		for k, v := range map[string]any{"conversations_count": 1.0, "incoming_messages_count": 2.0,
			"outgoing_messages_count": 3.0, "avg_first_response_time": 240.0, "resolutions_count": 1.0,
			"avg_resolution_time": 3600.0, "reply_time": 120.0} {
			if prev[k] != v {
				t.Errorf("Tuesday's previous: %s = %v, want %v (Monday's: %v)", k, prev[k], v, prev)
			}
		}

		type point struct {
			value float64
			at    time.Time
			count float64 // -1: no count
		}
		series := func(what string, params url.Values, want []point) {
			t.Helper()
			got := w.get("", params).Array(t)
			if len(got) != len(want) {
				t.Fatalf("%s: %d points, want %d: %v", what, len(got), len(want), got)
			}
			for i, g := range got {
				g := g.(map[string]any)
				c, hasCount := g["count"]
				if g["value"] != want[i].value || g["timestamp"] != float64(want[i].at.Unix()) ||
					(want[i].count < 0) == hasCount || (hasCount && c != want[i].count) {
					t.Errorf("%s: point %d is %v, want value %v at %v (%d) count %v", what, i, g, want[i].value,
						want[i].at, want[i].at.Unix(), want[i].count)
				}
			}
		}
		days := func(values ...float64) []point {
			var out []point
			for i, v := range values {
				out = append(out, point{v, monday.AddDate(0, 0, i), -1})
			}
			return out
		}
		series("conversations a day", week("metric", "conversations_count", "type", "account"), days(1, 1, 0, 1, 0, 0, 0))
		golden(t, "report_conversations_count", w.get("", week("metric", "conversations_count", "type", "account")).Body)
		series("incoming messages a day", week("metric", "incoming_messages_count", "type", "account", "group_by", "day"),
			days(2, 1, 1, 1, 0, 0, 0))
		series("Alan's messages a day", week("metric", "outgoing_messages_count", "type", "agent", "id", fmt.Sprint(w.alanID)),
			days(3, 0, 0, 0, 0, 0, 0))
		series("resolutions a week", week("metric", "resolutions_count", "type", "account", "group_by", "week"),
			[]point{{3, monday, -1}})
		series("first response a day, with counts", week("metric", "avg_first_response_time", "type", "account"),
			[]point{{240, monday, 1}, {600, monday.AddDate(0, 0, 1), 1}, {0, monday.AddDate(0, 0, 2), 0},
				{120, monday.AddDate(0, 0, 3), 1}, {0, monday.AddDate(0, 0, 4), 0}, {0, monday.AddDate(0, 0, 5), 0},
				{0, monday.AddDate(0, 0, 6), 0}})
		// Ten hours west, the week began on Sunday at 14:00 and each
		// conversation came the evening before its day in UTC.
		west := time.FixedZone("", -10*3600)
		sunday := time.Date(2030, 1, 6, 0, 0, 0, 0, west)
		var westDays []point
		for i, v := range []float64{1, 1, 0, 1, 0, 0, 0, 0} {
			westDays = append(westDays, point{v, sunday.AddDate(0, 0, i), -1})
		}
		series("conversations a day ten hours west", week("metric", "conversations_count", "type", "account",
			"timezone_offset", "-10"), westDays)
		series("resolution time by the hour on Monday morning", week("metric", "avg_resolution_time", "type", "account",
			"group_by", "hour", "since", fmt.Sprint(monday.Add(8*time.Hour).Unix()), "until", fmt.Sprint(monday.Add(11*time.Hour).Unix())),
			[]point{{0, monday.Add(8 * time.Hour), 0}, {0, monday.Add(9 * time.Hour), 0}, {3600, monday.Add(10 * time.Hour), 1}})
		series("this month", week("metric", "conversations_count", "type", "account", "group_by", "month"),
			[]point{{3, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), -1}})
		series("the bot's handoffs", week("metric", "bot_handoffs_count", "type", "account", "group_by", "week"),
			[]point{{1, monday, -1}})

		// What may not be asked, and who may not ask.
		bad := func(params url.Values) string { return w.reports + "?" + params.Encode() }
		tooLong := week("metric", "conversations_count", "type", "account", "since", fmt.Sprint(monday.AddDate(-2, 0, 0).Unix()))
		w.run([]scenario{
			{name: "an unknown metric", req: request{Method: "GET", Path: bad(week("metric", "happiness", "type", "account")), Token: w.admin},
				status: 422, contains: []string{`metric must be conversations_count`}},
			{name: "no metric", req: request{Method: "GET", Path: bad(week("type", "account")), Token: w.admin}, status: 422},
			{name: "an unknown type", req: request{Method: "GET", Path: bad(week("metric", "conversations_count", "type", "planet")), Token: w.admin},
				status: 422, contains: []string{`type must be account, agent, inbox, team or label`}},
			{name: "no type", req: request{Method: "GET", Path: w.reports + "/summary", Token: w.admin}, status: 422},
			{name: "an agent without an id", req: request{Method: "GET", Path: bad(week("metric", "conversations_count", "type", "agent")), Token: w.admin},
				status: 422, contains: []string{`id must be the agent's id`}},
			{name: "a label without a name", req: request{Method: "GET", Path: bad(week("metric", "conversations_count", "type", "label")), Token: w.admin},
				status: 422, contains: []string{`id must be the label's name`}},
			// No label is longer; each conversation's labels were read
			// with a LIKE of it, at their length times its.
			{name: "a label longer than any", req: request{Method: "GET", Path: bad(week("metric", "conversations_count", "type", "label",
				"id", strings.Repeat("a", 256))), Token: w.admin}, status: 422, contains: []string{`id must be the label's name`}},
			{name: "a person of another account", req: request{Method: "GET", Path: w.reports + "/summary?" +
				week("type", "agent", "id", fmt.Sprint(w.outsideID)).Encode(), Token: w.admin}, status: 404},
			{name: "another account's inbox", req: request{Method: "GET", Path: w.reports + "/summary?" +
				week("type", "inbox", "id", fmt.Sprint(w.other.inboxID)).Encode(), Token: w.admin}, status: 404},
			{name: "a team that is not there", req: request{Method: "GET", Path: w.reports + "/summary?" +
				week("type", "team", "id", "999999").Encode(), Token: w.admin}, status: 404},
			{name: "until before since", req: request{Method: "GET", Path: bad(week("metric", "conversations_count", "type", "account",
				"until", fmt.Sprint(monday.Add(-time.Hour).Unix()))), Token: w.admin}, status: 422, contains: []string{`since must be before until`}},
			{name: "more than a year", req: request{Method: "GET", Path: bad(tooLong), Token: w.admin}, status: 422,
				contains: []string{`The time range is at most a year (366 days)`}},
			{name: "a date that is not a number", req: request{Method: "GET", Path: bad(week("metric", "conversations_count", "type", "account",
				"since", "yesterday")), Token: w.admin}, status: 400, contains: []string{`since must be a whole number`}},
			// Past the year 9999 a time overflows in microseconds: it
			// answered 200 with a range of the wrong millennium.
			{name: "a date past the year 9999", req: request{Method: "GET", Path: bad(week("metric", "conversations_count", "type", "account",
				"since", "9223372036000", "until", "9223372036854", "group_by", "hour")), Token: w.admin}, status: 400,
				contains: []string{`since must be a unix time from 1970 to the year 9999`}},
			{name: "a summary's date past the year 9999", req: request{Method: "GET", Path: w.reports + "/summary?" + week("type", "account",
				"until", "253402300800").Encode(), Token: w.admin}, status: 400,
				contains: []string{`until must be a unix time from 1970 to the year 9999`}},
			{name: "the bot report's date past the year 9999", req: request{Method: "GET", Path: w.reports + "/bot_summary?" +
				week("since", "253402300800", "until", "253402300900").Encode(), Token: w.admin}, status: 400,
				contains: []string{`since must be a unix time from 1970 to the year 9999`}},
			{name: "an unknown grouping", req: request{Method: "GET", Path: bad(week("metric", "conversations_count", "type", "account",
				"group_by", "fortnight")), Token: w.admin}, status: 422, contains: []string{`group_by must be hour, day, week, month or year`}},
			{name: "a zone off the planet", req: request{Method: "GET", Path: bad(week("metric", "conversations_count", "type", "account",
				"timezone_offset", "15")), Token: w.admin}, status: 422},
			{name: "a zone that is not a number", req: request{Method: "GET", Path: bad(week("metric", "conversations_count", "type", "account",
				"timezone_offset", "CET")), Token: w.admin}, status: 400},
			{name: "business hours that are not a boolean", req: request{Method: "GET", Path: bad(week("metric", "avg_first_response_time",
				"type", "account", "business_hours", "maybe")), Token: w.admin}, status: 400,
				contains: []string{`business_hours must be true or false`}},
			{name: "business hours off", req: request{Method: "GET", Path: bad(week("metric", "avg_first_response_time", "type", "account",
				"business_hours", "false")), Token: w.admin}, status: 200},
			{name: "an agent", req: request{Method: "GET", Path: w.reports + "/summary?" + week("type", "account").Encode(), Token: w.alan},
				status: 401},
			{name: "a bot", req: request{Method: "GET", Path: w.reports + "/summary?" + week("type", "account").Encode(), Token: w.botToken},
				status: 401},
			{name: "a member of another account", req: request{Method: "GET", Path: w.reports + "/summary?" + week("type", "account").Encode(),
				Token: w.outside}, status: 401},
			{name: "another account's administrator", req: request{Method: "GET", Path: w.reports + "/summary?" + week("type", "account").Encode(),
				Token: w.other.token}, status: 401},
			{name: "no token", req: request{Method: "GET", Path: w.reports + "/summary?" + week("type", "account").Encode()}, status: 401},
			{name: "the other account's own report is empty", req: request{Method: "GET", Path: fmt.Sprintf("/api/v2/accounts/%d/reports/summary?%s",
				w.other.account, week("type", "account").Encode()), Token: w.other.token}, status: 200,
				contains: []string{`"conversations_count":0`, `"outgoing_messages_count":0`}},
		})
	})
}

// TestLabelReportFindsEveryLabel: a label report, and the conversation
// list's labels filter, find a label whatever characters it holds, on both
// databases: ones JSON writes escaped (&, <, > as SQLite's text keeps
// them; a backslash, a tab) as well as plain ones, and a label never
// stands for another that contains it.
func TestLabelReportFindsEveryLabel(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		labels := []string{"r&d", "<vip>", `a\b`, "tab\tx", "café", "x'y"}
		c1 := b.customer("l1")
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/labels", c1), Token: b.admin, Body: map[string]any{"labels": labels}})
		b.customer("l2") // no labels
		reports := fmt.Sprintf("/api/v2/accounts/%d/reports/summary", b.account)
		day := url.Values{"since": {fmt.Sprint(start.Add(-time.Hour).Unix())}, "until": {fmt.Sprint(start.Add(time.Hour).Unix())}}
		for _, l := range append(labels, "r", "vip") {
			want := 1
			if l == "r" || l == "vip" {
				want = 0
			}
			q := url.Values{"type": {"label"}, "id": {l}, "since": day["since"], "until": day["until"]}
			if got := num(t, b.must(request{Method: "GET", Path: reports + "?" + q.Encode(), Token: b.admin}).Object(t), "conversations_count"); got != int64(want) {
				t.Errorf("label %q: the report counts %d conversations, want %d", l, got, want)
			}
			list := b.must(request{Method: "GET", Path: b.acc("/conversations?status=all&labels[]=%s", url.QueryEscape(l)), Token: b.admin}).Object(t)
			if got := num(t, list, "data", "meta", "all_count"); got != int64(want) {
				t.Errorf("label %q: the list has %d conversations, want %d", l, got, want)
			}
		}
	})
}

// TestConversationMetrics: Chatwoot's reports/conversations on both
// databases: the account's conversations now (open, unattended: no
// person's reply yet or a customer waiting again, unassigned, the bots'
// pending), and each member's open and unattended ones, the most open
// first, a page of 25, one member with user_id; administrators only.
func TestConversationMetrics(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		beaID, _ := b.NewUser(b.account, "Bea", fmt.Sprintf("bea%d@acme.test", b.account), "agent")
		b.must(request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.admin,
			Body: map[string]any{"inbox_id": b.api.ID, "user_ids": []int64{b.agentID, beaID}}})
		reply := func(conv int64) {
			b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.agent,
				Body: map[string]any{"content": "On it."}})
		}
		assign := func(conv int64) {
			b.must(request{Method: "POST", Path: b.acc("/conversations/%d/assignments", conv), Token: b.admin,
				Body: map[string]any{"assignee_id": b.agentID}})
		}
		unanswered := b.customer("a")
		b.say("a", unanswered, "Hello?")
		answered := b.customer("b")
		b.say("b", answered, "Hello?")
		assign(answered)
		reply(answered)
		waiting := b.customer("c")
		b.say("c", waiting, "Hello?")
		assign(waiting)
		reply(waiting)
		b.say("c", waiting, "And now?")
		resolved := b.customer("e")
		b.say("e", resolved, "Thanks")
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", resolved), Token: b.admin,
			Body: map[string]any{"status": "resolved"}})
		bot := b.must(request{Method: "POST", Path: b.acc("/agent_bots"), Token: b.admin, Body: map[string]any{"name": "Bot"}}).Object(t)
		botInbox := b.NewInbox(b.account, "Bot API", baton.ChannelAPI)
		b.must(request{Method: "POST", Path: b.acc("/inboxes/%d/set_agent_bot", botInbox.ID), Token: b.admin,
			Body: map[string]any{"agent_bot": num(t, bot, "id")}})
		pub := "/public/api/v1/inboxes/" + botInbox.Identifier + "/contacts"
		b.must(request{Method: "POST", Path: pub, Body: map[string]any{"source_id": "p"}})
		b.must(request{Method: "POST", Path: pub + "/p/conversations"})
		o := b.otherAccount("Globex")
		outsiderID, _ := b.NewUser(o.account, "Olga", "olga@globex.test", "agent")

		path := fmt.Sprintf("/api/v2/accounts/%d/reports/conversations", b.account)
		get := func(params string) *response {
			t.Helper()
			return b.must(request{Method: "GET", Path: path + "?" + params, Token: b.admin})
		}
		account := get("type=account")
		golden(t, "report_conversations_account", account.Body)
		for k, want := range map[string]float64{"open": 3, "unattended": 2, "unassigned": 1, "pending": 1} {
			if got := account.Object(t)[k]; got != want {
				t.Errorf("the account's %s: %v, want %v", k, got, want)
			}
		}
		agents := func(params string) []map[string]any {
			t.Helper()
			var out []map[string]any
			for _, a := range get(params).Array(t) {
				out = append(out, a.(map[string]any))
			}
			return out
		}
		all := agents("type=agent")
		if len(all) != 3 {
			t.Fatalf("%d agents, want the account's 3: %v", len(all), all)
		}
		alan := map[string]any{"id": float64(b.agentID), "name": "Alan", "email": fmt.Sprintf("alan%d@acme.test", b.account),
			"thumbnail": "", "availability": "offline", "metric": map[string]any{"open": 2.0, "unattended": 1.0}}
		if fmt.Sprint(all[0]) != fmt.Sprint(alan) {
			t.Errorf("the agent with the most open conversations: %v, want %v", all[0], alan)
		}
		for _, a := range all[1:] {
			if m := a["metric"].(map[string]any); m["open"] != 0.0 || m["unattended"] != 0.0 {
				t.Errorf("%v has nothing open", a)
			}
		}
		if one := agents(fmt.Sprintf("type=agent&user_id=%d", beaID)); len(one) != 1 || one[0]["name"] != "Bea" {
			t.Errorf("user_id of Bea: %v, want Bea alone", one)
		}
		for _, page := range []string{"2", "9223372036854775807"} {
			if none := agents("type=agent&page=" + page); len(none) != 0 {
				t.Errorf("page %s of 3 agents: %v, want none", page, none)
			}
		}
		b.run([]scenario{
			{name: "no type", req: request{Method: "GET", Path: path, Token: b.admin}, status: 422,
				contains: []string{`type must be account or agent`}},
			{name: "an inbox", req: request{Method: "GET", Path: path + "?type=inbox", Token: b.admin}, status: 422},
			{name: "a member of another account", req: request{Method: "GET", Path: fmt.Sprintf("%s?type=agent&user_id=%d", path, outsiderID),
				Token: b.admin}, status: 404},
			{name: "a user id that is not a number", req: request{Method: "GET", Path: path + "?type=agent&user_id=bea", Token: b.admin},
				status: 400},
			{name: "an agent", req: request{Method: "GET", Path: path + "?type=account", Token: b.agent}, status: 401},
			{name: "another account's administrator", req: request{Method: "GET", Path: path + "?type=account", Token: o.token}, status: 401},
			// Outside the account, a bad query is answered as any other.
			{name: "another account's administrator, no type", req: request{Method: "GET", Path: path, Token: o.token}, status: 401,
				contains: []string{`You are not authorized to access this account`}},
			{name: "another account's administrator, a bad type", req: request{Method: "GET", Path: path + "?type=inbox", Token: o.token},
				status: 401, contains: []string{`You are not authorized to access this account`}},
			{name: "another account's administrator, a user id that is not a number", req: request{Method: "GET",
				Path: path + "?type=agent&user_id=bea", Token: o.token}, status: 401},
			{name: "an agent, no type", req: request{Method: "GET", Path: path, Token: b.agent}, status: 401},
			{name: "no token", req: request{Method: "GET", Path: path + "?type=account"}, status: 401},
			{name: "the other account's own", req: request{Method: "GET", Path: fmt.Sprintf("/api/v2/accounts/%d/reports/conversations?type=account",
				o.account), Token: o.token}, status: 200, contains: []string{`"open":0`, `"pending":0`}},
		})
	})
}

// csvOf reads a CSV download: its status must be 200, its type text/csv
// and its file name the one given.
func csvOf(t *testing.T, r *response, filename string) [][]string {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("status %d, want 200\n%s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/csv", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="`+filename+`"` {
		t.Errorf("Content-Disposition %q, want the file %s", cd, filename)
	}
	cr := csv.NewReader(bytes.NewReader(r.Body))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, r.Body)
	}
	return rows
}

// TestReportDownloads: Chatwoot's CSV downloads of the week on both
// databases, a row an agent, inbox, team or label with its conversations,
// average times as Chatwoot's presenter says them and resolutions, under
// the reporting period; the conversation traffic a row an hour and a
// column a day, in the asker's zone; administrators only.
func TestReportDownloads(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := newReportWeek(t, s)
		download := func(path string, params url.Values, token string) *response {
			t.Helper()
			return w.do(request{Method: "GET", Path: w.reports + path + "?" + params.Encode(), Token: token})
		}
		period := []string{"Reporting period 2030-01-07 to 2030-01-14"}
		check := func(path, filename string, want [][]string) {
			t.Helper()
			got := csvOf(t, download(path, week(), w.admin), filename)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s:\n got %q\nwant %q", path, got, want)
			}
		}
		agents := [][]string{period, {"Agent name", "Assigned conversations", "Avg first response time",
			"Avg resolution time", "Avg customer waiting time", "Resolution Count"},
			{"Ada", "0", "", "2 hours", "", "1"},
			{"Alan", "1", "4 minutes", "45 minutes", "2 minutes", "2"},
			{"Bea", "1", "6 minutes", "", "", "0"}}
		check("/agents", "agents_report.csv", agents)
		check("/agents.csv", "agents_report.csv", agents)
		// A blank line after the period, as Chatwoot's (CSV readers skip it).
		if body := download("/agents", week(), w.admin).Body; !bytes.HasPrefix(body, []byte(period[0]+"\n\nAgent name,")) {
			t.Errorf("the agents' CSV begins %q", body[:min(len(body), 80)])
		}
		check("/inboxes", "inboxes_report.csv", [][]string{period, {"Inbox name", "Inbox type", "No. of conversations",
			"Avg first response time", "Avg resolution time", "Avg customer waiting time", "Resolution Count"},
			{"API", "API", "2", "7 minutes", "1 hour 10 minutes", "2 minutes", "3"},
			{"Web", "Website", "0", "", "", "", "0"},
			{"Bot API", "API", "1", "2 minutes", "", "", "0"}})
		check("/teams.csv", "teams_report.csv", [][]string{period, {"Team name", "Conversations count",
			"Avg first response time", "Avg resolution time", "Avg customer waiting time", "Resolution Count"},
			{"Returns", "1", "10 minutes", "2 hours", "", "1"}})
		check("/labels", "labels_report.csv", [][]string{period, {"Label", "No. of conversations",
			"Avg first response time", "Avg resolution time", "Avg reply time", "Resolution Count"},
			{"vip", "1", "10 minutes", "2 hours", "", "1"}})
		// Tuesday alone: Bea's first response and Ada's resolution.
		tuesday := week("since", fmt.Sprint(monday.AddDate(0, 0, 1).Unix()), "until", fmt.Sprint(monday.AddDate(0, 0, 2).Unix()))
		if got := csvOf(t, download("/agents", tuesday, w.admin), "agents_report.csv"); fmt.Sprint(got[0], got[2:]) !=
			fmt.Sprint([]string{"Reporting period 2030-01-08 to 2030-01-09"},
				[][]string{{"Ada", "0", "", "2 hours", "", "1"}, {"Alan", "0", "", "", "", "0"}, {"Bea", "1", "10 minutes", "", "", "0"}}) {
			t.Errorf("Tuesday's agents: %q", got)
		}

		// The traffic of the days before Thursday morning and Thursday so
		// far: a conversation at 09:00 on Monday, Tuesday and Thursday.
		traffic := func(params url.Values) [][]string {
			t.Helper()
			return csvOf(t, download("/conversation_traffic", params, w.admin), "conversation_traffic_reports.csv")
		}
		got := traffic(url.Values{"days_before": {"3"}})
		if len(got) != 26 {
			t.Fatalf("%d rows of traffic, want the zone, the days and 24 hours: %q", len(got), got)
		}
		for i, want := range [][]string{{"Timezone", "(GMT+00:00)"},
			{"Start of the hour", "2030-01-07", "2030-01-08", "2030-01-09", "2030-01-10"}} {
			if fmt.Sprint(got[i]) != fmt.Sprint(want) {
				t.Errorf("traffic row %d: %q, want %q", i, got[i], want)
			}
		}
		for hour, want := range map[int][]string{0: {"00:00", "0", "0", "0", "0"}, 9: {"09:00", "1", "1", "0", "1"},
			10: {"10:00", "0", "0", "0", ""}, 23: {"23:00", "0", "0", "0", ""}} {
			if fmt.Sprint(got[2+hour]) != fmt.Sprint(want) {
				t.Errorf("traffic at %02d:00: %q, want %q (an hour still to come is empty)", hour, got[2+hour], want)
			}
		}
		// Ten hours west it is Wednesday 23:12, and each came at 23:00 the
		// day before its day in UTC.
		west := traffic(url.Values{"days_before": {"3"}, "timezone_offset": {"-10"}})
		if fmt.Sprint(west[0], west[1], west[2+23]) != fmt.Sprint([]string{"Timezone", "(GMT-10:00)"},
			[]string{"Start of the hour", "2030-01-06", "2030-01-07", "2030-01-08", "2030-01-09"},
			[]string{"23:00", "1", "1", "0", "1"}) {
			t.Errorf("traffic ten hours west: %q", west)
		}
		if got := traffic(nil); len(got[1]) != 8 {
			t.Errorf("the traffic by default: %q, want 6 days before today and today", got[1])
		}

		csvPath := func(p string) string { return w.reports + p + "?" + week().Encode() }
		w.run([]scenario{
			{name: "an agent", req: request{Method: "GET", Path: csvPath("/agents"), Token: w.alan}, status: 401},
			{name: "a bot", req: request{Method: "GET", Path: csvPath("/inboxes.csv"), Token: w.botToken}, status: 401},
			{name: "another account's administrator", req: request{Method: "GET", Path: csvPath("/labels"), Token: w.other.token}, status: 401},
			{name: "no token", req: request{Method: "GET", Path: csvPath("/teams")}, status: 401},
			{name: "traffic for an agent", req: request{Method: "GET", Path: csvPath("/conversation_traffic"), Token: w.alan}, status: 401},
			{name: "a range of more than a year", req: request{Method: "GET", Path: w.reports + "/agents?" +
				week("since", fmt.Sprint(monday.AddDate(-2, 0, 0).Unix())).Encode(), Token: w.admin}, status: 422,
				contains: []string{`The time range is at most a year (366 days)`}},
			{name: "until before since", req: request{Method: "GET", Path: w.reports + "/teams?" +
				week("until", fmt.Sprint(monday.Add(-time.Hour).Unix())).Encode(), Token: w.admin}, status: 422},
			{name: "traffic of more than a year", req: request{Method: "GET", Path: w.reports + "/conversation_traffic?days_before=400",
				Token: w.admin}, status: 422, contains: []string{`days_before must be at most 365`}},
			{name: "business hours that are not a boolean", req: request{Method: "GET", Path: w.reports + "/agents?business_hours=sure",
				Token: w.admin}, status: 400},
		})
	})
}

// TestReportDownloadsAreSafe: names that a spreadsheet would run as a
// formula (=, +, -, @) get a leading apostrophe, and names with commas,
// quotes and line breaks are quoted, so that each stays one cell of text.
func TestReportDownloadsAreSafe(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.NewUser(b.account, `@SUM(1+1), "the boss"`, "boss@acme.test", "agent")
	b.NewUser(b.account, "-2+3\nline two", "minus@acme.test", "agent")
	b.must(request{Method: "POST", Path: b.acc("/teams"), Token: b.admin, Body: map[string]any{"name": `=HYPERLINK("http://evil.test")`}})
	conv := b.customer("s")
	b.must(request{Method: "POST", Path: b.acc("/conversations/%d/labels", conv), Token: b.admin,
		Body: map[string]any{"labels": []string{"+cmd", "plain"}}})
	reports := fmt.Sprintf("/api/v2/accounts/%d/reports", b.account)
	get := func(path string) *response {
		t.Helper()
		return b.must(request{Method: "GET", Path: reports + path, Token: b.admin})
	}
	agents := get("/agents")
	for _, want := range []string{"\n\"'@SUM(1+1), \"\"the boss\"\"\",0,", "\n\"'-2+3\nline two\",0,"} {
		if !bytes.Contains(agents.Body, []byte(want)) {
			t.Errorf("the agents' CSV lacks %q:\n%s", want, agents.Body)
		}
	}
	if teams := get("/teams"); !bytes.Contains(teams.Body, []byte("\n\"'=HYPERLINK(\"\"http://evil.test\"\")\",0,")) {
		t.Errorf("the teams' CSV lets a formula through:\n%s", teams.Body)
	}
	labels := csvOf(t, get("/labels"), "labels_report.csv")
	if fmt.Sprint(labels[2:]) != fmt.Sprint([][]string{{"'+cmd", "1", "", "", "", "0"}, {"plain", "1", "", "", "", "0"}}) {
		t.Errorf("the labels: %q", labels[2:])
	}
}

// TestBusinessHoursReports: with business_hours=true the times count only
// the inbox's working hours (Monday to Friday, 9 to 5 in Lisbon, UTC in
// winter), as they were when each time was recorded, in the summary, the
// series and the downloads; without it, calendar time. The events of
// before business hours were kept are counted when app.FillBusinessValues
// runs, and stand in with their calendar value until then.
func TestBusinessHoursReports(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		friday := time.Date(2030, 1, 11, 16, 30, 0, 0, time.UTC)
		clock := batontest.NewClock(friday)
		b := setupOn(t, s, clock)
		b.must(request{Method: "PATCH", Path: b.acc("/inboxes/%d", b.api.ID), Token: b.admin,
			Body: map[string]any{"working_hours_enabled": true, "timezone": "Europe/Lisbon"}})
		b.must(request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.admin,
			Body: map[string]any{"inbox_id": b.api.ID, "user_ids": []int64{b.agentID}}})
		conv := b.customer("f")
		b.say("f", conv, "Is anyone there?")
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/assignments", conv), Token: b.admin,
			Body: map[string]any{"assignee_id": b.agentID}})
		clock.Set(time.Date(2030, 1, 14, 9, 15, 0, 0, time.UTC)) // Monday
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.agent,
			Body: map[string]any{"content": "Good morning!"}})
		clock.Set(time.Date(2030, 1, 14, 10, 0, 0, 0, time.UTC))
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", conv), Token: b.agent,
			Body: map[string]any{"status": "resolved"}})

		reports := fmt.Sprintf("/api/v2/accounts/%d/reports", b.account)
		params := func(kv ...string) string {
			v := url.Values{"type": {"account"}, "since": {fmt.Sprint(friday.Add(-time.Hour).Unix())},
				"until": {fmt.Sprint(friday.AddDate(0, 0, 4).Unix())}}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v.Encode()
		}
		summary := func(kv ...string) map[string]any {
			t.Helper()
			return b.must(request{Method: "GET", Path: reports + "/summary?" + params(kv...), Token: b.admin}).Object(t)
		}
		// 16:30 to 17:00 on Friday and 09:00 to 09:15 on Monday; the
		// resolution 45 minutes more.
		calendar := map[string]any{"avg_first_response_time": (64*time.Hour + 45*time.Minute).Seconds(),
			"avg_resolution_time": (65*time.Hour + 30*time.Minute).Seconds()}
		business := map[string]any{"avg_first_response_time": 2700.0, "avg_resolution_time": 5400.0}
		check := func(what string, got, want map[string]any) {
			t.Helper()
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: %s = %v, want %v", what, k, got[k], v)
				}
			}
		}
		check("calendar time", summary(), calendar)
		check("business hours", summary("business_hours", "true"), business)
		check("business hours, as older Chatwoot asks", summary("enable_business_hours", "1"), business)
		check("an agent's business hours", summary("type", "agent", "id", fmt.Sprint(b.agentID), "business_hours", "true"), business)
		points := b.must(request{Method: "GET", Path: reports + "?" + params("metric", "avg_first_response_time",
			"group_by", "week", "business_hours", "true"), Token: b.admin}).Array(t)
		if last := points[len(points)-1].(map[string]any); last["value"] != 2700.0 || last["count"] != 1.0 {
			t.Errorf("the series in business hours: %v, want 2700 s on Monday's week", points)
		}
		agents := csvOf(t, b.must(request{Method: "GET", Path: reports + "/agents?" + params("business_hours", "true"),
			Token: b.admin}), "agents_report.csv")
		if fmt.Sprint(agents[3]) != fmt.Sprint([]string{"Alan", "1", "45 minutes", "1 hour 30 minutes", "", "1"}) {
			t.Errorf("Alan's row in business hours: %q", agents[3])
		}

		// Written before business hours were kept: calendar time until
		// they are counted, once.
		if _, err := b.Store.DB().ExecContext(t.Context(), `UPDATE reporting_events SET business_value = NULL`); err != nil {
			t.Fatal(err)
		}
		check("business hours not counted yet", summary("business_hours", "true"), calendar)
		n, err := b.App.FillBusinessValues(t.Context())
		if err != nil || n != 3 {
			t.Errorf("FillBusinessValues: %d, %v; want the 3 events (assignment, first response, resolution)", n, err)
		}
		check("business hours counted", summary("business_hours", "true"), business)
		if n, err := b.App.FillBusinessValues(t.Context()); err != nil || n != 0 {
			t.Errorf("FillBusinessValues again: %d, %v; want nothing left", n, err)
		}
	})
}

// TestLabelsDownloadIsBounded: the labels' download has at most
// app.MaxLabels rows, the labels of the most conversations, in order of
// name, however many labels the conversations of the range carry (widget
// visitors may put up to 100 on each).
func TestLabelsDownloadIsBounded(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	// Three conversations of 100 labels: "zz-common" on each, and 99 of
	// their own; 298 labels in all.
	for _, prefix := range []string{"a", "b", "c"} {
		labels := []string{"zz-common"}
		for i := 1; i < 100; i++ {
			labels = append(labels, fmt.Sprintf("%s%03d", prefix, i))
		}
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/labels", b.customer(prefix)), Token: b.admin,
			Body: map[string]any{"labels": labels}})
	}
	rows := csvOf(t, b.must(request{Method: "GET", Path: fmt.Sprintf("/api/v2/accounts/%d/reports/labels", b.account),
		Token: b.admin}), "labels_report.csv")[2:]
	if len(rows) != app.MaxLabels {
		t.Fatalf("%d labels, want %d", len(rows), app.MaxLabels)
	}
	// The common label first by use, then the rest by name: a's, b's and
	// c001.
	want := [][]string{{"a001", "1"}, {"c001", "1"}, {"zz-common", "3"}}
	got := [][]string{rows[0][:2], rows[len(rows)-2][:2], rows[len(rows)-1][:2]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the labels kept: %q, want %q", got, want)
	}
}
