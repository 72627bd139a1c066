package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/batonhq/baton"
)

// errNotOptimistic is what a statement gets, in WriteOptimistic, that would
// write anything but what the optimistic write holds back.
var errNotOptimistic = errors.New("store: not a write WriteOptimistic can do")

// WriteOptimistic runs fn as Write does, and has the same meaning, but on
// PostgreSQL first tries it without a transaction: fn's reads run on the
// reader pool and take no locks, and the one write it may make, a message
// (CreateMessageLive) into a conversation a message lookup read
// (FindPublicMessageTarget, FindMessageTarget), with the event that
// reports it and its deliveries (CreateEventDeliveries), is held back and
// written when fn returns, with the writes of other callers, in one
// statement (writeOptimistics), provided the conversation's row is still
// the version the lookup read and holds no newer message. The lookup
// reserves the message's id, so that the event's payload, rendered in fn,
// carries it.
//
// This is how a message a bot hears costs PostgreSQL a share of two
// statements (its lookup's, read with others' too, see lookupBatch, and
// its write's), where in a transaction it cost five round trips (with
// BEGIN, the lookup's row lock and COMMIT): a customer's message to a bot,
// the product's main path, cost the database several times what a quiet
// message does (CreateQuietMessage).
//
// Every change to a conversation updates its row, and so its version: a
// message is written only if nothing was decided from a conversation that
// has changed since, and its id, reserved before, is newer than any of the
// conversation's messages, as in the transaction.
//
// When fn does anything else (any other write, a second message), or the
// conversation changed, nothing was written, and fn runs again in Write;
// the id reserved goes to the first message written there, unless the
// conversation has a newer one by then. On SQLite, whose one writer would
// gain nothing, it is Write.
func (s *Store) WriteOptimistic(ctx context.Context, fn func(q *Queries) error) error {
	if s.batch != nil {
		return s.Write(ctx, fn)
	}
	h := &optimistic{lookups: s.lookups, reader: s.reader}
	q := &Queries{db: optimisticReader{pool: pool{db: s.reader, stmts: s.readStmts}, h: h}, d: s.dialect,
		afterCommit: &[]func(){}, optimistic: h}
	switch err := fn(q); {
	case h.refused:
		return s.write(ctx, fn, h.messageID)
	case err != nil:
		return err
	case h.message != nil:
		b := s.optimistic
		j := &optimisticJob{call: newCall(ctx), h: h}
		if err := b.wait(ctx, j, j.done, b.take, s.writeOptimistic); err != nil || j.err != nil {
			return cmp.Or(err, j.err)
		}
		if !j.ok {
			return s.write(ctx, fn, h.messageID)
		}
	}
	for _, f := range *q.afterCommit {
		f()
	}
	return nil
}

// optimistic is what an optimistic write read and holds back.
type optimistic struct {
	// conversationID, version and messageID: the conversation the lookup
	// read, its row's version (PostgreSQL's xmin), and the id it reserved
	// for the message.
	conversationID int64
	version        string
	messageID      int64
	// refused: fn tried something WriteOptimistic does not do.
	refused bool
	// lookups runs the lookup with others' on reader.
	lookups *lookupBatch
	reader  *sql.DB

	message *baton.Message
	at      int64
	live    *LiveEvent
	event   *baton.Event
	ds      []*baton.Delivery
}

// refuse records that fn did something else; the error ends fn.
func (h *optimistic) refuse() error {
	h.refused = true
	return errNotOptimistic
}

// versionColumns, read after a lookup's columns in an optimistic write:
// the conversation's row version and a new message id.
const versionColumns = `, v.xmin::text, nextval('messages_id_seq')`

// createMessageLive holds back CreateMessageLive.
func (h *optimistic) createMessageLive(m *baton.Message, at int64, e *LiveEvent) error {
	if h.message != nil || h.version == "" || m.ConversationID != h.conversationID || m.ID != 0 {
		return h.refuse()
	}
	m.ID, e.MessageID = h.messageID, h.messageID
	h.message, h.at, h.live = m, at, e
	return nil
}

// createEventDeliveries holds back CreateEventDeliveries of the message's
// event. It reports a head, so that the engine is woken: whether the
// delivery is its lane's is known only once written.
func (h *optimistic) createEventDeliveries(e *baton.Event, ds []*baton.Delivery) (bool, error) {
	if h.message == nil || h.event != nil || len(ds) == 0 {
		return false, h.refuse()
	}
	h.event, h.ds = e, ds
	return true, nil
}

// optimisticBatch is the queue of optimistic writes waiting for a
// statement (see together).
type optimisticBatch struct {
	together[*optimisticJob]
}

// maxOptimistic bounds how many messages one statement writes, and
// optimisticStatements how many such statements a process runs at once.
const (
	maxOptimistic        = 64
	optimisticStatements = 1
)

func newOptimisticBatch() *optimisticBatch {
	return &optimisticBatch{newTogether[*optimisticJob](optimisticStatements)}
}

// optimisticJob is one WriteOptimistic call's write.
type optimisticJob struct {
	call
	h   *optimistic
	ok  bool
	err error
}

// take removes up to maxOptimistic writes from the queue, the oldest
// first, no two to one conversation: the second would find the version
// the first changed.
func (b *optimisticBatch) take() []*optimisticJob {
	return takeDistinct(&b.queue, maxOptimistic, func(j *optimisticJob) int64 { return j.h.conversationID },
		func(first, j *optimisticJob) bool { return true })
}

// writeOptimistic writes jobs in one statement (writeOptimistics) and
// gives each its outcome: ok when written, false when its conversation
// changed or another transaction holds it, or the statement failed with
// others' messages in it; the statement's error when it failed alone.
func (s *Store) writeOptimistic(jobs []*optimisticJob) {
	defer finish(jobs)
	s.transactions.Add(1)
	n := len(jobs)
	var (
		conversation, message, at, account, inbox, senderID, created, updated, liveContact, liveCreated, eventCreated = make([]int64, n),
			make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n),
			make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		version, attrs, msgSource, senderType, external, additional, liveName, liveData = make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n)
		content, eventName, payload          = make([]*string, n), make([]*string, n), make([]*string, n)
		messageType, contentType, status     = make([]int32, n), make([]int32, n), make([]int32, n)
		private                              = make([]bool, n)
		dJob                                 []int32
		dUUID                                []string
		dTarget, dAccount, dLane, dNext, dAt []int64
		dBot, dWebhook                       []*int64
		dHandoff                             []bool
	)
	for i, j := range jobs {
		count(j.ctx)
		h, m, e := j.h, j.h.message, j.h.live
		conversation[i], version[i], message[i], at[i] = h.conversationID, h.version, m.ID, h.at
		account[i], inbox[i], messageType[i], contentType[i] = m.AccountID, m.InboxID, int32(m.MessageType), int32(m.ContentType)
		content[i], attrs[i], private[i], status[i] = m.Content, jsonObject(m.ContentAttributes), m.Private, int32(m.Status)
		msgSource[i], senderType[i], senderID[i] = m.SourceID, m.SenderType, m.SenderID
		external[i], additional[i] = jsonObject(m.ExternalSourceIDs), jsonObject(m.AdditionalAttributes)
		created[i], updated[i] = toMicros(m.CreatedAt), toMicros(m.UpdatedAt)
		liveContact[i], liveName[i], liveData[i], liveCreated[i] = e.ContactID, e.Name, e.data(), toMicros(e.CreatedAt)
		if ev := h.event; ev != nil {
			p := string(ev.Payload)
			eventName[i], payload[i], eventCreated[i] = &ev.Name, &p, toMicros(ev.CreatedAt)
			for _, d := range h.ds {
				bot, webhook := targetColumns(d.Target)
				dJob, dUUID = append(dJob, int32(i+1)), append(dUUID, d.UUID)
				dTarget, dAccount, dLane = append(dTarget, targetKey(d.Target)), append(dAccount, d.AccountID), append(dLane, d.LaneID)
				dHandoff, dNext, dAt = append(dHandoff, d.Handoff), append(dNext, toMicros(d.NextAttemptAt)), append(dAt, toMicros(d.CreatedAt))
				dBot, dWebhook = append(dBot, bot), append(dWebhook, webhook)
			}
		}
	}
	ctx := context.WithoutCancel(jobs[0].ctx)
	rows, err := s.writer.QueryContext(ctx, writeOptimistics, conversation, version, message, at, account, inbox,
		messageType, contentType, content, attrs, private, status, msgSource, senderType, senderID, external,
		additional, created, updated, liveContact, liveName, liveData, liveCreated, eventName, payload, eventCreated,
		dJob, dUUID, dTarget, dAccount, dLane, dHandoff, dNext, dAt, dBot, dWebhook)
	if err == nil {
		err = scanOptimistic(rows, jobs)
	}
	if err != nil {
		// The statement is one transaction: nothing was written. Written
		// with others, each runs again in a transaction of its own, so that
		// one message's error (its account deleted meanwhile) is only its
		// own; there a message written after all (the statement's answer
		// lost after its commit) keeps its reserved id, which cannot be
		// written twice.
		err = (&Queries{d: s.dialect}).formatError(err, "message")
		if len(jobs) > 1 {
			err = nil
		}
		for _, j := range jobs {
			j.ok, j.err = false, err
		}
	}
}

// scanOptimistic reads writeOptimistics' rows, one a delivery (or a
// message without an event), into their jobs; a job without a row was not
// written.
func scanOptimistic(rows *sql.Rows, jobs []*optimisticJob) error {
	defer rows.Close()
	for rows.Next() {
		var ord int
		var live int64
		var event, delivery sql.NullInt64
		var uuid sql.NullString
		if err := rows.Scan(&ord, &live, &event, &uuid, &delivery); err != nil {
			return err
		}
		j := jobs[ord-1]
		j.ok, j.h.live.ID = true, live
		if ev := j.h.event; ev != nil {
			ev.ID = event.Int64
			for _, d := range j.h.ds {
				if d.UUID == uuid.String {
					d.EventID, d.ID = event.Int64, delivery.Int64
				}
			}
		}
	}
	return rows.Err()
}

// writeOptimistics is writeOptimistic's statement for the messages given
// as arrays, one element each ($1 to $26), and their events' deliveries,
// one element each ($27 to $36, $27 the message's place among the
// messages, from 1). k locks each message's conversation if its row is
// still the version read ($2) and holds no message newer than the one
// reserved ($3), skipping any another transaction holds, as
// createQuietMessages does and for the same reasons; v updates their
// activity and counts the messages in their flood minutes; the messages,
// their live events and their events are inserted for the conversations v
// updated, and each event's deliveries and lanes as CreateEventDeliveries
// writes them (the lanes' upsert takes their row locks for the reason
// given there). A statement has one message a conversation (see take):
// events are matched to their messages by conversation.
var writeOptimistics = `WITH j AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[],
		$5::bigint[], $6::bigint[], $7::int[], $8::int[], $9::text[], $10::text[], $11::bool[], $12::int[],
		$13::text[], $14::text[], $15::bigint[], $16::text[], $17::text[], $18::bigint[], $19::bigint[],
		$20::bigint[], $21::text[], $22::text[], $23::bigint[], $24::text[], $25::text[], $26::bigint[])
		WITH ORDINALITY AS j(conversation, version, message, at, account, inbox, message_type, content_type,
		content, content_attributes, private, status, source_id, sender_type, sender_id, external_source_ids,
		additional_attributes, created, updated, live_contact, live_name, live_data, live_created,
		event_name, payload, event_created, ord)),
	k AS (SELECT j.ord, x.id FROM j JOIN conversations x ON x.id = j.conversation AND x.xmin = j.version::xid
		WHERE NOT EXISTS (SELECT 1 FROM messages r WHERE r.conversation_id = j.conversation AND r.id >= j.message)
		FOR UPDATE OF x SKIP LOCKED),
	v AS (UPDATE conversations SET last_activity_at = j.at, updated_at = j.at, ` + floodCounted("j.created") + `
		FROM k JOIN j ON j.ord = k.ord WHERE conversations.id = k.id RETURNING j.ord),
	m AS (INSERT INTO messages (id, ` + messageInsertColumns + `)
		SELECT j.message, j.account, j.inbox, j.conversation, j.message_type, j.content_type, j.content,
		j.content_attributes::jsonb, j.private, j.status, j.source_id, j.sender_type, j.sender_id,
		j.external_source_ids::jsonb, j.additional_attributes::jsonb, j.created, j.updated
		FROM v JOIN j ON j.ord = v.ord ORDER BY j.ord RETURNING id),
	le AS (INSERT INTO live_events (account_id, conversation_id, message_id, contact_id, name, data, created_at)
		SELECT j.account, j.conversation, j.message, NULLIF(j.live_contact, 0), j.live_name, j.live_data, j.live_created
		FROM v JOIN j ON j.ord = v.ord ORDER BY j.ord RETURNING id, conversation_id),
	e AS (INSERT INTO events (account_id, conversation_id, name, payload, created_at)
		SELECT j.account, j.conversation, j.event_name, j.payload, j.event_created
		FROM v JOIN j ON j.ord = v.ord WHERE j.event_name IS NOT NULL ORDER BY j.ord RETURNING id, conversation_id),
	x AS (SELECT * FROM unnest($27::int[], $28::text[], $29::bigint[], $30::bigint[], $31::bigint[], $32::bool[],
		$33::bigint[], $34::bigint[], $35::bigint[], $36::bigint[])
		WITH ORDINALITY AS x(job, uuid, target, account, lane, handoff, next, created, bot, webhook, k)),
	d AS (INSERT INTO deliveries (` + deliveryInsertColumns + `)
		SELECT x.uuid, e.id, x.target, x.account, x.lane, x.handoff, 0, 0, x.next, x.created, x.created, x.bot, x.webhook
		FROM x JOIN j ON j.ord = x.job JOIN e ON e.conversation_id = j.conversation ORDER BY x.k
		RETURNING id, uuid, event_id, target, lane_id, next_attempt_at),
	` + headLanes + `
	SELECT j.ord, le.id, e.id, d.uuid, d.id FROM v JOIN j ON j.ord = v.ord
		JOIN le ON le.conversation_id = j.conversation
		LEFT JOIN e ON e.conversation_id = j.conversation LEFT JOIN d ON d.event_id = e.id`

// optimisticReader runs an optimistic write's reads on the reader pool
// and refuses anything else: a statement that is not a plain SELECT.
type optimisticReader struct {
	pool
	h *optimistic
}

// reads says whether query only reads.
func reads(query string) bool {
	return strings.HasPrefix(strings.TrimLeft(query, " \t\n"), "SELECT ") && !strings.Contains(query, " FOR ")
}

func (r optimisticReader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return nil, r.h.refuse()
}

func (r optimisticReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !reads(query) {
		return nil, r.h.refuse()
	}
	return r.pool.QueryContext(ctx, query, args...)
}

func (r optimisticReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if !reads(query) {
		_ = r.h.refuse()
		// A row that reports an error, without asking the database.
		done, cancel := context.WithCancel(ctx)
		cancel()
		return r.pool.db.QueryRowContext(done, query, args...)
	}
	return r.pool.QueryRowContext(ctx, query, args...)
}

// Lookups together. An optimistic write's lookup (scanTarget) is one
// statement of about twenty joined tables and subqueries, part of whose
// cost PostgreSQL pays once a statement (its executor's start, the round
// trip), whatever it returns: lookups that come while one runs wait, and
// the next statement reads up to maxOptimistic of them, one row each (see
// lookupBatch.statement). Under load that took a lookup's statement time
// from 168 to 133 µs.

// lookupBatch is the queue of lookups waiting for a statement.
type lookupBatch struct {
	together[*lookupJob]
	statements sync.Map // a lookup's query → the statement for several
}

func newLookupBatch() *lookupBatch {
	return &lookupBatch{together: newTogether[*lookupJob](optimisticStatements)}
}

// lookupJob is one lookup: its query, with its arguments, and where its
// row is scanned to.
type lookupJob struct {
	call
	query string
	args  []any
	dest  []any
	err   error
}

// find runs the lookup's query, which returns one row of conversation v,
// with the arguments, and scans its row, followed by versionColumns, into
// dest: sql.ErrNoRows when it returns none.
func (b *lookupBatch) find(ctx context.Context, db *sql.DB, query string, args []any, dest []any) error {
	j := &lookupJob{call: newCall(ctx), query: query, args: args, dest: dest}
	if err := b.wait(ctx, j, j.done, b.take, func(jobs []*lookupJob) { b.run(db, jobs) }); err != nil {
		return err
	}
	return j.err
}

// take removes up to maxOptimistic lookups with the first's query from
// the queue, the oldest first.
func (b *lookupBatch) take() []*lookupJob {
	return takeDistinct(&b.queue, maxOptimistic, func(j *lookupJob) *lookupJob { return j },
		func(first, j *lookupJob) bool { return j.query == first.query })
}

// statement is the statement that runs a lookup's query, with
// versionColumns, whose parameters are args' (strings, int64s and ints),
// for several sets of arguments given as
// arrays, one element each: each set's rows, after its place among them
// (from 1), in that order. Each array is read through a subquery, so that
// the planner does not see how many sets a statement carries: where it
// saw them, a plan for the few sets of the moment always looked cheaper
// than a plan kept for any number, and PostgreSQL planned the statement
// anew on every run (TestOptimisticLookupPlannedOnce).
func (b *lookupBatch) statement(query string, args []any) (string, error) {
	if s, ok := b.statements.Load(query); ok {
		return s.(string), nil
	}
	arrays, names := make([]string, len(args)), make([]string, len(args))
	for i, a := range args {
		switch a.(type) {
		case string:
			arrays[i] = fmt.Sprintf("(SELECT $%d::text[])", i+1)
		case int64, int:
			arrays[i] = fmt.Sprintf("(SELECT $%d::bigint[])", i+1)
		default:
			return "", fmt.Errorf("store: a lookup's argument of type %T", a)
		}
		names[i] = fmt.Sprintf("a%d", i+1)
	}
	each := strings.Replace(query, ` FROM conversations v`, versionColumns+` FROM conversations v`, 1)
	for i := len(args); i > 0; i-- { // $12 before $1
		each = strings.ReplaceAll(each, fmt.Sprintf("$%d", i), fmt.Sprintf("k.a%d", i))
	}
	s := `SELECT k.ord, t.* FROM unnest(` + strings.Join(arrays, ", ") + `) WITH ORDINALITY AS k(` +
		strings.Join(names, ", ") + `, ord) CROSS JOIN LATERAL (` + each + `) t ORDER BY k.ord`
	b.statements.Store(query, s)
	return s, nil
}

// run runs jobs' lookups in one statement and scans each row into its
// job's dest.
func (b *lookupBatch) run(db *sql.DB, jobs []*lookupJob) {
	defer finish(jobs)
	err := func() error {
		query, err := b.statement(jobs[0].query, jobs[0].args)
		if err != nil {
			return err
		}
		arrays := make([]any, len(jobs[0].args))
		for i, a := range jobs[0].args {
			if _, ok := a.(string); ok {
				v := make([]string, len(jobs))
				for k, j := range jobs {
					v[k] = j.args[i].(string)
				}
				arrays[i] = v
				continue
			}
			v := make([]int64, len(jobs))
			for k, j := range jobs {
				switch a := j.args[i].(type) {
				case int64:
					v[k] = a
				case int:
					v[k] = int64(a)
				}
			}
			arrays[i] = v
		}
		for _, j := range jobs {
			count(j.ctx)
			j.err = sql.ErrNoRows
		}
		rows, err := db.QueryContext(context.WithoutCancel(jobs[0].ctx), query, arrays...)
		if err != nil {
			return err
		}
		defer rows.Close()
		skip := make([]any, len(jobs[0].dest)+1)
		var ord int
		for i := range skip {
			skip[i] = discard{}
		}
		skip[0] = &ord
		for rows.Next() {
			// The row's place first, then the row into its lookup's dest:
			// a row can be scanned more than once.
			if err := rows.Scan(skip...); err != nil {
				return err
			}
			j := jobs[ord-1]
			j.err = rows.Scan(append([]any{&ord}, j.dest...)...)
		}
		return rows.Err()
	}()
	if err != nil {
		for _, j := range jobs {
			j.err = err
		}
	}
}

// discard is a column scanned for nothing, without a conversion.
type discard struct{}

func (discard) Scan(any) error { return nil }
