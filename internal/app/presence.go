package app

import (
	"context"
	"sync"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// Presence: a user is online in an account when they have at least one live
// connection (the realtime surface reports each with UserConnected and
// UserDisconnected) on a live process, and their availability there is
// online. Each process beats (Heartbeat, run by a PresenceKeeper); the
// connections of a process that stopped beating stop counting after
// PresenceTTL, so presence is right across processes sharing one database
// even when one of them dies.

// PresenceTTL is how long a process's connections count after its last beat.
const PresenceTTL = 90 * time.Second

// PresenceInterval is how often a PresenceKeeper beats.
const PresenceInterval = 30 * time.Second

// DeadProcessInterval is how often a PresenceKeeper whose process holds an
// owner lock looks for processes whose lock is free (they died): the bound
// on how long a killed process's people still count as online.
const DeadProcessInterval = 2 * time.Second

// ProcessID is this process's identity in the presence tables: the one the
// realtime surface passes to UserConnected and UserDisconnected.
func (a *App) ProcessID() string { return a.processID }

// liveSince is the time a process must have beaten since for its
// connections to count.
func (a *App) liveSince() int64 { return a.Now().Add(-PresenceTTL).UnixMicro() }

// UserConnected records a live connection of the user on the process. When
// it brings the user online, the conversations waiting for a person in
// their accounts are routed (see RouteWaiting).
func (a *App) UserConnected(ctx context.Context, processID string, userID int64) error {
	var was bool
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if was, err = q.Connected(ctx, userID, a.liveSince()); err != nil {
			return err
		}
		return q.AddConnection(ctx, processID, userID, a.Now().UnixMicro())
	})
	if err != nil || was {
		return err
	}
	return a.routeForUser(ctx, userID)
}

// UserDisconnected records that a live connection of the user on the
// process ended. Conversations assigned to the user stay assigned.
func (a *App) UserDisconnected(ctx context.Context, processID string, userID int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		return q.RemoveConnection(ctx, processID, userID)
	})
}

// Heartbeat records that the process is alive, holding the owner lock
// lockOwner names (none if empty; see store.Queries.Beat), and forgets
// processes that have not beaten for a while (their connections no longer
// counted anyway).
func (a *App) Heartbeat(ctx context.Context, processID, lockOwner string) error {
	now := a.Now()
	return a.store.Write(ctx, func(q *store.Queries) error {
		if err := q.Beat(ctx, processID, lockOwner, now.UnixMicro()); err != nil {
			return err
		}
		return q.PruneProcesses(ctx, now.Add(-10*PresenceTTL).UnixMicro())
	})
}

// ForgetDeadProcesses stops counting the connections of the processes
// whose owner lock is free (see store.Queries.MarkDeadProcesses): no
// handoff goes to their people. What was theirs stays theirs, as when
// anyone goes offline.
func (a *App) ForgetDeadProcesses(ctx context.Context) error {
	if !a.store.HasOwnerLocks() {
		return nil // one process (SQLite): nothing to look for, no write to make
	}
	var n int64
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		n, err = q.MarkDeadProcesses(ctx, a.processID)
		return err
	})
	if err != nil || n == 0 {
		return err
	}
	a.log.Info("presence: the people of processes that died are offline", "processes", n)
	return nil
}

// EndProcess forgets the process and its connections: a process stopping
// cleanly says so instead of waiting to be found dead.
func (a *App) EndProcess(ctx context.Context, processID string) error {
	return a.store.Write(ctx, func(q *store.Queries) error { return q.EndProcess(ctx, processID) })
}

// SetAvailability sets the calling user's availability in the account
// (online, busy or offline), as Chatwoot's profile/availability does, and
// returns their memberships as the profile shows them. Turning online
// routes the conversations waiting for a person.
func (a *App) SetAvailability(ctx context.Context, accountID int64, availability string) error {
	actor := baton.ActorFromContext(ctx)
	if actor.User == nil {
		return auth.ErrInvalidToken
	}
	av, ok := baton.ParseAvailability(availability)
	if !ok {
		return baton.Invalid("Availability is not included in the list", "availability")
	}
	err := a.store.Write(ctx, func(q *store.Queries) error {
		err := q.SetAvailability(ctx, accountID, actor.User.ID, av)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return auth.ErrNotMember
		}
		return err
	})
	if err != nil {
		return err
	}
	// Live clients see the change (presence.update).
	if err := a.PublishPresence(ctx, actor.User.ID); err != nil {
		return err
	}
	if av != baton.Online {
		return nil
	}
	return a.RouteWaiting(ctx, accountID)
}

// withPresence sets Connected on each membership.
func (a *App) withPresence(ctx context.Context, q *store.Queries, aus []*baton.AccountUser) error {
	ids := make([]int64, 0, len(aus))
	for _, au := range aus {
		ids = append(ids, au.UserID)
	}
	live, err := q.ConnectedUsers(ctx, ids, a.liveSince())
	if err != nil {
		return err
	}
	for _, au := range aus {
		au.Connected = live[au.UserID]
	}
	return nil
}

// routeForUser routes the waiting conversations of each account of a user
// who just came online.
func (a *App) routeForUser(ctx context.Context, userID int64) error {
	aus, err := a.store.Read().ListUserAccounts(ctx, userID)
	if err != nil {
		return err
	}
	for _, au := range aus {
		if au.Availability != baton.Online {
			continue
		}
		if err := a.RouteWaiting(ctx, au.AccountID); err != nil {
			return err
		}
	}
	return nil
}

// PresenceKeeper beats for one process while it runs, routes what waits for
// a person at each beat (someone may have come online on another process),
// and forgets the process when stopped.
type PresenceKeeper struct {
	app       *App
	interval  time.Duration
	lockOwner string
	cancel    context.CancelFunc
	done      chan struct{}
	once      sync.Once
}

// NewPresenceKeeper returns a keeper for the app's process; interval 0 is
// PresenceInterval. lockOwner names the owner lock the process holds while
// it runs (its delivery engine's, delivery.Engine.Owner): where the
// database has such locks, the process's people stop counting as online
// within DeadProcessInterval of its death, and the keeper looks for other
// processes that died as often. Empty, only the beats tell.
func (a *App) NewPresenceKeeper(interval time.Duration, lockOwner string) *PresenceKeeper {
	if interval <= 0 {
		interval = PresenceInterval
	}
	return &PresenceKeeper{app: a, interval: interval, lockOwner: lockOwner, done: make(chan struct{})}
}

// Start beats at once and then at each interval until ctx ends or Stop.
func (k *PresenceKeeper) Start(ctx context.Context) {
	ctx, k.cancel = context.WithCancel(ctx)
	// The first beat is made before Start returns: it names the owner lock
	// by which another process finds this one dead. Made later, a process
	// killed before it would leave its people online for PresenceTTL.
	k.heartbeat(ctx)
	go func() {
		defer close(k.done)
		t := time.NewTicker(k.interval)
		defer t.Stop()
		var sweep <-chan time.Time // nil, never ready, without a lock
		if k.lockOwner != "" {
			s := time.NewTicker(DeadProcessInterval)
			defer s.Stop()
			sweep = s.C
		}
		k.route(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				k.beat(ctx)
			case <-sweep:
				if err := k.app.ForgetDeadProcesses(ctx); err != nil && ctx.Err() == nil {
					k.app.log.Warn("looking for processes that died failed", "err", err)
				}
			}
		}
	}()
}

// beat records that the process is alive and routes what waits for a
// person.
func (k *PresenceKeeper) beat(ctx context.Context) {
	k.heartbeat(ctx)
	k.route(ctx)
}

func (k *PresenceKeeper) heartbeat(ctx context.Context) {
	if err := k.app.Heartbeat(ctx, k.app.processID, k.lockOwner); err != nil && ctx.Err() == nil {
		k.app.log.Warn("presence heartbeat failed", "err", err)
	}
}

func (k *PresenceKeeper) route(ctx context.Context) {
	if err := k.app.RouteAllWaiting(ctx); err != nil && ctx.Err() == nil {
		k.app.log.Warn("routing waiting conversations failed", "err", err)
	}
}

// Stop ends the beats and forgets the process, so that its connections stop
// counting at once.
func (k *PresenceKeeper) Stop() {
	k.once.Do(func() {
		if k.cancel == nil {
			return
		}
		k.cancel()
		<-k.done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := k.app.EndProcess(ctx, k.app.processID); err != nil {
			k.app.log.Warn("ending presence failed", "err", err)
		}
	})
}
