package chatwoot

import (
	"net/http"
	"strconv"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// contactRequest is the body of a contact create or update.
type contactRequest struct {
	Name                 *string    `json:"name"`
	Email                *string    `json:"email"`
	PhoneNumber          *string    `json:"phone_number"`
	Identifier           *string    `json:"identifier"`
	Blocked              *flexBool  `json:"blocked"`
	AdditionalAttributes flexObject `json:"additional_attributes"`
	CustomAttributes     flexObject `json:"custom_attributes"`
	InboxID              flexInt    `json:"inbox_id"`
	SourceID             string     `json:"source_id"`
}

func (b contactRequest) input() app.ContactInput {
	return app.ContactInput{Name: b.Name, Email: b.Email, PhoneNumber: b.PhoneNumber, Identifier: b.Identifier,
		Blocked: boolPtr(b.Blocked), AdditionalAttributes: b.AdditionalAttributes, CustomAttributes: b.CustomAttributes}
}

// contactJSON is a contact as the Application API shows it.
type contactJSON struct {
	AdditionalAttributes map[string]any     `json:"additional_attributes"`
	AvailabilityStatus   string             `json:"availability_status"`
	Email                any                `json:"email"`
	ID                   int64              `json:"id"`
	Name                 string             `json:"name"`
	PhoneNumber          any                `json:"phone_number"`
	Blocked              bool               `json:"blocked"`
	Identifier           any                `json:"identifier"`
	Thumbnail            string             `json:"thumbnail"`
	CustomAttributes     map[string]any     `json:"custom_attributes"`
	LastActivityAt       any                `json:"last_activity_at"`
	CreatedAt            int64              `json:"created_at"`
	ContactInboxes       []contactInboxJSON `json:"contact_inboxes,omitzero"` // left out when nil
}

// contactInboxJSON is a contact's identity in one inbox, in contact views.
type contactInboxJSON struct {
	SourceID string         `json:"source_id"`
	Inbox    map[string]any `json:"inbox"`
}

func contactView(c *baton.Contact) contactJSON {
	return contactJSON{AdditionalAttributes: objectOrEmpty(c.AdditionalAttributes), AvailabilityStatus: "offline",
		Email: nilIfEmpty(c.Email), ID: c.ID, Name: c.Name, PhoneNumber: nilIfEmpty(c.PhoneNumber), Blocked: c.Blocked,
		Identifier: nilIfEmpty(c.Identifier), Thumbnail: "", CustomAttributes: objectOrEmpty(c.CustomAttributes),
		LastActivityAt: unixOrNil(c.LastActivityAt), CreatedAt: unix(c.CreatedAt)}
}

func contactInboxBriefs(cis []*baton.ContactInbox) []contactInboxJSON {
	out := make([]contactInboxJSON, 0, len(cis))
	for _, ci := range cis {
		out = append(out, contactInboxJSON{SourceID: ci.SourceID, Inbox: map[string]any{"id": ci.InboxID}})
	}
	return out
}

// contactInboxView is a contact inbox as Chatwoot's contact_inboxes and
// contactable_inboxes show it: its source id and its inbox.
func (h *Handler) contactInboxView(sourceID string, i *baton.Inbox, admin bool) map[string]any {
	return map[string]any{"source_id": sourceID, "inbox": h.inboxView(i, admin)}
}

// createContactInbox is Chatwoot's POST contacts/{id}/contact_inboxes
// (app.AddContactInbox).
func (h *Handler) createContactInbox(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	var body struct {
		InboxID  flexInt `json:"inbox_id"`
		SourceID string  `json:"source_id"`
	}
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	ci, inbox, err := h.app.AddContactInbox(r.Context(), accountID, id, int64(body.InboxID), body.SourceID)
	if err != nil {
		return err
	}
	return ok(w, h.contactInboxView(ci.SourceID, inbox, h.app.IsAdmin(r.Context(), accountID)))
}

// contactableInboxes is Chatwoot's GET contacts/{id}/contactable_inboxes.
func (h *Handler) contactableInboxes(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	cis, err := h.app.ContactableInboxes(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	admin := h.app.IsAdmin(r.Context(), accountID)
	out := make([]map[string]any, 0, len(cis))
	for _, ci := range cis {
		out = append(out, h.contactInboxView(ci.SourceID, ci.Inbox, admin))
	}
	return ok(w, map[string]any{"payload": out})
}

func (h *Handler) listContacts(w http.ResponseWriter, r *http.Request) error {
	return h.contactPage(w, r, "")
}

func (h *Handler) searchContacts(w http.ResponseWriter, r *http.Request) error {
	return h.contactPage(w, r, r.URL.Query().Get("q"))
}

func (h *Handler) contactPage(w http.ResponseWriter, r *http.Request, query string) error {
	return h.contactsAnswer(w, r, func(accountID int64, page int, withInboxes bool) ([]*baton.Contact, map[int64][]*baton.ContactInbox, int, error) {
		return h.app.Contacts(r.Context(), accountID, query, page, withInboxes)
	})
}

// filterContacts is Chatwoot's POST contacts/filter (app.FilterContacts),
// answered as the contacts list is.
func (h *Handler) filterContacts(w http.ResponseWriter, r *http.Request) error {
	var body filterRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	return h.contactsAnswer(w, r, func(accountID int64, page int, withInboxes bool) ([]*baton.Contact, map[int64][]*baton.ContactInbox, int, error) {
		return h.app.FilterContacts(r.Context(), accountID, body.inputs(), page, withInboxes)
	})
}

// contactsAnswer answers a page of contacts, which list finds for the
// path's account, the query's page and include_contact_inboxes.
func (h *Handler) contactsAnswer(w http.ResponseWriter, r *http.Request,
	list func(accountID int64, page int, withInboxes bool) ([]*baton.Contact, map[int64][]*baton.ContactInbox, int, error)) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	// Chatwoot's include_contact_inboxes: true unless it is "false".
	withInboxes := r.URL.Query().Get("include_contact_inboxes") != "false"
	cs, cis, total, err := list(accountID, page, withInboxes)
	if err != nil {
		return err
	}
	out := make([]contactJSON, 0, len(cs))
	for _, c := range cs {
		v := contactView(c)
		if withInboxes {
			v.ContactInboxes = contactInboxBriefs(cis[c.ID])
		}
		out = append(out, v)
	}
	return ok(w, map[string]any{"meta": map[string]any{"count": total, "current_page": page}, "payload": out})
}

func (h *Handler) createContact(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body contactRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, ci, err := h.app.CreateContact(r.Context(), accountID, body.input(), int64(body.InboxID), body.SourceID)
	if err != nil {
		return err
	}
	var cis []*baton.ContactInbox
	var brief any
	if ci != nil {
		cis = append(cis, ci)
		brief = map[string]any{"inbox": map[string]any{"id": ci.InboxID}, "source_id": ci.SourceID}
	}
	v := contactView(c)
	v.ContactInboxes = contactInboxBriefs(cis)
	payload := map[string]any{"contact": v, "contact_inbox": brief}
	return ok(w, map[string]any{"payload": payload})
}

func (h *Handler) showContact(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	c, cis, err := h.app.Contact(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	v := contactView(c)
	v.ContactInboxes = contactInboxBriefs(cis)
	return ok(w, map[string]any{"payload": v})
}

func (h *Handler) updateContact(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	var body contactRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.UpdateContact(r.Context(), accountID, id, body.input())
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"payload": contactView(c)})
}

// destroyContactAttributes is Chatwoot's POST contacts/{id}/
// destroy_custom_attributes: the keys named are removed from the
// contact's custom attributes, the others stay.
func (h *Handler) destroyContactAttributes(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	var body struct {
		CustomAttributes []string `json:"custom_attributes"`
	}
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.UpdateContact(r.Context(), accountID, id, app.ContactInput{UnsetAttributes: body.CustomAttributes})
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"payload": contactView(c)})
}

func (h *Handler) deleteContact(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	if err := h.app.DeleteContact(r.Context(), accountID, id); err != nil {
		return err
	}
	return empty(w)
}

func (h *Handler) listContactConversations(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	cs, err := h.app.ContactConversations(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"payload": h.conversationViews(cs)})
}

// contactPush is a contact's push_event_data: how a contact appears as a
// sender in messages and conversation meta.
type contactPush struct {
	AdditionalAttributes map[string]any `json:"additional_attributes"`
	CustomAttributes     map[string]any `json:"custom_attributes"`
	Email                any            `json:"email"`
	ID                   int64          `json:"id"`
	Identifier           any            `json:"identifier"`
	Name                 string         `json:"name"`
	PhoneNumber          any            `json:"phone_number"`
	Thumbnail            string         `json:"thumbnail"`
	Blocked              bool           `json:"blocked"`
	Type                 string         `json:"type"`
}

func contactPushView(c *baton.Contact) *contactPush {
	if c == nil {
		return nil
	}
	return &contactPush{AdditionalAttributes: objectOrEmpty(c.AdditionalAttributes),
		CustomAttributes: objectOrEmpty(c.CustomAttributes), Email: nilIfEmpty(c.Email), ID: c.ID,
		Identifier: nilIfEmpty(c.Identifier), Name: c.Name, PhoneNumber: nilIfEmpty(c.PhoneNumber), Thumbnail: "",
		Blocked: c.Blocked, Type: "contact"}
}
