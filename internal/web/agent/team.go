package agent

import (
	"net/http"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

type teamsPage struct {
	base
	Teams []*baton.Team
}

func (h *Handler) listTeams(w http.ResponseWriter, r *http.Request) {
	h.list(w, r, "Teams", "teams", func(b base) (any, error) {
		teams, _, err := h.app.Teams(r.Context(), b.AccountID)
		return teamsPage{base: b, Teams: teams}, err
	})
}

func (h *Handler) createTeam(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	name, desc := r.FormValue("name"), r.FormValue("description")
	t, err := h.app.CreateTeam(r.Context(), b.AccountID, app.TeamInput{Name: &name, Description: &desc})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, accountPath(b.AccountID, "/settings/teams/"+itoa(t.ID)), http.StatusSeeOther)
}

type teamPage struct {
	base
	Team   *baton.Team
	Agents []memberChoice
}

func (h *Handler) showTeam(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	t, err := h.app.Team(ctx, b.AccountID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	choices, err := h.memberChoices(ctx, b.AccountID, id, h.app.TeamMembers)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := teamPage{base: b, Team: t, Agents: choices}
	p.Title, p.Section = t.Name+" · Teams", "teams"
	h.render(w, http.StatusOK, "team", p)
}

// teamAction runs an action on the team in the path, then shows it.
func (h *Handler) teamAction(fn func(r *http.Request, accountID, id int64) error) http.HandlerFunc {
	return h.idAction(fn, func(id int64) string { return "/settings/teams/" + itoa(id) })
}

func (h *Handler) setTeamMembers(r *http.Request, accountID, id int64) error {
	ids, err := memberIDs(r)
	if err != nil {
		return err
	}
	_, err = h.app.ChangeTeamMembers(r.Context(), accountID, id, app.MembersReplace, ids)
	return err
}
