package app

import (
	"context"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// TeamInput holds the fields of a team create or update; nil is unchanged.
type TeamInput struct {
	Name            *string
	Description     *string
	AllowAutoAssign *bool
}

func (in TeamInput) apply(t *baton.Team) error {
	if in.Name != nil {
		t.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		t.Description = *in.Description
	}
	if in.AllowAutoAssign != nil {
		t.AllowAutoAssign = *in.AllowAutoAssign
	}
	switch {
	case t.Name == "":
		return baton.Invalid("Name can't be blank", "name")
	case len(t.Name) > 255:
		return baton.Invalid("Name is too long (maximum is 255 characters)", "name")
	case len(t.Description) > 4000:
		return baton.Invalid("Description is too long (maximum is 4000 characters)", "description")
	}
	return nil
}

// Teams lists the account's teams, with whether the caller is a member of each.
func (a *App) Teams(ctx context.Context, accountID int64) ([]*baton.Team, map[int64]bool, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, nil, err
	}
	ts, err := q.ListTeams(ctx, accountID)
	if err != nil {
		return nil, nil, err
	}
	mine := map[int64]bool{}
	if uid := s.userID(); uid != 0 {
		for _, t := range ts {
			ms, err := q.TeamMembers(ctx, accountID, t.ID)
			if err != nil {
				return nil, nil, err
			}
			for _, m := range ms {
				if m.UserID == uid {
					mine[t.ID] = true
				}
			}
		}
	}
	return ts, mine, nil
}

// Team returns one of the account's teams.
func (a *App) Team(ctx context.Context, accountID, id int64) (*baton.Team, error) {
	q := a.store.Read()
	if _, err := a.accountScope(ctx, q, accountID); err != nil {
		return nil, err
	}
	return q.FindTeam(ctx, accountID, id)
}

// CreateTeam makes a team. Administrators only.
func (a *App) CreateTeam(ctx context.Context, accountID int64, in TeamInput) (*baton.Team, error) {
	now := a.Now()
	t := &baton.Team{AccountID: accountID, AllowAutoAssign: true, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(t); err != nil {
		return nil, err
	}
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		return q.CreateTeam(ctx, t)
	})
	return t, err
}

// UpdateTeam changes a team. Administrators only.
func (a *App) UpdateTeam(ctx context.Context, accountID, id int64, in TeamInput) (*baton.Team, error) {
	var t *baton.Team
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		if t, err = q.FindTeam(ctx, accountID, id); err != nil {
			return err
		}
		if err := in.apply(t); err != nil {
			return err
		}
		t.UpdatedAt = a.Now()
		return q.UpdateTeam(ctx, t)
	})
	return t, err
}

// DeleteTeam deletes a team; its conversations keep no team. Administrators only.
func (a *App) DeleteTeam(ctx context.Context, accountID, id int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		return q.DeleteTeam(ctx, accountID, id)
	})
}

// TeamMembers lists a team's members.
func (a *App) TeamMembers(ctx context.Context, accountID, teamID int64) ([]*baton.AccountUser, error) {
	q := a.store.Read()
	if _, err := a.accountScope(ctx, q, accountID); err != nil {
		return nil, err
	}
	if _, err := q.FindTeam(ctx, accountID, teamID); err != nil {
		return nil, err
	}
	aus, err := q.TeamMembers(ctx, accountID, teamID)
	if err != nil {
		return nil, err
	}
	return aus, a.withPresence(ctx, q, aus)
}

// ChangeTeamMembers adds, replaces or removes team members (MembersAdd,
// MembersReplace, MembersRemove); every user must be a member of the
// account. Administrators only. It returns the members added (add), all
// members (replace) or none (remove), as Chatwoot does.
func (a *App) ChangeTeamMembers(ctx context.Context, accountID, teamID int64, how string, userIDs []int64) ([]*baton.AccountUser, error) {
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		if _, err := q.FindTeam(ctx, accountID, teamID); err != nil {
			return err
		}
		for _, id := range userIDs {
			if _, err := q.FindAccountUser(ctx, accountID, id); baton.ErrorCode(err) == baton.ENOTFOUND {
				return baton.Invalid("User "+itoa(id)+" is not a member of the account", "user_ids")
			} else if err != nil {
				return err
			}
		}
		now := a.Now().UnixMicro()
		if how == MembersReplace {
			current, err := q.TeamMembers(ctx, accountID, teamID)
			if err != nil {
				return err
			}
			for _, m := range current {
				if err := q.RemoveTeamMember(ctx, teamID, m.UserID); err != nil {
					return err
				}
			}
		}
		for _, id := range userIDs {
			var err error
			if how == MembersRemove {
				err = q.RemoveTeamMember(ctx, teamID, id)
			} else {
				err = q.AddTeamMember(ctx, teamID, id, now)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || how == MembersRemove {
		return nil, err
	}
	all, err := a.TeamMembers(ctx, accountID, teamID)
	if err != nil || how == MembersReplace {
		return all, err
	}
	var added []*baton.AccountUser
	for _, au := range all {
		for _, id := range userIDs {
			if au.UserID == id {
				added = append(added, au)
				break
			}
		}
	}
	return added, nil
}

// SetTeam sets a conversation's team; 0 clears it. People and bots that see
// the conversation may.
func (a *App) SetTeam(ctx context.Context, accountID, displayID, teamID int64) (*baton.Conversation, error) {
	return a.changeConversation(ctx, accountID, displayID, func(q *store.Queries, s *scope, c *baton.Conversation) error {
		return a.setTeam(ctx, q, s, c, teamID)
	})
}

// setTeam sets a conversation's team (0 clears it) with its activity
// message. It does not save.
func (a *App) setTeam(ctx context.Context, q *store.Queries, s *scope, c *baton.Conversation, teamID int64) error {
	if teamID == c.TeamID {
		return nil
	}
	if teamID == 0 {
		c.TeamID = 0
		return a.activity(ctx, q, c, "Unassigned from team by "+s.actor.Name)
	}
	t, err := findTeam(ctx, q, s.account.ID, teamID)
	if err != nil {
		return err
	}
	c.TeamID = t.ID
	return a.activity(ctx, q, c, "Assigned to "+t.Name+" team by "+s.actor.Name)
}

// findTeam finds a team of the account to give conversations to: any other
// is invalid.
func findTeam(ctx context.Context, q *store.Queries, accountID, teamID int64) (*baton.Team, error) {
	t, err := q.FindTeam(ctx, accountID, teamID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil, baton.Invalid("Team must be a team of the account", "team_id")
	}
	return t, err
}
