package baton

import "time"

// CustomFilter is a filter a person saved in an account, as Chatwoot's
// custom_filters keep them: its name, what it filters (one of
// CustomFilterTypes) and its query, the JSON body of that filter.
type CustomFilter struct {
	ID        int64
	AccountID int64
	UserID    int64
	Name      string
	Type      string
	Query     map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CustomFilterTypes are the things a saved filter filters.
var CustomFilterTypes = []string{"conversation", "contact", "report"}

// MaxCustomFilters is how many filters one person saves in an account, as
// Chatwoot allows.
const MaxCustomFilters = 50
