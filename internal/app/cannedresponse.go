package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// CannedResponseInput holds the fields of a canned response create or
// update; nil is unchanged.
type CannedResponseInput struct {
	ShortCode *string
	Content   *string
}

func (in CannedResponseInput) apply(c *baton.CannedResponse) error {
	if in.ShortCode != nil {
		c.ShortCode = strings.TrimSpace(*in.ShortCode)
	}
	if in.Content != nil {
		c.Content = *in.Content
	}
	switch {
	case c.ShortCode == "":
		return baton.Invalid("Short code can't be blank", "short_code")
	case strings.TrimSpace(c.Content) == "":
		return baton.Invalid("Content can't be blank", "content")
	}
	if err := baton.TooLong("short_code", "Short code", c.ShortCode, baton.MaxShortCodeLength); err != nil {
		return err
	}
	return baton.TooLong("content", "Content", c.Content, baton.MaxCannedContentLength)
}

// cannedScope is accountScope for canned responses, which are the
// dashboard's: every member of the account may list, make, change and
// delete them, as in Chatwoot (its controller checks no role), and bots
// may not touch them.
func (a *App) cannedScope(ctx context.Context, q *store.Queries, accountID int64) error {
	if baton.ActorFromContext(ctx).Kind == baton.ActorAgentBot {
		return auth.ErrBotNotPermitted
	}
	_, err := a.accountScope(ctx, q, accountID)
	return err
}

// CannedResponses lists the account's canned responses by short code; a
// search keeps those whose short code or content holds it, the short codes
// that start with it first.
func (a *App) CannedResponses(ctx context.Context, accountID int64, search string) ([]*baton.CannedResponse, error) {
	search = strings.TrimSpace(search)
	if err := checkSearch(search, "search"); err != nil {
		return nil, err
	}
	q := a.store.Read()
	if err := a.cannedScope(ctx, q, accountID); err != nil {
		return nil, err
	}
	return q.ListCannedResponses(ctx, accountID, search, 0)
}

// MaxCannedChoices is the most canned responses SearchCannedResponses
// returns: a picker's worth, however many the account keeps.
const MaxCannedChoices = 100

// SearchCannedResponses returns the first limit (1 to MaxCannedChoices) of
// the account's canned responses in CannedResponses' order for the search:
// what a reply box's picker shows for what was typed after "/".
func (a *App) SearchCannedResponses(ctx context.Context, accountID int64, search string, limit int) ([]*baton.CannedResponse, error) {
	if limit < 1 || limit > MaxCannedChoices {
		return nil, baton.Invalid(fmt.Sprintf("Limit must be between 1 and %d", MaxCannedChoices), "limit")
	}
	search = strings.TrimSpace(search)
	if err := checkSearch(search, "search"); err != nil {
		return nil, err
	}
	q := a.store.Read()
	if err := a.cannedScope(ctx, q, accountID); err != nil {
		return nil, err
	}
	return q.ListCannedResponses(ctx, accountID, search, limit)
}

// CannedResponse returns one of the account's canned responses.
func (a *App) CannedResponse(ctx context.Context, accountID, id int64) (*baton.CannedResponse, error) {
	q := a.store.Read()
	if err := a.cannedScope(ctx, q, accountID); err != nil {
		return nil, err
	}
	return q.FindCannedResponse(ctx, accountID, id)
}

// MaxCannedResponses is the most canned responses an account may keep:
// the settings page and Chatwoot's GET canned_responses carry them all,
// and any member may make them.
const MaxCannedResponses = 1000

// CreateCannedResponse makes a canned response. Any member may, while the
// account has fewer than MaxCannedResponses.
func (a *App) CreateCannedResponse(ctx context.Context, accountID int64, in CannedResponseInput) (*baton.CannedResponse, error) {
	now := a.Now()
	c := &baton.CannedResponse{AccountID: accountID, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(c); err != nil {
		return nil, err
	}
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.cannedScope(ctx, q, accountID); err != nil {
			return err
		}
		n, err := q.CountCannedResponses(ctx, accountID)
		if err != nil {
			return err
		}
		if n >= MaxCannedResponses {
			return baton.Invalid(fmt.Sprintf("An account has at most %d canned responses", MaxCannedResponses), "short_code")
		}
		return q.CreateCannedResponse(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateCannedResponse changes a canned response. Any member may.
func (a *App) UpdateCannedResponse(ctx context.Context, accountID, id int64, in CannedResponseInput) (*baton.CannedResponse, error) {
	var c *baton.CannedResponse
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if err := a.cannedScope(ctx, q, accountID); err != nil {
			return err
		}
		if c, err = q.FindCannedResponse(ctx, accountID, id); err != nil {
			return err
		}
		if err := in.apply(c); err != nil {
			return err
		}
		c.UpdatedAt = a.Now()
		return q.UpdateCannedResponse(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteCannedResponse deletes a canned response. Any member may.
func (a *App) DeleteCannedResponse(ctx context.Context, accountID, id int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.cannedScope(ctx, q, accountID); err != nil {
			return err
		}
		return q.DeleteCannedResponse(ctx, accountID, id)
	})
}
