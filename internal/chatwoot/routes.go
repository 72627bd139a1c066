package chatwoot

import (
	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

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
	handle("GET /platform/api/v1/users/{id}/login", h.platform(h.userLogin))
	handle("PATCH /platform/api/v1/users/{id}", h.platform(h.updateUser))
	handle("PUT /platform/api/v1/users/{id}", h.platform(h.updateUser))
	handle("DELETE /platform/api/v1/users/{id}", h.platform(h.deleteUser))
	handle("GET /platform/api/v1/agent_bots", h.platform(h.platformListAgentBots))
	handle("POST /platform/api/v1/agent_bots", h.platform(h.platformCreateAgentBot))
	handle("GET /platform/api/v1/agent_bots/{id}", h.platform(h.platformShowAgentBot))
	handle("PATCH /platform/api/v1/agent_bots/{id}", h.platform(h.platformUpdateAgentBot))
	handle("PUT /platform/api/v1/agent_bots/{id}", h.platform(h.platformUpdateAgentBot))
	handle("DELETE /platform/api/v1/agent_bots/{id}", h.platform(h.platformDeleteAgentBot))
	handle("DELETE /platform/api/v1/agent_bots/{id}/avatar", h.platform(h.platformDeleteAgentBotAvatar))

	// Devise Token Auth, for Chatwoot's dashboard, mobile app and scripts.
	handle("POST /auth/sign_in", h.signIn)
	handle("GET /auth/validate_token", h.validateToken)
	handle("DELETE /auth/sign_out", h.signOut)

	// Application API: user tokens; h.token also admits bot tokens, on the
	// endpoints bots may call (Chatwoot's list, plus reading the messages
	// and contacts of conversations the bot serves).
	handle("GET /api/v1/profile", h.user(h.showProfile))
	handle("PUT /api/v1/profile", h.user(h.updateProfile))
	handle("PATCH /api/v1/profile", h.user(h.updateProfile))
	handle("POST /api/v1/profile/availability", h.user(h.setAvailability))
	handle("POST /api/v1/profile/reset_access_token", h.user(h.resetAccessToken))
	const acc = "/api/v1/accounts/{account_id}"
	handle("GET "+acc+"/agents", h.user(h.listAgents))
	handle("POST "+acc+"/agents", h.user(h.createAgent))
	handle("PATCH "+acc+"/agents/{id}", h.user(h.updateAgent))
	handle("PUT "+acc+"/agents/{id}", h.user(h.updateAgent))
	handle("DELETE "+acc+"/agents/{id}", h.user(h.deleteAgent))
	handle("GET "+acc+"/inboxes", h.user(h.listInboxes))
	handle("POST "+acc+"/inboxes", h.user(h.createInbox))
	handle("GET "+acc+"/inboxes/{id}", h.user(h.showInbox))
	handle("PATCH "+acc+"/inboxes/{id}", h.user(h.updateInbox))
	handle("PUT "+acc+"/inboxes/{id}", h.user(h.updateInbox))
	handle("DELETE "+acc+"/inboxes/{id}", h.user(h.deleteInbox))
	handle("GET "+acc+"/inbox_members/{id}", h.user(h.listInboxMembers))
	handle("POST "+acc+"/inbox_members", h.user(h.changeInboxMembers(app.MembersAdd)))
	handle("PATCH "+acc+"/inbox_members", h.user(h.changeInboxMembers(app.MembersReplace)))
	handle("DELETE "+acc+"/inbox_members", h.user(h.changeInboxMembers(app.MembersRemove)))

	handle("GET "+acc+"/agent_bots", h.user(h.listAgentBots))
	handle("POST "+acc+"/agent_bots", h.user(h.createAgentBot))
	handle("GET "+acc+"/agent_bots/{id}", h.user(h.showAgentBot))
	handle("PATCH "+acc+"/agent_bots/{id}", h.user(h.updateAgentBot))
	handle("PUT "+acc+"/agent_bots/{id}", h.user(h.updateAgentBot))
	handle("DELETE "+acc+"/agent_bots/{id}", h.user(h.deleteAgentBot))
	handle("DELETE "+acc+"/agent_bots/{id}/avatar", h.user(h.deleteAgentBotAvatar))
	handle("POST "+acc+"/agent_bots/{id}/reset_access_token", h.user(h.resetAgentBotToken))
	handle("POST "+acc+"/agent_bots/{id}/reset_secret", h.user(h.resetAgentBotSecret))
	handle("POST "+acc+"/inboxes/{id}/set_agent_bot", h.user(h.setInboxAgentBot))
	handle("GET "+acc+"/inboxes/{id}/agent_bot", h.user(h.showInboxAgentBot))

	// Seeing and repairing delivery, beyond Chatwoot: a bot's delivery log,
	// redelivery and replay for administrators (user tokens), and the
	// events a bot pulls with its own token. The literal "events" segment
	// wins over {id} in the mux, and bot ids are numbers.
	const bot = acc + "/agent_bots/{id}"
	handle("GET "+bot+"/deliveries", h.user(h.listDeliveries(baton.TargetBot)))
	handle("GET "+bot+"/deliveries/{delivery_id}", h.user(h.showDelivery(baton.TargetBot)))
	handle("POST "+bot+"/deliveries/{delivery_id}/redeliver", h.user(h.redeliver(baton.TargetBot)))
	handle("POST "+bot+"/replay", h.user(h.replay(baton.TargetBot)))
	handle("GET "+acc+"/agent_bots/events", h.token(h.listBotEvents))

	// Account webhooks, as Chatwoot's, with Baton's delivery log beside
	// the bots' and the account's allow-list of private hosts.
	handle("GET "+acc+"/webhooks", h.user(h.listWebhooks))
	handle("POST "+acc+"/webhooks", h.user(h.createWebhook))
	handle("PATCH "+acc+"/webhooks/{id}", h.user(h.updateWebhook))
	handle("PUT "+acc+"/webhooks/{id}", h.user(h.updateWebhook))
	handle("DELETE "+acc+"/webhooks/{id}", h.user(h.deleteWebhook))
	handle("POST "+acc+"/webhooks/{id}/reset_secret", h.user(h.resetWebhookSecret))
	const hook = acc + "/webhooks/{id}"
	handle("GET "+hook+"/deliveries", h.user(h.listDeliveries(baton.TargetWebhook)))
	handle("GET "+hook+"/deliveries/{delivery_id}", h.user(h.showDelivery(baton.TargetWebhook)))
	handle("POST "+hook+"/deliveries/{delivery_id}/redeliver", h.user(h.redeliver(baton.TargetWebhook)))
	handle("POST "+hook+"/replay", h.user(h.replay(baton.TargetWebhook)))
	handle("GET "+acc+"/webhook_allowed_private", h.user(h.showAllowedPrivate))
	handle("PUT "+acc+"/webhook_allowed_private", h.user(h.setAllowedPrivate))

	// Teams, as Chatwoot has them: administrators manage them.
	const team = acc + "/teams/{team_id}"
	handle("GET "+acc+"/teams", h.user(h.listTeams))
	handle("POST "+acc+"/teams", h.user(h.createTeam))
	handle("GET "+team, h.user(h.showTeam))
	handle("PATCH "+team, h.user(h.updateTeam))
	handle("PUT "+team, h.user(h.updateTeam))
	handle("DELETE "+team, h.user(h.deleteTeam))
	handle("GET "+team+"/team_members", h.user(h.listTeamMembers))
	handle("POST "+team+"/team_members", h.user(h.changeTeamMembers(app.MembersAdd)))
	handle("PATCH "+team+"/team_members", h.user(h.changeTeamMembers(app.MembersReplace)))
	handle("DELETE "+team+"/team_members", h.user(h.changeTeamMembers(app.MembersRemove)))

	// Canned responses, as Chatwoot has them: every member of the account
	// manages them (Chatwoot's controller checks no role); bots may not.
	const canned = acc + "/canned_responses"
	handle("GET "+canned, h.user(h.listCannedResponses))
	handle("POST "+canned, h.user(h.createCannedResponse))
	handle("PATCH "+canned+"/{id}", h.user(h.updateCannedResponse))
	handle("PUT "+canned+"/{id}", h.user(h.updateCannedResponse))
	handle("DELETE "+canned+"/{id}", h.user(h.deleteCannedResponse))
	const filters = acc + "/custom_filters"
	handle("GET "+filters, h.user(h.listCustomFilters))
	handle("POST "+filters, h.user(h.createCustomFilter))
	handle("GET "+filters+"/{id}", h.user(h.showCustomFilter))
	handle("PATCH "+filters+"/{id}", h.user(h.updateCustomFilter))
	handle("PUT "+filters+"/{id}", h.user(h.updateCustomFilter))
	handle("DELETE "+filters+"/{id}", h.user(h.deleteCustomFilter))
	const attributes = acc + "/custom_attribute_definitions"
	handle("GET "+attributes, h.user(h.listCustomAttributes))
	handle("POST "+attributes, h.user(h.createCustomAttribute))
	handle("GET "+attributes+"/{id}", h.user(h.showCustomAttribute))
	handle("PATCH "+attributes+"/{id}", h.user(h.updateCustomAttribute))
	handle("PUT "+attributes+"/{id}", h.user(h.updateCustomAttribute))
	handle("DELETE "+attributes+"/{id}", h.user(h.deleteCustomAttribute))

	// Reports: Chatwoot's account reports, their CSV downloads and bot
	// reports, and Baton's handoff report, administrators only.
	const reports = "/api/v2/accounts/{account_id}/reports"
	handle("GET "+reports, h.user(h.accountReport))
	handle("GET "+reports+"/summary", h.user(h.reportSummary))
	handle("GET "+reports+"/bot_metrics", h.user(h.botMetrics))
	handle("GET "+reports+"/bot_summary", h.user(h.botSummary))
	handle("GET "+reports+"/handoffs", h.user(h.handoffReport))
	handle("GET "+reports+"/conversations", h.user(h.conversationMetrics))
	for _, d := range []struct {
		path, by, file string
		header         []string
	}{
		{"/agents", app.SummaryByAgent, "agents_report.csv", agentsHeader},
		{"/inboxes", app.SummaryByInbox, "inboxes_report.csv", inboxesHeader},
		{"/labels", app.SummaryByLabel, "labels_report.csv", labelsHeader},
		{"/teams", app.SummaryByTeam, "teams_report.csv", teamsHeader},
	} {
		// Chatwoot's routes take a format suffix: agents and agents.csv.
		handle("GET "+reports+d.path, h.user(h.summaryCSV(d.by, d.file, d.header)))
		handle("GET "+reports+d.path+".csv", h.user(h.summaryCSV(d.by, d.file, d.header)))
	}
	handle("GET "+reports+"/conversation_traffic", h.user(h.conversationTraffic))
	handle("GET "+reports+"/conversation_traffic.csv", h.user(h.conversationTraffic))

	handle("GET "+acc+"/contacts", h.user(h.listContacts))
	handle("GET "+acc+"/contacts/search", h.user(h.searchContacts))
	handle("POST "+acc+"/contacts/filter", h.user(h.filterContacts))
	handle("POST "+acc+"/contacts", h.user(h.createContact))
	handle("GET "+acc+"/contacts/{id}", h.token(h.showContact))
	handle("PATCH "+acc+"/contacts/{id}", h.user(h.updateContact))
	handle("PUT "+acc+"/contacts/{id}", h.user(h.updateContact))
	handle("DELETE "+acc+"/contacts/{id}", h.user(h.deleteContact))
	handle("GET "+acc+"/contacts/{id}/conversations", h.user(h.listContactConversations))
	handle("POST "+acc+"/contacts/{id}/contact_inboxes", h.user(h.createContactInbox))
	handle("POST "+acc+"/contacts/{id}/destroy_custom_attributes", h.user(h.destroyContactAttributes))
	handle("GET "+acc+"/contacts/{id}/contactable_inboxes", h.user(h.contactableInboxes))

	const conv = acc + "/conversations/{conversation_id}"
	handle("GET "+acc+"/conversations", h.user(h.listConversations))
	handle("GET "+acc+"/conversations/meta", h.user(h.conversationsMeta))
	handle("POST "+acc+"/conversations/filter", h.user(h.filterConversations))
	// Bulk actions, as Chatwoot's (not a bot's endpoint there either), done
	// before the answer, conversation by conversation.
	handle("POST "+acc+"/bulk_actions", h.user(h.bulkAction))
	handle("POST "+acc+"/conversations", h.token(h.createConversation))
	handle("GET "+conv, h.token(h.showConversation))
	handle("PATCH "+conv, h.token(h.updateConversation))
	handle("PUT "+conv, h.token(h.updateConversation))
	handle("POST "+conv+"/toggle_status", h.token(h.toggleStatus))
	handle("POST "+conv+"/toggle_priority", h.token(h.togglePriority))
	handle("POST "+conv+"/toggle_typing_status", h.token(h.toggleTyping))
	handle("POST "+conv+"/custom_attributes", h.token(h.setCustomAttributes))
	handle("POST "+conv+"/update_last_seen", h.user(h.updateLastSeen))
	handle("POST "+conv+"/unread", h.user(h.markUnread))
	handle("GET "+conv+"/labels", h.token(h.listLabels))
	handle("POST "+conv+"/labels", h.token(h.setLabels))
	handle("POST "+conv+"/assignments", h.token(h.assign))
	handle("GET "+conv+"/messages", h.token(h.listMessages))
	handle("POST "+conv+"/messages", h.token(h.createMessage))
	handle("DELETE "+conv+"/messages/{message_id}", h.user(h.deleteMessage))

	// Public client API: API-channel inboxes, no token.
	const pub = "/public/api/v1/inboxes/{inbox_identifier}"
	const pubContact = pub + "/contacts/{contact_identifier}"
	const pubConv = pubContact + "/conversations/{conversation_id}"
	handle("GET "+pub, h.public(h.publicShowInbox))
	handle("POST "+pub+"/contacts", h.public(h.publicCreateContact))
	handle("GET "+pubContact, h.public(h.publicShowContact))
	handle("PATCH "+pubContact, h.public(h.publicUpdateContact))
	handle("PUT "+pubContact, h.public(h.publicUpdateContact))
	handle("GET "+pubContact+"/conversations", h.public(h.publicListConversations))
	handle("POST "+pubContact+"/conversations", h.public(h.publicCreateConversation))
	handle("GET "+pubConv, h.public(h.publicShowConversation))
	handle("POST "+pubConv+"/toggle_status", h.public(h.publicToggleStatus))
	handle("POST "+pubConv+"/toggle_typing", h.public(h.publicToggleTyping))
	handle("POST "+pubConv+"/update_last_seen", h.public(h.publicUpdateLastSeen))
	handle("GET "+pubConv+"/messages", h.public(h.publicListMessages))
	handle("POST "+pubConv+"/messages", h.public(h.publicCreateMessage))
	handle("PATCH "+pubConv+"/messages/{message_id}", h.public(h.publicUpdateMessage))

	// Widget API: web widget inboxes. ?website_token= names the inbox and
	// the X-Auth-Token header, which widget/config issues, the visitor.
	const widget = "/api/v1/widget"
	handle("POST "+widget+"/config", h.widget(h.widgetConfig))
	handle("POST "+widget+"/events", h.widget(h.widgetEvent))
	handle("GET "+widget+"/messages", h.widget(h.widgetListMessages))
	handle("POST "+widget+"/messages", h.widget(h.widgetCreateMessage))
	handle("PATCH "+widget+"/messages/{id}", h.widget(h.widgetUpdateMessage))
	handle("PUT "+widget+"/messages/{id}", h.widget(h.widgetUpdateMessage))
	handle("GET "+widget+"/contact", h.widget(h.widgetShowContact))
	handle("PATCH "+widget+"/contact", h.widget(h.widgetUpdateContact))
	handle("PATCH "+widget+"/contact/set_user", h.widget(h.widgetUpdateContact))
	handle("POST "+widget+"/contact/destroy_custom_attributes", h.widget(h.widgetDestroyContactAttributes))
	handle("GET "+widget+"/conversations", h.widget(h.widgetShowConversation))
	handle("POST "+widget+"/conversations", h.widget(h.widgetCreateConversation))
	handle("GET "+widget+"/conversations/toggle_status", h.widget(h.widgetToggleStatus))
	handle("POST "+widget+"/conversations/toggle_status", h.widget(h.widgetToggleStatus))
	handle("POST "+widget+"/conversations/toggle_typing", h.widget(h.widgetToggleTyping))
	handle("POST "+widget+"/conversations/update_last_seen", h.widget(h.widgetUpdateLastSeen))
	handle("POST "+widget+"/conversations/set_custom_attributes", h.widget(h.widgetSetConversationAttributes))
	handle("POST "+widget+"/conversations/destroy_custom_attributes", h.widget(h.widgetDestroyConversationAttributes))
	handle("POST "+widget+"/labels", h.widget(h.widgetAddLabel))
	handle("DELETE "+widget+"/labels/{label}", h.widget(h.widgetRemoveLabel))
	handle("GET "+widget+"/inbox_members", h.widget(h.widgetInboxMembers))
	handle("GET "+widget+"/campaigns", h.widget(h.widgetCampaigns))

	// Attachment bytes, behind the unguessable key in data_url.
	handle("GET /attachments/{id}/{key...}", h.serveAttachment)
	handle("GET /avatars/{name}", h.serveAvatar)

	// The bare prefixes too: else the mux redirects /api to /api/, which
	// the server cleans back to /api, a loop.
	for _, p := range []string{"/api", "/platform", "/public"} {
		handle(p+"/", h.notFound)
		handle(p, h.notFound)
	}
}
