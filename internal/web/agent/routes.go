package agent

// routes registers every page and action of the agent app. GETs render;
// every other method is an action that needs the session's CSRF token.
func (h *Handler) routes() {
	m := h.mux
	m.Handle("GET /app/static/", h.static)
	m.HandleFunc("GET /app/login", h.showLogin)
	m.HandleFunc("POST /app/login", h.login)
	m.HandleFunc("POST /app/logout", h.signedIn(h.logout))
	m.HandleFunc("GET /app", h.signedIn(h.home))
	m.HandleFunc("GET /app/{$}", h.signedIn(h.home))

	const acc = "/app/accounts/{account_id}"
	m.HandleFunc("GET "+acc+"/conversations", h.signedIn(h.listConversations))
	m.HandleFunc("GET "+acc+"/counts", h.signedIn(h.countsJSON))
	const conv = acc + "/conversations/{id}"
	m.HandleFunc("GET "+conv, h.signedIn(h.showConversation))
	m.HandleFunc("GET "+conv+"/messages", h.signedIn(h.messagesFragment))
	m.HandleFunc("POST "+conv+"/messages", h.signedIn(h.reply))
	m.HandleFunc("POST "+conv+"/take_over", h.signedIn(h.act(h.takeOver)))
	m.HandleFunc("POST "+conv+"/hand_back", h.signedIn(h.act(h.handBack)))
	m.HandleFunc("POST "+conv+"/resolve", h.signedIn(h.act(h.setStatus("resolved"))))
	m.HandleFunc("POST "+conv+"/reopen", h.signedIn(h.act(h.setStatus("open"))))
	m.HandleFunc("POST "+conv+"/assign", h.signedIn(h.act(h.assign)))
	m.HandleFunc("POST "+conv+"/labels", h.signedIn(h.act(h.setLabels)))
	m.HandleFunc("POST "+conv+"/priority", h.signedIn(h.act(h.setPriority)))

	m.HandleFunc("/app/", h.notFound)
}
