// Package demobot is the example bot of Baton's demo: a small support bot
// that talks to Baton only as any bot would, through webhooks in and the
// Chatwoot-compatible API out, with its own access token.
//
// It greets a customer with a menu (an input_select), answers one question
// itself (opening hours), collects an e-mail address with input_email to
// look up an order (kept in the conversation's custom attributes), and
// hands the conversation to a person when asked,
// leaving a private note for them. When a person hands the conversation
// back (status pending again), it says so and offers the menu again.
//
// Like every well-behaved bot it answers only pending conversations,
// verifies signatures when it has the secret, and drops deliveries it has
// seen (the X-Chatwoot-Delivery id repeats on retries).
package demobot

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bot is the demo bot's webhook handler.
type Bot struct {
	BaseURL string // where Baton is, e.g. http://127.0.0.1:3000
	Token   string // the bot's access token
	Secret  string // the bot's signing secret; empty skips verification
	Logger  *slog.Logger
	Client  *http.Client

	mu   sync.Mutex
	seen map[string]bool // delivery ids already handled
	menu map[string]bool // conversations that have been shown the menu
}

// The menu and what the bot says.
const (
	menuPrompt  = "How can I help you today?"
	emailPrompt = "To look up your order, what is your e-mail address?"
	hours       = "We are open 9:00 to 17:00, Monday to Friday. Outside those hours, leave a message and we will answer in the morning."
	handoff     = "I am handing you over to a person now. Someone from the team will answer here shortly."
	welcomeBack = "Hi again, I am back. Anything else I can help with?"
	// anythingElse asks, after an answer, with the menu's other items: a
	// customer of the widget cannot pick from a menu they have answered.
	anythingElse = "Anything else?"
)

var menuItems = []map[string]string{
	{"title": "Opening hours", "value": "hours"},
	{"title": "Where is my order?", "value": "order"},
	{"title": "Talk to a person", "value": "human"},
}

var emailPattern = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[^\s@]+`)

// event is the part of Baton's webhook payload the bot reads.
type event struct {
	Event             string         `json:"event"`
	ID                int64          `json:"id"`
	MessageType       string         `json:"message_type"`
	Content           string         `json:"content"`
	ContentType       string         `json:"content_type"`
	ContentAttributes map[string]any `json:"content_attributes"`
	Private           bool           `json:"private"`
	Account           struct {
		ID int64 `json:"id"`
	} `json:"account"`
	Conversation struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	} `json:"conversation"`
	// Conversation events carry the conversation at the top level: its
	// display id in ID, and its status.
	Status            string           `json:"status"`
	ChangedAttributes []map[string]any `json:"changed_attributes"`
}

// ServeHTTP handles one delivery.
func (b *Bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if b.Secret != "" && !b.verify(r, body) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := r.Header.Get("X-Chatwoot-Delivery")
	if id != "" && b.seenBefore(id) {
		w.WriteHeader(http.StatusOK) // a retry of a delivery already handled
		return
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	if err := b.handle(ev); err != nil {
		// Not marked as seen: Baton retries it, and the retry is handled.
		b.log().Error("demo bot: handling an event", "event", ev.Event, "err", err)
		http.Error(w, "could not handle the event", http.StatusInternalServerError)
		return
	}
	if id != "" {
		b.remember(id)
	}
	w.WriteHeader(http.StatusOK)
}

// verify checks Chatwoot's signature, sha256=HMAC(secret, "<timestamp>.<body>"):
// against X-Chatwoot-Signature, or during a secret rotation against
// X-Chatwoot-Signature-Previous, so that either secret works while the bot
// is switched over. A timestamp more than five minutes off is refused, so an
// old delivery cannot be replayed.
func (b *Bot) verify(r *http.Request, body []byte) bool {
	ts := r.Header.Get("X-Chatwoot-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(secs, 0)).Abs() > 5*time.Minute {
		return false
	}
	want := []byte("sha256=" + hmacSHA256(b.Secret, ts+"."+string(body)))
	for _, h := range []string{"X-Chatwoot-Signature", "X-Chatwoot-Signature-Previous"} {
		if sig := r.Header.Get(h); sig != "" && hmac.Equal([]byte(sig), want) {
			return true
		}
	}
	return false
}

// seenBefore reports whether a delivery id was handled already.
func (b *Bot) seenBefore(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen[id]
}

// remember records a handled delivery id.
func (b *Bot) remember(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen == nil || len(b.seen) > 10000 {
		b.seen = map[string]bool{}
	}
	b.seen[id] = true
}

func (b *Bot) handle(ev event) error {
	switch ev.Event {
	case "message_created":
		// Only customers' messages in the bot's own (pending) conversations.
		if ev.MessageType != "incoming" || ev.Conversation.Status != "pending" {
			return nil
		}
		return b.answer(ev.Account.ID, ev.Conversation.ID, ev.Content)
	case "message_updated":
		if ev.Conversation.Status != "pending" {
			return nil
		}
		return b.answered(ev)
	case "conversation_status_changed":
		// Conversation events carry the conversation at the top level.
		if ev.Status == "pending" && changedFrom(ev, "open") {
			return b.say(ev.Account.ID, ev.ID, welcomeBack, b.menuMessage())
		}
	}
	return nil
}

// changedFrom reports whether the status changed from the given one.
func changedFrom(ev event, from string) bool {
	for _, c := range ev.ChangedAttributes {
		if s, ok := c["status"].(map[string]any); ok && s["previous_value"] == from {
			return true
		}
	}
	return false
}

// answer replies to a customer's text.
func (b *Bot) answer(account, conv int64, text string) error {
	t := strings.ToLower(text)
	switch {
	case strings.Contains(t, "person") || strings.Contains(t, "human") || strings.Contains(t, "agent"):
		return b.handOff(account, conv, "customer_request", "The customer asked for a person: \""+text+"\"")
	case strings.Contains(t, "hour") || strings.Contains(t, "open"):
		return b.say(account, conv, hours, moreMenu("hours"))
	case emailPattern.MatchString(text):
		return b.orderStatus(account, conv, emailPattern.FindString(text))
	case !b.greeted(account, conv):
		return b.say(account, conv, "Hi! I am Baton's demo bot.", b.menuMessage())
	}
	return b.say(account, conv, "I can tell you our opening hours, look up an order, or find you a person.", b.menuMessage())
}

// answered handles a customer's answer to one of the bot's questions.
func (b *Bot) answered(ev event) error {
	account, conv := ev.Account.ID, ev.Conversation.ID
	if email, ok := ev.ContentAttributes["submitted_email"].(string); ok && ev.Content == emailPrompt {
		return b.orderStatus(account, conv, email)
	}
	if ev.Content != menuPrompt && ev.Content != anythingElse {
		return nil
	}
	values, _ := ev.ContentAttributes["submitted_values"].([]any)
	if len(values) == 0 {
		return nil
	}
	choice, _ := values[0].(map[string]any)
	switch choice["value"] {
	case "hours":
		return b.say(account, conv, hours, moreMenu("hours"))
	case "order":
		return b.say(account, conv, "", map[string]any{"content": emailPrompt, "content_type": "input_email"})
	case "human":
		return b.handOff(account, conv, "customer_request", "The customer chose \"Talk to a person\" in the menu.")
	}
	return nil
}

// orderStatus answers with the customer's last order, and keeps what it
// found in the conversation's custom attributes, where the people it may
// hand the conversation to see it (the agent app's handoff card shows
// them, named as the account defined them).
func (b *Bot) orderStatus(account, conv int64, email string) error {
	if err := b.post(fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/custom_attributes", account, conv),
		map[string]any{"custom_attributes": map[string]any{"order_number": "1042", "order_email": email, "order_status": "shipped"}}); err != nil {
		return err
	}
	return b.say(account, conv, fmt.Sprintf("Thanks! The last order of %s, #1042, left our warehouse yesterday and arrives tomorrow.", email),
		moreMenu("order"))
}

// moreMenu asks anythingElse with the menu's items but the one answered.
func moreMenu(answered string) map[string]any {
	var items []map[string]string
	for _, it := range menuItems {
		if it["value"] != answered {
			items = append(items, it)
		}
	}
	return map[string]any{"content": anythingElse, "content_type": "input_select",
		"content_attributes": map[string]any{"items": items}}
}

// handOff tells the customer, leaves a private note for the people, and
// opens the conversation with Baton's handoff object: the reason and a
// summary, which the agent app shows on top of the conversation. (A
// Chatwoot bot sends {"status": "open"} alone; Baton takes that too.)
func (b *Bot) handOff(account, conv int64, reason, why string) error {
	if err := b.say(account, conv, handoff); err != nil {
		return err
	}
	note := map[string]any{"content": "Demo bot: " + why, "private": true}
	if err := b.post(fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages", account, conv), note); err != nil {
		return err
	}
	return b.post(fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/toggle_status", account, conv),
		map[string]any{"status": "open", "handoff": map[string]any{"reason": reason, "summary": why}})
}

// greeted reports whether the conversation was shown the menu, remembering it.
func (b *Bot) greeted(account, conv int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.menu == nil {
		b.menu = map[string]bool{}
	}
	key := fmt.Sprint(account, "/", conv)
	was := b.menu[key]
	b.menu[key] = true
	return was
}

func (b *Bot) menuMessage() map[string]any {
	return map[string]any{"content": menuPrompt, "content_type": "input_select",
		"content_attributes": map[string]any{"items": menuItems}}
}

// say posts a text (when not empty) and then the given messages.
func (b *Bot) say(account, conv int64, text string, more ...map[string]any) error {
	path := fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages", account, conv)
	if text != "" {
		if err := b.post(path, map[string]any{"content": text}); err != nil {
			return err
		}
	}
	for _, m := range more {
		if err := b.post(path, m); err != nil {
			return err
		}
	}
	return nil
}

// post calls Baton's API with the bot's token.
func (b *Bot) post(path string, body any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(b.BaseURL, "/")+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_access_token", b.Token)
	client := b.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("POST %s: %s: %s", path, res.Status, msg)
	}
	return nil
}

func (b *Bot) log() *slog.Logger {
	if b.Logger != nil {
		return b.Logger
	}
	return slog.Default()
}

func hmacSHA256(secret, message string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(message))
	return hex.EncodeToString(m.Sum(nil))
}
