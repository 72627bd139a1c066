package baton

import (
	"strconv"
	"time"
)

// DeliveryStatus is where a delivery stands.
type DeliveryStatus int

// Delivery states. A delivery is pending until it succeeds or is given up.
const (
	DeliveryPending   DeliveryStatus = 0 // waiting for its turn or its next attempt
	DeliverySucceeded DeliveryStatus = 1 // the target answered 2xx
	DeliveryFailed    DeliveryStatus = 2 // given up: the target stayed down for the whole retry schedule
	DeliveryParked    DeliveryStatus = 3 // given up: the target was up but kept refusing this event
)

// deliveryStatusNames is the one table of the states' names, as the
// delivery log shows them and its filter takes them.
var deliveryStatusNames = [...]string{"pending", "succeeded", "failed", "parked"}

// String returns the state's name: pending, succeeded, failed or parked.
func (s DeliveryStatus) String() string {
	if s < 0 || int(s) >= len(deliveryStatusNames) {
		return "DeliveryStatus(" + strconv.Itoa(int(s)) + ")"
	}
	return deliveryStatusNames[s]
}

// GivenUp reports whether the delivery was given up: failed or parked.
func (s DeliveryStatus) GivenUp() bool { return s == DeliveryFailed || s == DeliveryParked }

// ParseDeliveryStatus returns the state a name names, and whether it names one.
func ParseDeliveryStatus(name string) (DeliveryStatus, bool) {
	for i, n := range deliveryStatusNames {
		if n == name {
			return DeliveryStatus(i), true
		}
	}
	return 0, false
}

// TargetKind is the kind of program a delivery goes to.
type TargetKind int

// The kinds of targets.
const (
	TargetBot     TargetKind = 1 // an agent bot: it may own conversations
	TargetWebhook TargetKind = 2 // a webhook endpoint: an integration that only listens
)

// Target is where deliveries go: a bot or a webhook endpoint. Each target
// has its own lanes (one per conversation) and its own circuit breaker, so
// one target's failures never hold back another's deliveries.
type Target struct {
	Kind TargetKind
	ID   int64
}

// BotTarget is the target of a bot's deliveries.
func BotTarget(id int64) Target { return Target{Kind: TargetBot, ID: id} }

// WebhookTarget is the target of a webhook endpoint's deliveries.
func WebhookTarget(id int64) Target { return Target{Kind: TargetWebhook, ID: id} }

// Bot reports whether the target is a bot.
func (t Target) Bot() bool { return t.Kind == TargetBot }

// String names the target for logs: "bot 3", "webhook 7".
func (t Target) String() string {
	switch t.Kind {
	case TargetBot:
		return "bot " + strconv.FormatInt(t.ID, 10)
	case TargetWebhook:
		return "webhook " + strconv.FormatInt(t.ID, 10)
	}
	return "target " + strconv.FormatInt(t.ID, 10)
}

// Delivery is one event on its way to one target.
type Delivery struct {
	ID        int64
	UUID      string // X-Chatwoot-Delivery: the same on every attempt
	EventID   int64
	Target    Target
	AccountID int64
	// LaneID is the conversation's internal id; minus the account id for
	// events without a conversation. Within a target and a lane,
	// deliveries go out in id order, one at a time.
	LaneID int64
	// Handoff marks a customer's message to the bot of a pending
	// conversation: the one delivery whose failure hands the conversation
	// to people. Never set for a webhook endpoint.
	Handoff       bool
	Status        DeliveryStatus
	Attempts      int
	Refusals      int // attempts the target answered with an error that is not an outage
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time

	EventName string // loaded with the delivery
	Payload   []byte
}

// Attempt is one try at a delivery.
type Attempt struct {
	DeliveryID  int64
	AttemptedAt time.Time
	StatusCode  int // 0 when no response came
	Latency     time.Duration
	Error       string
	Response    string // an excerpt of the response body
	Refused     bool   // the target answered an error that is not an outage
}

// LoggedDelivery is a delivery as the delivery log shows it: with the
// conversation's display id (0 for events without one) and its attempts,
// oldest first.
type LoggedDelivery struct {
	Delivery
	DisplayID int64
	Log       []*Attempt
}
