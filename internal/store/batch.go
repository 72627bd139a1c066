package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
)

// Group commit. SQLite has one writer, and on the message hot path its
// commit (every changed page written to the WAL) cost as much as the
// statements before it. So on SQLite, Write calls that arrive while another
// runs are queued, and the next caller to take the writer runs all queued
// calls one after another in a single transaction, each in its own
// savepoint, and commits once.
//
// Every call keeps its transaction's meaning: its changes are kept only if
// its function returned nil (a failing function rolls back to its
// savepoint, leaving the others' changes alone) and the one commit
// succeeded; a call returns only after that commit, with the commit's error
// if it failed. Calls run in the order they arrived, so a call sees the
// changes of the calls before it, as it would have after their commits.

// maxBatch bounds how many calls one transaction runs, and so the wait of
// the last of them.
const maxBatch = 64

// queue holds the calls waiting for a caller to run them with others
// (batch, quietBatch).
type queue[J comparable] struct {
	mu      sync.Mutex
	pending []J
}

// push adds j at the end of the queue.
func (q *queue[J]) push(j J) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, j)
}

// remove takes j off the queue and reports whether it was still there.
func (q *queue[J]) remove(j J) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := slices.Index(q.pending, j)
	if i < 0 {
		return false
	}
	q.pending = slices.Delete(q.pending, i, i+1)
	return true
}

// together is the queue of calls whose writes are made together, one
// statement for several (quietBatch, optimisticBatch). A caller that finds
// one of its slots free writes the oldest waiting calls, its own or
// others', and those that come meanwhile wait for the next statement; so
// under no load a call goes alone at once, and under load statements grow.
type together[J comparable] struct {
	slots chan struct{}
	queue[J]
}

func newTogether[J comparable](statements int) together[J] {
	return together[J]{slots: make(chan struct{}, statements)}
}

// wait queues j and returns once done is closed, j written by this caller
// (take, then write) or another; or the context's error when it ended
// before j was taken, which is then not written.
func (b *together[J]) wait(ctx context.Context, j J, done <-chan struct{}, take func() []J, write func([]J)) error {
	b.push(j)
	for {
		select {
		case <-done:
			return nil
		default:
		}
		select {
		case <-done:
			return nil
		case b.slots <- struct{}{}:
			n := func() int {
				defer func() { <-b.slots }() // even if the statement panics
				jobs := take()
				if len(jobs) > 0 {
					write(jobs)
				}
				return len(jobs)
			}()
			if n == 0 {
				// None waits, so this one is being written.
				<-done
				return nil
			}
		case <-ctx.Done():
			if b.remove(j) {
				return ctx.Err()
			}
			<-done // it is being written: its outcome is the caller's
			return nil
		}
	}
}

// call is a caller waiting in a together queue: its context, and done,
// closed once its outcome is set.
type call struct {
	ctx  context.Context
	done chan struct{}
}

func newCall(ctx context.Context) call { return call{ctx: ctx, done: make(chan struct{})} }

func (c *call) finished() { close(c.done) }

// finish tells the callers of jobs that their outcomes are set: deferred
// by the function that writes them, so that it happens even if it panics.
func finish[J interface{ finished() }](jobs []J) {
	for _, j := range jobs {
		j.finished()
	}
}

// takeDistinct removes up to n calls from q, the oldest first, no two with
// one key and each one that fits with the first; the calls it leaves keep
// their place.
func takeDistinct[J, K comparable](q *queue[J], n int, key func(J) K, fits func(first, j J) bool) []J {
	q.mu.Lock()
	defer q.mu.Unlock()
	var jobs, rest []J
	seen := map[K]bool{}
	for _, j := range q.pending {
		k := key(j)
		if len(jobs) == n || seen[k] || len(jobs) > 0 && !fits(jobs[0], j) {
			rest = append(rest, j)
			continue
		}
		seen[k] = true
		jobs = append(jobs, j)
	}
	q.pending = rest
	return jobs
}

// batch is the queue of write calls waiting for the writer.
type batch struct {
	lead chan struct{} // held by the caller running a transaction
	queue[*job]
	// conn is the writer connection the transactions run on, kept from
	// one to the next with the statements prepared on it (see connTx);
	// nil before the first and after it failed. Only the lead uses it.
	conn *connTx
}

func newBatch() *batch { return &batch{lead: make(chan struct{}, 1)} }

// close closes the kept connection, once no transaction runs.
func (b *batch) close() {
	b.lead <- struct{}{}
	defer func() { <-b.lead }()
	if b.conn != nil {
		b.conn.close()
		b.conn = nil
	}
}

// job is one Write call.
type job struct {
	fn     func(q *Queries) error
	q      *Queries
	err    error
	panic  any // of fn, raised again in the caller
	failed bool
	done   chan struct{}
}

// take removes up to maxBatch calls from the queue, the oldest first.
func (b *batch) take() []*job {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(len(b.pending), maxBatch)
	jobs := b.pending[:n:n]
	b.pending = b.pending[n:]
	return jobs
}

// writeBatched queues fn and waits until a transaction that ran it has
// ended, running that transaction itself when the writer is free.
func (s *Store) writeBatched(ctx context.Context, fn func(q *Queries) error) error {
	b := s.batch
	j := &job{fn: fn, done: make(chan struct{})}
	b.push(j)
	for {
		select {
		case <-j.done:
			return j.result()
		case b.lead <- struct{}{}:
			func() {
				defer func() { <-b.lead }()
				s.runBatch(b.take())
			}()
		case <-ctx.Done():
			if b.remove(j) {
				return fmt.Errorf("begin: %w", ctx.Err())
			}
			<-j.done // it runs already: its outcome is the caller's
			return j.result()
		}
	}
}

// result is the call's outcome, in the caller's goroutine: a panic of fn
// is raised again, and after a commit the AfterCommit functions run.
func (j *job) result() error {
	if j.panic != nil {
		panic(j.panic)
	}
	if j.err == nil {
		for _, f := range *j.q.afterCommit {
			f()
		}
	}
	return j.err
}

// run calls the job's function, catching a panic so that it cannot stop
// the transaction of other callers half-way.
func (j *job) run() {
	defer func() {
		if v := recover(); v != nil {
			j.panic, j.failed = v, true
		}
	}()
	j.err = withLast(j.q, j.fn)
	j.failed = j.err != nil
}

// runBatch runs jobs in one transaction, each in a savepoint when there
// are several, and commits.
func (s *Store) runBatch(jobs []*job) {
	if len(jobs) == 0 {
		return
	}
	defer func() {
		for _, j := range jobs {
			close(j.done)
		}
	}()
	// fail gives err to the jobs that would otherwise look committed.
	fail := func(err error) {
		for _, j := range jobs {
			if !j.failed {
				j.err, j.failed = err, true
			}
		}
	}
	ctx := context.Background() // no one caller's context ends the others' transaction
	s.transactions.Add(1)
	defer s.writesEnded.Add(1)
	if s.batch.conn == nil {
		conn, err := s.writer.Conn(ctx)
		if err != nil {
			fail(fmt.Errorf("begin: %w", err))
			return
		}
		s.batch.conn = newConnTx(conn)
	}
	t := s.batch.conn
	// end ends the transaction, or gives up the connection when even that
	// fails: the next transaction then starts on a new one.
	end := func(query string) error {
		_, err := t.exec(ctx, query)
		if err == nil {
			return nil
		}
		if query == `ROLLBACK` {
			t.close()
			s.batch.conn = nil
		} else if _, rerr := t.exec(ctx, `ROLLBACK`); rerr != nil {
			t.close()
			s.batch.conn = nil
		}
		return err
	}
	if _, err := t.exec(ctx, `BEGIN IMMEDIATE`); err != nil {
		fail(fmt.Errorf("begin: %w", err))
		t.close()
		s.batch.conn = nil
		return
	}
	savepoints := len(jobs) > 1
	for _, j := range jobs {
		j.q = &Queries{db: t, d: s.dialect, afterCommit: &[]func(){}}
		if savepoints {
			if _, err := t.exec(ctx, `SAVEPOINT write`); err != nil {
				_ = end(`ROLLBACK`)
				fail(fmt.Errorf("savepoint: %w", err))
				return
			}
		}
		j.run()
		if !savepoints {
			break
		}
		if j.failed {
			// Some errors (a full disk, an I/O error) end the whole
			// transaction in SQLite; then this rollback fails too.
			if _, err := t.exec(ctx, `ROLLBACK TO write`); err != nil {
				_ = end(`ROLLBACK`)
				fail(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := t.exec(ctx, `RELEASE write`); err != nil {
			_ = end(`ROLLBACK`)
			fail(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if !savepoints && jobs[0].failed {
		_ = end(`ROLLBACK`)
		return
	}
	if err := end(`COMMIT`); err != nil {
		fail(fmt.Errorf("commit: %w", err))
	}
}

// connTx runs a transaction's queries on the writer connection the group
// commit keeps, with the statements prepared on it. On a connection, not in
// a database/sql transaction: that one's context can always end, and
// database/sql then starts a goroutine to watch every query made in it
// (measured: more than a tenth of a small query's cost). With the
// caller's context detached, as its queries' are (one caller's context
// must not end a transaction others share), no query starts one.
type connTx struct {
	pool
	conn *sql.Conn
}

func newConnTx(c *sql.Conn) *connTx {
	return &connTx{pool: pool{db: c, stmts: newStatements(c), detach: true}, conn: c}
}

// exec runs a statement of the group commit's own (BEGIN, COMMIT,
// savepoints), not counted as the callers' (CountStatements).
func (c *connTx) exec(ctx context.Context, query string) (sql.Result, error) {
	if st := c.stmts.prepare(ctx, query); st != nil {
		return st.ExecContext(ctx)
	}
	return c.conn.ExecContext(ctx, query)
}

// close closes the statements and gives the connection back to the pool.
func (c *connTx) close() {
	c.stmts.close()
	c.conn.Close()
}
