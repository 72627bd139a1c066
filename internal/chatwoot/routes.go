package chatwoot

import "github.com/batonhq/baton/internal/app"

// routes registers the whole surface. Paths and methods are Chatwoot's;
// docs/compatibility.md lists each with its state.
func (h *Handler) routes() {
	handle := func(pattern string, f handlerFunc) { h.mux.Handle(pattern, f.serve(h)) }

	// Platform API: platform-app tokens.
	handle("POST /platform/api/v1/accounts", h.platform(h.createAccount))
	handle("GET /platform/api/v1/accounts/{account_id}", h.platform(h.showAccount))
	handle("PATCH /platform/api/v1/accounts/{account_id}", h.platform(h.updateAccount))
	handle("PUT /platform/api/v1/accounts/{account_id}", h.platform(h.updateAccount))
	handle("DELETE /platform/api/v1/accounts/{account_id}", h.platform(h.deleteAccount))
	handle("GET /platform/api/v1/accounts/{account_id}/account_users", h.platform(h.listAccountUsers))
	handle("POST /platform/api/v1/accounts/{account_id}/account_users", h.platform(h.createAccountUser))
	handle("DELETE /platform/api/v1/accounts/{account_id}/account_users", h.platform(h.deleteAccountUser))
	handle("POST /platform/api/v1/users", h.platform(h.createUser))
	handle("GET /platform/api/v1/users/{id}", h.platform(h.showUser))
	handle("PATCH /platform/api/v1/users/{id}", h.platform(h.updateUser))
	handle("PUT /platform/api/v1/users/{id}", h.platform(h.updateUser))
	handle("DELETE /platform/api/v1/users/{id}", h.platform(h.deleteUser))

	// Application API: user tokens.
	handle("GET /api/v1/profile", h.token(h.showProfile))
	const acc = "/api/v1/accounts/{account_id}"
	handle("GET "+acc+"/agents", h.token(h.listAgents))
	handle("GET "+acc+"/inboxes", h.token(h.listInboxes))
	handle("POST "+acc+"/inboxes", h.token(h.createInbox))
	handle("GET "+acc+"/inboxes/{id}", h.token(h.showInbox))
	handle("PATCH "+acc+"/inboxes/{id}", h.token(h.updateInbox))
	handle("PUT "+acc+"/inboxes/{id}", h.token(h.updateInbox))
	handle("DELETE "+acc+"/inboxes/{id}", h.token(h.deleteInbox))
	handle("GET "+acc+"/inbox_members/{id}", h.token(h.listInboxMembers))
	handle("POST "+acc+"/inbox_members", h.token(h.changeInboxMembers(app.MembersAdd)))
	handle("PATCH "+acc+"/inbox_members", h.token(h.changeInboxMembers(app.MembersReplace)))
	handle("DELETE "+acc+"/inbox_members", h.token(h.changeInboxMembers(app.MembersRemove)))

	handle("GET "+acc+"/contacts", h.token(h.listContacts))
	handle("GET "+acc+"/contacts/search", h.token(h.searchContacts))
	handle("POST "+acc+"/contacts", h.token(h.createContact))
	handle("GET "+acc+"/contacts/{id}", h.token(h.showContact))
	handle("PATCH "+acc+"/contacts/{id}", h.token(h.updateContact))
	handle("PUT "+acc+"/contacts/{id}", h.token(h.updateContact))
	handle("DELETE "+acc+"/contacts/{id}", h.token(h.deleteContact))
	handle("GET "+acc+"/contacts/{id}/conversations", h.token(h.listContactConversations))

	const conv = acc + "/conversations/{conversation_id}"
	handle("GET "+acc+"/conversations", h.token(h.listConversations))
	handle("GET "+acc+"/conversations/meta", h.token(h.conversationsMeta))
	handle("POST "+acc+"/conversations", h.token(h.createConversation))
	handle("GET "+conv, h.token(h.showConversation))
	handle("PATCH "+conv, h.token(h.updateConversation))
	handle("PUT "+conv, h.token(h.updateConversation))
	handle("POST "+conv+"/toggle_status", h.token(h.toggleStatus))
	handle("POST "+conv+"/toggle_priority", h.token(h.togglePriority))
	handle("POST "+conv+"/toggle_typing_status", h.token(h.toggleTyping))
	handle("POST "+conv+"/custom_attributes", h.token(h.setCustomAttributes))
	handle("POST "+conv+"/update_last_seen", h.token(h.updateLastSeen))
	handle("GET "+conv+"/labels", h.token(h.listLabels))
	handle("POST "+conv+"/labels", h.token(h.setLabels))
	handle("POST "+conv+"/assignments", h.token(h.assign))
	handle("GET "+conv+"/messages", h.token(h.listMessages))
	handle("POST "+conv+"/messages", h.token(h.createMessage))
	handle("DELETE "+conv+"/messages/{message_id}", h.token(h.deleteMessage))

	// Public client API: API-channel inboxes, no token.
	const pub = "/public/api/v1/inboxes/{inbox_identifier}"
	const pubContact = pub + "/contacts/{contact_identifier}"
	const pubConv = pubContact + "/conversations/{conversation_id}"
	handle("GET "+pub, h.publicShowInbox)
	handle("POST "+pub+"/contacts", h.publicCreateContact)
	handle("GET "+pubContact, h.publicShowContact)
	handle("PATCH "+pubContact, h.publicUpdateContact)
	handle("PUT "+pubContact, h.publicUpdateContact)
	handle("GET "+pubContact+"/conversations", h.publicListConversations)
	handle("POST "+pubContact+"/conversations", h.publicCreateConversation)
	handle("GET "+pubConv, h.publicShowConversation)
	handle("POST "+pubConv+"/toggle_status", h.publicToggleStatus)
	handle("POST "+pubConv+"/toggle_typing", h.publicToggleTyping)
	handle("POST "+pubConv+"/update_last_seen", h.publicUpdateLastSeen)
	handle("GET "+pubConv+"/messages", h.publicListMessages)
	handle("POST "+pubConv+"/messages", h.publicCreateMessage)
	handle("PATCH "+pubConv+"/messages/{message_id}", h.publicUpdateMessage)

	// Attachment bytes, behind the unguessable key in data_url.
	handle("GET /attachments/{id}/{key...}", h.serveAttachment)

	handle("/api/", h.notFound)
	handle("/platform/", h.notFound)
	handle("/public/", h.notFound)
}
