package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// Seeing and repairing delivery: the delivery log administrators read,
// redelivery and replay, the events a bot pulls, and the retention of the
// log.

// targetNoun is what the messages about a target's log call it.
func targetNoun(t baton.Target) string {
	if t.Bot() {
		return "bot"
	}
	return "webhook"
}

// DeliveryQuery selects deliveries in a target's log; zero fields select all.
type DeliveryQuery struct {
	Status         *baton.DeliveryStatus
	ConversationID int64  // the conversation's display id
	Event          string // the event's name
	Since, Until   time.Time
	Before         string // the uuid of a delivery: only older ones (a cursor)
	Page           int    // from 1; with Before, pages count from the cursor
	Limit          int    // per page: DeliveryPageSize by default, at most MaxDeliveryPage
}

// DeliveryPageSize and MaxDeliveryPage bound a page of the delivery log.
const (
	DeliveryPageSize = 25
	MaxDeliveryPage  = 100
)

// DeliveryPage is one page of a target's delivery log, newest first. Next is
// the uuid to pass as Before for the following page, "" on the last one.
type DeliveryPage struct {
	Deliveries []*baton.LoggedDelivery
	Page       int
	Next       string
}

// deliveryTarget checks that an administrator of the account may see and
// repair a target's delivery log: a bot of the account's own, a global
// bot connected to one of its inboxes, or one of its webhooks. The log shows only the account's
// deliveries.
func (a *App) deliveryTarget(ctx context.Context, q *store.Queries, accountID int64, t baton.Target) error {
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return err
	}
	switch t.Kind {
	case baton.TargetBot:
		b, err := findUsableBot(ctx, q, accountID, t.ID)
		if err != nil {
			return err
		}
		if b.Global() {
			ids, err := q.BotInboxes(ctx, b.ID, accountID)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				return baton.ErrNotFound
			}
		}
	case baton.TargetWebhook:
		if _, err := q.FindWebhook(ctx, accountID, t.ID); err != nil {
			return err
		}
	default:
		return baton.ErrNotFound
	}
	return s.admin()
}

// Deliveries returns a page of a target's delivery log in the account, each
// delivery with its attempts. Administrators only.
func (a *App) Deliveries(ctx context.Context, accountID int64, t baton.Target, dq DeliveryQuery) (*DeliveryPage, error) {
	q := a.store.Read()
	if err := a.deliveryTarget(ctx, q, accountID, t); err != nil {
		return nil, err
	}
	limit := dq.Limit
	if limit <= 0 {
		limit = DeliveryPageSize
	}
	limit = min(limit, MaxDeliveryPage)
	page := max(dq.Page, 1)
	out := &DeliveryPage{Deliveries: []*baton.LoggedDelivery{}, Page: page}
	f := store.DeliveryFilter{Target: t, AccountID: accountID, Status: dq.Status, Event: dq.Event,
		Since: dq.Since, Until: dq.Until, Limit: limit + 1, Offset: (page - 1) * limit}
	if dq.ConversationID != 0 {
		c, err := q.FindConversation(ctx, accountID, dq.ConversationID)
		if errors.Is(err, baton.ErrNotFound) {
			return out, nil // no such conversation: nothing was delivered of it
		} else if err != nil {
			return nil, err
		}
		f.LaneID = c.ID
	}
	if dq.Before != "" {
		var err error
		if f.Before, err = q.DeliveryID(ctx, t, accountID, dq.Before); errors.Is(err, baton.ErrNotFound) {
			return nil, baton.Errorf(baton.EBADREQUEST, "before names no delivery of this %s", targetNoun(t))
		} else if err != nil {
			return nil, err
		}
	}
	ds, err := q.FindLoggedDeliveries(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(ds) > limit {
		ds = ds[:limit]
		out.Next = ds[limit-1].UUID
	}
	out.Deliveries = append(out.Deliveries, ds...)
	return out, nil
}

// Delivery returns one delivery of a target's log in the account by its uuid
// (the X-Chatwoot-Delivery value), with its attempts and payload.
// Administrators only.
func (a *App) Delivery(ctx context.Context, accountID int64, t baton.Target, uuid string) (*baton.LoggedDelivery, error) {
	q := a.store.Read()
	if err := a.deliveryTarget(ctx, q, accountID, t); err != nil {
		return nil, err
	}
	return q.FindLoggedDelivery(ctx, t, accountID, uuid)
}

// Redeliver sends a delivery's event to its target again: a new delivery, with
// a new uuid, due at once, after what is pending in its lane. Whatever
// became of the original (parked, failed, or even succeeded), it is left
// as it is. A redelivery never hands a conversation over. Administrators
// only.
func (a *App) Redeliver(ctx context.Context, accountID int64, t baton.Target, uuid string) (*baton.LoggedDelivery, error) {
	var out *baton.LoggedDelivery
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.deliveryTarget(ctx, q, accountID, t); err != nil {
			return err
		}
		orig, err := q.FindLoggedDelivery(ctx, t, accountID, uuid)
		if err != nil {
			return err
		}
		d, err := a.redeliver(ctx, q, &orig.Delivery)
		if err != nil {
			return err
		}
		d.EventName, d.Payload = orig.EventName, orig.Payload
		out = &baton.LoggedDelivery{Delivery: *d, DisplayID: orig.DisplayID, Log: []*baton.Attempt{}}
		return nil
	})
	return out, err
}

// redeliver queues a new delivery of an event that was delivered before,
// and wakes the engine after commit.
func (a *App) redeliver(ctx context.Context, q *store.Queries, orig *baton.Delivery) (*baton.Delivery, error) {
	now := a.Now()
	d := &baton.Delivery{UUID: newDeliveryUUID(), EventID: orig.EventID, Target: orig.Target, AccountID: orig.AccountID,
		LaneID: orig.LaneID, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	head, err := q.CreateDelivery(ctx, d)
	if err != nil {
		return nil, err
	}
	if head && a.onEvent != nil {
		q.AfterCommit(a.onEvent)
	}
	return d, nil
}

// Replay sends a target again the events of a conversation (by display id)
// since a time (zero: all of them) that it was sent before: new
// deliveries, in event order, in the conversation's lane, after what is
// pending there. It returns how many it queued. Administrators only.
func (a *App) Replay(ctx context.Context, accountID int64, t baton.Target, conversationID int64, since time.Time) (int, error) {
	n := 0
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.deliveryTarget(ctx, q, accountID, t); err != nil {
			return err
		}
		c, err := q.FindConversation(ctx, accountID, conversationID)
		if err != nil {
			return err
		}
		ids, err := q.ReplayableEvents(ctx, t, c.ID, since)
		if err != nil {
			return err
		}
		if len(ids) > MaxReplay {
			return baton.Invalid(fmt.Sprintf("The conversation has %d events since then; replay at most %d at a time (give a later since)", len(ids), MaxReplay), "since")
		}
		for _, id := range ids {
			orig := &baton.Delivery{EventID: id, Target: t, AccountID: accountID, LaneID: c.ID}
			if _, err := a.redeliver(ctx, q, orig); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// MaxReplay is the most events one replay sends again: one transaction
// writes their deliveries, and on SQLite every other write waits for it.
const MaxReplay = 1000

// MaxBotEvents is the most events one pull returns.
const MaxBotEvents = 100

// BotEvents returns the events of the account that were sent, or are to be
// sent, to the calling bot, with ids above after, oldest first, at most
// limit (MaxBotEvents by default and at most), and the cursor to pass as
// after next time: so a bot that was down can catch up, or check what it
// missed. Bot tokens only; a bot pulls only its own events, in accounts
// where it serves.
func (a *App) BotEvents(ctx context.Context, accountID, after int64, limit int) ([]*baton.BotEvent, int64, error) {
	actor := baton.ActorFromContext(ctx)
	if actor.Kind != baton.ActorAgentBot {
		return nil, 0, auth.ErrBotsOnly
	}
	q := a.store.Read()
	if _, err := a.accountScope(ctx, q, accountID); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > MaxBotEvents {
		limit = MaxBotEvents
	}
	evs, err := q.BotEvents(ctx, actor.Bot.ID, accountID, max(after, 0), limit)
	if err != nil {
		return nil, 0, err
	}
	next := max(after, 0)
	if len(evs) > 0 {
		next = evs[len(evs)-1].ID
	} else {
		evs = []*baton.BotEvent{}
	}
	return evs, next, nil
}

// PruneDeliveries deletes the succeeded deliveries acknowledged more than
// keep ago, with their attempts, and the events left with no delivery.
// Failed and parked deliveries are kept for administrators to see and
// redeliver, and pending ones are still on their way. It works in small
// transactions, so deliveries go on meanwhile, and returns how many
// deliveries and events it deleted.
func (a *App) PruneDeliveries(ctx context.Context, keep time.Duration) (deliveries, events int64, err error) {
	before := a.Now().Add(-keep)
	for ctx.Err() == nil {
		var d, e int64
		err := a.store.Write(ctx, func(q *store.Queries) (err error) {
			d, e, err = q.PruneDeliveries(ctx, before)
			return err
		})
		if err != nil {
			return deliveries, events, err
		}
		deliveries, events = deliveries+d, events+e
		if d == 0 && e == 0 {
			break
		}
	}
	return deliveries, events, ctx.Err()
}

// DefaultRetention is how long acknowledged deliveries are kept in the log.
const DefaultRetention = 7 * 24 * time.Hour

// DefaultPruneInterval is how often the retention job runs.
const DefaultPruneInterval = 5 * time.Minute

// Retention is the background job that keeps the delivery log to its
// retention time: PruneDeliveries at start and then every interval.
type Retention struct{ periodic }

// NewRetention returns the retention job for the log kept for keep,
// running every interval (DefaultPruneInterval when 0). Start runs it.
func (a *App) NewRetention(keep, interval time.Duration) *Retention {
	if interval <= 0 {
		interval = DefaultPruneInterval
	}
	return &Retention{periodic{interval: interval, run: func(ctx context.Context) {
		d, e, err := a.PruneDeliveries(ctx, keep)
		if err != nil && ctx.Err() == nil {
			a.log.Error("pruning the delivery log", "err", err)
		} else if d > 0 || e > 0 {
			a.log.Info("pruned the delivery log", "deliveries", d, "events", e)
		}
	}}}
}

// periodic is a background job: run at start and then every interval,
// until the context ends or Stop.
type periodic struct {
	interval time.Duration
	run      func(ctx context.Context)
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// Start runs the job in the background until ctx ends or Stop is called.
func (p *periodic) Start(ctx context.Context) {
	ctx, p.stop = context.WithCancel(ctx)
	p.wg.Go(func() {
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			p.run(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// Stop stops the job and waits for a run in progress to end.
func (p *periodic) Stop() {
	if p.stop != nil {
		p.stop()
	}
	p.wg.Wait()
}
