package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// Administration: inboxes, agents, bots and their delivery logs. Every
// handler here is behind h.admin; the app checks the role again.

type inboxesPage struct {
	base
	Inboxes []*baton.Inbox
}

func (h *Handler) listInboxes(w http.ResponseWriter, r *http.Request) {
	h.list(w, r, "Inboxes", "inboxes", func(b base) (any, error) {
		inboxes, err := h.app.Inboxes(r.Context(), b.AccountID)
		return inboxesPage{base: b, Inboxes: inboxes}, err
	})
}

// list renders the settings list page (its template and section) with the
// title; data loads the account's things into the page's data with b.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, title, page string, data func(b base) (any, error)) {
	b, _ := baseFrom(r)
	b.Title, b.Section = title, page
	d, err := data(b)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, http.StatusOK, page, d)
}

func (h *Handler) createInbox(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	name := r.FormValue("name")
	in := app.InboxInput{Name: &name}
	switch r.FormValue("channel") {
	case "website":
		in.ChannelType = baton.ChannelWebWidget
		site := r.FormValue("website_url")
		in.WebsiteURL = &site
	default:
		in.ChannelType = baton.ChannelAPI
	}
	i, err := h.app.CreateInbox(r.Context(), b.AccountID, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, accountPath(b.AccountID, "/settings/inboxes/"+itoa(i.ID)), http.StatusSeeOther)
}

type inboxPage struct {
	base
	Inbox   *baton.Inbox
	Snippet string
	Agents  []memberChoice
	Bots    []*app.AgentBotView
	BotID   int64
}

type memberChoice struct {
	ID     int64
	Name   string
	Email  string
	Member bool
}

func (h *Handler) showInbox(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	i, err := h.app.Inbox(ctx, b.AccountID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	choices, err := h.memberChoices(ctx, b.AccountID, id, h.app.InboxMembers)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := inboxPage{base: b, Inbox: i, Agents: choices}
	if i.IsWebWidget() {
		p.Snippet = baton.WidgetScript(h.publicURL(), i.WebsiteToken)
	}
	if p.Bots, err = h.app.AgentBots(ctx, b.AccountID); err != nil {
		h.fail(w, r, err)
		return
	}
	if v, err := h.app.InboxAgentBot(ctx, b.AccountID, id); err == nil && v != nil && v.Bot != nil {
		p.BotID = v.Bot.ID
	}
	p.Title, p.Section = i.Name+" · Inboxes", "inboxes"
	h.render(w, http.StatusOK, "inbox", p)
}

// inboxAction runs an action on the inbox in the path, then shows it.
func (h *Handler) inboxAction(fn func(r *http.Request, accountID, id int64) error) http.HandlerFunc {
	return h.idAction(fn, func(id int64) string { return "/settings/inboxes/" + itoa(id) })
}

// idAction runs fn on the thing whose id is in the path, then shows the
// page then names: one shape for every administration action.
func (h *Handler) idAction(fn func(r *http.Request, accountID, id int64) error, then func(id int64) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := baseFrom(r)
		id, err := pathID(r, "id")
		if err == nil {
			err = fn(r, b.AccountID, id)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.done(w, r, accountPath(b.AccountID, then(id)))
	}
}

func (h *Handler) updateInbox(r *http.Request, accountID, id int64) error {
	name := r.FormValue("name")
	auto := r.FormValue("enable_auto_assignment") != ""
	greeting := r.FormValue("greeting_enabled") != ""
	msg := r.FormValue("greeting_message")
	csat := r.FormValue("csat_survey_enabled") != ""
	in := app.InboxInput{Name: &name, EnableAutoAssignment: &auto, GreetingEnabled: &greeting, GreetingMessage: &msg,
		CSATSurveyEnabled: &csat}
	if v := strings.TrimSpace(r.FormValue("max_assignment_limit")); v != "" || r.Form.Has("max_assignment_limit") {
		limit := 0
		if v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return baton.Invalid("Most open conversations a person is given must be a whole number (empty for no limit)", "max_assignment_limit")
			}
			limit = n
		}
		in.MaxAssignmentLimit = &limit
	}
	_, err := h.app.UpdateInbox(r.Context(), accountID, id, in)
	return err
}

// updateInboxWidget saves a website inbox's pre-chat form (on or off, its
// message, and each field's enabled, required and label; fields are added
// through the API) and its out-of-office settings.
func (h *Handler) updateInboxWidget(r *http.Request, accountID, id int64) error {
	i, err := h.app.Inbox(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	on := r.FormValue("pre_chat_form_enabled") != ""
	form := i.PreChatForm
	form.Message = r.FormValue("pre_chat_message")
	form.Fields = slices.Clone(form.Fields)
	for n := range form.Fields {
		f := &form.Fields[n]
		f.Enabled = r.FormValue("field_enabled_"+strconv.Itoa(n)) != ""
		f.Required = r.FormValue("field_required_"+strconv.Itoa(n)) != ""
		f.Label = r.FormValue("field_label_" + strconv.Itoa(n))
	}
	hours := r.FormValue("working_hours_enabled") != ""
	zone, away := r.FormValue("timezone"), r.FormValue("out_of_office_message")
	_, err = h.app.UpdateInbox(r.Context(), accountID, id, app.InboxInput{PreChatFormEnabled: &on, PreChatForm: &form,
		WorkingHoursEnabled: &hours, Timezone: &zone, OutOfOfficeMessage: &away})
	return err
}

// updateInboxDomains saves the sites that may show a website inbox's
// widget: its allowed domains, as the API's allowed_domains takes them.
func (h *Handler) updateInboxDomains(r *http.Request, accountID, id int64) error {
	domains := r.FormValue("allowed_domains")
	_, err := h.app.UpdateInbox(r.Context(), accountID, id, app.InboxInput{AllowedDomains: &domains})
	return err
}

func (h *Handler) setInboxMembers(r *http.Request, accountID, id int64) error {
	ids, err := memberIDs(r)
	if err != nil {
		return err
	}
	_, err = h.app.ChangeInboxMembers(r.Context(), accountID, id, app.MembersReplace, ids)
	return err
}

// memberIDs reads a members form: the user ids of the checked members.
func memberIDs(r *http.Request) ([]int64, error) {
	var ids []int64
	for _, v := range r.Form["member"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, baton.Invalid("member is not a number", "member")
		}
		ids = append(ids, n)
	}
	return ids, nil
}

func (h *Handler) setInboxBot(r *http.Request, accountID, id int64) error {
	botID, err := formID(r, "agent_bot")
	if err != nil {
		return err
	}
	return h.app.SetInboxAgentBot(r.Context(), accountID, id, botID)
}

type agentsPage struct {
	base
	Agents  []*baton.AccountUser
	Inboxes []*baton.Inbox // for the new agent's
}

func (h *Handler) listAgents(w http.ResponseWriter, r *http.Request) {
	h.list(w, r, "Agents", "agents", func(b base) (any, error) {
		agents, err := h.app.Agents(r.Context(), b.AccountID)
		if err != nil {
			return nil, err
		}
		inboxes, err := h.app.Inboxes(r.Context(), b.AccountID)
		return agentsPage{base: b, Agents: agents, Inboxes: inboxes}, err
	})
}

// createAgent makes a member of the account and of the inboxes ticked: an
// agent sees and is given only the conversations of their inboxes. The
// inboxes are checked before anyone is made.
func (h *Handler) createAgent(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	name, email, pass := r.FormValue("name"), r.FormValue("email"), r.FormValue("password")
	_ = r.ParseForm()
	var inboxes []int64
	for _, v := range r.PostForm["inbox_ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			h.fail(w, r, baton.Invalid("Inbox "+v+" is not an inbox of the account", "inbox_ids"))
			return
		}
		inboxes = append(inboxes, id)
	}
	// Someone who uses Baton already (in another account) joins as they
	// are: the password is for someone new.
	in := app.AgentInput{Name: name, Email: email, Role: r.FormValue("role"), NewNeedsPassword: true, InboxIDs: inboxes}
	if pass != "" {
		in.Password = &pass
	}
	if _, err := h.app.AddAgent(r.Context(), b.AccountID, in); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, accountPath(b.AccountID, "/settings/agents"))
}

// agentAction runs an action on the agent in the path, then shows the agents.
func (h *Handler) agentAction(fn func(r *http.Request, accountID, id int64) error) http.HandlerFunc {
	return h.idAction(fn, func(int64) string { return "/settings/agents" })
}

func (h *Handler) setAgentRole(r *http.Request, accountID, id int64) error {
	return h.app.SetAgentRole(r.Context(), accountID, id, r.FormValue("role"))
}

func (h *Handler) removeAgent(r *http.Request, accountID, id int64) error {
	return h.app.RemoveAgent(r.Context(), accountID, id)
}

type botsPage struct {
	base
	Bots []*app.AgentBotView
}

func (h *Handler) listBots(w http.ResponseWriter, r *http.Request) {
	h.list(w, r, "Bots", "bots", func(b base) (any, error) {
		bots, err := h.app.AgentBots(r.Context(), b.AccountID)
		return botsPage{base: b, Bots: bots}, err
	})
}

// botInput reads the bot form, with its optional avatar.
func botInput(r *http.Request) (app.AgentBotInput, func(), error) {
	if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
		return app.AgentBotInput{}, func() {}, baton.Errorf(baton.ETOOLARGE, "The avatar is too large.")
	}
	name, desc, u := r.FormValue("name"), r.FormValue("description"), r.FormValue("outgoing_url")
	in := app.AgentBotInput{Name: &name, Description: &desc, OutgoingURL: &u}
	if s := strings.TrimSpace(r.FormValue("handoff_deadline")); s != "" {
		secs, err := strconv.Atoi(s)
		if err != nil || secs < 0 {
			return in, func() {}, baton.Invalid("Handoff deadline must be a number of seconds", "handoff_deadline")
		}
		d := time.Duration(secs) * time.Second
		in.HandoffDeadline = &d
	}
	if _, ok := r.Form["policy"]; ok {
		keep := r.FormValue("keep_pending_on_failure") != ""
		in.KeepPendingOnFailure = &keep
	}
	closeFn := func() {}
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["avatar"]; len(fhs) > 0 && fhs[0].Size > 0 {
			f, err := fhs[0].Open()
			if err != nil {
				return in, closeFn, err
			}
			closeFn = func() { f.Close() }
			in.Avatar = &app.FileInput{Name: fhs[0].Filename, ContentType: fhs[0].Header.Get("Content-Type"), Body: f}
		}
	}
	return in, closeFn, nil
}

func (h *Handler) createBot(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	in, closeFn, err := botInput(r)
	defer closeFn()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.app.CreateAgentBot(r.Context(), b.AccountID, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, accountPath(b.AccountID, "/settings/bots/"+itoa(v.Bot.ID)), http.StatusSeeOther)
}

type botPage struct {
	base
	Bot      *app.AgentBotView
	Deadline int
	Inboxes  []*baton.Inbox
	InboxBot map[int64]bool
}

func (h *Handler) showBot(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	ctx := r.Context()
	id, v, err := h.pathBot(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	inboxes, err := h.app.Inboxes(ctx, b.AccountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := botPage{base: b, Bot: v, Deadline: int(v.Bot.HandoffDeadline / time.Second), Inboxes: inboxes, InboxBot: map[int64]bool{}}
	for _, i := range inboxes {
		if ib, err := h.app.InboxAgentBot(ctx, b.AccountID, i.ID); err == nil && ib != nil && ib.Bot != nil && ib.Bot.ID == id {
			p.InboxBot[i.ID] = true
		}
	}
	p.Title, p.Section = v.Bot.Name+" · Bots", "bots"
	h.render(w, http.StatusOK, "bot", p)
}

// botAction runs an action on the bot in the path, then shows it.
func (h *Handler) botAction(fn func(r *http.Request, accountID, id int64) error) http.HandlerFunc {
	return h.idAction(fn, func(id int64) string { return "/settings/bots/" + itoa(id) })
}

func (h *Handler) updateBot(r *http.Request, accountID, id int64) error {
	in, closeFn, err := botInput(r)
	defer closeFn()
	if err != nil {
		return err
	}
	_, err = h.app.UpdateAgentBot(r.Context(), accountID, id, in)
	return err
}

func (h *Handler) resetBotToken(r *http.Request, accountID, id int64) error {
	_, err := h.app.ResetAgentBotToken(r.Context(), accountID, id)
	return err
}

func (h *Handler) resetBotSecret(r *http.Request, accountID, id int64) error {
	_, err := h.app.ResetAgentBotSecret(r.Context(), accountID, id)
	return err
}

func (h *Handler) connectBot(r *http.Request, accountID, id int64) error {
	inboxID, err := formID(r, "inbox_id")
	if err != nil {
		return err
	}
	if inboxID == 0 {
		return baton.Invalid("Choose an inbox", "inbox_id")
	}
	return h.app.SetInboxAgentBot(r.Context(), accountID, inboxID, id)
}

type deliveryRow struct {
	UUID         string
	URL          string
	Event        string
	Status       string
	Conversation int64
	Attempts     int
	LastError    string
	CreatedAt    time.Time
}

type deliveriesPage struct {
	base
	Bot      *app.AgentBotView
	Status   string
	Statuses []string
	Rows     []deliveryRow
	NextURL  string
	Replayed string
}

func (h *Handler) listDeliveries(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	ctx := r.Context()
	id, v, err := h.pathBot(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	dq := app.DeliveryQuery{Before: r.FormValue("before")}
	status := r.FormValue("status")
	if status != "" {
		st, ok := baton.ParseDeliveryStatus(status)
		if !ok {
			h.fail(w, r, baton.Invalid("Unknown status", "status"))
			return
		}
		dq.Status = &st
	}
	page, err := h.app.Deliveries(ctx, b.AccountID, baton.BotTarget(id), dq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	botPath := accountPath(b.AccountID, "/settings/bots/"+itoa(id))
	p := deliveriesPage{base: b, Bot: v, Status: status, Replayed: r.FormValue("replayed")}
	for st := baton.DeliveryPending; st <= baton.DeliveryParked; st++ {
		p.Statuses = append(p.Statuses, st.String())
	}
	for _, d := range page.Deliveries {
		p.Rows = append(p.Rows, deliveryRow{UUID: d.UUID, URL: botPath + "/deliveries/" + d.UUID, Event: d.EventName,
			Status: d.Status.String(), Conversation: d.DisplayID, Attempts: d.Attempts, LastError: d.LastError,
			CreatedAt: d.CreatedAt})
	}
	if page.Next != "" {
		p.NextURL = botPath + "/deliveries?status=" + status + "&before=" + page.Next
	}
	p.Title, p.Section = "Deliveries · "+v.Bot.Name, "bots"
	h.render(w, http.StatusOK, "deliveries", p)
}

type attemptRow struct {
	At       time.Time
	Status   int
	Latency  string
	Error    string
	Response string
}

type deliveryPage struct {
	base
	Bot      *app.AgentBotView
	Row      deliveryRow
	Request  string
	Attempts []attemptRow
}

func (h *Handler) showDelivery(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	ctx := r.Context()
	id, v, err := h.pathBot(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.app.Delivery(ctx, b.AccountID, baton.BotTarget(id), r.PathValue("uuid"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := deliveryPage{base: b, Bot: v, Row: deliveryRow{UUID: d.UUID, Event: d.EventName, Status: d.Status.String(),
		Conversation: d.DisplayID, Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt,
		URL: accountPath(b.AccountID, "/settings/bots/"+itoa(id)+"/deliveries/"+d.UUID)}}
	var pretty strings.Builder
	var doc any
	if json.Unmarshal(d.Payload, &doc) == nil {
		enc := json.NewEncoder(&pretty)
		enc.SetIndent("", "  ")
		_ = enc.Encode(doc)
	} else {
		pretty.Write(d.Payload)
	}
	p.Request = pretty.String()
	for _, a := range d.Log {
		p.Attempts = append(p.Attempts, attemptRow{At: a.AttemptedAt, Status: a.StatusCode, Latency: a.Latency.Round(time.Millisecond).String(),
			Error: a.Error, Response: a.Response})
	}
	p.Title, p.Section = "Delivery "+d.UUID, "bots"
	h.render(w, http.StatusOK, "delivery", p)
}

func (h *Handler) redeliver(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.app.Redeliver(r.Context(), b.AccountID, baton.BotTarget(id), r.PathValue("uuid"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, accountPath(b.AccountID, "/settings/bots/"+itoa(id)+"/deliveries/"+d.UUID))
}

func (h *Handler) replay(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	conv, err := formID(r, "conversation_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	since, err := time.Parse("2006-01-02T15:04", r.FormValue("since"))
	if err != nil {
		h.fail(w, r, baton.Invalid("Since must be a date and time", "since"))
		return
	}
	n, err := h.app.Replay(r.Context(), b.AccountID, baton.BotTarget(id), conv, since.UTC())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, accountPath(b.AccountID, "/settings/bots/"+itoa(id)+"/deliveries?replayed="+strconv.Itoa(n)))
}

// pathBot reads the id in the path and finds the account's bot with it.
func (h *Handler) pathBot(r *http.Request) (int64, *app.AgentBotView, error) {
	b, _ := baseFrom(r)
	id, err := pathID(r, "id")
	if err != nil {
		return 0, nil, err
	}
	v, err := h.app.AgentBot(r.Context(), b.AccountID, id)
	return id, v, err
}

// memberChoices lists the account's agents for the members form of the
// inbox or team id, marking those that members (the app's InboxMembers or
// TeamMembers) lists.
func (h *Handler) memberChoices(ctx context.Context, accountID, id int64,
	members func(ctx context.Context, accountID, id int64) ([]*baton.AccountUser, error)) ([]memberChoice, error) {
	agents, err := h.app.Agents(ctx, accountID)
	if err != nil {
		return nil, err
	}
	ms, err := members(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	isMember := map[int64]bool{}
	for _, m := range ms {
		isMember[m.UserID] = true
	}
	var choices []memberChoice
	for _, au := range agents {
		choices = append(choices, memberChoice{ID: au.UserID, Name: au.User.AvailableName(), Email: au.User.Email, Member: isMember[au.UserID]})
	}
	return choices, nil
}
