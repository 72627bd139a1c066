package baton

import "time"

// AccountStatus is whether an account may use the API.
type AccountStatus int

// Account statuses, numbered as Chatwoot numbers them.
const (
	AccountActive    AccountStatus = 0
	AccountSuspended AccountStatus = 1
)

// String returns the wire name of the status.
func (s AccountStatus) String() string {
	if s == AccountSuspended {
		return "suspended"
	}
	return "active"
}

// ParseAccountStatus reads a wire name.
func ParseAccountStatus(s string) (AccountStatus, bool) {
	switch s {
	case "active":
		return AccountActive, true
	case "suspended":
		return AccountSuspended, true
	}
	return 0, false
}

// Account is a tenant: everything else belongs to exactly one account, and
// nothing of one account is visible from another.
type Account struct {
	ID               int64
	Name             string
	Locale           string
	Domain           string
	SupportEmail     string
	Status           AccountStatus
	CustomAttributes map[string]any
	// Settings holds switches such as keep_pending_on_bot_failure.
	Settings  map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PlatformApp is an installation-level client that provisions accounts,
// users and global bots through the Platform API.
type PlatformApp struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Permissible kinds: what a platform app may manage because it created it.
const (
	PermissibleAccount  = "Account"
	PermissibleUser     = "User"
	PermissibleAgentBot = "AgentBot"
)
