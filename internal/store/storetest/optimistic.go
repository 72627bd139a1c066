package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// optimisticWorld is a thread whose inbox has a bot, for messages that
// raise an event with a delivery.
type optimisticWorld struct {
	*thread
	bot int64
	// uuid, when set, is every delivery's id, for one that is taken.
	uuid string
}

func newOptimisticWorld(t *testing.T, s *store.Store) *optimisticWorld {
	th := newThread(t, s)
	return &optimisticWorld{thread: th, bot: newAgentBot(t, s, th.account.ID)}
}

// say is a customer's message as the app writes one: the lookup, the
// message with its live event, its event and the bot's delivery; between
// is called after the lookup, before the writes. It returns the message
// and how many times the function ran.
func (w *optimisticWorld) say(ctx context.Context, s *store.Store, content string, between func(q *store.Queries) error) (*baton.Message, int, error) {
	var m *baton.Message
	runs := 0
	err := s.WriteOptimistic(ctx, func(q *store.Queries) error {
		runs++
		target, err := q.FindPublicMessageTarget(ctx, w.inbox.Identifier, w.contactInbox.SourceID,
			w.conversation.DisplayID, 0, 1000, 10)
		if err != nil {
			return err
		}
		if between != nil {
			if err := between(q); err != nil {
				return err
			}
		}
		c := target.Conversation
		now := time.Now()
		m = &baton.Message{AccountID: c.AccountID, InboxID: c.InboxID, ConversationID: c.ID,
			MessageType: baton.MessageIncoming, Content: &content, SenderType: baton.SenderContact,
			SenderID: c.ContactID, CreatedAt: now, UpdatedAt: now}
		live := &store.LiveEvent{AccountID: c.AccountID, ConversationID: c.ID, Name: baton.EventMessageCreated, CreatedAt: now}
		if err := q.CreateMessageLive(ctx, m, now.UnixMicro(), live); err != nil {
			return err
		}
		e := &baton.Event{AccountID: c.AccountID, ConversationID: c.ID, Name: baton.EventMessageCreated,
			Payload: fmt.Appendf(nil, `{"id":%d}`, m.ID), CreatedAt: now}
		_, err = q.CreateEventDeliveries(ctx, e, []*baton.Delivery{{UUID: cmp.Or(w.uuid, unique("uuid")), Target: baton.BotTarget(w.bot),
			AccountID: c.AccountID, LaneID: c.ID, Handoff: true, NextAttemptAt: now, CreatedAt: now}})
		return err
	})
	return m, runs, err
}

// written checks that the conversation's messages are, in the order of
// their ids, those with the contents, each once, each with its live
// event, its event, whose payload names it, and its delivery.
func (w *optimisticWorld) written(t *testing.T, s *store.Store, contents ...string) {
	t.Helper()
	rows, err := s.DB().QueryContext(t.Context(), `SELECT m.id, m.content,
		(SELECT count(*) FROM live_events l WHERE l.message_id = m.id),
		(SELECT count(*) FROM events e JOIN deliveries d ON d.event_id = e.id
			WHERE e.payload = '{"id":' || m.id || '}' AND e.conversation_id = m.conversation_id AND d.lane_id = m.conversation_id)
		FROM messages m WHERE m.conversation_id = $1 ORDER BY m.id`, w.conversation.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, live, events int64
		var content string
		if err := rows.Scan(&id, &content, &live, &events); err != nil {
			t.Fatal(err)
		}
		got = append(got, content)
		if live != 1 || events != 1 {
			t.Errorf("message %d (%q): %d live events, %d events with a delivery; want 1 and 1", id, content, live, events)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	same(t, "messages", got, contents)
}

// testOptimisticWrite checks WriteOptimistic on either database: a message
// is written once, with its live event, event and delivery, and after any
// message written meanwhile; a function that writes anything else, or
// whose conversation changed, runs again in a transaction, and the id
// reserved for its message is not lost. On PostgreSQL the write takes two
// statements (the lookup and the write); on SQLite it is Write, and only
// the first is checked.
func testOptimisticWrite(t *testing.T, s *store.Store) {
	ctx := t.Context()
	w := newOptimisticWorld(t, s)
	postgres := s.Dialect() == "postgres"

	counted, statements := store.CountStatements(ctx)
	first, n, err := w.say(counted, s, "first", nil)
	if err != nil || n != 1 {
		t.Fatalf("a message: %d runs, %v", n, err)
	}
	if got := statements(); postgres && got != 2 {
		t.Errorf("a message took %d statements, want 2 (the lookup and the write)", got)
	}
	w.written(t, s, "first")
	if !postgres {
		// Write: a function that wrote meanwhile would wait for itself.
		return
	}

	// The conversation changes after the lookup: the function runs again,
	// in a transaction, and the message keeps the id reserved for it.
	changed := false
	second, n, err := w.say(ctx, s, "second", func(q *store.Queries) error {
		if changed {
			return nil // the transaction now holds the conversation
		}
		changed = true
		return s.Write(ctx, func(q *store.Queries) error {
			return q.TouchConversation(ctx, w.conversation.ID, time.Now().UnixMicro())
		})
	})
	if err != nil || n != 2 {
		t.Fatalf("a message to a conversation changed meanwhile: %d runs (want 2), %v", n, err)
	}
	if second.ID != first.ID+1 {
		t.Errorf("the message written again has id %d, want the id reserved for it, %d", second.ID, first.ID+1)
	}
	w.written(t, s, "first", "second")

	// A message written meanwhile, even by a write that left the
	// conversation's row alone: the message goes after it, with an id of
	// its own.
	var between int64
	third, n, err := w.say(ctx, s, "third", func(q *store.Queries) error {
		if between != 0 {
			return nil
		}
		return s.DB().QueryRowContext(ctx, `INSERT INTO messages (account_id, inbox_id, conversation_id, message_type,
			content, created_at, updated_at) VALUES ($1, $2, $3, 0, 'between', 0, 0) RETURNING id`,
			w.account.ID, w.inbox.ID, w.conversation.ID).Scan(&between)
	})
	if err != nil || n != 2 {
		t.Fatalf("a message after another written meanwhile: %d runs (want 2), %v", n, err)
	}
	if third.ID <= between {
		t.Errorf("the message has id %d, before the one written meanwhile (%d)", third.ID, between)
	}
	// What the app writes with a message, for written's check.
	write(t, s, func(q *store.Queries) error {
		if err := q.CreateLiveEvent(ctx, &store.LiveEvent{AccountID: w.account.ID, ConversationID: w.conversation.ID,
			MessageID: between, Name: baton.EventMessageCreated, CreatedAt: time.Now()}); err != nil {
			return err
		}
		_, err := q.CreateEventDeliveries(ctx, &baton.Event{AccountID: w.account.ID, ConversationID: w.conversation.ID,
			Name: baton.EventMessageCreated, Payload: fmt.Appendf(nil, `{"id":%d}`, between), CreatedAt: time.Now()},
			[]*baton.Delivery{{UUID: unique("uuid"), Target: baton.BotTarget(w.bot), AccountID: w.account.ID,
				LaneID: w.conversation.ID, NextAttemptAt: time.Now(), CreatedAt: time.Now()}})
		return err
	})
	w.written(t, s, "first", "second", "between", "third")

	// Any other write: the function runs again in a transaction, where the
	// write is made.
	fourth, n, err := w.say(ctx, s, "fourth", func(q *store.Queries) error {
		return q.TouchContact(ctx, w.contact.ID, 12345)
	})
	if err != nil || n != 2 {
		t.Fatalf("a message with another write: %d runs (want 2), %v", n, err)
	}
	if fourth.ID != third.ID+1 {
		t.Errorf("the message written again has id %d, want the id reserved for it, %d", fourth.ID, third.ID+1)
	}
	if n := count(t, s, `SELECT count(*) FROM contacts WHERE id = $1 AND last_activity_at = 12345`, w.contact.ID); n != 1 {
		t.Error("the other write was not made")
	}
	w.written(t, s, "first", "second", "between", "third", "fourth")

	// An error of the function is its caller's, and nothing is written.
	if _, _, err := w.say(ctx, s, "never", func(q *store.Queries) error { return baton.ErrNotFound }); err != baton.ErrNotFound {
		t.Errorf("a function failing with not found: %v", err)
	}
	w.written(t, s, "first", "second", "between", "third", "fourth")
}

// OptimisticWritesTogether writes customers' messages into many
// conversations at once, and into one from many callers, through
// WriteOptimistic (PostgreSQL): each is written once, in order, in its
// own conversation, with its event and delivery, whether its statement
// wrote it or it ran again in a transaction; statements write several
// together; and lookups read together each find their own conversation,
// or none.
func OptimisticWritesTogether(t *testing.T, s *store.Store) {
	t.Helper()
	const convs, each = 12, 8
	ws := make([]*optimisticWorld, convs)
	for i := range ws {
		ws[i] = newOptimisticWorld(t, s)
	}
	before := s.WriteTransactions()
	var wg sync.WaitGroup
	errs := make(chan error, convs*each)
	for _, w := range ws {
		wg.Go(func() {
			for i := range each {
				if _, _, err := w.say(t.Context(), s, fmt.Sprint(i), nil); err != nil {
					errs <- err
				}
			}
		})
	}
	// Lookups of conversations that are not there, read with the others:
	// not found, and only they.
	for n := range 8 {
		wg.Go(func() {
			stranger := &optimisticWorld{thread: &thread{inbox: ws[n].inbox, contactInbox: ws[n].contactInbox,
				conversation: &baton.Conversation{DisplayID: ws[n].conversation.DisplayID + 1000}}}
			if _, _, err := stranger.say(t.Context(), s, "lost", nil); !errors.Is(err, baton.ErrNotFound) {
				errs <- fmt.Errorf("a message to a conversation that is not there: %v, want not found", err)
			}
		})
	}
	// Many callers to one conversation: their messages cross.
	crowd := ws[0]
	for n := range 8 {
		wg.Go(func() {
			if _, _, err := crowd.say(t.Context(), s, fmt.Sprint("crowd ", n), nil); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := make([]string, each)
	for i := range want {
		want[i] = fmt.Sprint(i)
	}
	for _, w := range ws[1:] {
		w.written(t, s, want...)
	}
	if n := count(t, s, `SELECT count(*) FROM messages WHERE conversation_id = $1`, crowd.conversation.ID); n != each+8 {
		t.Errorf("%d messages in the crowded conversation, want %d", n, each+8)
	}
	if n := s.WriteTransactions() - before; n >= convs*each {
		t.Errorf("%d statements or transactions for %d messages: none written together", n, convs*each+8)
	}
}

// OptimisticWriteSkipsLocked holds a conversation's row locked in a
// transaction (PostgreSQL): an optimistic write there does not wait in its
// statement, which would hold up the other messages written with it, but
// in the transaction it runs again in, and is written once the lock is
// let go.
func OptimisticWriteSkipsLocked(t *testing.T, s *store.Store) {
	t.Helper()
	locked, free := newOptimisticWorld(t, s), newOptimisticWorld(t, s)
	tx, err := s.DB().BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(t.Context(), `SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, locked.conversation.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := locked.say(t.Context(), s, "waits", nil)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // its statement ran and skipped the conversation
	goes := make(chan error, 1)
	go func() {
		_, _, err := free.say(t.Context(), s, "goes", nil)
		goes <- err
	}()
	select {
	case err := <-goes:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		tx.Rollback() // lets the statement end
		t.Fatal("a message to another conversation waited for the lock")
	}
	free.written(t, s, "goes")
	select {
	case err := <-done:
		t.Fatalf("the message to the locked conversation returned before the lock was let go: %v", err)
	default:
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the message to the conversation let go was not written")
	}
	locked.written(t, s, "waits")
}

// OptimisticWriteFailsAlone makes the statement that writes two callers'
// messages together fail for one of them (its delivery's id one that is
// taken, so that its insert breaks a unique constraint): the other
// message is written all the same, in a transaction of its own, and only
// the first caller gets an error. The two are made to wait for the same
// statement by a third caller's statement, held on a lane locked in a
// transaction.
func OptimisticWriteFailsAlone(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := t.Context()
	held, broken, fine := newOptimisticWorld(t, s), newOptimisticWorld(t, s), newOptimisticWorld(t, s)
	if _, _, err := held.say(ctx, s, "first", nil); err != nil {
		t.Fatal(err)
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM lanes WHERE lane_id = $1 FOR UPDATE`, held.conversation.ID); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 3)
	go func() {
		_, _, err := held.say(ctx, s, "second", nil)
		errs <- err
	}()
	time.Sleep(200 * time.Millisecond) // its statement waits for the lane
	if err := s.DB().QueryRowContext(ctx, `SELECT uuid FROM deliveries LIMIT 1`).Scan(&broken.uuid); err != nil {
		t.Fatal(err)
	}
	var looked sync.WaitGroup
	looked.Add(2)
	for _, w := range []*optimisticWorld{broken, fine} {
		go func() {
			once := false
			_, _, err := w.say(ctx, s, "together", func(q *store.Queries) error {
				if !once {
					once = true
					looked.Done()
				}
				return nil
			})
			errs <- err
		}()
	}
	looked.Wait()
	time.Sleep(200 * time.Millisecond) // both wait for the next statement
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for range 3 {
		select {
		case err := <-errs:
			if err != nil {
				failed++
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a message was not written")
		}
	}
	if failed != 1 {
		t.Errorf("%d callers got an error, want 1 (the one whose delivery's id is taken)", failed)
	}
	held.written(t, s, "first", "second")
	fine.written(t, s, "together")
	if n := count(t, s, `SELECT count(*) FROM messages WHERE conversation_id = $1`, broken.conversation.ID); n != 0 {
		t.Errorf("%d messages written where the statement failed, want 0", n)
	}
}

// OptimisticLookupPlannedOnce reads a conversation's lookups together one
// after another on one connection (PostgreSQL), as a process under light
// load does: PostgreSQL plans the statement a few times, then keeps one
// plan for every set of arguments. Planned anew each time, a lookup's plan
// cost more than its run (1.7 ms a plan, seen in pg_stat_statements), and
// at 300 bot turns a second it was most of what PostgreSQL did.
func OptimisticLookupPlannedOnce(t *testing.T, s *store.Store) {
	t.Helper()
	s.LimitConnections(1)
	w := newOptimisticWorld(t, s)
	for i := range 12 {
		if _, _, err := w.say(t.Context(), s, fmt.Sprint(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	var custom, generic int64
	if err := s.DB().QueryRowContext(t.Context(), `SELECT custom_plans, generic_plans FROM pg_prepared_statements
		WHERE statement LIKE 'SELECT k.ord, t.*%'`).Scan(&custom, &generic); err != nil {
		t.Fatal(err)
	}
	if generic == 0 || custom > 5 {
		t.Errorf("the lookups read together were planned %d times for %d runs, want one plan kept", custom, custom+generic)
	}
}
