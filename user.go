package baton

import (
	"strings"
	"time"
)

// Role is a user's role in one account.
type Role int

// Roles, numbered as Chatwoot numbers them.
const (
	RoleAgent         Role = 0
	RoleAdministrator Role = 1
)

// String returns the wire name of the role.
func (r Role) String() string {
	if r == RoleAdministrator {
		return "administrator"
	}
	return "agent"
}

// ParseRole reads a wire name; the empty string is an agent, as in Chatwoot.
func ParseRole(s string) (Role, bool) {
	switch s {
	case "", "agent":
		return RoleAgent, true
	case "administrator":
		return RoleAdministrator, true
	}
	return 0, false
}

// Availability is a user's presence as shown to the team.
type Availability int

// Availability values, numbered as Chatwoot numbers them.
const (
	Online  Availability = 0
	Offline Availability = 1
	Busy    Availability = 2
)

// String returns the wire name.
func (a Availability) String() string {
	switch a {
	case Offline:
		return "offline"
	case Busy:
		return "busy"
	}
	return "online"
}

// ParseAvailability reads a wire name.
func ParseAvailability(s string) (Availability, bool) {
	switch s {
	case "online":
		return Online, true
	case "offline":
		return Offline, true
	case "busy":
		return Busy, true
	}
	return 0, false
}

// User is a person who works conversations. A user belongs to accounts
// through AccountUser rows, each with a role.
type User struct {
	ID               int64
	Name             string
	DisplayName      string
	Email            string
	PasswordHash     string
	Availability     Availability
	CustomAttributes map[string]any
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// AvailableName is the display name when set, else the name.
func (u *User) AvailableName() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Name
}

// AccountUser is a user's membership of an account.
type AccountUser struct {
	ID        int64
	AccountID int64
	UserID    int64
	Role      Role
	// Availability is what the user set for themselves in the account.
	Availability Availability
	// Connected says the user has a live connection (set where a view
	// needs it): see AvailabilityStatus.
	Connected bool
	CreatedAt time.Time
	User      *User // loaded with the membership where a view needs it
}

// AvailabilityStatus is the availability the team sees: what the user set
// while they are connected, offline while they are not.
func (au *AccountUser) AvailabilityStatus() Availability {
	if !au.Connected {
		return Offline
	}
	return au.Availability
}

// Online reports whether the user is there to take a conversation: a live
// connection and availability online. Unlike Chatwoot, a user who never
// connects is never online.
func (au *AccountUser) Online() bool { return au.Connected && au.Availability == Online }

// NormalizeEmail lower-cases and trims an e-mail address, the form in which
// addresses are stored and compared.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s looks like an e-mail address: one @ with
// something on each side and a dot in the domain. Stricter checks reject
// real addresses.
func ValidEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if len(s) > MaxNameLength || at < 1 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}
