package delivery_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestDeadProcessTakeover: on PostgreSQL, a lane leased to a process that
// died (its owner lock is free) is taken over as soon as the engine starts,
// not when the lease runs out; a lane leased to a process that is alive
// (it holds its owner lock) stays that process's.
func TestDeadProcessTakeover(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	w := setup(t, s, options{})
	b := newBot(t, nil)
	w.connect(b, b.URL, w.inboxID)
	alive, dead := w.customer(w.identifier, "alive"), w.customer(w.identifier, "dead")
	w.say(w.identifier, "alive", alive, "to the live process")
	w.say(w.identifier, "dead", dead, "to the dead process")

	ctx := context.Background()
	lock, err := s.HoldOwner(ctx, "a live process")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lock.Release)
	claim := func(owner string, d *baton.Delivery) {
		t.Helper()
		// Claim every due lane for owner, then give back all but d's.
		var got []*baton.Delivery
		err := s.Write(ctx, func(q *store.Queries) (err error) {
			got, err = q.ClaimDeliveries(ctx, owner, w.Clock.Now(), w.Clock.Now().Add(time.Hour), 100)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			if c.ID == d.ID {
				continue
			}
			if _, err := s.DB().ExecContext(ctx, `UPDATE lanes SET lease_owner = '', lease_until = 0 WHERE head_id = $1`, c.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	claim("a live process", w.delivery(b, "to the live process"))
	claim("a dead process", w.delivery(b, "to the dead process"))

	run, stop := context.WithCancel(ctx)
	w.Engine.Start(run)
	t.Cleanup(func() { stop(); w.Engine.Stop() })
	deadline := time.Now().Add(5 * time.Second)
	for len(b.acked(dead)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the dead process's lane was not taken over within 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.Clock.Add(2 * time.Second) // the engine checks its lock and takes over again
	w.Engine.Wake()
	time.Sleep(500 * time.Millisecond)
	if got := b.acked(alive); len(got) != 0 {
		t.Fatalf("the live process's lane was taken over: the bot got %q", got)
	}
}

// TestTakeoverWaitsForNoOne: on PostgreSQL, taking over a dead process's
// lanes skips a lane another transaction holds (a customer's message being
// queued on it) instead of waiting for it, and takes it on the next call.
// Waiting, it deadlocked with messages queued on two lanes, and a
// customer's message failed.
func TestTakeoverWaitsForNoOne(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	w := setup(t, s, options{})
	b := newBot(t, nil)
	w.connect(b, b.URL, w.inboxID)
	held, free := w.customer(w.identifier, "held"), w.customer(w.identifier, "free")
	w.say(w.identifier, "held", held, "on a lane held")
	w.say(w.identifier, "free", free, "on a free lane")
	ctx := context.Background()
	now := w.Clock.Now()
	err := s.Write(ctx, func(q *store.Queries) error {
		_, err := q.ClaimDeliveries(ctx, "a dead process", now, now.Add(time.Hour), 100)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Another transaction holds the first conversation's lane.
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	d := w.delivery(b, "on a lane held")
	if _, err := tx.Exec(`SELECT 1 FROM lanes WHERE head_id = $1 FOR UPDATE`, d.ID); err != nil {
		t.Fatal(err)
	}
	takeOver := func() int64 {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var n int64
		err := s.Write(ctx, func(q *store.Queries) (err error) {
			n, err = q.TakeOverLanes(ctx, "a live process", now)
			return err
		})
		if err != nil {
			t.Fatalf("taking over with a lane held: %v", err)
		}
		return n
	}
	leased := func() int {
		t.Helper()
		var n int
		if err := s.DB().QueryRow(`SELECT COUNT(*) FROM lanes WHERE lease_owner = 'a dead process'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := leased()
	if before < 2 {
		t.Fatalf("the dead process holds %d lanes, want both conversations'", before)
	}
	if n := takeOver(); n != int64(before-1) {
		t.Fatalf("with one lane held, took over %d lanes of %d, want all but that one", n, before)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := takeOver(); n != 1 {
		t.Fatalf("once it was let go, took over %d lanes, want the one held", n)
	}
	if n := leased(); n != 0 {
		t.Fatalf("the dead process still holds %d lanes", n)
	}
}

// TestDeleteWaitsForTheAttempt: on PostgreSQL, deleting a webhook while
// the engine records an attempt of one of its deliveries (the lane first,
// then the delivery) waits for it instead of deadlocking with it: the
// delete's cascade took the delivery first, then the lane, and one of the
// two failed (a webhook's removal answered 500).
func TestDeleteWaitsForTheAttempt(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	w := setup(t, s, options{})
	b := newBot(t, nil)
	id := w.hook(b.URL)
	conv := w.customer(w.identifier, "casey")
	w.say(w.identifier, "casey", conv, "hello")
	d := w.hookDelivery(id, "hello")
	if d == nil {
		t.Fatal("no delivery to the webhook")
	}
	ctx := context.Background()
	// An attempt being recorded: its lane is taken.
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE lanes SET lease_owner = '', lease_until = 0 WHERE head_id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	deleted := make(chan error, 1)
	go func() {
		deleted <- s.Write(ctx, func(q *store.Queries) error { return q.DeleteWebhook(ctx, id) })
	}()
	time.Sleep(300 * time.Millisecond) // the delete reaches what it waits for
	// The attempt goes on to its delivery, and commits.
	if _, err := tx.Exec(`UPDATE deliveries SET attempts = attempts + 1 WHERE id = $1`, d.ID); err != nil {
		t.Fatalf("recording the attempt beside the delete: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("committing the attempt: %v", err)
	}
	if err := <-deleted; err != nil {
		t.Fatalf("deleting the webhook beside an attempt: %v", err)
	}
}

// TestRestartKeepsHandoffClock: a customer's message that waited while no
// engine ran is not handed to people when the engine starts past its
// deadline: the time without an engine was not the bot's.
func TestRestartKeepsHandoffClock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{})
		release := make(chan struct{})
		b := newBot(t, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			select { // a healthy bot, thinking
			case <-release:
			case <-r.Context().Done():
			}
		})
		t.Cleanup(func() { close(release) })
		w.connect(b, b.URL, w.inboxID)
		conv := w.customer(w.identifier, "casey")
		w.say(w.identifier, "casey", conv, "hello")
		w.Clock.Add(baton.DefaultHandoffDeadline + 10*time.Second) // the process was down

		run, stop := context.WithCancel(context.Background())
		w.Engine.Start(run)
		time.Sleep(600 * time.Millisecond)
		stop()
		w.Engine.Stop()
		if got := w.status(conv); got != "pending" {
			t.Fatalf("after a restart past the deadline the conversation is %s, want pending", got)
		}
	})
}

// TestDatabaseErrorIsNotTheBots: an attempt the server cannot make because
// its database fails (here reading the bot, which the claim does) is not an
// attempt: nothing counts against the bot
// (no failure, no breaker), the delivery log shows no database error, and
// the delivery goes out once the database is back.
func TestDatabaseErrorIsNotTheBots(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{breaker: 1})
		b := newBot(t, nil)
		w.connect(b, b.URL, w.inboxID)
		conv := w.customer(w.identifier, "casey")
		w.say(w.identifier, "casey", conv, "hello")
		for range 2 { // the conversation's events before the message
			if n := w.round(); n == 0 {
				break
			}
		}
		w.say(w.identifier, "casey", conv, "again")
		rename := func(from, to string) {
			t.Helper()
			if _, err := s.DB().Exec(`ALTER TABLE agent_bots RENAME COLUMN ` + from + ` TO ` + to); err != nil {
				t.Fatal(err)
			}
		}
		rename("outgoing_url", "broken_url")
		// The claim reads the bot with the deliveries, so the round fails
		// as a whole: nothing is attempted.
		if _, err := w.Engine.DeliverDue(context.Background()); err == nil {
			t.Fatal("a round with the bots' table broken did not fail")
		}
		rename("broken_url", "outgoing_url")
		d := w.delivery(b, "again")
		if d.Attempts != 0 || d.LastError != "" || d.Status != baton.DeliveryPending {
			t.Fatalf("after a database error the delivery has %d attempts, error %q, status %d; want none, none, pending",
				d.Attempts, d.LastError, d.Status)
		}
		if ab := w.agentBot(b); ab.BreakerFailures != 0 || !ab.BreakerOpenUntil.IsZero() {
			t.Fatalf("a database error counted against the bot: %d failures, breaker open until %s",
				ab.BreakerFailures, ab.BreakerOpenUntil)
		}
		w.Clock.Add(2 * time.Second)
		w.round()
		if got := b.acked(conv); len(got) == 0 || got[len(got)-1] != "again" {
			t.Fatalf("after the database came back the bot got %q", got)
		}
		if got := strings.Join(w.activities(conv), "|"); got != "" {
			t.Fatalf("activity messages %q, want none", got)
		}
	})
}

// TestDatabaseOutageKeepsHandoffClock: while the engine cannot claim
// because its database fails (the lanes' table is gone: a real error of
// either database), the bot's handoff clock stands still: however long the
// outage, a customer of a healthy bot is not handed to people, during it
// nor once the database is back and the bot has the message.
func TestDatabaseOutageKeepsHandoffClock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		testOutage(t, s, func() (restore func()) { return renameTable(t, s, "lanes", "lanes_away") })
	})
}

// renameTable renames a table of the store, a real error of either
// database for the statements that use it, and returns a function that
// names it back, which also runs when the test ends: PostgreSQL's schemas
// go back to the pool.
func renameTable(t *testing.T, s *store.Store, from, to string) (restore func()) {
	t.Helper()
	if _, err := s.DB().Exec(`ALTER TABLE ` + from + ` RENAME TO ` + to); err != nil {
		t.Fatal(err)
	}
	restore = sync.OnceFunc(func() {
		if _, err := s.DB().Exec(`ALTER TABLE ` + to + ` RENAME TO ` + from); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(restore)
	return restore
}

// TestDatabaseUnreachableKeepsHandoffClock: on PostgreSQL, while Baton's
// database role may not connect ("too many connections for role", 53300),
// so that the engine can neither keep its owner lock nor claim, the bot's
// handoff clock stands still, and the message goes out once the database
// lets Baton back.
func TestDatabaseUnreachableKeepsHandoffClock(t *testing.T) {
	t.Parallel()
	s, role := storetest.OpenPostgresRole(t)
	testOutage(t, s, func() (restore func()) {
		role.Cut(t)
		return func() { role.Restore(t) }
	})
}

// testOutage makes the engine live through an outage of its database that
// cut begins and the function it returns ends, longer than the bot's
// handoff deadline, and
// requires that the healthy bot's customer stays the bot's, that the
// message reaches the bot once the database is back, and that it is
// recorded as delivered.
func testOutage(t *testing.T, s *store.Store, cut func() (restore func())) {
	t.Helper()
	errs := &engineErrors{}
	w := setup(t, s, options{timeout: time.Minute, poll: 5 * time.Millisecond, logger: slog.New(errs)})
	// The bot holds the customer's message until the test has looked.
	b, got, released := holdingBot(t, nil)
	w.connect(b, b.URL, w.inboxID)
	conv := w.hello("casey")

	restore := cut()
	w.startEngine()
	// The clock moves on by steps shorter than the deadline, the engine
	// failing after each, until twice the deadline has passed.
	for range 10 {
		n := errs.count()
		w.Clock.Add(baton.DefaultHandoffDeadline / 5)
		errs.waitPast(t, n)
	}
	restore()
	w.Clock.Add(2 * time.Second) // the next look for stranded customers is due
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the message did not reach the bot within 10 s of the database's return")
	}
	time.Sleep(100 * time.Millisecond) // the engine looks for stranded customers, twenty times
	if got := w.status(conv); got != "pending" {
		t.Fatalf("after an outage of the database longer than the deadline, the healthy bot's conversation is %s, want pending", got)
	}
	released()
	deadline := time.Now().Add(10 * time.Second)
	for w.delivery(b, "hello").Status != baton.DeliverySucceeded {
		if time.Now().After(deadline) {
			t.Fatal("the bot's answer was not recorded within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := strings.Join(w.activities(conv), "|"); got != "" {
		t.Fatalf("activity messages %q, want none", got)
	}
}

// engineErrors is a log handler that counts the errors the engine logs,
// so that a test knows its loop has run.
type engineErrors struct{ n atomic.Int64 }

func (e *engineErrors) Enabled(context.Context, slog.Level) bool { return true }

func (e *engineErrors) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError && strings.HasPrefix(r.Message, "delivery: ") {
		e.n.Add(1)
	}
	return nil
}

func (e *engineErrors) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *engineErrors) WithGroup(string) slog.Handler      { return e }

func (e *engineErrors) count() int64 { return e.n.Load() }

// waitPast waits until the engine has logged more than n errors.
func (e *engineErrors) waitPast(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.count() <= n {
		if time.Now().After(deadline) {
			t.Fatal("the engine logged no error within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestUnrecordedAttemptKeepsHandoffClock: an attempt the bot acknowledged
// but the engine could not record, its database failing (the attempts'
// table is gone, while claims work), is sent again when its lease runs
// out; the bot's customer is not handed to people meanwhile, though the
// lease outlasts the deadline.
func TestUnrecordedAttemptKeepsHandoffClock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{})
		b := newBot(t, nil)
		w.connect(b, b.URL, w.inboxID)
		conv := w.hello("casey")
		restore := renameTable(t, s, "delivery_attempts", "attempts_away")
		w.expectRound(1, "the message's attempt")
		if got := b.acked(conv); len(got) != 1 {
			t.Fatalf("the bot acknowledged %q, want the message", got)
		}
		if d := w.delivery(b, "hello"); d.Attempts != 0 || d.Status != baton.DeliveryPending {
			t.Fatalf("the attempt was recorded (%d attempts, status %d) with the attempts' table gone", d.Attempts, d.Status)
		}
		// Past the deadline, the delivery still leased to the engine.
		w.Clock.Add(baton.DefaultHandoffDeadline + time.Second)
		w.expectRound(0, "a round within the unrecorded attempt's lease")
		if got := w.status(conv); got != "pending" {
			t.Fatalf("with the bot's acknowledgement unrecorded, the conversation is %s, want pending", got)
		}
		restore()
		w.Clock.Add(delivery.DefaultLeaseMargin)
		w.expectRound(1, "the message sent again once its lease ran out")
		if d := w.delivery(b, "hello"); d.Status != baton.DeliverySucceeded {
			t.Fatalf("the message sent again is %d (%s), want delivered", d.Status, d.LastError)
		}
		if got := w.status(conv); got != "pending" {
			t.Fatalf("once the attempt was recorded the conversation is %s, want pending", got)
		}
	})
}

// TestDeletedBotStallsNothing: an attempt that cannot be recorded because
// its bot was deleted while it was made (SQLite refuses its record: not
// found) is no failure of the database's: the handoff clock of other bots'
// customers goes on.
func TestDeletedBotStallsNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{breaker: 100})
		var gone *bot
		deleted := make(chan error, 1)
		gone = newBot(t, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			if h.content != "hello" {
				return
			}
			ctx := context.Background()
			deleted <- s.Write(ctx, func(q *store.Queries) error { return q.DeleteAgentBot(ctx, gone.id) })
		})
		w.connect(gone, gone.URL, w.inboxID)
		down := newBot(t, status(http.StatusServiceUnavailable))
		inbox, identifier := w.newInbox("Sales")
		w.connect(down, down.URL, inbox)
		casey, dana := w.customer(w.identifier, "casey"), w.customer(identifier, "dana")
		for range 2 { // the conversations' events before the messages
			if n := w.round(); n == 0 {
				break
			}
		}
		w.say(w.identifier, "casey", casey, "hello")
		w.say(identifier, "dana", dana, "hello")
		w.expectRound(2, "both bots' messages")
		if err := <-deleted; err != nil {
			t.Fatalf("deleting the bot during its attempt: %v", err)
		}
		w.Clock.Add(baton.DefaultHandoffDeadline + time.Second)
		w.round()
		if got := w.status(dana); got != "open" {
			t.Fatalf("past the deadline of the bot that is down, its conversation is %s, want open", got)
		}
	})
}

// TestEngineVacuumsLanes: on PostgreSQL an engine vacuums the lanes'
// dead rows (store.VacuumLanes) when it starts, and again after it records
// attempts, whether or not autovacuum runs: every delivery leaves its
// lane's row dead behind it, and every claim reads the lanes.
func TestEngineVacuumsLanes(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	w := setup(t, s, options{})
	b := newBot(t, nil)
	w.connect(b, b.URL, w.inboxID)
	conv := w.customer(w.identifier, "lanes")
	vacuums := func() (n int64) {
		t.Helper()
		err := s.DB().QueryRow(`SELECT vacuum_count FROM pg_stat_user_tables
			WHERE relname = 'lanes' AND schemaname = current_schema()`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor := func(what string, n int64) int64 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if got := vacuums(); got > n {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("the lanes were not vacuumed within 10 s %s (the bot got %q)", what, b.acked(conv))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	before := vacuums()
	w.startEngine()
	started := waitFor("of the engine's start", before)
	w.say(w.identifier, "lanes", conv, "one lane's row, dead once the bot has it")
	waitFor("of an attempt", started)
	if got := b.acked(conv); len(got) != 1 {
		t.Fatalf("the bot got %q, want the one message", got)
	}
}

// TestSlowDatabaseKeepsHandoffClock: while one of the engine's own calls
// waits for its database for longer than the bot's handoff deadline (on
// SQLite another connection holds the write lock; on PostgreSQL another
// transaction holds the lanes' table, or the store's pool has no free
// connection), the bot's handoff clock stands still: once the call ends,
// the healthy bot's customer is not handed to people, and the message
// reaches the bot. Before, a call that waited counted against the bot,
// where one that failed did not. The call is the engine's first (its owner
// lock and the lanes of processes that died), or a claim of the engine at
// work.
func TestSlowDatabaseKeepsHandoffClock(t *testing.T) {
	t.Parallel()
	t.Run("starting", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, s *store.Store) { testSlowCall(t, s, true, holdWrites) })
	})
	t.Run("claiming", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, s *store.Store) { testSlowCall(t, s, false, holdWrites) })
		t.Run("pool", func(t *testing.T) {
			t.Parallel()
			testSlowCall(t, storetest.OpenPostgres(t), false, holdPool)
		})
	})
}

// testSlowCall makes one of the engine's calls to its database wait, by
// hold, while the clock passes the bot's handoff deadline, and requires
// that the healthy bot's customer stays the bot's, and that the message
// reaches the bot once hold's release lets the call end. With starting
// the hold begins before the engine starts, and its first call waits; else
// the engine is at work, and a claim waits while the bot's retry of a
// moment ago comes due.
func testSlowCall(t *testing.T, s *store.Store, starting bool, hold func(t *testing.T, s *store.Store) (waiting func() bool, release func())) {
	t.Helper()
	// The engine's loop runs when it starts, when the test wakes it, and
	// once a second, so that none of its calls runs on while the test
	// moves the clock but by chance (the engine would take the move for a
	// wait of the database's, and the test would pass without the call
	// that waits for the hold). It looks for stranded customers at most
	// once a second of the clock.
	w := setup(t, s, options{timeout: time.Minute, poll: time.Second})
	// The bot, down at first when the engine is at work, holds the
	// customer's message until the test has looked.
	var down atomic.Bool
	down.Store(!starting)
	b, got, released := holdingBot(t, down.Load)
	w.connect(b, b.URL, w.inboxID)
	conv := w.hello("casey")

	run, stop := context.WithCancel(context.Background())
	t.Cleanup(func() { stop(); w.Engine.Stop() })
	var waiting func() bool
	var letGo func()
	if starting {
		waiting, letGo = hold(t, s)
		w.Engine.Start(run)
	} else {
		w.expectRound(1, "the message, the bot down")
		down.Store(false) // its retry is due within seconds (the schedule's first wait)
		// The engine's first round checks its owner lock, takes over the
		// lanes of processes that died (a write), claims (a write) nothing
		// due yet, and looks for stranded customers; a second, on a clock
		// that stands still, claims and does nothing else.
		before := s.WriteTransactions()
		w.Engine.Start(run)
		writes := func(n int64) {
			t.Helper()
			for deadline := time.Now().Add(10 * time.Second); s.WriteTransactions() < before+n; {
				if time.Now().After(deadline) {
					t.Fatal("the engine's round did not claim within 10 s")
				}
				time.Sleep(time.Millisecond)
			}
		}
		writes(2)
		w.Engine.Wake()
		writes(3)
		// The round's claim ends: holdPool waits for a connection the
		// claim holds, but must not find one about to be asked for.
		time.Sleep(10 * time.Millisecond)
		waiting, letGo = hold(t, s)
		w.Engine.Wake() // a third round: its claim waits
	}
	for deadline := time.Now().Add(10 * time.Second); !waiting(); {
		if time.Now().After(deadline) {
			t.Fatal("no call of the engine waited for the database within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	w.Clock.Add(baton.DefaultHandoffDeadline + 10*time.Second) // past the deadline, and the retry due
	letGo()
	w.Engine.Wake() // a round after the one that waited claims the retry
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the message did not reach the bot within 10 s of the call's end")
	}
	w.Clock.Add(2 * time.Second) // the next look for stranded customers is due
	w.Engine.Wake()
	time.Sleep(100 * time.Millisecond)
	if got := w.status(conv); got != "pending" {
		t.Fatalf("after a call to the database that waited past the deadline, the healthy bot's conversation is %s, want pending", got)
	}
	released()
	deadline := time.Now().Add(10 * time.Second)
	for w.delivery(b, "hello").Status != baton.DeliverySucceeded {
		if time.Now().After(deadline) {
			t.Fatal("the bot's answer was not recorded within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := strings.Join(w.activities(conv), "|"); got != "" {
		t.Fatalf("activity messages %q, want none", got)
	}
}

// holdWrites holds what the engine's writes need from another connection
// of the store's: on SQLite the write lock (the writer pool begins
// IMMEDIATE; the store's writes wait for it through their busy_timeout),
// on PostgreSQL the lanes' table, which claims, takeovers and records use.
// waiting reports whether a write of the engine waits for it; release ends
// the hold (also when the test ends).
func holdWrites(t *testing.T, s *store.Store) (waiting func() bool, release func()) {
	t.Helper()
	tx, err := s.DB().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	release = sync.OnceFunc(func() { _ = tx.Rollback() })
	t.Cleanup(release)
	if s.Dialect() == "sqlite" {
		// A transaction of the store's that has begun and not ended
		// waits for this one.
		return func() bool { return s.WriteTransactions() > s.WritesEnded() }, release
	}
	if _, err := tx.Exec(`LOCK TABLE lanes IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	return func() bool {
		var n int
		if err := tx.QueryRow(blocked).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}, release
}

// blocked counts, on PostgreSQL, the sessions that wait for a lock the
// session running it holds. It reads pg_locks, which is read anew in each
// statement; pg_stat_activity is read once in a transaction.
const blocked = `SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))`

// holdPool takes every connection of the store's pool (PostgreSQL's one
// pool) but those the engine holds, waiting for those it is using, so
// that the engine's next write waits for one, as database/sql makes it.
// waiting reports whether a write has begun since, which waits; release
// gives the connections back (also when the test ends).
func holdPool(t *testing.T, s *store.Store) (waiting func() bool, release func()) {
	t.Helper()
	var conns []*sql.Conn
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		c, err := s.DB().Conn(ctx)
		cancel()
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	release = sync.OnceFunc(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	t.Cleanup(release)
	begun := s.WriteTransactions()
	return func() bool { return s.WriteTransactions() > begun }, release
}

// TestSlowRecordKeepsHandoffClock: on PostgreSQL, while the record of an
// attempt the bot acknowledged waits for its lane (another transaction
// holds the lane's row) for longer than the bot's handoff deadline, and the
// engine goes on claiming and looking for stranded customers beside it,
// the customer is not handed to people: the delivery is pending only for
// the record that waits. Once the record ends, the delivery is recorded as
// delivered and the customer is still the bot's.
func TestSlowRecordKeepsHandoffClock(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	// The engine's loop runs when it starts, when the test or a record
	// wakes it, and once a second (see testSlowCall).
	w := setup(t, s, options{timeout: time.Minute, poll: time.Second})
	b, got, answered := holdingBot(t, nil)
	w.connect(b, b.URL, w.inboxID)
	conv := w.hello("casey")
	w.startEngine()
	arrived(t, got, "the message did not reach the bot within 10 s")
	tx := lockInTransaction(t, s, `SELECT 1 FROM lanes WHERE head_id = $1 FOR UPDATE`, w.delivery(b, "hello").ID)
	answered() // the bot acknowledges; the record waits for the lane
	for deadline := time.Now().Add(10 * time.Second); ; {
		var n int
		if err := tx.QueryRow(blocked).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the attempt's record did not wait for its lane within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	w.Clock.Add(baton.DefaultHandoffDeadline + 10*time.Second)
	// The engine claims and looks for stranded customers beside the
	// record. A handoff would wait for the lane too (its activity message
	// is queued on it): the conversation is looked at once the lane is let
	// go.
	w.Engine.Wake()
	time.Sleep(200 * time.Millisecond)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for w.delivery(b, "hello").Status != baton.DeliverySucceeded {
		if time.Now().After(deadline) {
			t.Fatalf("the bot's answer was not recorded within 10 s of the lane's release; the conversation is %s", w.status(conv))
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.Clock.Add(2 * time.Second) // the next look for stranded customers is due
	w.Engine.Wake()
	time.Sleep(100 * time.Millisecond)
	if got := w.status(conv); got != "pending" {
		t.Fatalf("with the bot's acknowledgement waiting to be recorded past the deadline, the conversation went %s, want pending", got)
	}
	if got := strings.Join(w.activities(conv), "|"); got != "" {
		t.Fatalf("activity messages %q, want none", got)
	}
}

// TestSlowLookKeepsHandoffClock: on PostgreSQL, while the engine's look
// for stranded customers waits for its database (another transaction
// holds the bots' table) for longer than the handoff deadline, its worker
// busy, so that its loop claims nothing and only looks, the bot's handoff
// clock stands still: customers whose messages were a second old when
// the look began are not handed to people once it ends.
func TestSlowLookKeepsHandoffClock(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	// One worker: the engine claims four deliveries ahead, and then only
	// looks, until it records one. Its loop runs once a second and when
	// woken, and looks at most once a second of the clock (see
	// testSlowCall).
	w := setup(t, s, options{timeout: time.Minute, poll: time.Second, workers: 1})
	got, answer := make(chan struct{}, 4), make(chan struct{})
	b := newBot(t, func(h *hit, rw http.ResponseWriter, r *http.Request) {
		if h.content != "hello" {
			return
		}
		got <- struct{}{}
		select {
		case <-answer:
		case <-r.Context().Done():
		}
	})
	answered := sync.OnceFunc(func() { close(answer) })
	t.Cleanup(answered)
	w.connect(b, b.URL, w.inboxID)
	sources := []string{"ann", "bea", "cy", "di"}
	var convs []int64
	for _, source := range sources {
		convs = append(convs, w.customer(w.identifier, source))
	}
	for range 2 { // the conversations' events before the messages
		if n := w.round(); n == 0 {
			break
		}
	}
	for i, source := range sources {
		w.say(w.identifier, source, convs[i], "hello")
	}
	w.startEngine()
	arrived(t, got, "no message reached the bot within 10 s")
	tx := lockInTransaction(t, s, `LOCK TABLE agent_bots IN ACCESS EXCLUSIVE MODE`)
	// A look waits: the next round's, or the first round's, if it has not
	// looked yet.
	w.Clock.Add(time.Second)
	w.Engine.Wake()
	for deadline := time.Now().Add(10 * time.Second); ; {
		var n int
		if err := tx.QueryRow(blocked).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the look for stranded customers did not wait for the bots' table within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	w.Clock.Add(baton.DefaultHandoffDeadline + 10*time.Second)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	w.Clock.Add(2 * time.Second) // the next look is due
	w.Engine.Wake()
	time.Sleep(100 * time.Millisecond)
	for _, conv := range convs {
		if got := w.status(conv); got != "pending" {
			t.Fatalf("after a look for stranded customers that waited past the deadline, a customer of a second before it is %s, want pending", got)
		}
	}
	answered()
	deadline := time.Now().Add(10 * time.Second)
	for slices.IndexFunc(convs, func(c int64) bool { return len(b.acked(c)) > 0 }) < 0 {
		if time.Now().After(deadline) {
			t.Fatal("the bot's answer did not come back within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHandoffLocksTheLaneFirst: on PostgreSQL a handoff for a stranded
// customer (App.BotFailed) takes the delivery's lane before it changes the
// delivery, as an attempt's record does: the handoff's own events queue
// deliveries on that lane, and taken the other way round, a record that
// holds the lane and waits for the delivery deadlocks with the handoff.
// Here another transaction holds the lane, as a record would, while the
// handoff runs; the delivery must stay free for it (before, the handoff
// held the delivery and waited for the lane, and the record's update of
// the delivery waited past its lock timeout).
func TestHandoffLocksTheLaneFirst(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	w := setup(t, s, options{})
	b := newBot(t, nil)
	w.connect(b, b.URL, w.inboxID)
	conv := w.customer(w.identifier, "erin")
	w.say(w.identifier, "erin", conv, "anyone there?")
	d := &baton.Delivery{Handoff: true}
	var botID int64
	if err := s.DB().QueryRow(`SELECT id, lane_id, agent_bot_id FROM deliveries WHERE handoff AND status = 0
		ORDER BY id DESC LIMIT 1`).Scan(&d.ID, &d.LaneID, &botID); err != nil {
		t.Fatal(err)
	}
	d.Target = baton.BotTarget(botID)

	ctx := context.Background()
	record, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer record.Rollback()
	if _, err := record.Exec(`SET LOCAL lock_timeout = '300ms'`); err != nil {
		t.Fatal(err)
	}
	if _, err := record.Exec(`UPDATE lanes SET next_attempt_at = next_attempt_at
		WHERE target = (SELECT target FROM deliveries WHERE id = $1) AND lane_id = $2`, d.ID, d.LaneID); err != nil {
		t.Fatal(err)
	}
	handedOver := make(chan error, 1)
	go func() { handedOver <- w.App.BotFailed(ctx, d, "no answer within the handoff deadline") }()
	time.Sleep(200 * time.Millisecond) // the handoff reaches the lock it waits for
	if _, err := record.Exec(`UPDATE deliveries SET attempts = attempts + 1 WHERE id = $1`, d.ID); err != nil {
		t.Fatalf("the record's update of the delivery, while the handoff runs: %v", err)
	}
	if err := record.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-handedOver; err != nil {
		t.Fatalf("the handoff: %v", err)
	}
	if got := w.status(conv); got != "open" {
		t.Fatalf("after the handoff the conversation is %s, want open", got)
	}
}

// holdingBot is a bot that holds the customer's "hello" until release is
// called or the test ends, got closed when it first arrives; while down
// (when given) reports true, it answers that message 503 at once instead.
func holdingBot(t *testing.T, down func() bool) (b *bot, got <-chan struct{}, release func()) {
	t.Helper()
	arrived, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b = newBot(t, func(h *hit, rw http.ResponseWriter, r *http.Request) {
		if h.content != "hello" {
			return
		}
		if down != nil && down() {
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		once.Do(func() { close(arrived) })
		select {
		case <-held:
		case <-r.Context().Done():
		}
	})
	release = sync.OnceFunc(func() { close(held) })
	t.Cleanup(release)
	return b, arrived, release
}

// hello starts a conversation of the customer, delivers its first events,
// then has the customer say "hello", and returns the conversation.
func (w *world) hello(source string) int64 {
	w.t.Helper()
	conv := w.customer(w.identifier, source)
	for range 2 { // the conversation's events before the message
		if n := w.round(); n == 0 {
			break
		}
	}
	w.say(w.identifier, source, conv, "hello")
	return conv
}

// startEngine runs the world's engine until the test ends.
func (w *world) startEngine() {
	run, stop := context.WithCancel(context.Background())
	w.Engine.Start(run)
	w.t.Cleanup(func() { stop(); w.Engine.Stop() })
}

// arrived waits for got to close, failing with why after 10 s.
func arrived(t *testing.T, got <-chan struct{}, why string) {
	t.Helper()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal(why)
	}
}

// lockInTransaction runs the locking statement in a transaction of its
// own and returns it, rolled back when the test ends unless committed.
func lockInTransaction(t *testing.T, s *store.Store, statement string, args ...any) *sql.Tx {
	t.Helper()
	tx, err := s.DB().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.Exec(statement, args...); err != nil {
		t.Fatal(err)
	}
	return tx
}
