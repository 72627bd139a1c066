package chatwoot

import (
	"net/http"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// teamJSON is a team as Chatwoot shows it.
type teamJSON struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	AllowAutoAssign bool   `json:"allow_auto_assign"`
	AccountID       int64  `json:"account_id"`
	IsMember        bool   `json:"is_member"`
}

func teamView(t *baton.Team) teamJSON {
	return teamJSON{ID: t.ID, Name: t.Name, Description: t.Description, AllowAutoAssign: t.AllowAutoAssign,
		AccountID: t.AccountID}
}

// teamRequest is a team create or update, at the top level or under
// "team" as Rails clients send it.
type teamRequest struct {
	Name            *string   `json:"name"`
	Description     *string   `json:"description"`
	AllowAutoAssign *flexBool `json:"allow_auto_assign"`
	Team            *struct {
		Name            *string   `json:"name"`
		Description     *string   `json:"description"`
		AllowAutoAssign *flexBool `json:"allow_auto_assign"`
	} `json:"team"`
}

func (b teamRequest) input() app.TeamInput {
	name, desc, auto := b.Name, b.Description, b.AllowAutoAssign
	if b.Team != nil {
		name, desc, auto = b.Team.Name, b.Team.Description, b.Team.AllowAutoAssign
	}
	in := app.TeamInput{Name: name, Description: desc}
	if auto != nil {
		v := bool(*auto)
		in.AllowAutoAssign = &v
	}
	return in
}

func (h *Handler) listTeams(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	ts, mine, err := h.app.Teams(r.Context(), accountID)
	if err != nil {
		return err
	}
	out := make([]teamJSON, 0, len(ts))
	for _, t := range ts {
		v := teamView(t)
		v.IsMember = mine[t.ID]
		out = append(out, v)
	}
	return ok(w, out)
}

func (h *Handler) showTeam(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := teamPath(r)
	if err != nil {
		return err
	}
	t, err := h.app.Team(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, teamView(t))
}

func (h *Handler) createTeam(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body teamRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	t, err := h.app.CreateTeam(r.Context(), accountID, body.input())
	if err != nil {
		return err
	}
	return ok(w, teamView(t))
}

func (h *Handler) updateTeam(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := teamPath(r)
	if err != nil {
		return err
	}
	var body teamRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	t, err := h.app.UpdateTeam(r.Context(), accountID, id, body.input())
	if err != nil {
		return err
	}
	return ok(w, teamView(t))
}

func (h *Handler) deleteTeam(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := teamPath(r)
	if err != nil {
		return err
	}
	if err := h.app.DeleteTeam(r.Context(), accountID, id); err != nil {
		return err
	}
	return empty(w)
}

func teamPath(r *http.Request) (int64, int64, error) {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return 0, 0, err
	}
	id, err := pathID(r, "team_id")
	return accountID, id, err
}

func (h *Handler) listTeamMembers(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := teamPath(r)
	if err != nil {
		return err
	}
	aus, err := h.app.TeamMembers(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, agentViews(aus))
}

type teamMembersRequest struct {
	UserIDs []flexInt `json:"user_ids"`
}

// changeTeamMembers adds (POST), replaces (PATCH) or removes (DELETE) team
// members, answering as Chatwoot does: the members added, all members, or
// nothing.
func (h *Handler) changeTeamMembers(how string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		accountID, id, err := teamPath(r)
		if err != nil {
			return err
		}
		var body teamMembersRequest
		if err := h.decode(w, r, &body); err != nil {
			return err
		}
		ids := make([]int64, 0, len(body.UserIDs))
		for _, u := range body.UserIDs {
			ids = append(ids, int64(u))
		}
		aus, err := h.app.ChangeTeamMembers(r.Context(), accountID, id, how, ids)
		if err != nil {
			return err
		}
		if how == app.MembersRemove {
			return empty(w)
		}
		return ok(w, agentViews(aus))
	}
}

// errOrNull writes null for no error.
func errOrNull(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	return ok(w, nil)
}
