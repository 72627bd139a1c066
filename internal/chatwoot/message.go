package chatwoot

import (
	"net/http"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// messageRequest is the body of a message create, as JSON or a form.
type messageRequest struct {
	Content           *string    `json:"content"`
	MessageType       enumName   `json:"message_type"`
	Private           flexBool   `json:"private"`
	ContentType       string     `json:"content_type"`
	ContentAttributes flexObject `json:"content_attributes"`
	EchoID            string     `json:"echo_id"`
	SourceID          string     `json:"source_id"`
}

func (b messageRequest) input() app.MessageInput {
	return app.MessageInput{Content: b.Content, MessageType: string(b.MessageType), Private: bool(b.Private),
		ContentType: b.ContentType, ContentAttributes: b.ContentAttributes, EchoID: b.EchoID, SourceID: b.SourceID}
}

// attachmentJSON is an attachment's push_event_data.
type attachmentJSON struct {
	ID        int64  `json:"id"`
	MessageID int64  `json:"message_id"`
	FileType  string `json:"file_type"`
	AccountID int64  `json:"account_id"`
	Extension any    `json:"extension"`
	DataURL   string `json:"data_url"`
	ThumbURL  string `json:"thumb_url"`
	FileSize  int64  `json:"file_size"`
	Width     any    `json:"width"`
	Height    any    `json:"height"`
	// FileName, beyond Chatwoot (whose data_url ends with it), is the name
	// the file was uploaded with, in what the customer's side reads
	// (namedAttachmentViews): Baton's data_url ends with a random key.
	// Webhooks keep Chatwoot's keys exactly.
	FileName string `json:"file_name,omitempty"`
}

func (h *Handler) attachmentViews(atts []*baton.Attachment) []attachmentJSON {
	if len(atts) == 0 {
		return nil
	}
	out := make([]attachmentJSON, 0, len(atts))
	for _, a := range atts {
		url := h.publicURL() + "/attachments/" + idString(a.ID) + "/" + a.StorageKey
		v := attachmentJSON{ID: a.ID, MessageID: a.MessageID, FileType: a.FileType, AccountID: a.AccountID,
			Extension: nilIfEmpty(a.Extension()), DataURL: url, FileSize: a.ByteSize}
		if a.FileType == baton.FileImage {
			v.ThumbURL = url
		}
		out = append(out, v)
	}
	return out
}

// namedAttachmentViews are attachmentViews with each file's name, for the
// customer's side (the public client API, the widget and its live
// messages), which shows it.
func (h *Handler) namedAttachmentViews(atts []*baton.Attachment) []attachmentJSON {
	out := h.attachmentViews(atts)
	for i, a := range atts {
		out[i].FileName = a.FileName
	}
	return out
}

// senderPush is how a message's sender appears in message views.
func (h *Handler) senderPush(s *baton.Sender) any {
	switch {
	case s == nil:
		return nil
	case s.Contact != nil:
		return contactPushView(s.Contact)
	case s.User != nil:
		return userPushView(s.User)
	case s.Bot != nil:
		return h.botPush(s.Bot)
	}
	return nil
}

// messageJSON is a message as the Application API shows it.
type messageJSON struct {
	ID                int64            `json:"id"`
	Content           *string          `json:"content"`
	InboxID           int64            `json:"inbox_id"`
	ConversationID    int64            `json:"conversation_id"`
	MessageType       int              `json:"message_type"`
	ContentType       string           `json:"content_type"`
	Status            string           `json:"status"`
	ContentAttributes map[string]any   `json:"content_attributes"`
	CreatedAt         int64            `json:"created_at"`
	Private           bool             `json:"private"`
	SourceID          any              `json:"source_id"`
	Sender            any              `json:"sender,omitempty"`
	Attachments       []attachmentJSON `json:"attachments,omitempty"`
	EchoID            string           `json:"echo_id,omitempty"`
}

func (h *Handler) messageView(m *baton.Message) messageJSON {
	return messageJSON{ID: m.ID, Content: m.Content, InboxID: m.InboxID, ConversationID: m.ConversationDisplayID,
		MessageType: int(m.MessageType), ContentType: m.ContentType.String(), Status: m.Status.String(),
		ContentAttributes: objectOrEmpty(m.ContentAttributes), CreatedAt: unix(m.CreatedAt), Private: m.Private,
		SourceID: nilIfEmpty(m.SourceID), Sender: h.senderPush(m.Sender), Attachments: h.attachmentViews(m.Attachments),
		EchoID: m.EchoID}
}

// messagePush is a message's push_event_data, as conversations carry it.
type messagePush struct {
	ID                      int64                   `json:"id"`
	Content                 *string                 `json:"content"`
	AccountID               int64                   `json:"account_id"`
	InboxID                 int64                   `json:"inbox_id"`
	ConversationID          int64                   `json:"conversation_id"`
	MessageType             int                     `json:"message_type"`
	CreatedAt               int64                   `json:"created_at"`
	UpdatedAt               string                  `json:"updated_at"`
	Private                 bool                    `json:"private"`
	Status                  string                  `json:"status"`
	SourceID                any                     `json:"source_id"`
	ContentType             string                  `json:"content_type"`
	ContentAttributes       map[string]any          `json:"content_attributes"`
	SenderType              any                     `json:"sender_type"`
	SenderID                any                     `json:"sender_id"`
	ExternalSourceIDs       map[string]any          `json:"external_source_ids"`
	AdditionalAttributes    map[string]any          `json:"additional_attributes"`
	ProcessedMessageContent *string                 `json:"processed_message_content"`
	Sentiment               map[string]any          `json:"sentiment"`
	Conversation            messageConversationPush `json:"conversation"`
	Sender                  any                     `json:"sender,omitempty"`
	Attachments             []attachmentJSON        `json:"attachments,omitempty"`
}

func (h *Handler) messagePushView(c *baton.Conversation, m *baton.Message) messagePush {
	v := messagePush{ID: m.ID, Content: m.Content, AccountID: m.AccountID, InboxID: m.InboxID,
		ConversationID: c.DisplayID, MessageType: int(m.MessageType), CreatedAt: unix(m.CreatedAt),
		UpdatedAt: iso(m.UpdatedAt), Private: m.Private, Status: m.Status.String(), SourceID: nilIfEmpty(m.SourceID),
		ContentType: m.ContentType.String(), ContentAttributes: objectOrEmpty(m.ContentAttributes),
		SenderType: nilIfEmpty(m.SenderType), ExternalSourceIDs: objectOrEmpty(m.ExternalSourceIDs),
		AdditionalAttributes: objectOrEmpty(m.AdditionalAttributes), ProcessedMessageContent: m.Content,
		Sentiment: map[string]any{}, Sender: h.senderPush(m.Sender), Attachments: h.attachmentViews(m.Attachments)}
	if m.SenderType != "" {
		v.SenderID = m.SenderID
	}
	v.Conversation = messageConversationPush{AssigneeID: nilIfZero(c.AssigneeID), UnreadCount: c.UnreadCount,
		LastActivityAt: unix(c.LastActivityAt)}
	if c.ContactInbox != nil {
		v.Conversation.ContactInbox = &sourceIDJSON{SourceID: c.ContactInbox.SourceID}
	}
	return v
}

// messageConversationPush is what a message's push_event_data tells of its
// conversation, its keys in Chatwoot's order.
type messageConversationPush struct {
	AssigneeID     any           `json:"assignee_id"`
	UnreadCount    int           `json:"unread_count"`
	LastActivityAt int64         `json:"last_activity_at"`
	ContactInbox   *sourceIDJSON `json:"contact_inbox,omitempty"`
}

type sourceIDJSON struct {
	SourceID string `json:"source_id"`
}

func (h *Handler) createMessage(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	var body messageRequest
	files, closeFiles, err := h.decodeWithFiles(w, r, &body)
	if err != nil {
		return err
	}
	defer closeFiles()
	in := body.input()
	in.Files = files
	m, err := h.app.CreateMessage(r.Context(), accountID, id, in)
	if err != nil {
		return err
	}
	return ok(w, h.messageView(m))
}

func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	before, err := queryID(r, "before")
	if err != nil {
		return err
	}
	after, err := queryID(r, "after")
	if err != nil {
		return err
	}
	page, err := h.app.Messages(r.Context(), accountID, id, before, after)
	if err != nil {
		return err
	}
	c := page.Conversation
	meta := map[string]any{"labels": c.Labels, "additional_attributes": objectOrEmpty(c.AdditionalAttributes),
		"contact": contactPushView(c.Contact), "assignee": nil, "agent_last_seen_at": isoOrNil(c.AgentLastSeenAt),
		"assignee_last_seen_at": isoOrNil(c.AssigneeLastSeenAt)}
	if c.Assignee != nil {
		meta["assignee"] = assigneePushView(c)
	}
	out := make([]messageJSON, 0, len(page.Messages))
	for _, m := range page.Messages {
		out = append(out, h.messageView(m))
	}
	return ok(w, map[string]any{"meta": meta, "payload": out})
}

func (h *Handler) deleteMessage(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	messageID, err := pathID(r, "message_id")
	if err != nil {
		return err
	}
	m, err := h.app.DeleteMessage(r.Context(), accountID, id, messageID)
	if err != nil {
		return err
	}
	return ok(w, h.messageView(m))
}
