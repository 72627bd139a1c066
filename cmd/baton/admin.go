package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"strconv"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// admin runs the provisioning commands that replace Chatwoot's Rails console.
func (e *env) admin(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return errors.New("usage: baton admin platform-app|account|user|bot …")
	}
	what := args[0] + " " + args[1]
	switch what {
	case "platform-app create":
		return e.adminPlatformApp(ctx, args[2:])
	case "account create":
		return e.adminAccount(ctx, args[2:])
	case "user create":
		return e.adminUser(ctx, args[2:])
	case "bot create":
		return e.adminBotCreate(ctx, args[2:])
	case "bot connect":
		return e.adminBotConnect(ctx, args[2:])
	case "bot token":
		return e.adminBotToken(ctx, args[2:])
	}
	return fmt.Errorf("unknown admin command %q", what)
}

// cliError is an error as the command line says it: a domain error's
// message (not its code), any other error as it is, so that a failure the
// user can fix (a file the data dir cannot hold) is not hidden behind
// "Internal error".
func cliError(err error) error {
	var be *baton.Error
	if errors.As(err, &be) {
		return errors.New(be.Message)
	}
	return err
}

// print writes the result: one JSON object with --json, else lines for people.
func (e *env) print(asJSON bool, v map[string]any, human string) error {
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(v)
	}
	_, err := fmt.Fprintln(e.stdout, human)
	return err
}

func required(f map[string]string, names ...string) error {
	for _, n := range names {
		if f[n] == "" {
			return fmt.Errorf("--%s is required", n)
		}
	}
	return nil
}

func (e *env) adminPlatformApp(ctx context.Context, args []string) error {
	f, rest, err := parseFlags(args, "name", "json")
	if err != nil {
		return err
	}
	if err := required(f, "name"); err != nil {
		return err
	}
	s, _, err := e.open(ctx, "admin", rest)
	if err != nil {
		return err
	}
	defer s.close()
	a := s.app
	p, token, err := a.CreatePlatformApp(system(ctx), f["name"])
	if err != nil {
		return cliError(err)
	}
	return e.print(f["json"] != "", map[string]any{"id": p.ID, "name": p.Name, "access_token": token},
		fmt.Sprintf("platform app %d %q\naccess token: %s", p.ID, p.Name, token))
}

func (e *env) adminAccount(ctx context.Context, args []string) error {
	f, rest, err := parseFlags(args, "name", "json")
	if err != nil {
		return err
	}
	if err := required(f, "name"); err != nil {
		return err
	}
	s, _, err := e.open(ctx, "admin", rest)
	if err != nil {
		return err
	}
	defer s.close()
	a := s.app
	name := f["name"]
	acc, err := a.CreateAccount(system(ctx), app.AccountInput{Name: &name})
	if err != nil {
		return cliError(err)
	}
	return e.print(f["json"] != "", map[string]any{"id": acc.ID, "name": acc.Name},
		fmt.Sprintf("account %d %q", acc.ID, acc.Name))
}

func (e *env) adminUser(ctx context.Context, args []string) error {
	f, rest, err := parseFlags(args, "account", "name", "email", "password", "role", "json")
	if err != nil {
		return err
	}
	if err := required(f, "account", "name", "email", "password"); err != nil {
		return err
	}
	accountID, err := strconv.ParseInt(f["account"], 10, 64)
	if err != nil || accountID <= 0 {
		return fmt.Errorf("--account: %q is not an account id", f["account"])
	}
	role := f["role"]
	if role == "" {
		role = "administrator"
	}
	if _, ok := baton.ParseRole(role); !ok {
		return fmt.Errorf("--role: %q is not administrator or agent", role)
	}
	s, _, err := e.open(ctx, "admin", rest)
	if err != nil {
		return err
	}
	defer s.close()
	a := s.app
	name, email, password := f["name"], f["email"], f["password"]
	u, token, err := a.CreateUserInAccount(system(ctx), accountID, app.UserInput{Name: &name, Email: &email, Password: &password}, role)
	if err != nil {
		return cliError(err)
	}
	return e.print(f["json"] != "", map[string]any{"id": u.ID, "name": u.Name, "email": u.Email,
		"account_id": accountID, "role": role, "access_token": token},
		fmt.Sprintf("user %d %q <%s>, %s of account %d\naccess token: %s", u.ID, u.Name, u.Email, role, accountID, token))
}

// positiveID reads a flag holding an id.
func positiveID(f map[string]string, name string) (int64, error) {
	id, err := strconv.ParseInt(f[name], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("--%s: %q is not an id", name, f[name])
	}
	return id, nil
}

func (e *env) adminBotCreate(ctx context.Context, args []string) error {
	f, rest, err := parseFlags(args, "name", "outgoing-url", "account", "description", "avatar", "json")
	if err != nil {
		return err
	}
	if err := required(f, "name", "outgoing-url"); err != nil {
		return err
	}
	var accountID int64
	if f["account"] != "" {
		if accountID, err = positiveID(f, "account"); err != nil {
			return err
		}
	}
	in := app.AgentBotInput{Name: ptr(f["name"]), OutgoingURL: ptr(f["outgoing-url"]), Description: ptr(f["description"])}
	if path := f["avatar"]; path != "" {
		file, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("--avatar: %w", err)
		}
		defer file.Close()
		in.Avatar = &app.FileInput{Name: filepath.Base(path), ContentType: mime.TypeByExtension(filepath.Ext(path)), Body: file}
	}
	s, _, err := e.open(ctx, "admin", rest)
	if err != nil {
		return err
	}
	defer s.close()
	v, err := s.app.PlatformCreateAgentBot(system(ctx), accountID, in)
	if err != nil {
		return cliError(err)
	}
	kind := "global bot"
	if accountID != 0 {
		kind = fmt.Sprintf("bot of account %d", accountID)
	}
	return e.print(f["json"] != "", map[string]any{"id": v.Bot.ID, "name": v.Bot.Name, "account_id": nullID(accountID),
		"outgoing_url": v.Bot.OutgoingURL, "access_token": v.AccessToken, "secret": v.Secret},
		fmt.Sprintf("%s %d %q -> %s\naccess token: %s\nsigning secret: %s", kind, v.Bot.ID, v.Bot.Name, v.Bot.OutgoingURL, v.AccessToken, v.Secret))
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (e *env) adminBotConnect(ctx context.Context, args []string) error {
	f, rest, err := parseFlags(args, "bot", "inbox", "json")
	if err != nil {
		return err
	}
	botID, err := positiveID(f, "bot")
	if err != nil {
		return err
	}
	inboxID, err := positiveID(f, "inbox")
	if err != nil {
		return err
	}
	s, _, err := e.open(ctx, "admin", rest)
	if err != nil {
		return err
	}
	defer s.close()
	inbox, err := s.app.ConnectAgentBot(system(ctx), botID, inboxID)
	if err != nil {
		return cliError(err)
	}
	return e.print(f["json"] != "", map[string]any{"id": inbox.ID, "inbox_id": inbox.ID, "agent_bot_id": botID},
		fmt.Sprintf("bot %d now takes the new conversations of inbox %d %q", botID, inbox.ID, inbox.Name))
}

func (e *env) adminBotToken(ctx context.Context, args []string) error {
	f, rest, err := parseFlags(args, "bot", "reset", "json")
	if err != nil {
		return err
	}
	botID, err := positiveID(f, "bot")
	if err != nil {
		return err
	}
	s, _, err := e.open(ctx, "admin", rest)
	if err != nil {
		return err
	}
	defer s.close()
	v, err := s.app.AgentBotToken(system(ctx), botID, f["reset"] != "")
	if err != nil {
		return cliError(err)
	}
	return e.print(f["json"] != "", map[string]any{"id": v.Bot.ID, "access_token": v.AccessToken},
		fmt.Sprintf("bot %d access token: %s", v.Bot.ID, v.AccessToken))
}
