package agent

import (
	"net/http"
	"strconv"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

type teamsPage struct {
	base
	Teams []*baton.Team
}

func (h *Handler) listTeams(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	teams, _, err := h.app.Teams(r.Context(), b.AccountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	b.Title, b.Section = "Teams", "teams"
	h.render(w, http.StatusOK, "teams", teamsPage{base: b, Teams: teams})
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
	agents, err := h.app.Agents(ctx, b.AccountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	members, err := h.app.TeamMembers(ctx, b.AccountID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in := map[int64]bool{}
	for _, m := range members {
		in[m.UserID] = true
	}
	p := teamPage{base: b, Team: t, Agents: memberChoices(agents, in)}
	p.Title, p.Section = t.Name+" · Teams", "teams"
	h.render(w, http.StatusOK, "team", p)
}

func (h *Handler) setTeamMembers(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var ids []int64
	for _, v := range r.Form["member"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			h.fail(w, r, baton.Invalid("member is not a number", "member"))
			return
		}
		ids = append(ids, n)
	}
	if _, err := h.app.ChangeTeamMembers(r.Context(), b.AccountID, id, app.MembersReplace, ids); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, accountPath(b.AccountID, "/settings/teams/"+itoa(id)))
}
