package chatwoot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// bulkActionRequest is Chatwoot's POST bulk_actions body: {"type":
// "Conversation", "ids": [display ids], "fields": {"status", "assignee_id",
// "team_id"}, "labels": {"add": [...], "remove": [...]}, "snoozed_until":
// unix seconds}.
type bulkActionRequest struct {
	Type         string             `json:"type"`
	IDs          bulkIDs            `json:"ids"`
	Fields       bulkFieldsRequest  `json:"fields"`
	Labels       *bulkLabelsRequest `json:"labels"`
	SnoozedUntil flexTime           `json:"snoozed_until"`
}

type bulkLabelsRequest struct {
	Add    []string `json:"add"`
	Remove []string `json:"remove"`
}

// bulkIDs are conversations' display ids: numbers or numeric strings (as
// forms send them), each a positive whole number.
type bulkIDs []int64

func (ids *bulkIDs) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return baton.Invalid("ids must be a list of conversation ids", "ids")
	}
	out := make([]int64, 0, len(raw))
	for _, r := range raw {
		s := string(bytes.TrimSpace(r))
		if len(s) >= 2 && s[0] == '"' {
			s = s[1 : len(s)-1]
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return baton.Invalid(fmt.Sprintf("ids must be positive whole numbers, not %.40s", r), "ids")
		}
		out = append(out, n)
	}
	*ids = out
	return nil
}

// bulkFieldsRequest is the fields object, read key by key: a key it does
// not know is refused (Chatwoot drops it unread), null status is no change,
// and null (or 0) assignee_id and team_id clear them, as in Chatwoot.
type bulkFieldsRequest struct {
	Status     *string
	AssigneeID *int64
	TeamID     *int64
}

func (f *bulkFieldsRequest) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return baton.Invalid("fields must be an object", "fields")
	}
	for k, v := range m {
		null := string(bytes.TrimSpace(v)) == "null"
		switch k {
		case "status":
			var s *string
			if err := json.Unmarshal(v, &s); err != nil {
				return baton.Invalid("fields.status must be a string", "status")
			}
			if s != nil && *s != "" {
				f.Status = s
			}
		case "assignee_id", "team_id":
			var id flexInt
			if !null {
				if err := json.Unmarshal(v, &id); err != nil || id < 0 {
					return baton.Invalid(fmt.Sprintf("fields.%s must be an id or null", k), k)
				}
			}
			n := int64(id)
			if k == "assignee_id" {
				f.AssigneeID = &n
			} else {
				f.TeamID = &n
			}
		default:
			return baton.Invalid(fmt.Sprintf("fields may hold status, assignee_id and team_id, not %.40q", k), "fields")
		}
	}
	return nil
}

// bulkActionJSON is Baton's answer to a bulk action: Chatwoot answers 200
// with no body and does the work later; Baton has done it, and says what
// happened to each conversation.
type bulkActionJSON struct {
	Updated []int64        `json:"updated"`
	Skipped []bulkSkipJSON `json:"skipped"`
}

type bulkSkipJSON struct {
	ID    int64  `json:"id"`
	Error string `json:"error"`
}

// bulkAction changes many conversations at once: Chatwoot's
// POST bulk_actions, done before the answer instead of in a job.
func (h *Handler) bulkAction(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body bulkActionRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	switch t := strings.TrimSpace(body.Type); t {
	case "Conversation", "conversation":
	case "Contact", "contact":
		return baton.Invalid("Bulk actions on contacts are not supported: type must be Conversation", "type")
	default:
		return baton.Invalid("type must be Conversation", "type")
	}
	in := app.BulkAction{IDs: body.IDs, Status: body.Fields.Status, AssigneeID: body.Fields.AssigneeID,
		TeamID: body.Fields.TeamID, SnoozedUntil: body.SnoozedUntil.t}
	if body.Labels != nil {
		in.AddLabels, in.RemoveLabels = body.Labels.Add, body.Labels.Remove
	}
	res, err := h.app.BulkUpdateConversations(r.Context(), accountID, in)
	if err != nil {
		return err
	}
	out := bulkActionJSON{Updated: res.Done, Skipped: []bulkSkipJSON{}}
	if out.Updated == nil {
		out.Updated = []int64{}
	}
	for _, sk := range res.Skipped {
		out.Skipped = append(out.Skipped, bulkSkipJSON{ID: sk.ID, Error: h.skipMessage(w, r, sk)})
	}
	return ok(w, out)
}

// skipMessage says why a conversation was skipped: the error's own message,
// "Conversation not found" for any the caller may not see, and for an
// internal error a generic one (the error is logged).
func (h *Handler) skipMessage(w http.ResponseWriter, r *http.Request, sk app.BulkSkip) string {
	switch code := baton.ErrorCode(sk.Err); {
	case code == baton.ENOTFOUND:
		return "Conversation not found"
	case code == baton.EINTERNAL || codes[code] == 0:
		h.log.Error("internal error", "method", r.Method, "route", r.Pattern, "request_id", w.Header().Get("X-Request-Id"),
			"conversation", sk.ID, "err", sk.Err)
		return "Something went wrong"
	}
	return baton.ErrorMessage(sk.Err)
}
