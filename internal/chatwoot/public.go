package chatwoot

import (
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// The public client API, for API-channel inboxes. No token: the inbox
// identifier and the contact identifier (a source id) are the credential.

func (h *Handler) publicShowInbox(w http.ResponseWriter, r *http.Request) error {
	i, err := h.app.PublicInbox(r.Context())
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"identifier": i.Identifier, "identity_validation_enabled": i.HMACMandatory,
		"name": i.Name, "timezone": i.Timezone, "working_hours": workingHoursView(i.WorkingHours), "working_hours_enabled": i.WorkingHoursEnabled,
		"csat_survey_enabled": i.CSATSurveyEnabled, "greeting_enabled": i.GreetingEnabled})
}

// publicContactRequest is the body of a public contact create or update.
type publicContactRequest struct {
	contactRequest
	IdentifierHash string `json:"identifier_hash"`
}

func (b publicContactRequest) input() app.PublicContactInput {
	in := b.contactRequest.input()
	in.Blocked = nil // a customer cannot unblock themselves
	return app.PublicContactInput{ContactInput: in, SourceID: b.SourceID, IdentifierHash: b.IdentifierHash}
}

func publicContactView(c *baton.Contact, ci *baton.ContactInbox) map[string]any {
	c = c.AsSeenByItself()
	return map[string]any{"source_id": ci.SourceID, "pubsub_token": ci.PubsubToken, "id": c.ID, "name": c.Name,
		"email": nilIfEmpty(c.Email), "phone_number": nilIfEmpty(c.PhoneNumber)}
}

func (h *Handler) publicCreateContact(w http.ResponseWriter, r *http.Request) error {
	var body publicContactRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, ci, err := h.app.PublicCreateContact(r.Context(), body.input())
	if err != nil {
		return err
	}
	return ok(w, publicContactView(c, ci))
}

func (h *Handler) publicShowContact(w http.ResponseWriter, r *http.Request) error {
	p, err := h.app.PublicContact(r.Context())
	if err != nil {
		return err
	}
	return ok(w, publicContactView(p.Contact, p.ContactInbox))
}

func (h *Handler) publicUpdateContact(w http.ResponseWriter, r *http.Request) error {
	var body publicContactRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	p, err := h.app.PublicUpdateContact(r.Context(), body.input())
	if err != nil {
		return err
	}
	return ok(w, publicContactView(p.Contact, p.ContactInbox))
}

// publicMessageJSON is a message as the public API shows it.
type publicMessageJSON struct {
	ID                int64            `json:"id"`
	Content           *string          `json:"content"`
	MessageType       int              `json:"message_type"`
	ContentType       string           `json:"content_type"`
	ContentAttributes map[string]any   `json:"content_attributes"`
	CreatedAt         int64            `json:"created_at"`
	ConversationID    int64            `json:"conversation_id"`
	Attachments       []attachmentJSON `json:"attachments,omitempty"`
	Sender            any              `json:"sender,omitempty"`
	EchoID            string           `json:"echo_id,omitempty"`
}

func (h *Handler) publicMessageView(m *baton.Message) publicMessageJSON {
	return publicMessageJSON{ID: m.ID, Content: m.Content, MessageType: int(m.MessageType),
		ContentType: m.ContentType.String(), ContentAttributes: objectOrEmpty(m.ContentAttributes),
		CreatedAt: unix(m.CreatedAt), ConversationID: m.ConversationDisplayID,
		Attachments: h.namedAttachmentViews(m.Attachments), Sender: h.senderPush(m.Sender), EchoID: m.EchoID}
}

func (h *Handler) publicMessageViews(ms []*baton.Message) []publicMessageJSON {
	out := make([]publicMessageJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, h.publicMessageView(m))
	}
	return out
}

func (h *Handler) publicConversationView(c *baton.Conversation, ms []*baton.Message) map[string]any {
	contact := map[string]any{}
	if k := c.Contact; k != nil {
		k = k.AsSeenByItself()
		contact = map[string]any{"id": k.ID, "name": k.Name, "email": nilIfEmpty(k.Email),
			"phone_number": nilIfEmpty(k.PhoneNumber), "account_id": k.AccountID, "identifier": nilIfEmpty(k.Identifier),
			"additional_attributes": objectOrEmpty(k.AdditionalAttributes),
			"custom_attributes":     objectOrEmpty(k.CustomAttributes), "blocked": k.Blocked,
			"created_at": iso(k.CreatedAt), "updated_at": iso(k.UpdatedAt), "last_activity_at": isoOrNil(k.LastActivityAt)}
	}
	return map[string]any{"id": c.DisplayID, "uuid": c.UUID, "inbox_id": c.InboxID,
		"contact_last_seen_at": unixOrZero(c.ContactLastSeenAt), "status": c.Status.String(),
		"agent_last_seen_at": unixOrZero(c.AgentLastSeenAt), "messages": h.publicMessageViews(ms), "contact": contact}
}

func (h *Handler) publicListConversations(w http.ResponseWriter, r *http.Request) error {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	cs, msgs, err := h.app.PublicConversations(r.Context(), page)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(cs))
	for _, c := range cs {
		out = append(out, h.publicConversationView(c, msgs[c.ID]))
	}
	return ok(w, out)
}

type publicConversationRequest struct {
	CustomAttributes flexObject `json:"custom_attributes"`
}

func (h *Handler) publicCreateConversation(w http.ResponseWriter, r *http.Request) error {
	var body publicConversationRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.PublicCreateConversation(r.Context(), body.CustomAttributes)
	if err != nil {
		return err
	}
	return ok(w, h.publicConversationView(c, nil))
}

func (h *Handler) publicShowConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	c, ms, err := h.app.PublicConversation(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, h.publicConversationView(c, ms))
}

func (h *Handler) publicToggleStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	// Chatwoot's toggle_status resolves; {"status":"open"} asks for a
	// person instead (docs/webhooks.md).
	var body struct {
		Status string `json:"status"`
	}
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	var c *baton.Conversation
	var ms []*baton.Message
	switch body.Status {
	case "", "resolved":
		c, ms, err = h.app.PublicResolve(r.Context(), id)
	case "open":
		c, ms, err = h.app.PublicRequestHuman(r.Context(), id)
	default:
		err = baton.Invalid("status must be resolved or open", "status")
	}
	if err != nil {
		return err
	}
	return ok(w, h.publicConversationView(c, ms))
}

func (h *Handler) publicToggleTyping(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	var body typingRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	if err := h.app.PublicTyping(r.Context(), id, body.TypingStatus); err != nil {
		return err
	}
	return empty(w)
}

func (h *Handler) publicUpdateLastSeen(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	if err := h.app.PublicUpdateLastSeen(r.Context(), id); err != nil {
		return err
	}
	return empty(w)
}

func (h *Handler) publicListMessages(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	before, err := queryID(r, "before")
	if err != nil {
		return err
	}
	ms, err := h.app.PublicMessages(r.Context(), id, before)
	if err != nil {
		return err
	}
	return ok(w, h.publicMessageViews(ms))
}

type publicMessageRequest struct {
	Content *string `json:"content"`
	EchoID  string  `json:"echo_id"`
}

func (h *Handler) publicCreateMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	var body publicMessageRequest
	files, closeFiles, err := h.decodeWithFiles(w, r, &body)
	if err != nil {
		return err
	}
	defer closeFiles()
	m, err := h.app.PublicCreateMessage(r.Context(), id, app.PublicMessageInput{
		Content: body.Content, EchoID: body.EchoID, Files: files})
	if err != nil {
		return err
	}
	return ok(w, h.publicMessageView(m))
}

// answerRequest is a customer's answer to an interactive message.
type answerRequest struct {
	SubmittedValues any    `json:"submitted_values"`
	SubmittedEmail  string `json:"submitted_email"`
}

func (h *Handler) publicUpdateMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "conversation_id")
	if err != nil {
		return err
	}
	messageID, err := pathID(r, "message_id")
	if err != nil {
		return err
	}
	var body answerRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	m, err := h.app.PublicAnswer(r.Context(), id, messageID, app.Answer{
		SubmittedValues: body.SubmittedValues, SubmittedEmail: body.SubmittedEmail})
	if err != nil {
		return err
	}
	return ok(w, h.publicMessageView(m))
}

// serveAttachment sends an attachment's bytes. Only images, audio and video
// are shown inline; everything else downloads, so an uploaded file can never
// run as a page of this origin.
func (h *Handler) serveAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	att, body, err := h.app.OpenAttachment(r.Context(), id, r.PathValue("key"))
	if err != nil {
		return err
	}
	defer body.Close()
	disposition := "attachment"
	switch att.FileType {
	case baton.FileImage, baton.FileAudio, baton.FileVideo:
		if att.ContentType != "image/svg+xml" {
			disposition = "inline"
		}
	}
	w.Header().Set("Content-Type", att.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": att.FileName}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	return copyBody(w, body)
}

// copyBody sends a file. The status is sent already: a failure now can only
// cut the body short, so it is not reported as an error.
func copyBody(w http.ResponseWriter, body io.Reader) error {
	_, _ = io.Copy(w, body)
	return nil
}
