package baton

import "context"

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
