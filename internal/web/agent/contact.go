package agent

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// Contacts: every member of the account sees its contacts and edits them,
// as the Application API lets them; of a contact's conversations each sees
// those app.ContactConversations gives them (an agent, those of the inboxes
// they work).

// contactRow is one contact of the list.
type contactRow struct {
	URL           string
	Name          string
	Email         string
	Phone         string
	Conversations int
	LatestURL     string
	LatestID      int64
	LatestStatus  string
}

type contactsPage struct {
	base
	Rows    []contactRow
	Search  string
	Total   int
	Page    int
	Pages   int
	NextURL string
	PrevURL string
	Deleted bool // a contact was just deleted
}

func (h *Handler) listContacts(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	search := strings.TrimSpace(r.FormValue("q"))
	if len(search) > app.MaxSearchLength {
		search = strings.ToValidUTF8(search[:app.MaxSearchLength], "") // not half a character
	}
	page, _ := strconv.Atoi(r.FormValue("page"))
	page = min(max(page, 1), app.MaxPage)
	d, err := h.app.ContactsByActivity(r.Context(), b.AccountID, search, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	link := func(page int) string {
		v := url.Values{}
		if search != "" {
			v.Set("q", search)
		}
		if page > 1 {
			v.Set("page", strconv.Itoa(page))
		}
		if len(v) == 0 {
			return accountPath(b.AccountID, "/contacts")
		}
		return accountPath(b.AccountID, "/contacts?"+v.Encode())
	}
	b.Title, b.Section = "Contacts", "contacts"
	p := contactsPage{base: b, Search: search, Total: d.Total, Page: page,
		Pages: (d.Total + app.ContactPageSize - 1) / app.ContactPageSize, Deleted: r.FormValue("deleted") == "1"}
	for _, c := range d.Contacts {
		rw := contactRow{URL: contactURL(b.AccountID, c.ID), Name: contactName(c), Email: c.Email, Phone: c.PhoneNumber}
		if t, ok := d.Conversations[c.ID]; ok {
			rw.Conversations, rw.LatestID, rw.LatestStatus = t.Count, t.LatestDisplayID, statusLabel(t.LatestStatus)
			rw.LatestURL = accountPath(b.AccountID, "/conversations/"+itoa(t.LatestDisplayID))
		}
		p.Rows = append(p.Rows, rw)
	}
	if page*app.ContactPageSize < d.Total {
		p.NextURL = link(page + 1)
	}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	h.render(w, http.StatusOK, "contacts", p)
}

func contactURL(accountID, id int64) string {
	return accountPath(accountID, "/contacts/"+itoa(id))
}

// statusLabel is a conversation's status as the pages name it.
func statusLabel(s baton.Status) string {
	switch s {
	case baton.StatusOpen:
		return "Open"
	case baton.StatusPending:
		return "With the bot"
	case baton.StatusSnoozed:
		return "Snoozed"
	case baton.StatusResolved:
		return "Resolved"
	}
	return s.String()
}

// contactConversation is one of the contact's conversations on its page.
type contactConversation struct {
	DisplayID    int64
	URL          string
	Status       string
	Inbox        string
	LastActivity time.Time
}

// contactForm is the edit form: what was typed, and why it was refused.
type contactForm struct {
	Name, Email, Phone string
	Error              string
	Field              string // the field the error is about
}

type contactPage struct {
	base
	Contact       *baton.Contact
	Name          string
	Company       string
	Location      string
	Attributes    []keyValue
	Conversations []contactConversation
	Clock         *contactClock // the contact's local time, when known (see contactClockOf)
	Form          contactForm
	Fields        []attributeField // the account's contact attributes, edited with the contact
	Saved         bool
	DeleteError   string // why the deletion was refused
}

func (h *Handler) showContact(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.contactPage(r, b, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Form = contactForm{Name: p.Contact.Name, Email: p.Contact.Email, Phone: p.Contact.PhoneNumber}
	p.Saved = r.FormValue("saved") != ""
	h.render(w, http.StatusOK, "contact", p)
}

// contactPage reads what the contact's page shows.
func (h *Handler) contactPage(r *http.Request, b base, id int64) (contactPage, error) {
	ctx := r.Context()
	c, _, err := h.app.Contact(ctx, b.AccountID, id)
	if err != nil {
		return contactPage{}, err
	}
	cs, err := h.app.ContactConversations(ctx, b.AccountID, id)
	if err != nil {
		return contactPage{}, err
	}
	b.Title, b.Section = contactName(c)+" · Contacts", "contacts"
	fields := h.attributeFields(r, b.AccountID, baton.AttributeOfContact, c.CustomAttributes)
	p := contactPage{base: b, Contact: c, Name: contactName(c), Attributes: attributes(c.CustomAttributes, fieldNames(fields)),
		Fields: fields}
	p.Company, p.Location = company(c.AdditionalAttributes), location(c.AdditionalAttributes)
	var latest *baton.Conversation // the list's first: their latest activity
	if len(cs) > 0 {
		latest = cs[0]
	}
	p.Clock = contactClockOf(h.now(), c, latest)
	for _, v := range cs {
		cc := contactConversation{DisplayID: v.DisplayID, URL: accountPath(b.AccountID, "/conversations/"+itoa(v.DisplayID)),
			Status: statusLabel(v.Status), LastActivity: v.LastActivityAt}
		if v.Inbox != nil {
			cc.Inbox = v.Inbox.Name
		}
		p.Conversations = append(p.Conversations, cc)
	}
	return p, nil
}

// company is the contact's company, as Chatwoot's dashboard keeps it in
// the additional attributes.
func company(m map[string]any) string {
	if s := text(m["company_name"]); s != "" {
		return s
	}
	return text(m["company"])
}

// location is the contact's place: Chatwoot's location, or its city and
// country.
func location(m map[string]any) string {
	if s := text(m["location"]); s != "" {
		return s
	}
	var parts []string
	for _, k := range []string{"city", "country"} {
		if s := strings.TrimSpace(text(m[k])); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// updateContact saves the edit form through the app, as the API's update
// does. A refusal shows the page again with what was typed and why.
func (h *Handler) updateContact(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := contactForm{Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), Phone: r.PostFormValue("phone_number")}
	set, unset, err := h.attributeEdits(r, b.AccountID, baton.AttributeOfContact)
	if err == nil {
		_, err = h.app.UpdateContact(r.Context(), b.AccountID, id,
			app.ContactInput{Name: &f.Name, Email: &f.Email, PhoneNumber: &f.Phone, CustomAttributes: set, UnsetAttributes: unset})
	}
	// Refused values (and an e-mail another contact has) are 422, as the
	// API answers them.
	var be *baton.Error
	if errors.As(err, &be) && (be.Code == baton.EINVALID || be.Code == baton.ECONFLICT) {
		p, perr := h.contactPage(r, b, id)
		if perr != nil {
			h.fail(w, r, perr)
			return
		}
		f.Error = baton.ErrorMessage(err)
		f.Field = "email"
		if len(be.Attributes) > 0 {
			f.Field = be.Attributes[0]
		}
		p.Form = f
		h.render(w, http.StatusUnprocessableEntity, "contact", p)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, contactURL(b.AccountID, id)+"?saved=1", http.StatusSeeOther)
}

// deleteContact deletes the contact with their conversations, messages and
// files (app.DeleteContact, administrators only), once the form's box says
// the administrator knows it cannot be undone; then the contacts, saying so.
func (h *Handler) deleteContact(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		p, err := h.contactPage(r, b, id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		p.DeleteError = "Tick the box to say you know the deletion cannot be undone."
		h.render(w, http.StatusUnprocessableEntity, "contact", p)
		return
	}
	if err := h.app.DeleteContact(r.Context(), b.AccountID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, accountPath(b.AccountID, "/contacts?deleted=1"), http.StatusSeeOther)
}
