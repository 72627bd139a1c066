package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// CustomFilterInput holds the fields of a saved filter's create or update;
// nil is unchanged.
type CustomFilterInput struct {
	Name  *string
	Type  *string
	Query map[string]any
}

func (a *App) applyFilter(in CustomFilterInput, f *baton.CustomFilter) error {
	if in.Name != nil {
		f.Name = strings.TrimSpace(*in.Name)
	}
	if in.Type != nil {
		f.Type = strings.TrimSpace(*in.Type)
	}
	if in.Query != nil {
		f.Query = in.Query
	}
	switch {
	case f.Name == "":
		return baton.Invalid("Name can't be blank", "name")
	case !slices.Contains(baton.CustomFilterTypes, f.Type):
		return baton.Invalid("Filter type must be one of "+strings.Join(baton.CustomFilterTypes, ", "), "filter_type")
	}
	if err := baton.TooLong("name", "Name", f.Name, baton.MaxNameLength); err != nil {
		return err
	}
	if err := baton.AttributesTooLarge("query", "The query", f.Query); err != nil {
		return err
	}
	// A conversation's or contact's filter is checked as the filter checks
	// its body, so that a saved one always runs.
	var t *filterTable
	switch f.Type {
	case "conversation":
		t = &conversationFilters
	case "contact":
		t = &contactFilters
	}
	if t == nil {
		return nil
	}
	payload, ok := f.Query["payload"].([]any)
	if !ok {
		return baton.Invalid("The query must hold the filter's payload, a list of conditions", "query")
	}
	in2 := make([]FilterInput, len(payload))
	for i, p := range payload {
		m, ok := p.(map[string]any)
		if !ok {
			return baton.Invalid(fmt.Sprintf("Condition %d of the query is not an object", i+1), "query")
		}
		key, _ := m["attribute_key"].(string)
		op, _ := m["filter_operator"].(string)
		join, _ := m["query_operator"].(string)
		values, _ := m["values"].([]any)
		in2[i] = FilterInput{AttributeKey: key, FilterOperator: op, Values: values, QueryOperator: join}
	}
	_, err := a.filterConditions(*t, in2)
	return err
}

// filterOwner is the person whose saved filters the caller may touch in
// the account: themselves, a member; bots have none.
func (a *App) filterOwner(ctx context.Context, q *store.Queries, accountID int64) (int64, error) {
	if baton.ActorFromContext(ctx).Kind == baton.ActorAgentBot {
		return 0, auth.ErrBotNotPermitted
	}
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return 0, err
	}
	return s.userID(), nil
}

// CustomFilters lists the caller's saved filters in the account, of the
// type ("": of every type).
func (a *App) CustomFilters(ctx context.Context, accountID int64, typ string) ([]*baton.CustomFilter, error) {
	q := a.store.Read()
	userID, err := a.filterOwner(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	return q.ListCustomFilters(ctx, accountID, userID, typ)
}

// CustomFilter returns one of the caller's saved filters.
func (a *App) CustomFilter(ctx context.Context, accountID, id int64) (*baton.CustomFilter, error) {
	q := a.store.Read()
	userID, err := a.filterOwner(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	return q.FindCustomFilter(ctx, accountID, userID, id)
}

// CreateCustomFilter saves a filter of the caller's, at most
// baton.MaxCustomFilters an account.
func (a *App) CreateCustomFilter(ctx context.Context, accountID int64, in CustomFilterInput) (*baton.CustomFilter, error) {
	userID, err := a.filterOwner(ctx, a.store.Read(), accountID)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	f := &baton.CustomFilter{AccountID: accountID, UserID: userID, Query: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	if err := a.applyFilter(in, f); err != nil {
		return nil, err
	}
	err = a.store.Write(ctx, func(q *store.Queries) error {
		n, err := q.CountCustomFilters(ctx, accountID, userID)
		if err != nil {
			return err
		}
		if n >= baton.MaxCustomFilters {
			return baton.Invalid(fmt.Sprintf("You have saved %d filters, the most there may be", baton.MaxCustomFilters), "name")
		}
		return q.CreateCustomFilter(ctx, f)
	})
	return f, err
}

// UpdateCustomFilter changes one of the caller's saved filters.
func (a *App) UpdateCustomFilter(ctx context.Context, accountID, id int64, in CustomFilterInput) (*baton.CustomFilter, error) {
	var f *baton.CustomFilter
	err := a.store.Write(ctx, func(q *store.Queries) error {
		userID, err := a.filterOwner(ctx, q, accountID)
		if err != nil {
			return err
		}
		if f, err = q.FindCustomFilter(ctx, accountID, userID, id); err != nil {
			return err
		}
		if err := a.applyFilter(in, f); err != nil {
			return err
		}
		f.UpdatedAt = a.Now()
		return q.UpdateCustomFilter(ctx, f)
	})
	return f, err
}

// DeleteCustomFilter deletes one of the caller's saved filters.
func (a *App) DeleteCustomFilter(ctx context.Context, accountID, id int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		userID, err := a.filterOwner(ctx, q, accountID)
		if err != nil {
			return err
		}
		return q.DeleteCustomFilter(ctx, accountID, userID, id)
	})
}
