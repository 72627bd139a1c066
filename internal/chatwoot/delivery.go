package chatwoot

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// The delivery log, redelivery, replay and pull: Baton's own endpoints,
// beyond Chatwoot (docs/compatibility.md). Times are RFC 3339 in UTC with
// milliseconds; filters take RFC 3339 or unix seconds.

// deliveryJSON is a delivery with its attempts; the payload only on the
// single delivery.
type deliveryJSON struct {
	ID             string          `json:"id"` // the X-Chatwoot-Delivery value
	Event          string          `json:"event"`
	ConversationID any             `json:"conversation_id"`
	Status         string          `json:"status"`
	Attempts       int             `json:"attempts"`
	NextAttemptAt  any             `json:"next_attempt_at"` // null unless pending
	CreatedAt      string          `json:"created_at"`
	UpdatedAt      string          `json:"updated_at"`
	LastError      any             `json:"last_error"`
	AttemptsLog    []attemptJSON   `json:"attempts_log"`
	Payload        json.RawMessage `json:"payload,omitempty"`
}

type attemptJSON struct {
	AttemptedAt     string  `json:"attempted_at"`
	StatusCode      any     `json:"status_code"` // null when no answer came
	LatencyMS       float64 `json:"latency_ms"`
	Error           any     `json:"error"`
	ResponseExcerpt string  `json:"response_excerpt"`
}

func deliveryView(d *baton.LoggedDelivery, withPayload bool) deliveryJSON {
	j := deliveryJSON{ID: d.UUID, Event: d.EventName, ConversationID: nilIfZero(d.DisplayID), Status: d.Status.String(),
		Attempts: d.Attempts, CreatedAt: iso(d.CreatedAt), UpdatedAt: iso(d.UpdatedAt), LastError: nilIfEmpty(d.LastError),
		AttemptsLog: make([]attemptJSON, 0, len(d.Log))}
	if d.Status == baton.DeliveryPending {
		j.NextAttemptAt = iso(d.NextAttemptAt)
	}
	for _, a := range d.Log {
		j.AttemptsLog = append(j.AttemptsLog, attemptJSON{AttemptedAt: iso(a.AttemptedAt), StatusCode: nilIfZero(int64(a.StatusCode)),
			LatencyMS: float64(a.Latency.Microseconds()) / 1000, Error: nilIfEmpty(a.Error), ResponseExcerpt: a.Response})
	}
	if withPayload {
		j.Payload = rawObject(d.Payload)
	}
	return j
}

// rawObject is a stored payload as JSON, or null if it is not JSON.
func rawObject(b []byte) json.RawMessage {
	if !json.Valid(b) {
		return json.RawMessage("null")
	}
	return b
}

// queryTime reads an optional time: unix seconds or RFC 3339.
func queryTime(r *http.Request, name string) (time.Time, error) {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return time.Time{}, nil
	}
	return parseTime(name, s)
}

func parseTime(name, s string) (time.Time, error) {
	if secs, err := strconv.ParseFloat(s, 64); err == nil && secs >= 0 && secs <= maxUnixSeconds {
		return time.UnixMicro(int64(secs * 1e6)).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, baton.Errorf(baton.EBADREQUEST, "%s must be unix seconds or an RFC 3339 time", name)
}

// queryInt reads an optional positive whole number.
func queryInt(r *http.Request, name string) (int, error) {
	n, err := queryID(r, name)
	return int(n), err
}

// accountAndTarget reads the account and the target, of the kind, whose
// delivery log the path names.
func accountAndTarget(r *http.Request, kind baton.TargetKind) (int64, baton.Target, error) {
	accountID, id, err := accountAndID(r)
	return accountID, baton.Target{Kind: kind, ID: id}, err
}

func (h *Handler) listDeliveries(kind baton.TargetKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		accountID, t, err := accountAndTarget(r, kind)
		if err != nil {
			return err
		}
		q := r.URL.Query()
		dq := app.DeliveryQuery{Event: q.Get("event"), Before: q.Get("before")}
		if s := q.Get("status"); s != "" {
			status, known := baton.ParseDeliveryStatus(s)
			if !known {
				return baton.Errorf(baton.EBADREQUEST, "status must be pending, succeeded, failed or parked")
			}
			dq.Status = &status
		}
		if dq.ConversationID, err = queryID(r, "conversation_id"); err != nil {
			return err
		}
		if dq.Since, err = queryTime(r, "since"); err != nil {
			return err
		}
		if dq.Until, err = queryTime(r, "until"); err != nil {
			return err
		}
		if dq.Page, err = queryInt(r, "page"); err != nil {
			return err
		}
		if dq.Limit, err = queryInt(r, "per_page"); err != nil {
			return err
		}
		p, err := h.app.Deliveries(r.Context(), accountID, t, dq)
		if err != nil {
			return err
		}
		out := make([]deliveryJSON, 0, len(p.Deliveries))
		for _, d := range p.Deliveries {
			out = append(out, deliveryView(d, false))
		}
		return ok(w, map[string]any{"payload": out, "meta": map[string]any{"current_page": p.Page, "next": nilIfEmpty(p.Next)}})
	}
}

func (h *Handler) showDelivery(kind baton.TargetKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		accountID, t, err := accountAndTarget(r, kind)
		if err != nil {
			return err
		}
		d, err := h.app.Delivery(r.Context(), accountID, t, r.PathValue("delivery_id"))
		if err != nil {
			return err
		}
		return ok(w, deliveryView(d, true))
	}
}

func (h *Handler) redeliver(kind baton.TargetKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		accountID, t, err := accountAndTarget(r, kind)
		if err != nil {
			return err
		}
		d, err := h.app.Redeliver(r.Context(), accountID, t, r.PathValue("delivery_id"))
		if err != nil {
			return err
		}
		return ok(w, deliveryView(d, true))
	}
}

// replayRequest is the body of a replay: a conversation's display id, and
// since when (unix seconds or RFC 3339; absent: from its first event).
type replayRequest struct {
	ConversationID flexInt         `json:"conversation_id"`
	Since          json.RawMessage `json:"since"`
}

func (h *Handler) replay(kind baton.TargetKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		accountID, t, err := accountAndTarget(r, kind)
		if err != nil {
			return err
		}
		var body replayRequest
		if err := h.decode(w, r, &body); err != nil {
			return err
		}
		if body.ConversationID <= 0 {
			return baton.Invalid("Conversation id must be given", "conversation_id")
		}
		var since time.Time
		if s := strings.Trim(string(body.Since), `" `); s != "" && s != "null" {
			if since, err = parseTime("since", s); err != nil {
				return err
			}
		}
		n, err := h.app.Replay(r.Context(), accountID, t, int64(body.ConversationID), since)
		if err != nil {
			return err
		}
		return ok(w, map[string]any{"deliveries": n})
	}
}

// botEventJSON is an event as a bot pulls it.
type botEventJSON struct {
	ID             int64           `json:"id"`
	Event          string          `json:"event"`
	ConversationID any             `json:"conversation_id"`
	DeliveryStatus string          `json:"delivery_status"`
	CreatedAt      string          `json:"created_at"`
	Payload        json.RawMessage `json:"payload"`
}

func (h *Handler) listBotEvents(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	after, err := queryID(r, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	evs, next, err := h.app.BotEvents(r.Context(), accountID, after, limit)
	if err != nil {
		return err
	}
	out := make([]botEventJSON, 0, len(evs))
	for _, e := range evs {
		out = append(out, botEventJSON{ID: e.ID, Event: e.Name, ConversationID: nilIfZero(e.DisplayID),
			DeliveryStatus: e.DeliveryStatus.String(), CreatedAt: iso(e.CreatedAt), Payload: rawObject(e.Payload)})
	}
	return ok(w, map[string]any{"payload": out, "meta": map[string]any{"next": next}})
}
