package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/config"
	"github.com/batonhq/baton/internal/signature"
)

// adminCommand is one provisioning command: its words, and its own flags
// defined on the flag set it shares with the configuration's flags.
type adminCommand struct {
	words    string   // after "baton admin"
	required []string // the flags it cannot do without
	// define defines the command's flags on fs and returns what runs it
	// once they are parsed.
	define func(e *env, fs *flag.FlagSet) func(ctx context.Context, s *stack) error
}

// adminCommands are the provisioning commands that replace Chatwoot's Rails
// console, in the order help lists them.
var adminCommands = []adminCommand{
	{"platform-app create", []string{"name"}, (*env).adminPlatformApp},
	{"account create", []string{"name"}, (*env).adminAccount},
	{"user create", []string{"account", "name", "email", "password", "role"}, (*env).adminUser},
	{"user add", []string{"account", "user", "role"}, (*env).adminUserAdd},
	{"user password", []string{"email"}, (*env).adminUserPassword},
	{"bot create", []string{"name", "outgoing-url"}, (*env).adminBotCreate},
	{"bot connect", []string{"bot", "inbox"}, (*env).adminBotConnect},
	{"bot token", []string{"bot"}, (*env).adminBotToken},
}

// admin runs a provisioning command: its flags and the configuration's are
// parsed by one flag set, its required flags checked before the database
// is opened.
func (e *env) admin(ctx context.Context, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		return flag.ErrHelp
	}
	if len(args) < 2 {
		return errors.New("usage: baton admin platform-app|account|user|bot …")
	}
	what := args[0] + " " + args[1]
	i := slices.IndexFunc(adminCommands, func(c adminCommand) bool { return c.words == what })
	if i < 0 {
		return fmt.Errorf("unknown admin command %q", what)
	}
	c := adminCommands[i]
	fs := flag.NewFlagSet("admin "+what, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	do := c.define(e, fs)
	flags := config.Define(fs, e.getenv)
	if err := fs.Parse(args[2:]); errors.Is(err, flag.ErrHelp) {
		// The command's own help: its line, its flags, then the
		// configuration's.
		var b strings.Builder
		fmt.Fprintf(&b, "Usage:\n%s\n", adminLine(c))
		cmd := flag.NewFlagSet(c.words, flag.ContinueOnError)
		c.define(&env{}, cmd)
		cmd.VisitAll(func(f *flag.Flag) {
			arg, text := flag.UnquoteUsage(f)
			fmt.Fprintf(&b, "  %s\n      %s\n", strings.TrimSpace("--"+f.Name+" "+strings.ToUpper(arg)), text)
		})
		b.WriteString("\nConfiguration (flags win over the environment):\n")
		config.Define(flag.NewFlagSet("serve", flag.ContinueOnError), func(string) string { return "" }).Usage(&b)
		_, err := io.WriteString(e.stdout, b.String())
		return err
	} else if err != nil {
		return err
	}
	// A stray word is a mistake, such as an unquoted "--name Acme Corp",
	// never to be ignored.
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range c.required {
		if !set[name] {
			return fmt.Errorf("--%s is required", name)
		}
	}
	cfg, err := flags.Config()
	if err != nil {
		return err
	}
	// A command run from another directory than the installation's would
	// quietly provision a new, empty one: say so.
	if kind, target := cfg.Database(); kind == config.SQLite {
		if _, err := os.Stat(target); errors.Is(err, os.ErrNotExist) {
			if abs, err := filepath.Abs(target); err == nil {
				target = abs
			}
			fmt.Fprintf(e.stderr, "baton: no database at %s yet: making a new installation there "+
				"(run from the installation's directory, or set BATON_DATA_DIR or DATABASE_URL, to use an existing one)\n", target)
		}
	}
	s, err := e.openConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.close()
	return do(ctx, s)
}

// adminUsage writes the command line of each admin command, from its flag set.
func adminUsage(w io.Writer) {
	for _, c := range adminCommands {
		fmt.Fprintln(w, adminLine(c))
	}
}

// adminLine is the command line of an admin command, from its flag set.
func adminLine(c adminCommand) string {
	fs := flag.NewFlagSet(c.words, flag.ContinueOnError)
	c.define(&env{}, fs)
	line := "  baton admin " + c.words
	fs.VisitAll(func(f *flag.Flag) {
		arg, _ := flag.UnquoteUsage(f)
		part := "--" + f.Name
		if arg != "" {
			part += " " + strings.ToUpper(arg)
		}
		if !slices.Contains(c.required, f.Name) {
			part = "[" + part + "]"
		}
		line += " " + part
	})
	return line
}

// idValue is a flag holding an id: a positive whole number.
type idValue int64

func (v *idValue) String() string { return strconv.FormatInt(int64(*v), 10) }
func (v *idValue) Set(s string) error {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not an id", s)
	}
	*v = idValue(id)
	return nil
}

// idsValue is a flag holding ids separated by commas.
type idsValue []int64

func (v *idsValue) String() string { return fmt.Sprint([]int64(*v)) }
func (v *idsValue) Set(s string) error {
	*v = nil
	for part := range strings.SplitSeq(s, ",") {
		var id idValue
		if err := id.Set(strings.TrimSpace(part)); err != nil {
			return err
		}
		if !slices.Contains(*v, int64(id)) {
			*v = append(*v, int64(id))
		}
	}
	return nil
}

func idsFlag(fs *flag.FlagSet, name, usage string) *[]int64 {
	v := idsValue{}
	fs.Var(&v, name, usage)
	return (*[]int64)(&v)
}

func idFlag(fs *flag.FlagSet, name, usage string) *int64 {
	var v idValue
	fs.Var(&v, name, usage)
	return (*int64)(&v)
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

func (e *env) adminPlatformApp(fs *flag.FlagSet) func(ctx context.Context, s *stack) error {
	name := fs.String("name", "", "the platform app's `name`")
	asJSON := fs.Bool("json", false, "print one JSON object")
	return func(ctx context.Context, s *stack) error {
		p, token, err := s.app.CreatePlatformApp(system(ctx), *name)
		if err != nil {
			return cliError(err)
		}
		return e.print(*asJSON, map[string]any{"id": p.ID, "name": p.Name, "access_token": token},
			fmt.Sprintf("platform app %d %q\naccess token: %s", p.ID, p.Name, token))
	}
}

func (e *env) adminAccount(fs *flag.FlagSet) func(ctx context.Context, s *stack) error {
	name := fs.String("name", "", "the account's `name`")
	asJSON := fs.Bool("json", false, "print one JSON object")
	return func(ctx context.Context, s *stack) error {
		acc, err := s.app.CreateAccount(system(ctx), app.AccountInput{Name: name})
		if err != nil {
			return cliError(err)
		}
		return e.print(*asJSON, map[string]any{"id": acc.ID, "name": acc.Name},
			fmt.Sprintf("account %d %q", acc.ID, acc.Name))
	}
}

func (e *env) adminUser(fs *flag.FlagSet) func(ctx context.Context, s *stack) error {
	accountID := idFlag(fs, "account", "the `id` of the account the user joins")
	name := fs.String("name", "", "the user's `name`")
	email := fs.String("email", "", "the user's `e-mail` address")
	password := fs.String("password", "", "the user's `password`")
	role := fs.String("role", "", "the user's `role`: administrator (everything in the account) or agent (the conversations of their inboxes)")
	inboxes := idsFlag(fs, "inbox", "the `ids` of inboxes the user works, separated by commas (an agent sees and is given only their inboxes' conversations)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	return func(ctx context.Context, s *stack) error {
		if err := checkMembership(ctx, s, *accountID, *role, *inboxes); err != nil {
			return err
		}
		u, token, err := s.app.CreateUserInAccount(system(ctx), *accountID, app.UserInput{Name: name, Email: email, Password: password}, *role)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return fmt.Errorf("no account %d", *accountID)
		} else if err != nil {
			return cliError(err)
		}
		if err := joinInboxes(ctx, s, *accountID, u.ID, *inboxes); err != nil {
			return err
		}
		return e.print(*asJSON, map[string]any{"id": u.ID, "name": u.Name, "email": u.Email,
			"account_id": *accountID, "role": *role, "inbox_ids": *inboxes, "access_token": token},
			fmt.Sprintf("user %d %q <%s>, %s of account %d%s\naccess token: %s", u.ID, u.Name, u.Email, *role, *accountID,
				inboxesText(*inboxes), token))
	}
}

// adminUserAdd makes an existing user a member of an account (or changes
// their role there) and of inboxes of it.
func (e *env) adminUserAdd(fs *flag.FlagSet) func(ctx context.Context, s *stack) error {
	accountID := idFlag(fs, "account", "the `id` of the account the user joins")
	userID := idFlag(fs, "user", "the user's `id`")
	role := fs.String("role", "", "the user's `role` in the account: administrator or agent")
	inboxes := idsFlag(fs, "inbox", "the `ids` of inboxes the user works, separated by commas")
	asJSON := fs.Bool("json", false, "print one JSON object")
	return func(ctx context.Context, s *stack) error {
		if err := checkMembership(ctx, s, *accountID, *role, *inboxes); err != nil {
			return err
		}
		if _, err := s.app.AddAccountUser(system(ctx), *accountID, *userID, *role); baton.ErrorCode(err) == baton.ENOTFOUND {
			return fmt.Errorf("no account %d or no user %d", *accountID, *userID)
		} else if err != nil {
			return cliError(err)
		}
		if err := joinInboxes(ctx, s, *accountID, *userID, *inboxes); err != nil {
			return err
		}
		return e.print(*asJSON, map[string]any{"id": *userID, "account_id": *accountID, "role": *role, "inbox_ids": *inboxes},
			fmt.Sprintf("user %d is %s of account %d%s", *userID, *role, *accountID, inboxesText(*inboxes)))
	}
}

// adminUserPassword sets a user's password, read from standard input when
// --password is not given (so that it stays out of the shell's history and
// the process list), and ends their sessions.
func (e *env) adminUserPassword(fs *flag.FlagSet) func(ctx context.Context, s *stack) error {
	email := fs.String("email", "", "the user's `e-mail`")
	password := fs.String("password", "", "the new `password` (default: read one line from standard input)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	return func(ctx context.Context, s *stack) error {
		pass := *password
		if pass == "" {
			line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("reading the password: %w", err)
			}
			pass = strings.TrimRight(line, "\r\n")
		}
		if pass == "" {
			return errors.New("no password: give --password, or one line on standard input")
		}
		u, err := s.app.SetPassword(system(ctx), *email, pass)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return fmt.Errorf("no user with the e-mail %q", *email)
		} else if err != nil {
			return cliError(err)
		}
		return e.print(*asJSON, map[string]any{"id": u.ID, "email": u.Email},
			fmt.Sprintf("user %d (%s) has a new password; their sessions are ended", u.ID, u.Email))
	}
}

// checkMembership makes sure of a membership's role and inboxes before a
// command changes anything: the role is one, the inboxes are the account's.
func checkMembership(ctx context.Context, s *stack, accountID int64, role string, ids []int64) error {
	if _, ok := baton.ParseRole(role); !ok {
		return fmt.Errorf("--role: %q is not administrator or agent", role)
	}
	for _, id := range ids {
		// Baton itself may see every account: one it may not see is not
		// there.
		if _, err := s.app.Inbox(system(ctx), accountID, id); baton.ErrorCode(err) == baton.ENOTFOUND ||
			baton.ErrorCode(err) == baton.EUNAUTHORIZED {
			return fmt.Errorf("no inbox %d in account %d", id, accountID)
		} else if err != nil {
			return cliError(err)
		}
	}
	return nil
}

// joinInboxes makes the user a member of the inboxes.
func joinInboxes(ctx context.Context, s *stack, accountID, userID int64, ids []int64) error {
	for _, id := range ids {
		if _, err := s.app.ChangeInboxMembers(system(ctx), accountID, id, app.MembersAdd, []int64{userID}); err != nil {
			return cliError(err)
		}
	}
	return nil
}

func inboxesText(ids []int64) string {
	if len(ids) == 0 {
		return ""
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return ", member of inboxes " + strings.Join(parts, ", ")
}

func (e *env) adminBotCreate(fs *flag.FlagSet) func(ctx context.Context, s *stack) error {
	name := fs.String("name", "", "the bot's `name`")
	outgoingURL := fs.String("outgoing-url", "", "the `URL` events are delivered to")
	accountID := idFlag(fs, "account", "the `id` of the account the bot belongs to (default: a global bot)")
	description := fs.String("description", "", "`text` saying what the bot does")
	avatar := fs.String("avatar", "", "an image `file` for the bot's avatar")
	asJSON := fs.Bool("json", false, "print one JSON object")
	return func(ctx context.Context, s *stack) error {
		in := app.AgentBotInput{Name: name, OutgoingURL: outgoingURL, Description: description}
		if path := *avatar; path != "" {
			file, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("--avatar: %w", err)
			}
			defer file.Close()
			in.Avatar = &app.FileInput{Name: filepath.Base(path), ContentType: mime.TypeByExtension(filepath.Ext(path)), Body: file}
		}
		v, err := s.app.PlatformCreateAgentBot(system(ctx), *accountID, in)
		if err != nil {
			return cliError(err)
		}
		kind := "global bot"
		if *accountID != 0 {
			kind = fmt.Sprintf("bot of account %d", *accountID)
		}
		return e.print(*asJSON, map[string]any{"id": v.Bot.ID, "name": v.Bot.Name, "account_id": nullID(*accountID),
			"outgoing_url": v.Bot.OutgoingURL, "access_token": v.AccessToken, "secret": v.Secret,
			"webhook_secret": signature.StandardSecret(v.Secret)},
			fmt.Sprintf("%s %d %q -> %s\naccess token: %s\nsigning secret: %s (Standard Webhooks: %s)", kind, v.Bot.ID, v.Bot.Name,
				v.Bot.OutgoingURL, v.AccessToken, v.Secret, signature.StandardSecret(v.Secret)))
	}
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (e *env) adminBotConnect(fs *flag.FlagSet) func(ctx context.Context, s *stack) error {
	botID := idFlag(fs, "bot", "the bot's `id`")
	inboxID := idFlag(fs, "inbox", "the inbox's `id`")
	asJSON := fs.Bool("json", false, "print one JSON object")
	return func(ctx context.Context, s *stack) error {
		inbox, err := s.app.ConnectAgentBot(system(ctx), *botID, *inboxID)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return fmt.Errorf("no bot %d, or no inbox %d of the bot's account", *botID, *inboxID)
		} else if err != nil {
			return cliError(err)
		}
		return e.print(*asJSON, map[string]any{"id": inbox.ID, "inbox_id": inbox.ID, "agent_bot_id": *botID},
			fmt.Sprintf("bot %d now takes the new conversations of inbox %d %q", *botID, inbox.ID, inbox.Name))
	}
}

func (e *env) adminBotToken(fs *flag.FlagSet) func(ctx context.Context, s *stack) error {
	botID := idFlag(fs, "bot", "the bot's `id`")
	reset := fs.Bool("reset", false, "make a new access token, ending the old one (the signing secret stays)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	return func(ctx context.Context, s *stack) error {
		v, err := s.app.AgentBotToken(system(ctx), *botID, *reset)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return fmt.Errorf("no bot %d", *botID)
		} else if err != nil {
			return cliError(err)
		}
		return e.print(*asJSON, map[string]any{"id": v.Bot.ID, "access_token": v.AccessToken, "secret": v.Secret,
			"webhook_secret": signature.StandardSecret(v.Secret)},
			fmt.Sprintf("bot %d access token: %s\nsigning secret: %s (Standard Webhooks: %s)", v.Bot.ID, v.AccessToken,
				v.Secret, signature.StandardSecret(v.Secret)))
	}
}
