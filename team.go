package baton

import "time"

// Team is a group of people in an account that conversations go to.
type Team struct {
	ID              int64
	AccountID       int64
	Name            string
	Description     string
	AllowAutoAssign bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
}
