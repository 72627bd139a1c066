package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
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
	WebsiteToken    string `json:"website_token"`
	ContactSourceID string `json:"contact_source_id"`
	ConversationID  int64  `json:"conversation_id"`
}

// demo serves Baton with a seeded account, on its own data dir unless one
// is given, and prints what to try.
func (e *env) demo(ctx context.Context, args []string) error {
	if e.getenv("BATON_DATA_DIR") == "" && !hasFlag(args, "data-dir") {
		args = append([]string{"--data-dir", "./baton-demo"}, args...)
	}
	return e.serve(ctx, args, func(base string, a *app.App) error {
		dataDir := flagOr(args, "data-dir", e.getenv("BATON_DATA_DIR"))
		seed, err := loadOrSeed(system(ctx), a, filepath.Join(dataDir, "demo.json"))
		if err != nil {
			return fmt.Errorf("seed the demo: %w", err)
		}
		printDemo(e, base, seed)
		return nil
	})
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
			if _, err := a.Authenticate(ctx, s.AdminToken); err == nil {
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
	for _, inbox := range []int64{api.ID, widget.ID} {
		if _, err := a.ChangeInboxMembers(ctx, acc.ID, inbox, app.MembersAdd, []int64{agent.ID}); err != nil {
			return nil, err
		}
	}
	_, _, err = a.PublicCreateContact(ctx, api.Identifier, app.PublicContactInput{SourceID: s.ContactSourceID,
		ContactInput: app.ContactInput{Name: ptr("Casey Customer"), Email: ptr("casey@example.com")}})
	if err != nil {
		return nil, err
	}
	c, err := a.PublicCreateConversation(ctx, api.Identifier, s.ContactSourceID, nil)
	if err != nil {
		return nil, err
	}
	s.ConversationID = c.DisplayID
	_, err = a.PublicCreateMessage(ctx, api.Identifier, s.ContactSourceID, c.DisplayID,
		app.PublicMessageInput{Content: ptr("Hi! Where is my order #1042?")})
	return s, err
}

func printDemo(e *env, base string, s *demoSeed) {
	pub := fmt.Sprintf("%s/public/api/v1/inboxes/%s/contacts/%s/conversations/%d", base, s.InboxIdentifier, s.ContactSourceID, s.ConversationID)
	acc := fmt.Sprintf("%s/api/v1/accounts/%d", base, s.AccountID)
	auth := fmt.Sprintf("-H 'api_access_token: %s'", s.AdminToken)
	fmt.Fprintf(e.stdout, `
Baton demo is running at %[1]s (Ctrl-C stops it)

  Account     %[2]d "Acme Demo"
  Admin       %[3]s / password %[4]s
              token %[5]s
  Agent       %[6]s / password %[4]s
              token %[7]s
  API inbox   %[8]d, identifier %[9]s
  Web widget  %[10]d, website_token %[11]s
  Customer    source id %[12]s, conversation %[13]d

Try it (each line works as printed):

  # who am I
  curl -s %[1]s/api/v1/profile %[14]s

  # the customer writes, through the public client API
  curl -s -X POST %[15]s/messages -H 'Content-Type: application/json' -d '{"content":"Any news on my order?"}'

  # the team sees the open conversations
  curl -s '%[16]s/conversations?status=open' %[14]s

  # an agent replies, and leaves a private note
  curl -s -X POST %[16]s/conversations/%[13]d/messages %[14]s -H 'Content-Type: application/json' -d '{"content":"It ships today!"}'
  curl -s -X POST %[16]s/conversations/%[13]d/messages %[14]s -H 'Content-Type: application/json' -d '{"content":"Checked with the warehouse","private":true}'

  # the customer reads the thread (private notes are not in it)
  curl -s %[15]s/messages

  # resolve the conversation; a new customer message reopens it
  curl -s -X POST %[16]s/conversations/%[13]d/toggle_status %[14]s -H 'Content-Type: application/json' -d '{"status":"resolved"}'

`, base, s.AccountID, s.AdminEmail, s.AdminPassword, s.AdminToken, s.AgentEmail, s.AgentToken, s.APIInboxID,
		s.InboxIdentifier, s.WidgetInboxID, s.WebsiteToken, s.ContactSourceID, s.ConversationID, auth, pub, acc)
}
