package chatwoot

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// reportQuery reads a report's parameters: since and until as unix
// seconds (Chatwoot's), and Baton's inbox_id, agent_bot_id and
// wait_threshold (seconds).
func reportQuery(r *http.Request) (int64, app.ReportQuery, error) {
	var rq app.ReportQuery
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return 0, rq, err
	}
	seconds := map[string]int64{}
	for _, name := range []string{"since", "until", "inbox_id", "agent_bot_id", "wait_threshold"} {
		read := queryID
		if name == "since" || name == "until" {
			read = queryUnix
		}
		if seconds[name], err = read(r, name); err != nil {
			return 0, rq, err
		}
	}
	if s := seconds["since"]; s != 0 {
		rq.Since = time.Unix(s, 0).UTC()
	}
	if u := seconds["until"]; u != 0 {
		rq.Until = time.Unix(u, 0).UTC()
	}
	rq.InboxID, rq.AgentBotID = seconds["inbox_id"], seconds["agent_bot_id"]
	rq.WaitThreshold = time.Duration(seconds["wait_threshold"]) * time.Second
	return accountID, rq, nil
}

// queryUnix reads a report's time, unix seconds up to the year 9999:
// later ones overflow on the way to microseconds, and a range of them was
// answered as one of another millennium.
func queryUnix(r *http.Request, name string) (int64, error) {
	n, err := queryID(r, name)
	if err == nil && n > maxUnixSeconds {
		return 0, baton.Errorf(baton.EBADREQUEST, "%s must be a unix time from 1970 to the year 9999", name)
	}
	return n, err
}

// botMetrics is Chatwoot's GET reports/bot_metrics.
func (h *Handler) botMetrics(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := reportQuery(r)
	if err != nil {
		return err
	}
	m, err := h.app.BotMetrics(r.Context(), accountID, rq)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"conversation_count": m.ConversationCount, "message_count": m.MessageCount,
		"resolution_rate": m.ResolutionRate, "handoff_rate": m.HandoffRate})
}

// botSummary is Chatwoot's GET reports/bot_summary: the counts of the range
// and, as older Chatwoot answers, of the range of the same length before.
func (h *Handler) botSummary(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := reportQuery(r)
	if err != nil {
		return err
	}
	m, err := h.app.BotMetrics(r.Context(), accountID, rq)
	if err != nil {
		return err
	}
	out := map[string]any{"bot_resolutions_count": m.Resolutions, "bot_handoffs_count": m.Handoffs}
	if !rq.Since.IsZero() && !rq.Until.IsZero() && rq.Since.Before(rq.Until) {
		prev := rq
		prev.Since, prev.Until = rq.Since.Add(-rq.Until.Sub(rq.Since)), rq.Since
		if p, err := h.app.BotMetrics(r.Context(), accountID, prev); err == nil {
			out["previous"] = map[string]any{"bot_resolutions_count": p.Resolutions, "bot_handoffs_count": p.Handoffs}
		}
	}
	return ok(w, out)
}

// handoffReport is Baton's GET reports/handoffs.
func (h *Handler) handoffReport(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := reportQuery(r)
	if err != nil {
		return err
	}
	rep, err := h.app.Handoffs(r.Context(), accountID, rq)
	if err != nil {
		return err
	}
	reasons := make([]map[string]any, 0, len(rep.ByReason))
	for _, rc := range rep.ByReason {
		reasons = append(reasons, map[string]any{"reason": nilIfEmpty(rc.Reason), "count": rc.Count})
	}
	return ok(w, map[string]any{
		"handoffs_count": rep.Handoffs,
		"by_reason":      reasons,
		"time_to_first_human_reply": map[string]any{"count": rep.FirstReply.Count,
			"p50": rep.FirstReply.P50.Seconds(), "p90": rep.FirstReply.P90.Seconds()},
		"waited_longer_than": map[string]any{"threshold": rep.Threshold.Seconds(), "count": len(rep.Waited),
			"conversation_ids": rep.Waited},
	})
}

// accountReportQuery reads the parameters of Chatwoot's account reports:
// type and id, since and until (unix seconds), group_by,
// timezone_offset (hours east of UTC, as 5.5) and business_hours (or
// older Chatwoot's enable_business_hours).
func accountReportQuery(r *http.Request) (int64, app.AccountReportQuery, error) {
	var rq app.AccountReportQuery
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return 0, rq, err
	}
	since, err := queryUnix(r, "since")
	if err != nil {
		return 0, rq, err
	}
	until, err := queryUnix(r, "until")
	if err != nil {
		return 0, rq, err
	}
	if since != 0 {
		rq.Since = time.Unix(since, 0).UTC()
	}
	if until != 0 {
		rq.Until = time.Unix(until, 0).UTC()
	}
	v := r.URL.Query()
	rq.Type, rq.ID, rq.GroupBy = v.Get("type"), v.Get("id"), v.Get("group_by")
	if s := v.Get("timezone_offset"); s != "" {
		hours, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(hours) || math.IsInf(hours, 0) {
			return 0, rq, baton.Errorf(baton.EBADREQUEST, "timezone_offset must be a number of hours")
		}
		rq.Offset = time.Duration(hours * float64(time.Hour)).Round(time.Minute)
	}
	for _, name := range []string{"business_hours", "enable_business_hours"} {
		on, err := queryBool(r, name)
		if err != nil {
			return 0, rq, err
		}
		rq.BusinessHours = rq.BusinessHours || on
	}
	return accountID, rq, nil
}

// queryBool reads an optional boolean query parameter in Rails' spellings,
// as Chatwoot casts it: absent or empty is false.
func queryBool(r *http.Request, name string) (bool, error) {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "true", "1", "t", "on", "yes":
		return true, nil
	case "false", "0", "f", "off", "no", "":
		return false, nil
	}
	return false, baton.Errorf(baton.EBADREQUEST, "%s must be true or false", name)
}

// accountReport is Chatwoot's GET reports: one metric over time, a point
// a period, with the count of events averaged for the averages.
func (h *Handler) accountReport(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := accountReportQuery(r)
	if err != nil {
		return err
	}
	points, average, err := h.app.ReportSeries(r.Context(), accountID, r.URL.Query().Get("metric"), rq)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(points))
	for i, p := range points {
		out[i] = map[string]any{"value": p.Value, "timestamp": p.Start.Unix()}
		if average {
			out[i]["count"] = p.Count
		}
	}
	return ok(w, out)
}

// reportSummary is Chatwoot's GET reports/summary: the range's counts and
// averages, and under previous those of the range of the same length
// before it.
func (h *Handler) reportSummary(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := accountReportQuery(r)
	if err != nil {
		return err
	}
	current, previous, err := h.app.ReportSummary(r.Context(), accountID, rq)
	if err != nil {
		return err
	}
	out := summaryJSON(current)
	out["previous"] = summaryJSON(previous)
	return ok(w, out)
}

// summaryJSON is a summary as Chatwoot renders it: averages in seconds,
// null with nothing to average.
func summaryJSON(s *app.ReportSummary) map[string]any {
	return map[string]any{ // a nil average is written as null
		"conversations_count":     s.Conversations,
		"incoming_messages_count": s.Incoming,
		"outgoing_messages_count": s.Outgoing,
		"avg_first_response_time": s.AvgFirstResponse,
		"avg_resolution_time":     s.AvgResolution,
		"resolutions_count":       s.Resolutions,
		"reply_time":              s.AvgReply,
	}
}

// conversationMetrics is Chatwoot's GET reports/conversations: the
// account's conversations now (type account), or each member's open ones
// (type agent; a page of 25, page from 1; user_id one member's).
func (h *Handler) conversationMetrics(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	// Someone outside the account hears that first, as for any type,
	// not what is wrong with the query.
	if err := h.app.Administers(r.Context(), accountID); err != nil {
		return err
	}
	switch r.URL.Query().Get("type") {
	case "account":
		m, err := h.app.ConversationMetrics(r.Context(), accountID)
		if err != nil {
			return err
		}
		return ok(w, map[string]any{"open": m.Open, "unattended": m.Unattended, "unassigned": m.Unassigned,
			"pending": m.Pending})
	case "agent":
		userID, err := queryID(r, "user_id")
		if err != nil {
			return err
		}
		page, err := queryID(r, "page")
		if err != nil {
			return err
		}
		agents, err := h.app.AgentConversationMetrics(r.Context(), accountID, userID, int(max(page, 1)))
		if err != nil {
			return err
		}
		out := make([]map[string]any, len(agents))
		for i, a := range agents {
			u := a.Member.User
			out[i] = map[string]any{"id": u.ID, "name": u.Name, "email": u.Email, "thumbnail": "",
				"availability": a.Member.AvailabilityStatus().String(),
				"metric":       map[string]any{"open": a.Open, "unattended": a.Unattended}}
		}
		return ok(w, out)
	}
	return baton.Invalid("type must be account or agent", "type")
}

// The headers of Chatwoot's report downloads (its reports.*_csv
// translations), a column each of summaryCSV's rows after the name (and
// an inbox's type).
var (
	timesHeader  = []string{"Avg first response time", "Avg resolution time"}
	agentsHeader = slices.Concat([]string{"Agent name", "Assigned conversations"}, timesHeader,
		[]string{"Avg customer waiting time", "Resolution Count"})
	inboxesHeader = slices.Concat([]string{"Inbox name", "Inbox type", "No. of conversations"}, timesHeader,
		[]string{"Avg customer waiting time", "Resolution Count"})
	labelsHeader = slices.Concat([]string{"Label", "No. of conversations"}, timesHeader,
		[]string{"Avg reply time", "Resolution Count"})
	teamsHeader = slices.Concat([]string{"Team name", "Conversations count"}, timesHeader,
		[]string{"Avg customer waiting time", "Resolution Count"})
)

// summaryCSV is one of Chatwoot's report downloads, GET reports/agents,
// inboxes, labels and teams: the reporting period, then a row for each
// agent, inbox, team or label of the range (since, until, business_hours)
// with its conversations, average times as people read them and
// resolutions, written as filename.
func (h *Handler) summaryCSV(by, filename string, header []string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		accountID, rq, err := accountReportQuery(r)
		if err != nil {
			return err
		}
		sum, err := h.app.ReportSummaries(r.Context(), accountID, by, rq)
		if err != nil {
			return err
		}
		out := [][]string{{"Reporting period " + sum.Since.Format(time.DateOnly) + " to " + sum.Until.Format(time.DateOnly)},
			{}, header}
		for _, row := range sum.Rows {
			line := []string{row.Name}
			if by == app.SummaryByInbox {
				line = append(line, channelName(row.Inbox))
			}
			out = append(out, append(line, strconv.FormatInt(row.Conversations, 10), csvTime(row.AvgFirstResponse),
				csvTime(row.AvgResolution), csvTime(row.AvgReply), strconv.FormatInt(row.Resolutions, 10)))
		}
		return writeCSV(w, filename, out)
	}
}

// channelName is an inbox's channel as Chatwoot's Channel#name says it.
func channelName(i *baton.Inbox) string {
	if i.IsWebWidget() {
		return "Website"
	}
	return "API"
}

// conversationTraffic is Chatwoot's GET reports/conversation_traffic: the
// conversations created in each hour of the days_before days (6 by
// default, at most 365) before today and today so far, in the zone of
// timezone_offset, a row an hour and a column a day.
func (h *Handler) conversationTraffic(w http.ResponseWriter, r *http.Request) error {
	accountID, rq, err := accountReportQuery(r)
	if err != nil {
		return err
	}
	days, err := queryID(r, "days_before")
	if err != nil {
		return err
	}
	if r.URL.Query().Get("days_before") == "" {
		days = 6
	}
	if days > 365 {
		return baton.Invalid("days_before must be at most 365", "days_before")
	}
	zone := time.FixedZone("", int(rq.Offset.Seconds()))
	now := h.app.Now().In(zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	rq.Type, rq.ID, rq.GroupBy, rq.BusinessHours = "account", "", "hour", false
	rq.Since, rq.Until = today.AddDate(0, 0, -int(days)), now.Add(time.Second)
	points, _, err := h.app.ReportSeries(r.Context(), accountID, app.MetricConversations, rq)
	if err != nil {
		return err
	}
	var dates []string
	cells := map[string]map[int]string{}
	for _, p := range points {
		at := p.Start.In(zone)
		d := at.Format(time.DateOnly)
		if cells[d] == nil {
			dates = append(dates, d)
			cells[d] = map[int]string{}
		}
		cells[d][at.Hour()] = strconv.FormatInt(p.Count, 10)
	}
	offset := rq.Offset
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	out := [][]string{{"Timezone", fmt.Sprintf("(GMT%s%02d:%02d)", sign, int(offset.Hours()), int(offset.Minutes())%60)}, {},
		append([]string{"Start of the hour"}, dates...)}
	for hour := range 24 {
		row := []string{fmt.Sprintf("%02d:00", hour)}
		for _, d := range dates {
			row = append(row, cells[d][hour]) // "" for an hour yet to come
		}
		out = append(out, row)
	}
	return writeCSV(w, "conversation_traffic_reports.csv", out)
}

// writeCSV writes rows as a CSV download named filename, every cell safe
// to open in a spreadsheet (csvCell).
func writeCSV(w http.ResponseWriter, filename string, rows [][]string) error {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	for _, row := range rows {
		safe := make([]string, len(row))
		for i, c := range row {
			safe[i] = csvCell(c)
		}
		if err := cw.Write(safe); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b.Bytes())
	return err
}

// csvCell is a cell a spreadsheet shows as the text it is: one that begins
// with what would make it a formula (=, +, -, @, or a tab or carriage
// return before one) gets a leading apostrophe, as Chatwoot's CSVSafe
// does. The CSV writer quotes what needs quoting.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvTime is an average of seconds as Chatwoot's
// Reports::TimeFormatPresenter says it ("1 hour 12 minutes", "1 day 5
// minutes": its two largest units that are not 0, the seconds cut), or ""
// with nothing averaged.
func csvTime(seconds *float64) string {
	if seconds == nil {
		return ""
	}
	s := int64(*seconds)
	var parts []string
	for _, u := range []struct {
		name string
		size int64
	}{{"day", 86400}, {"hour", 3600}, {"minute", 60}, {"second", 1}} {
		n := s / u.size
		s %= u.size
		if n == 0 || len(parts) == 2 {
			continue
		}
		name := u.name
		if n != 1 {
			name += "s"
		}
		parts = append(parts, strconv.FormatInt(n, 10)+" "+name)
	}
	if len(parts) == 0 {
		return "0 seconds"
	}
	return strings.Join(parts, " ")
}
