package e2e_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// person is a member of the env's account.
type person struct {
	id    int64
	token string
}

// person makes a member of the account with the role, a member of the API
// inbox when inInbox.
func (e *env) person(name, role string, inInbox bool) person {
	e.t.Helper()
	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	u, token, err := e.App.CreateUserInAccount(sys, e.accountID, app.UserInput{Name: ptr(name),
		Email: ptr(fmt.Sprintf("%s%d@acme.test", name, e.accountID)), Password: ptr("password123")}, role)
	if err != nil {
		e.t.Fatal(err)
	}
	if inInbox {
		e.call("POST", e.acc("/inbox_members"), e.adminToken, fmt.Sprintf(`{"inbox_id":%v,"user_ids":[%d]}`, e.inbox["id"], u.ID), 200)
	}
	return person{id: u.ID, token: token}
}

// connectPerson opens a live connection of the person on this process, as the
// realtime surface does when their socket connects.
func (e *env) connectPerson(p person) {
	e.t.Helper()
	if err := e.App.UserConnected(context.Background(), e.App.ProcessID(), p.id); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) disconnectPerson(p person) {
	e.t.Helper()
	if err := e.App.UserDisconnected(context.Background(), e.App.ProcessID(), p.id); err != nil {
		e.t.Fatal(err)
	}
}

// availability returns the person's availability_status in the agents list.
func (e *env) availability(p person) string {
	e.t.Helper()
	for _, a := range e.call("GET", e.acc("/agents"), e.adminToken, "", 200).([]any) {
		if a := a.(map[string]any); a["id"] == float64(p.id) {
			return a["availability_status"].(string)
		}
	}
	e.t.Fatalf("agent %d is not in the agents list", p.id)
	return ""
}

// TestPresence: a person is online while connected and available, busy
// when they say so, offline when their last connection closes or their
// process stops; the profile shows what they set and what others see.
func TestPresence(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		ann := e.person("ann", "agent", true)
		if got := e.availability(ann); got != "offline" {
			t.Fatalf("a person who never connected is %s, want offline", got)
		}
		e.connectPerson(ann)
		e.connectPerson(ann) // a second tab
		if got := e.availability(ann); got != "online" {
			t.Fatalf("a connected person is %s, want online", got)
		}
		body := fmt.Sprintf(`{"profile":{"availability":"busy","account_id":%d}}`, e.accountID)
		profile := e.call("POST", "/api/v1/profile/availability", ann.token, body, 200).(map[string]any)
		acc := profile["accounts"].([]any)[0].(map[string]any)
		if acc["availability"] != "busy" || acc["availability_status"] != "busy" || profile["availability_status"] != "busy" {
			t.Errorf("profile after busy: %v / %v / %v", acc["availability"], acc["availability_status"], profile["availability_status"])
		}
		if got := e.availability(ann); got != "busy" {
			t.Errorf("a busy person is %s in the agents list", got)
		}
		e.call("POST", "/api/v1/profile/availability", ann.token,
			fmt.Sprintf(`{"profile":{"availability":"away","account_id":%d}}`, e.accountID), 422)
		e.call("POST", "/api/v1/profile/availability", ann.token, `{"profile":{"availability":"online","account_id":999999}}`, 401)
		e.call("POST", "/api/v1/profile/availability", ann.token,
			fmt.Sprintf(`{"profile":{"availability":"online","account_id":%d}}`, e.accountID), 200)

		e.disconnectPerson(ann)
		if got := e.availability(ann); got != "online" {
			t.Errorf("a person with one tab left is %s, want online", got)
		}
		e.disconnectPerson(ann)
		if got := e.availability(ann); got != "offline" {
			t.Errorf("a person whose last tab closed is %s, want offline", got)
		}
		profile = e.call("GET", "/api/v1/profile", ann.token, "", 200).(map[string]any)
		acc = profile["accounts"].([]any)[0].(map[string]any)
		if acc["availability"] != "online" || acc["availability_status"] != "offline" {
			t.Errorf("profile of a disconnected person: availability %v, status %v", acc["availability"], acc["availability_status"])
		}

		// A process that stops takes its connections with it.
		e.connectPerson(ann)
		if err := e.App.EndProcess(context.Background(), e.App.ProcessID()); err != nil {
			t.Fatal(err)
		}
		if got := e.availability(ann); got != "offline" {
			t.Errorf("a person connected to a stopped process is %s, want offline", got)
		}
	})
}
