package chatwoot_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/batonhq/baton"
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
			{name: "business hours", req: request{Method: "GET", Path: bad(week("metric", "avg_first_response_time", "type", "account",
				"business_hours", "true")), Token: w.admin}, status: 422, contains: []string{`Business hours are not supported`}},
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
