package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/examples/demobot"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/web/widget"
)

// demoSeed is what the demo made, kept in the data dir so that a second run
// shows the same account instead of making another.
type demoSeed struct {
	AccountID       int64  `json:"account_id"`
	AdminEmail      string `json:"admin_email"`
	AdminPassword   string `json:"admin_password"`
	AdminToken      string `json:"admin_token"`
	AgentEmail      string `json:"agent_email"`
	AgentToken      string `json:"agent_token"`
	APIInboxID      int64  `json:"api_inbox_id"`
	InboxIdentifier string `json:"inbox_identifier"`
	WidgetInboxID   int64  `json:"widget_inbox_id"`
	ShopURL         string `json:"-"` // the sample shop page of this run
	WebsiteToken    string `json:"website_token"`
	ContactSourceID string `json:"contact_source_id"`
	BotID           int64  `json:"bot_id"`

	// Made anew on every run: a conversation the bot has greeted.
	ConversationID int64  `json:"-"`
	MenuMessageID  int64  `json:"-"`
	BotURL         string `json:"-"`
}

// demo serves Baton with a seeded account and the example bot on its own
// port, on its own data dir unless one is given, and prints what to try.
func (e *env) demo(ctx context.Context, args []string) error {
	if e.getenv("BATON_DATA_DIR") == "" && !hasFlag(args, "data-dir") {
		args = append([]string{"--data-dir", "./baton-demo"}, args...)
	}
	return e.serve(ctx, args, func(base string, a *app.App) error {
		// The bot is a separate service: its own listener, reaching Baton
		// over HTTP with its own token, as any bot does.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("start the demo bot: %w", err)
		}
		bot := &demobot.Bot{BaseURL: base}
		botServer := &http.Server{Handler: bot, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = botServer.Serve(ln) }()
		go func() {
			<-ctx.Done()
			_ = botServer.Close()
		}()
		dataDir := flagOr(args, "data-dir", e.getenv("BATON_DATA_DIR"))
		sys := system(ctx)
		seed, err := loadOrSeed(sys, a, filepath.Join(dataDir, "demo.json"))
		if err != nil {
			return fmt.Errorf("seed the demo: %w", err)
		}
		seed.BotURL = "http://" + ln.Addr().String() + "/webhook"
		v, err := a.UpdateAgentBot(sys, seed.AccountID, seed.BotID, app.AgentBotInput{OutgoingURL: &seed.BotURL})
		if err != nil {
			return fmt.Errorf("point the demo bot at its port: %w", err)
		}
		bot.Token, bot.Secret = v.AccessToken, v.Secret
		// Sam Agent is signed in: the demo holds a live connection for
		// them, as the agent app does, so a handoff arrives at someone who
		// is there.
		if agent, err := a.Authenticate(sys, seed.AgentToken); err != nil {
			return fmt.Errorf("find the demo agent: %w", err)
		} else if err := a.UserConnected(sys, a.ProcessID(), agent.User.ID); err != nil {
			return fmt.Errorf("bring the demo agent online: %w", err)
		}
		// A sample shop on its own origin, as a business's site is, with
		// Chatwoot's snippet pointed at Baton.
		shopLn, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("start the demo shop: %w", err)
		}
		page := widget.ShopPage(base, seed.WebsiteToken)
		shopServer := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(page)
		})}
		go func() { _ = shopServer.Serve(shopLn) }()
		go func() {
			<-ctx.Done()
			_ = shopServer.Close()
		}()
		seed.ShopURL = "http://" + shopLn.Addr().String() + "/"
		if err := startConversation(ctx, a, seed); err != nil {
			return fmt.Errorf("start the demo conversation: %w", err)
		}
		printDemo(e, base, seed)
		return nil
	})
}

// startConversation opens a conversation for the demo customer, says hello,
// and waits for the bot's menu, whose id the walkthrough needs.
func startConversation(ctx context.Context, a *app.App, s *demoSeed) error {
	ctx = baton.NewContextWithCredential(ctx, baton.ContactCredential{InboxIdentifier: s.InboxIdentifier, SourceID: s.ContactSourceID})
	c, err := a.PublicCreateConversation(ctx, nil)
	if err != nil {
		return err
	}
	s.ConversationID = c.DisplayID
	if _, err := a.PublicCreateMessage(ctx, c.DisplayID,
		app.PublicMessageInput{Content: ptr("Hi!")}); err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ms, err := a.PublicMessages(ctx, c.DisplayID, 0)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.ContentType == baton.ContentInputSelect {
				s.MenuMessageID = m.ID
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("the demo bot did not answer within 15 seconds")
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--"+name || strings.HasPrefix(a, "--"+name+"=") {
			return true
		}
	}
	return false
}

func flagOr(args []string, name, def string) string {
	for i, a := range args {
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return def
}

func loadOrSeed(ctx context.Context, a *app.App, path string) (*demoSeed, error) {
	if b, err := os.ReadFile(path); err == nil {
		var s demoSeed
		if json.Unmarshal(b, &s) == nil {
			if _, err := a.Authenticate(ctx, s.AdminToken); err == nil && s.BotID != 0 {
				return &s, nil
			}
		}
	}
	s, err := seedDemo(ctx, a)
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	return s, os.WriteFile(path, b, 0o600)
}

func ptr[T any](v T) *T { return &v }

func seedDemo(ctx context.Context, a *app.App) (*demoSeed, error) {
	acc, err := a.CreateAccount(ctx, app.AccountInput{Name: ptr("Acme Demo")})
	if err != nil {
		return nil, err
	}
	s := &demoSeed{AccountID: acc.ID, AdminEmail: fmt.Sprintf("admin%d@acme.test", acc.ID), AdminPassword: "baton-demo",
		AgentEmail: fmt.Sprintf("agent%d@acme.test", acc.ID), ContactSourceID: "demo-customer"}
	_, s.AdminToken, err = a.CreateUserInAccount(ctx, acc.ID, app.UserInput{Name: ptr("Alex Admin"),
		Email: &s.AdminEmail, Password: &s.AdminPassword}, "administrator")
	if err != nil {
		return nil, err
	}
	agent, token, err := a.CreateUserInAccount(ctx, acc.ID, app.UserInput{Name: ptr("Sam Agent"),
		Email: &s.AgentEmail, Password: &s.AdminPassword}, "agent")
	if err != nil {
		return nil, err
	}
	s.AgentToken = token
	api, err := a.CreateInbox(ctx, acc.ID, app.InboxInput{Name: ptr("Acme API"), ChannelType: baton.ChannelAPI})
	if err != nil {
		return nil, err
	}
	widget, err := a.CreateInbox(ctx, acc.ID, app.InboxInput{Name: ptr("Acme Website"), ChannelType: baton.ChannelWebWidget,
		WebsiteURL: ptr("https://acme.test"), WelcomeTitle: ptr("Hi there!"), WelcomeTagline: ptr("We reply in minutes.")})
	if err != nil {
		return nil, err
	}
	s.APIInboxID, s.InboxIdentifier, s.WidgetInboxID, s.WebsiteToken = api.ID, api.Identifier, widget.ID, widget.WebsiteToken
	bot, err := a.CreateAgentBot(ctx, acc.ID, app.AgentBotInput{Name: ptr("Demo Bot"),
		Description: ptr("Greets, answers opening hours, looks up orders, hands over to people"),
		OutgoingURL: ptr("http://127.0.0.1:9/webhook")}) // pointed at its real port on every run
	if err != nil {
		return nil, err
	}
	s.BotID = bot.Bot.ID
	// What the bot records of an order it looks up, named for the people
	// it hands the conversation to.
	for _, d := range [][2]string{{"order_number", "Order number"}, {"order_email", "Order e-mail"}, {"order_status", "Order status"}} {
		if _, err := a.CreateCustomAttribute(ctx, acc.ID, app.CustomAttributeInput{Key: &d[0], Model: ptr("conversation_attribute"),
			DisplayName: &d[1]}); err != nil {
			return nil, err
		}
	}
	for _, inbox := range []int64{api.ID, widget.ID} {
		if _, err := a.ChangeInboxMembers(ctx, acc.ID, inbox, app.MembersAdd, []int64{agent.ID}); err != nil {
			return nil, err
		}
		if err := a.SetInboxAgentBot(ctx, acc.ID, inbox, bot.Bot.ID); err != nil {
			return nil, err
		}
	}
	pub := baton.NewContextWithCredential(ctx, baton.ContactCredential{InboxIdentifier: api.Identifier})
	_, _, err = a.PublicCreateContact(pub, app.PublicContactInput{SourceID: s.ContactSourceID,
		ContactInput: app.ContactInput{Name: ptr("Casey Customer"), Email: ptr("casey@example.com")}})
	return s, err
}

func printDemo(e *env, base string, s *demoSeed) {
	pub := fmt.Sprintf("%s/public/api/v1/inboxes/%s/contacts/%s/conversations/%d", base, s.InboxIdentifier, s.ContactSourceID, s.ConversationID)
	conv := fmt.Sprintf("%s/api/v1/accounts/%d/conversations", base, s.AccountID)
	admin := fmt.Sprintf("-H 'api_access_token: %s'", s.AdminToken)
	agent := fmt.Sprintf("-H 'api_access_token: %s'", s.AgentToken)
	json := "-H 'Content-Type: application/json'"
	fmt.Fprintf(e.stdout, `
Baton demo is running at %[1]s (Ctrl-C stops it)

  Shop page   %[22]s
              a sample site with Chatwoot's widget snippet: chat with the bot, ask for a person
  Agent app   %[1]s/app/login
              sign in as %[6]s / password %[4]s (agent) or %[3]s (administrator);
              the demo keeps Sam online, so what the bot hands to people is assigned to Sam: see Mine
  Account     %[2]d "Acme Demo"
  Admin       %[3]s / password %[4]s
              token %[5]s
  Agent       Sam Agent, %[6]s / password %[4]s
              token %[7]s
  API inbox   %[8]d, identifier %[9]s
  Web widget  %[10]d, website_token %[11]s
  Demo bot    %[12]d, a separate service at %[13]s, connected to both inboxes
  Customer    source id %[14]s, conversation %[15]d (the bot has greeted them)

Try it (each line works as printed; pipe into jq to read the answers):

  # 1. the customer asks a question; the bot answers by itself
  curl -s -X POST %[16]s/messages %[17]s -d '{"content":"What are your opening hours?"}'

  # 2. read the conversation as the customer sees it: the bot's answer and its menu
  curl -s %[16]s/messages

  # 3. the customer picks "Where is my order?" in the bot's menu (message %[18]d) ...
  curl -s -X PATCH %[16]s/messages/%[18]d %[17]s -d '{"submitted_values":[{"title":"Where is my order?","value":"order"}]}'

  # 4. ... the bot asks for an e-mail (input_email), the customer gives it; the bot keeps the order
  #    it found in the conversation's custom attributes, which the people it hands over to see
  curl -s -X POST %[16]s/messages %[17]s -d '{"content":"casey@example.com"}'

  # 5. the customer asks for a person: the bot leaves a private note and hands over with a reason;
  #    Sam Agent is online (the demo keeps them signed in), so the conversation arrives at Sam
  curl -s -X POST %[16]s/messages %[17]s -d '{"content":"Can I talk to a person, please?"}'

  # 6. Sam sees it in their queue, with the handoff (reason, summary, who handed over) and the bot's note
  curl -s '%[19]s?queue=mine' %[21]s
  curl -s %[19]s/%[15]d %[21]s
  curl -s %[19]s/%[15]d/messages %[21]s

  # 7. an agent answers the customer
  curl -s -X POST %[19]s/%[15]d/messages %[21]s %[17]s -d '{"content":"Hi Casey, Sam here. Your parcel is on its way."}'

  # 8. and hands the conversation back to the bot (pending), which picks it up again
  curl -s -X POST %[19]s/%[15]d/toggle_status %[21]s %[17]s -d '{"status":"pending"}'
  curl -s %[16]s/messages

`, base, s.AccountID, s.AdminEmail, s.AdminPassword, s.AdminToken, s.AgentEmail, s.AgentToken, s.APIInboxID,
		s.InboxIdentifier, s.WidgetInboxID, s.WebsiteToken, s.BotID, s.BotURL, s.ContactSourceID, s.ConversationID,
		pub, json, s.MenuMessageID, conv, admin, agent, s.ShopURL)
}
