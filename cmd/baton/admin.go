package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// admin runs the provisioning commands that replace Chatwoot's Rails console.
func (e *env) admin(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return errors.New("usage: baton admin platform-app|account|user create …")
	}
	what := args[0] + " " + args[1]
	switch what {
	case "platform-app create":
		return e.adminPlatformApp(ctx, args[2:])
	case "account create":
		return e.adminAccount(ctx, args[2:])
	case "user create":
		return e.adminUser(ctx, args[2:])
	}
	return fmt.Errorf("unknown admin command %q", what)
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
	_, st, a, _, err := e.open(ctx, "admin", rest)
	if err != nil {
		return err
	}
	defer st.Close()
	p, token, err := a.CreatePlatformApp(system(ctx), f["name"])
	if err != nil {
		return errors.New(baton.ErrorMessage(err))
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
	_, st, a, _, err := e.open(ctx, "admin", rest)
	if err != nil {
		return err
	}
	defer st.Close()
	name := f["name"]
	acc, err := a.CreateAccount(system(ctx), app.AccountInput{Name: &name})
	if err != nil {
		return errors.New(baton.ErrorMessage(err))
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
	_, st, a, _, err := e.open(ctx, "admin", rest)
	if err != nil {
		return err
	}
	defer st.Close()
	name, email, password := f["name"], f["email"], f["password"]
	u, token, err := a.CreateUserInAccount(system(ctx), accountID, app.UserInput{Name: &name, Email: &email, Password: &password}, role)
	if err != nil {
		return errors.New(baton.ErrorMessage(err))
	}
	return e.print(f["json"] != "", map[string]any{"id": u.ID, "name": u.Name, "email": u.Email,
		"account_id": accountID, "role": role, "access_token": token},
		fmt.Sprintf("user %d %q <%s>, %s of account %d\naccess token: %s", u.ID, u.Name, u.Email, role, accountID, token))
}
