package baton

import (
	"context"
	"net/netip"
)

// ActorKind is the kind of caller behind a request.
type ActorKind int

// Actor kinds.
const (
	ActorNone        ActorKind = iota
	ActorUser                  // a person with a user access token
	ActorAgentBot              // a bot with its access token
	ActorPlatformApp           // an installation-level client
	ActorContact               // a customer, through the public or widget API
	ActorSystem                // Baton itself: the command line, the demo, jobs
)

// Actor is who is asking. Exactly the fields of its kind are set.
type Actor struct {
	Kind         ActorKind
	User         *User
	Bot          *AgentBot
	PlatformApp  *PlatformApp
	ContactInbox *ContactInbox
	Name         string
}

type actorKey struct{}

// NewContextWithActor returns a copy of ctx that carries the actor.
func NewContextWithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor of ctx, or an actor of kind ActorNone.
func ActorFromContext(ctx context.Context) *Actor {
	if a, ok := ctx.Value(actorKey{}).(*Actor); ok && a != nil {
		return a
	}
	return &Actor{}
}

// SystemActor is the actor of work that Baton does on its own behalf.
var SystemActor = &Actor{Kind: ActorSystem, Name: "System"}

// ContactCredential is what a customer's client presents in place of an
// access token: the public client API's inbox identifier and contact
// identifier (a source id), or the widget's website token and widget token
// (X-Auth-Token). The HTTP surface puts it in the context as the request
// carries it, unverified; the use case verifies it inside its own
// transaction, where the lookup costs least, and acts as that contact.
type ContactCredential struct {
	InboxIdentifier string // public API: the API inbox's identifier
	SourceID        string // public API: the contact's source id in that inbox
	WebsiteToken    string // widget: the web widget inbox's website token
	WidgetToken     string // widget: the signed token the widget config issued
}

type credentialKey struct{}

// NewContextWithCredential returns a copy of ctx that carries a customer's
// credential.
func NewContextWithCredential(ctx context.Context, c ContactCredential) context.Context {
	return context.WithValue(ctx, credentialKey{}, c)
}

// CredentialFromContext returns the customer's credential of ctx, or the
// zero credential.
func CredentialFromContext(ctx context.Context) ContactCredential {
	c, _ := ctx.Value(credentialKey{}).(ContactCredential)
	return c
}

type clientAddrKey struct{}

// NewContextWithClientAddr returns a copy of ctx that carries the address a
// request came from, as the server sees it behind its trusted proxies: what
// abuse limits count by.
func NewContextWithClientAddr(ctx context.Context, addr netip.Addr) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddrFromContext returns the client address of ctx, or the zero
// address when none is known.
func ClientAddrFromContext(ctx context.Context) netip.Addr {
	a, _ := ctx.Value(clientAddrKey{}).(netip.Addr)
	return a
}
