package app

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// Who else is viewing a conversation (collision) is carried by the live
// event log, as typing is: a person's page asking for the conversation
// writes a viewing row now and then, and the people viewing it are those
// with a row younger than ViewingTTL. Every process shares the log (one
// database), so two people served by two processes see each other. The
// rows are for this question only: live clients are not sent them, and the
// log's pruning forgets them.

// ViewingTTL is how long a person counts as viewing a conversation after
// their page last asked for it (the agent app's page asks every few
// seconds).
const ViewingTTL = 12 * time.Second

// viewingEvery is how often a person still viewing is written again.
const viewingEvery = ViewingTTL / 3

// liveViewing names a viewing row in the live event log.
const liveViewing = "conversation.viewing"

// Viewing records that the calling user is viewing the conversation now and
// returns the names of the others viewing it, sorted.
func (a *App) Viewing(ctx context.Context, accountID, displayID int64) ([]string, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	me := s.actor.User
	if me == nil {
		return nil, baton.ErrNotFound
	}
	c, err := findVisible(ctx, q, s, displayID)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	rows, err := q.RecentLiveEvents(ctx, c.ID, liveViewing, now.Add(-ViewingTTL))
	if err != nil {
		return nil, err
	}
	var mine time.Time
	seen := map[int64]bool{}
	var others []int64
	for _, r := range rows {
		var d liveData
		if err := json.Unmarshal(r.Data, &d); err != nil || d.TypistID == 0 {
			continue
		}
		if d.TypistID == me.ID {
			if r.CreatedAt.After(mine) {
				mine = r.CreatedAt
			}
			continue
		}
		if !seen[d.TypistID] {
			seen[d.TypistID] = true
			others = append(others, d.TypistID)
		}
	}
	if now.Sub(mine) >= viewingEvery {
		err := a.store.Write(ctx, func(q *store.Queries) error {
			// Written straight to the log: no hub needs waking for it.
			b, err := json.Marshal(&liveData{TypistOf: baton.SenderUser, TypistID: me.ID})
			if err != nil {
				return err
			}
			return q.CreateLiveEvent(ctx, &store.LiveEvent{AccountID: c.AccountID, ConversationID: c.ID,
				Name: liveViewing, Data: b, CreatedAt: now})
		})
		if err != nil {
			return nil, err
		}
	}
	l := newLoader(q, a.liveSince())
	names := make([]string, 0, len(others))
	for _, id := range others {
		u, err := l.user(ctx, id)
		if err != nil {
			return nil, err
		}
		if u != nil {
			names = append(names, u.AvailableName())
		}
	}
	slices.Sort(names)
	return names, nil
}
