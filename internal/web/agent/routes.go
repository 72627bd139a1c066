package agent

// routes registers every page and action of the agent app. GETs render;
// every other method is an action that needs the session's CSRF token.
func (h *Handler) routes() {
	m := h.mux
	m.Handle("GET /app/static/", h.static)
	m.HandleFunc("/app/static", h.notFound) // not a redirect to /app/static/, which the server cleans back
	m.HandleFunc("GET /app/login", h.showLogin)
	m.HandleFunc("POST /app/login", h.login)
	m.HandleFunc("POST /app/logout", h.signedIn(h.logout))
	m.HandleFunc("GET /app", h.signedIn(h.home))
	m.HandleFunc("GET /app/{$}", h.signedIn(h.home))

	const acc = "/app/accounts/{account_id}"
	m.HandleFunc("GET "+acc+"/conversations", h.signedIn(h.listConversations))
	m.HandleFunc("POST "+acc+"/conversations/bulk", h.signedIn(h.bulkAction))
	m.HandleFunc("GET "+acc+"/counts", h.signedIn(h.countsJSON))
	m.HandleFunc("GET "+acc+"/canned_responses", h.signedIn(h.cannedChoicesJSON))
	m.HandleFunc("GET "+acc+"/labels", h.signedIn(h.labelsJSON))
	m.HandleFunc("POST "+acc+"/availability", h.signedIn(h.setAvailability))
	m.HandleFunc("GET "+acc+"/profile", h.profile(h.showProfile))
	m.HandleFunc("POST "+acc+"/profile", h.profile(h.updateProfile))
	m.HandleFunc("POST "+acc+"/profile/password", h.profile(h.changePassword))
	m.HandleFunc("GET "+acc+"/contacts", h.signedIn(h.listContacts))
	m.HandleFunc("GET "+acc+"/contacts/{id}", h.signedIn(h.showContact))
	m.HandleFunc("POST "+acc+"/contacts/{id}", h.signedIn(h.updateContact))
	m.HandleFunc("POST "+acc+"/contacts/{id}/delete", h.admin(h.deleteContact))
	const conv = acc + "/conversations/{id}"
	m.HandleFunc("GET "+conv, h.signedIn(h.showConversation))
	m.HandleFunc("GET "+conv+"/messages", h.signedIn(h.messagesFragment))
	m.HandleFunc("POST "+conv+"/messages", h.signedIn(h.reply))
	m.HandleFunc("POST "+conv+"/take_over", h.signedIn(h.act(h.takeOver)))
	m.HandleFunc("POST "+conv+"/hand_back", h.signedIn(h.act(h.handBack)))
	m.HandleFunc("POST "+conv+"/resolve", h.signedIn(h.resolve))
	m.HandleFunc("POST "+conv+"/reopen", h.signedIn(h.act(h.setStatus("open"))))
	m.HandleFunc("POST "+conv+"/unread", h.signedIn(h.markUnread))
	m.HandleFunc("POST "+conv+"/snooze", h.signedIn(h.act(h.snooze)))
	m.HandleFunc("POST "+conv+"/assign", h.signedIn(h.act(h.assign)))
	m.HandleFunc("POST "+conv+"/typing", h.signedIn(h.act(h.typing)))
	m.HandleFunc("POST "+conv+"/team", h.signedIn(h.act(h.setTeam)))
	m.HandleFunc("POST "+conv+"/labels", h.signedIn(h.act(h.setLabels)))
	m.HandleFunc("POST "+conv+"/priority", h.signedIn(h.act(h.setPriority)))

	const set = acc + "/settings"
	m.HandleFunc("GET "+set+"/inboxes", h.admin(h.listInboxes))
	m.HandleFunc("POST "+set+"/inboxes", h.admin(h.createInbox))
	m.HandleFunc("GET "+set+"/inboxes/{id}", h.admin(h.showInbox))
	m.HandleFunc("POST "+set+"/inboxes/{id}", h.admin(h.inboxAction(h.updateInbox)))
	m.HandleFunc("POST "+set+"/inboxes/{id}/members", h.admin(h.inboxAction(h.setInboxMembers)))
	m.HandleFunc("POST "+set+"/inboxes/{id}/widget", h.admin(h.inboxAction(h.updateInboxWidget)))
	m.HandleFunc("POST "+set+"/inboxes/{id}/domains", h.admin(h.inboxAction(h.updateInboxDomains)))
	m.HandleFunc("POST "+set+"/inboxes/{id}/bot", h.admin(h.inboxAction(h.setInboxBot)))
	m.HandleFunc("GET "+set+"/agents", h.admin(h.listAgents))
	m.HandleFunc("POST "+set+"/agents", h.admin(h.createAgent))
	m.HandleFunc("POST "+set+"/agents/{id}/role", h.admin(h.agentAction(h.setAgentRole)))
	m.HandleFunc("POST "+set+"/agents/{id}/remove", h.admin(h.agentAction(h.removeAgent)))
	m.HandleFunc("GET "+set+"/teams", h.admin(h.listTeams))
	m.HandleFunc("POST "+set+"/teams", h.admin(h.createTeam))
	m.HandleFunc("GET "+set+"/teams/{id}", h.admin(h.showTeam))
	m.HandleFunc("POST "+set+"/teams/{id}/members", h.admin(h.teamAction(h.setTeamMembers)))
	// Canned responses are every member's to manage, as in Chatwoot.
	m.HandleFunc("GET "+set+"/canned_responses", h.signedIn(h.listCannedResponses))
	m.HandleFunc("POST "+set+"/canned_responses", h.signedIn(h.createCannedResponse))
	m.HandleFunc("POST "+set+"/canned_responses/{id}", h.signedIn(h.cannedResponseAction(h.updateCannedResponse)))
	m.HandleFunc("POST "+set+"/canned_responses/{id}/delete", h.signedIn(h.cannedResponseAction(h.deleteCannedResponse)))
	m.HandleFunc("GET "+set+"/bots", h.admin(h.listBots))
	m.HandleFunc("POST "+set+"/bots", h.admin(h.createBot))
	m.HandleFunc("GET "+set+"/bots/{id}", h.admin(h.showBot))
	m.HandleFunc("POST "+set+"/bots/{id}", h.admin(h.botAction(h.updateBot)))
	m.HandleFunc("POST "+set+"/bots/{id}/reset_token", h.admin(h.botAction(h.resetBotToken)))
	m.HandleFunc("POST "+set+"/bots/{id}/reset_secret", h.admin(h.botAction(h.resetBotSecret)))
	m.HandleFunc("POST "+set+"/bots/{id}/connect", h.admin(h.botAction(h.connectBot)))
	m.HandleFunc("GET "+set+"/bots/{id}/deliveries", h.admin(h.listDeliveries))
	m.HandleFunc("GET "+set+"/bots/{id}/deliveries/{uuid}", h.admin(h.showDelivery))
	m.HandleFunc("POST "+set+"/bots/{id}/deliveries/{uuid}/redeliver", h.admin(h.redeliver))
	m.HandleFunc("POST "+set+"/bots/{id}/replay", h.admin(h.replay))

	m.HandleFunc("GET "+acc+"/reports/bots", h.admin(h.showBotReport))
	m.HandleFunc("GET "+acc+"/reports/people", h.admin(h.showPeopleReport))
	m.HandleFunc("GET "+acc+"/reports/people.csv", h.admin(h.downloadPeopleReport))

	m.HandleFunc("/app/", h.notFound)
}
