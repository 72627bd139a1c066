package agent

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// bulkAction acts on the conversations ticked in a queue's list: the bulk
// bar's form (ids, and the button pressed as "do": assign, team, resolve,
// reopen or label) through app.BulkUpdateConversations, the API's bulk
// action. Then back to the list, which says what was done and what was
// skipped and why. A form that asks for nothing possible (nothing ticked,
// no one chosen) goes back saying so, as does an action the app refuses.
func (h *Handler) bulkAction(w http.ResponseWriter, r *http.Request) {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if b, _ := baseFrom(r); !b.member() {
		// Another account's form is not found before it is read: its
		// notices would tell a stranger the account is there.
		h.fail(w, r, baton.ErrNotFound)
		return
	}
	back := bulkBack(accountID, r.PostFormValue("back"))
	in, err := bulkInput(r, h.app.Now())
	var res *app.BulkResult
	if err == nil {
		res, err = h.app.BulkUpdateConversations(r.Context(), accountID, in)
	}
	switch code := baton.ErrorCode(err); {
	case err == nil:
		h.setNotice(w, r, accountID, h.bulkMessage(w, r, in, res), false)
	case code == baton.EINVALID || code == baton.EBADREQUEST:
		h.setNotice(w, r, accountID, baton.ErrorMessage(err), true)
	default:
		h.fail(w, r, err)
		return
	}
	h.done(w, r, back)
}

// bulkBack is where a bulk action returns: the list it was sent from, or
// the account's first queue.
func bulkBack(accountID int64, back string) string {
	list := accountPath(accountID, "/conversations")
	if rest, ok := strings.CutPrefix(safeNext(back), list); ok && (rest == "" || rest[0] == '?') {
		return back
	}
	return list
}

// bulkInput reads the bulk bar's form into the action it asks for; now is
// what a snooze's times count from.
func bulkInput(r *http.Request, now time.Time) (app.BulkAction, error) {
	var in app.BulkAction
	for _, v := range r.PostForm["ids"] {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			return in, baton.Invalid(fmt.Sprintf("%.20q is not a conversation number.", v), "ids")
		}
		in.IDs = append(in.IDs, id)
	}
	if len(in.IDs) == 0 {
		return in, baton.Invalid("Select at least one conversation first.", "ids")
	}
	do := r.PostFormValue("do")
	if do == "" || do == "default" {
		// Enter in the label box: the form's first button is a hidden
		// default that sends do=default.
		do = "label"
	}
	switch do {
	case "assign", "team":
		field, ask := "assignee_id", "Choose whom to assign them to."
		if do == "team" {
			field, ask = "team_id", "Choose a team."
		}
		if strings.TrimSpace(r.PostFormValue(field)) == "" {
			return in, baton.Invalid(ask, field)
		}
		id, err := formID(r, field)
		if err != nil {
			return in, err
		}
		if do == "assign" {
			in.AssigneeID = &id
		} else {
			in.TeamID = &id
		}
	case "snooze":
		if r.PostFormValue("until") == "" {
			return in, baton.Invalid("Choose how long to snooze them.", "until")
		}
		until, err := snoozeUntil(r.PostFormValue("until"), now, r.PostFormValue("zone"), r.PostFormValue("tz"), "")
		if err != nil {
			return in, err
		}
		status := "snoozed"
		in.Status, in.SnoozedUntil = &status, until
	case "resolve", "reopen", "hand_back":
		status := map[string]string{"resolve": "resolved", "reopen": "open", "hand_back": "pending"}[do]
		in.Status = &status
		if do == "hand_back" {
			// As the conversation page's Hand back: the bot's, and nobody's.
			var nobody int64
			in.AssigneeID = &nobody
		}
	case "label":
		for _, l := range strings.Split(r.PostFormValue("label"), ",") {
			if l = strings.TrimSpace(l); l != "" {
				in.AddLabels = append(in.AddLabels, l)
			}
		}
		if len(in.AddLabels) == 0 {
			return in, baton.Invalid("Type a label to add.", "label")
		}
	default:
		return in, baton.Invalid("Choose an action: Assign, Set team, Resolve, Reopen, Hand back to bot, Snooze or Add label.", "do")
	}
	return in, nil
}

// bulkMessage says what a bulk action did: "3 conversations assigned to
// Bea; 1 skipped: #7 not found or not in your inboxes".
func (h *Handler) bulkMessage(w http.ResponseWriter, r *http.Request, in app.BulkAction, res *app.BulkResult) string {
	var did string
	switch {
	case in.Status != nil && *in.Status == "pending":
		did = "handed back to the bot"
	case in.AssigneeID != nil && res.Assignee != nil:
		did = "assigned to " + res.Assignee.AvailableName()
	case in.AssigneeID != nil:
		did = "unassigned"
	case in.TeamID != nil && res.Team != nil:
		did = "given to the team " + res.Team.Name
	case in.TeamID != nil:
		did = "taken off their team"
	case in.Status != nil && *in.Status == "resolved":
		did = "resolved"
	case in.Status != nil && *in.Status == "snoozed":
		did = "snoozed"
	case in.Status != nil:
		did = "reopened"
	default:
		labels := make([]string, len(in.AddLabels))
		for i, l := range in.AddLabels {
			labels[i] = strings.ToLower(l)
		}
		did = "labelled " + strings.Join(labels, ", ")
	}
	var msg string
	switch n := len(res.Done); n {
	case 0:
		msg = "No conversation changed"
	case 1:
		msg = "1 conversation " + did
	default:
		msg = fmt.Sprintf("%d conversations %s", n, did)
	}
	if len(res.Skipped) == 0 {
		return msg + "."
	}
	// The skipped, grouped by why, in the order first met.
	var whys []string
	ids := map[string][]string{}
	for _, sk := range res.Skipped {
		why := h.skipReason(w, r, sk, res)
		if !slices.Contains(whys, why) {
			whys = append(whys, why)
		}
		ids[why] = append(ids[why], "#"+itoa(sk.ID))
	}
	groups := make([]string, len(whys))
	for i, why := range whys {
		groups[i] = strings.Join(ids[why], ", ") + " " + why
	}
	return fmt.Sprintf("%s; %d skipped: %s.", msg, len(res.Skipped), strings.Join(groups, "; "))
}

// skipReason says why a conversation was skipped, in words for the list.
// Internal errors are logged and said to be ours.
func (h *Handler) skipReason(w http.ResponseWriter, r *http.Request, sk app.BulkSkip, res *app.BulkResult) string {
	var be *baton.Error
	switch code := baton.ErrorCode(sk.Err); {
	case code == baton.ENOTFOUND:
		return "not found or not in your inboxes"
	case code == baton.EINTERNAL || statuses[code] == 0 || !errors.As(sk.Err, &be) || be.Message == "":
		h.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "request_id", w.Header().Get("X-Request-Id"),
			"conversation", sk.ID, "err", sk.Err)
		return "went wrong on our side"
	case slices.Contains(be.Attributes, "assignee_id") && res.Assignee != nil:
		return res.Assignee.AvailableName() + " does not work in its inbox"
	}
	return strings.ToLower(be.Message[:1]) + strings.TrimSuffix(be.Message[1:], ".")
}

// noticeCookie carries a result message to the list a form returns to,
// for one showing: a message in the URL could be sent in a link by anyone.
const noticeCookie = "baton_notice"

// setNotice leaves a message for the account's list to show next; bad
// marks it as an error.
func (h *Handler) setNotice(w http.ResponseWriter, r *http.Request, accountID int64, msg string, bad bool) {
	if bad {
		msg = "!" + msg
	}
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Value: url.QueryEscape(clip(msg, 1000)),
		Path: accountPath(accountID, "/conversations"), HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

// takeNotice returns the message left for the list, if any, and forgets it.
func (h *Handler) takeNotice(w http.ResponseWriter, r *http.Request, accountID int64) (msg string, bad bool) {
	c, err := r.Cookie(noticeCookie)
	if err != nil {
		return "", false
	}
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Value: "", Path: accountPath(accountID, "/conversations"),
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: -1})
	msg, err = url.QueryUnescape(c.Value)
	if err != nil {
		return "", false
	}
	msg, bad = strings.CutPrefix(msg, "!")
	return msg, bad
}
