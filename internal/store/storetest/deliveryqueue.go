package storetest

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// newDelivery writes an event of the conversation and its delivery to the
// target, due at next.
func newDelivery(t *testing.T, s *store.Store, c *baton.Conversation, target baton.Target, next time.Time) *baton.Delivery {
	t.Helper()
	e := &baton.Event{AccountID: c.AccountID, ConversationID: c.ID, Name: baton.EventMessageCreated,
		Payload: []byte(`{"event":"message_created"}`), CreatedAt: at}
	d := &baton.Delivery{UUID: unique("delivery-"), Target: target, AccountID: c.AccountID, LaneID: c.ID,
		NextAttemptAt: next, CreatedAt: at}
	write(t, s, func(q *store.Queries) error {
		if err := q.CreateEvent(t.Context(), e); err != nil {
			return err
		}
		d.EventID = e.ID
		_, err := q.CreateDelivery(t.Context(), d)
		return err
	})
	return d
}

// claim claims for owner at now, with leases of a minute, and returns the
// ids claimed.
func claim(t *testing.T, s *store.Store, owner string, now time.Time) []int64 {
	t.Helper()
	var ids []int64
	write(t, s, func(q *store.Queries) error {
		ds, err := q.ClaimDeliveries(t.Context(), owner, now, now.Add(time.Minute), 100)
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		return err
	})
	slices.Sort(ids)
	return ids
}

// attempt records owner's attempt of d at now with the outcome, and
// returns whether the lane moved to a next head.
func attempt(t *testing.T, s *store.Store, owner string, d *baton.Delivery, now time.Time, status baton.DeliveryStatus, next time.Time) (moved bool) {
	t.Helper()
	write(t, s, func(q *store.Queries) (err error) {
		moved, err = q.RecordAttempt(t.Context(), owner, &baton.Attempt{DeliveryID: d.ID, AttemptedAt: now, StatusCode: 200}, status, next)
		return err
	})
	return moved
}

// testDeliveryLanes: a claim takes the due head of each lane, never what
// waits behind it; a lease keeps a lane from other owners until it ends or
// is released; an attempt that succeeds hands the lane to the next
// delivery, one that will be retried keeps it, and an attempt by an owner
// whose lease passed on changes nothing. Only the hand-over to the next
// delivery is reported as a move (the engine claims after it).
func testDeliveryLanes(t *testing.T, s *store.Store) {
	th := newThread(t, s)
	bot := baton.BotTarget(newAgentBot(t, s, th.account.ID))
	other := newConversation(t, s, th.contactInbox, th.account.ID, nil)
	now := stored(at)
	d1 := newDelivery(t, s, th.conversation, bot, now)
	d2 := newDelivery(t, s, th.conversation, bot, now)
	d3 := newDelivery(t, s, other, bot, now)
	later := newDelivery(t, s, other, baton.BotTarget(newAgentBot(t, s, th.account.ID)), now.Add(time.Hour))

	same(t, "first claim", claim(t, s, "a", now), []int64{d1.ID, d3.ID})
	same(t, "claim while leased", claim(t, s, "b", now.Add(30*time.Second)), []int64(nil))
	// The leases end after a minute: b takes both lanes over.
	same(t, "claim after the leases", claim(t, s, "b", now.Add(2*time.Minute)), []int64{d1.ID, d3.ID})
	// a's lease passed to b: a's late attempt is logged but moves nothing.
	if attempt(t, s, "a", d1, now.Add(2*time.Minute), baton.DeliverySucceeded, now) {
		t.Errorf("an attempt by an owner that lost the lease reported a move")
	}
	if n := count(t, s, `SELECT COUNT(*) FROM deliveries WHERE id = $1 AND status = 0`, d1.ID); n != 1 {
		t.Errorf("an attempt by an owner that lost the lease changed the delivery")
	}
	if n := count(t, s, `SELECT COUNT(*) FROM delivery_attempts WHERE delivery_id = $1`, d1.ID); n != 1 {
		t.Errorf("the late attempt is not logged: %d attempts", n)
	}
	// b's success hands the lane to d2; b's retry of d3 keeps its lane,
	// due 30 s later.
	retry := now.Add(150 * time.Second)
	// As the engine records: its commit skips the flush wait, which on
	// PostgreSQL the record's first statement asks for, with no round trip
	// of its own (BEGIN, the two statements, COMMIT).
	ctx, statements := store.CountStatements(t.Context())
	moved := false
	if err := s.Write(ctx, func(q *store.Queries) (err error) {
		if err := q.AsyncCommit(ctx); err != nil {
			return err
		}
		moved, err = q.RecordAttempt(ctx, "b", &baton.Attempt{DeliveryID: d1.ID, AttemptedAt: now.Add(2 * time.Minute), StatusCode: 200},
			baton.DeliverySucceeded, now.Add(2*time.Minute))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !moved {
		t.Errorf("the lane's hand-over to the next delivery was not reported")
	}
	if n := statements(); s.Dialect() == "postgres" && n != 4 {
		t.Errorf("recording an attempt with an async commit took %d round trips, want 4", n)
	}
	if attempt(t, s, "b", d3, now.Add(2*time.Minute), baton.DeliveryPending, retry) {
		t.Errorf("a retry reported a move")
	}
	same(t, "claim after the attempts", claim(t, s, "c", now.Add(2*time.Minute)), []int64{d2.ID})
	same(t, "claim when the retry is due", claim(t, s, "c", retry), []int64{d3.ID})
	// Releasing its leases gives c's lanes back at once.
	write(t, s, func(q *store.Queries) error { return q.ReleaseLeases(t.Context(), "c") })
	same(t, "claim after the release", claim(t, s, "d", retry), []int64{d2.ID, d3.ID})
	write(t, s, func(q *store.Queries) error { return q.ReleaseAllLeases(t.Context()) })
	same(t, "claim when everything is due", claim(t, s, "e", now.Add(time.Hour)), []int64{d2.ID, d3.ID, later.ID})
	// A lane whose last delivery is done goes.
	if attempt(t, s, "e", later, now.Add(time.Hour), baton.DeliveryFailed, now.Add(time.Hour)) {
		t.Errorf("a lane that went reported a move")
	}
	if n := count(t, s, `SELECT COUNT(*) FROM lanes WHERE head_id = $1`, later.ID); n != 0 {
		t.Errorf("the lane of a given-up delivery with nothing behind it is still there")
	}
	// The failed delivery stays, given up, with its attempt.
	if n := count(t, s, `SELECT COUNT(*) FROM deliveries WHERE id = $1 AND status = $2`, later.ID, int(baton.DeliveryFailed)); n != 1 {
		t.Errorf("the failed delivery is not kept as failed")
	}
}

// testDeliveryBreaker: while a target's breaker is open none of its lanes
// is claimed, other targets' are; once the cooldown has passed the target
// gets one probe, its oldest due lane head, and nothing else until it
// answers; a success closes the breaker.
func testDeliveryBreaker(t *testing.T, s *store.Store) {
	th := newThread(t, s)
	down := baton.BotTarget(newAgentBot(t, s, th.account.ID))
	up := baton.BotTarget(newAgentBot(t, s, th.account.ID))
	other := newConversation(t, s, th.contactInbox, th.account.ID, nil)
	now := stored(at)
	first := newDelivery(t, s, th.conversation, down, now)
	second := newDelivery(t, s, other, down, now)
	fine := newDelivery(t, s, th.conversation, up, now)
	write(t, s, func(q *store.Queries) error {
		for range 3 {
			if _, err := q.CountBreakerFailure(t.Context(), down); err != nil {
				return err
			}
		}
		return q.OpenBreaker(t.Context(), down, now.Add(time.Minute))
	})
	open, err := s.Read().BreakersOpenUntil(t.Context())
	if err != nil || !open[down].Equal(now.Add(time.Minute)) {
		t.Fatalf("breakers %v, %v: want the down bot's open for a minute", open, err)
	}
	same(t, "claim while the breaker is open", claim(t, s, "a", now), []int64{fine.ID})
	// The other bot's lease ran out at the same moment.
	same(t, "claim once the cooldown passed", claim(t, s, "a", now.Add(time.Minute)), []int64{first.ID, fine.ID})
	same(t, "claim while the probe is out", claim(t, s, "b", now.Add(time.Minute)), []int64(nil))
	attempt(t, s, "a", first, now.Add(time.Minute), baton.DeliverySucceeded, now.Add(time.Minute))
	write(t, s, func(q *store.Queries) error {
		return q.RecordBreakerOutcome(t.Context(), down, true, time.Time{})
	})
	open, err = s.Read().BreakersOpenUntil(t.Context())
	if err != nil || open[down].After(now) {
		t.Errorf("breakers %v, %v: want the down bot's closed after a success", open, err)
	}
	same(t, "claim after the breaker closed", claim(t, s, "b", now.Add(time.Minute)), []int64{second.ID})
	var n int
	write(t, s, func(q *store.Queries) (err error) { n, err = q.CountBreakerFailure(t.Context(), down); return err })
	if n != 1 {
		t.Errorf("after a success the next failure counts %d, want 1", n)
	}
	wantNotFound(t, "a breaker of no kind of target", s.Write(t.Context(), func(q *store.Queries) error {
		return q.OpenBreaker(t.Context(), baton.Target{ID: 1}, now)
	}))
}

// testDeliveryPrune: pruning deletes the succeeded deliveries acknowledged
// before the time, their attempts and the events left without a delivery,
// and keeps pending and given-up deliveries and recent ones.
func testDeliveryPrune(t *testing.T, s *store.Store) {
	ctx := context.Background()
	th := newThread(t, s)
	bot := baton.BotTarget(newAgentBot(t, s, th.account.ID))
	other := newConversation(t, s, th.contactInbox, th.account.ID, nil)
	third := newConversation(t, s, th.contactInbox, th.account.ID, nil)
	now := stored(at)
	old := newDelivery(t, s, th.conversation, bot, now)
	recent := newDelivery(t, s, th.conversation, bot, now)
	failed := newDelivery(t, s, other, bot, now)
	pending := newDelivery(t, s, third, bot, now)
	same(t, "claim", claim(t, s, "a", now), []int64{old.ID, failed.ID, pending.ID})
	attempt(t, s, "a", old, now, baton.DeliverySucceeded, now)
	attempt(t, s, "a", failed, now, baton.DeliveryFailed, now)
	same(t, "claim the lane's next", claim(t, s, "a", now.Add(time.Hour)), []int64{recent.ID, pending.ID})
	attempt(t, s, "a", recent, now.Add(time.Hour), baton.DeliverySucceeded, now.Add(time.Hour))

	var deliveries, events int64
	write(t, s, func(q *store.Queries) (err error) {
		deliveries, events, err = q.PruneDeliveries(ctx, now.Add(time.Minute))
		return err
	})
	if deliveries != 1 || events != 1 {
		t.Errorf("pruned %d deliveries and %d events, want 1 and 1", deliveries, events)
	}
	for _, d := range []*baton.Delivery{recent, failed, pending} {
		if n := count(t, s, `SELECT COUNT(*) FROM deliveries WHERE id = $1`, d.ID); n != 1 {
			t.Errorf("delivery %d (status %v) was pruned", d.ID, d.Status)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM deliveries WHERE id = $1`, old.ID); n != 0 {
		t.Errorf("the old succeeded delivery is still there")
	}
	if n := count(t, s, `SELECT COUNT(*) FROM delivery_attempts WHERE delivery_id = $1`, old.ID); n != 0 {
		t.Errorf("the old delivery's attempts are still there")
	}
	if n := count(t, s, `SELECT COUNT(*) FROM events WHERE id = $1`, old.EventID); n != 0 {
		t.Errorf("the old delivery's event is still there")
	}
	backlog, err := s.Read().DeliveryBacklog(ctx)
	if err != nil || backlog[bot] != 1 {
		t.Errorf("backlog %v, %v: want the one pending delivery", backlog, err)
	}
}

// testDeliveryTargetDelete: a bot's delete takes its deliveries with it,
// with their attempts and lanes, and leaves another bot's.
func testDeliveryTargetDelete(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	gone, kept := baton.BotTarget(newAgentBot(t, s, th.account.ID)), baton.BotTarget(newAgentBot(t, s, th.account.ID))
	d := newDelivery(t, s, th.conversation, gone, stored(at))
	newDelivery(t, s, th.conversation, gone, stored(at)) // behind the head
	newDelivery(t, s, th.conversation, kept, stored(at))
	attempt(t, s, "a", d, stored(at), baton.DeliveryPending, stored(at))
	write(t, s, func(q *store.Queries) error { return q.DeleteAgentBot(ctx, gone.ID) })
	for _, table := range []string{"deliveries", "lanes"} {
		if n := count(t, s, `SELECT COUNT(*) FROM `+table+` WHERE target = $1`, gone.ID); n != 0 {
			t.Errorf("%d %s of a deleted bot", n, table)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM `+table+` WHERE target = $1`, kept.ID); n != 1 {
			t.Errorf("%d %s of the other bot, want 1", n, table)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM delivery_attempts WHERE delivery_id = $1`, d.ID); n != 0 {
		t.Errorf("%d attempts of a deleted bot's delivery", n)
	}
}

// testDeliveryClaimLimit: a claim takes the oldest due lane heads up to
// its limit, whatever limit the claim before it had (SQLite prepares the
// statement once for every limit), each with its endpoint, and nothing
// queued behind a head. A claim in a transaction of its own
// (Store.ClaimDue) is one round trip on PostgreSQL.
//
// On PostgreSQL the lanes are first vacuumed empty, as Store.VacuumLanes
// or autovacuum leaves them between bursts: PostgreSQL then believes the
// table holds no row, and planned the claim's choice of lanes as the inner
// side of a nested loop, run again for every lane, each run skipping the
// lanes the claim had just leased and taking the next ones: a claim of
// limit 2 took all 4, and an engine that had room for 4 of 12 took 12 and
// hung, its queue full.
func testDeliveryClaimLimit(t *testing.T, s *store.Store) {
	th := newThread(t, s)
	botID := newAgentBot(t, s, th.account.ID)
	if _, err := s.DB().ExecContext(t.Context(), `UPDATE agent_bots SET outgoing_url = 'http://bot.example/limit'
		WHERE id = $1`, botID); err != nil {
		t.Fatal(err)
	}
	now := stored(at)
	if s.Dialect() == "postgres" {
		newDelivery(t, s, newConversation(t, s, th.contactInbox, th.account.ID, nil), baton.BotTarget(botID), now)
		if _, err := s.DB().ExecContext(t.Context(), `DELETE FROM lanes`); err != nil {
			t.Fatal(err)
		}
		if err := s.VacuumLanes(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	var heads []int64
	for range 4 {
		c := newConversation(t, s, th.contactInbox, th.account.ID, nil)
		heads = append(heads, newDelivery(t, s, c, baton.BotTarget(botID), now).ID)
		newDelivery(t, s, c, baton.BotTarget(botID), now) // behind the head
	}
	var got []int64
	for i, limit := range []int{2, 1, 3, 5} {
		ctx, statements := store.CountStatements(t.Context())
		var claims []*store.Claim
		var err error
		if i%2 == 0 {
			claims, err = s.ClaimDue(ctx, "a", now, now.Add(time.Minute), limit, false)
			if n := statements(); s.Dialect() == "postgres" && n != 1 {
				t.Errorf("a claim of its own took %d round trips, want 1", n)
			}
		} else {
			write(t, s, func(q *store.Queries) (err error) {
				claims, err = q.ClaimDue(ctx, "a", now, now.Add(time.Minute), limit, false)
				return err
			})
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range claims {
			if c.Endpoint.URL != "http://bot.example/limit" {
				t.Errorf("delivery %d claimed with URL %q", c.ID, c.Endpoint.URL)
			}
			got = append(got, c.ID)
		}
		if want := min(limit, len(heads)-(len(got)-len(claims))); len(claims) != want {
			t.Errorf("a claim of limit %d took %d deliveries, want %d", limit, len(claims), want)
		}
	}
	same(t, "claimed, in order", got, heads)
}

// testDeliveryClaimEndpoint: a claim returns each delivery with its bot's
// URL, sealed secrets and breaker as they are at the claim, so a rotated
// secret or a changed URL is seen by the next claim.
func testDeliveryClaimEndpoint(t *testing.T, s *store.Store) {
	th := newThread(t, s)
	botID := newAgentBot(t, s, th.account.ID)
	now := stored(at)
	if _, err := s.DB().ExecContext(t.Context(), `UPDATE agent_bots SET outgoing_url = 'http://bot.example/one',
		secret_enc = $1, previous_secret_enc = $2, previous_secret_until = $3, breaker_failures = 2 WHERE id = $4`,
		[]byte("sealed-1"), []byte("sealed-0"), now.Add(time.Hour).UnixMicro(), botID); err != nil {
		t.Fatal(err)
	}
	d := newDelivery(t, s, th.conversation, baton.BotTarget(botID), now)
	claimOne := func(when time.Time) *store.Claim {
		t.Helper()
		var got []*store.Claim
		write(t, s, func(q *store.Queries) (err error) {
			got, err = q.ClaimDue(t.Context(), "a", when, when.Add(time.Minute), 10, false)
			return err
		})
		if len(got) != 1 || got[0].ID != d.ID {
			t.Fatalf("claimed %d deliveries, want delivery %d", len(got), d.ID)
		}
		return got[0]
	}
	c := claimOne(now)
	ep := c.Endpoint
	if !ep.Found || ep.URL != "http://bot.example/one" || ep.AccountID != th.account.ID || string(ep.Secret) != "sealed-1" ||
		string(ep.PreviousSecret) != "sealed-0" || !ep.PreviousUntil.Equal(now.Add(time.Hour)) || ep.BreakerClosed {
		t.Fatalf("endpoint %+v", ep)
	}
	if c.EventName != baton.EventMessageCreated || string(c.Payload) != `{"event":"message_created"}` {
		t.Fatalf("claimed delivery %q %s", c.EventName, c.Payload)
	}
	if _, err := s.DB().ExecContext(t.Context(), `UPDATE agent_bots SET outgoing_url = 'http://bot.example/two',
		secret_enc = $1, breaker_failures = 0 WHERE id = $2`, []byte("sealed-2"), botID); err != nil {
		t.Fatal(err)
	}
	ep = claimOne(now.Add(2 * time.Minute)).Endpoint
	if ep.URL != "http://bot.example/two" || string(ep.Secret) != "sealed-2" || !ep.BreakerClosed {
		t.Fatalf("after the change the claim read %+v", ep)
	}
}

// testDeliveryRecordAttempts: attempts recorded together move their
// lanes as RecordAttempt does (a success to the next head or away, a retry
// keeps the lane, due later) and log each attempt; an attempt whose lease
// passed to another owner changes nothing of its lane; on PostgreSQL a
// lane another transaction has locked is skipped, without waiting, and
// left to the caller with that other attempt.
func testDeliveryRecordAttempts(t *testing.T, s *store.Store) {
	recordAttempts(t, s, func(ctx context.Context, rs []store.AttemptRecord) (recorded map[int64]bool, moved bool, err error) {
		err = s.Write(ctx, func(q *store.Queries) (err error) {
			recorded, moved, err = q.RecordAttempts(ctx, "a", rs)
			return err
		})
		return recorded, moved, err
	})
}

// testDeliveryRecordAttemptsAlone: Store.RecordAttempts, the record in a
// transaction of its own, does what testDeliveryRecordAttempts asks of
// Queries.RecordAttempts; on PostgreSQL in one round trip.
func testDeliveryRecordAttemptsAlone(t *testing.T, s *store.Store) {
	recordAttempts(t, s, func(ctx context.Context, rs []store.AttemptRecord) (map[int64]bool, bool, error) {
		ctx, statements := store.CountStatements(ctx)
		recorded, moved, err := s.RecordAttempts(ctx, "a", rs)
		if n := statements(); s.Dialect() == "postgres" && n != 1 {
			t.Errorf("the record took %d round trips, want 1", n)
		}
		return recorded, moved, err
	})
}

// recordAttempts is testDeliveryRecordAttempts, with record as the way
// attempts are recorded together, by owner "a".
func recordAttempts(t *testing.T, s *store.Store, record func(context.Context, []store.AttemptRecord) (map[int64]bool, bool, error)) {
	th := newThread(t, s)
	bot := baton.BotTarget(newAgentBot(t, s, th.account.ID))
	convs := []*baton.Conversation{th.conversation}
	for range 4 {
		convs = append(convs, newConversation(t, s, th.contactInbox, th.account.ID, nil))
	}
	now := stored(at)
	var heads []*baton.Delivery
	for _, c := range convs {
		heads = append(heads, newDelivery(t, s, c, bot, now))
	}
	behind := newDelivery(t, s, convs[0], bot, now)
	ids := func(ds ...*baton.Delivery) []int64 {
		var out []int64
		for _, d := range ds {
			out = append(out, d.ID)
		}
		slices.Sort(out)
		return out
	}
	same(t, "claim", claim(t, s, "a", now), ids(heads...))
	// The last lane's lease passes to b.
	if _, err := s.DB().ExecContext(t.Context(), `UPDATE lanes SET lease_owner = 'b' WHERE head_id = $1`, heads[4].ID); err != nil {
		t.Fatal(err)
	}
	retry := now.Add(30 * time.Second)
	outcome := func(d *baton.Delivery, status baton.DeliveryStatus, next time.Time) store.AttemptRecord {
		return store.AttemptRecord{Attempt: &baton.Attempt{DeliveryID: d.ID, AttemptedAt: now, StatusCode: 200,
			Latency: time.Millisecond, Response: "ok"}, Status: status, Next: next}
	}
	rs := []store.AttemptRecord{outcome(heads[0], baton.DeliverySucceeded, now), outcome(heads[1], baton.DeliverySucceeded, now),
		outcome(heads[2], baton.DeliveryPending, retry), outcome(heads[4], baton.DeliverySucceeded, now)}
	ctx := t.Context()
	var locker *sql.Tx
	if s.Dialect() == "postgres" {
		// A customer's message adding to the fourth lane holds its row lock.
		rs = append(rs, outcome(heads[3], baton.DeliverySucceeded, now))
		var err error
		if locker, err = s.DB().BeginTx(ctx, nil); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = locker.Rollback() }()
		if _, err := locker.ExecContext(ctx, `UPDATE lanes SET head_id = head_id WHERE head_id = $1`, heads[3].ID); err != nil {
			t.Fatal(err)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	recorded, moved, err := record(ctx, rs)
	if err != nil {
		t.Fatalf("recording attempts: %v", err)
	}
	if !moved {
		t.Errorf("the first lane's hand-over to the delivery behind was not reported")
	}
	for _, d := range heads[:3] {
		if !recorded[d.ID] {
			t.Errorf("the attempt of delivery %d is not recorded", d.ID)
		}
	}
	if recorded[heads[3].ID] {
		t.Errorf("the attempt of a lane another transaction holds is recorded")
	}
	// The caller records the others on their own.
	if locker != nil {
		_ = locker.Rollback()
	}
	for _, r := range rs {
		if !recorded[r.Attempt.DeliveryID] {
			write(t, s, func(q *store.Queries) error {
				_, err := q.RecordAttempt(t.Context(), "a", r.Attempt, r.Status, r.Next)
				return err
			})
		}
	}
	// The first lane moved to the delivery behind, the second went, the
	// third waits for its retry, the fourth went; b's lane is as it was.
	same(t, "claim after", claim(t, s, "c", now), ids(behind))
	same(t, "claim when the retry is due", claim(t, s, "c", retry), ids(heads[2]))
	for _, d := range heads[:2] {
		if n := count(t, s, `SELECT COUNT(*) FROM deliveries WHERE id = $1 AND status = $2 AND attempts = 1`, d.ID, int(baton.DeliverySucceeded)); n != 1 {
			t.Errorf("delivery %d is not recorded as succeeded", d.ID)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM deliveries WHERE id = $1 AND status = 0 AND attempts = 1 AND next_attempt_at = $2`,
		heads[2].ID, retry.UnixMicro()); n != 1 {
		t.Errorf("the retried delivery is not pending with its next attempt")
	}
	if n := count(t, s, `SELECT COUNT(*) FROM lanes WHERE head_id = $1 AND lease_owner = 'b'`, heads[4].ID); n != 1 {
		t.Errorf("an attempt whose lease passed on moved the lane")
	}
	if n := count(t, s, `SELECT COUNT(*) FROM deliveries WHERE id = $1 AND status = 0 AND attempts = 0`, heads[4].ID); n != 1 {
		t.Errorf("an attempt whose lease passed on changed the delivery")
	}
	if n := count(t, s, `SELECT COUNT(*) FROM delivery_attempts WHERE status_code = 200 AND latency_us = 1000 AND response = 'ok'`); n != len(rs) {
		t.Errorf("%d attempts logged, want %d", n, len(rs))
	}
}
