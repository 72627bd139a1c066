package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/batonhq/baton/internal/store"
)

// checkpointInterval is how often the checkpointer copies what the WAL
// holds back into the database, when anything was committed since.
//
// Measured (the table bench, SQLite): once a second, the copy of a
// second's writes at once held turns at 300/s to a p99 of 34-77 ms (11-28
// ms before); every 250 ms or 100 ms it did not (12-23 ms), and a drain
// still gained most of what a second gave.
//
// The tail that was left came from the checkpoint's fsyncs: while one
// runs, the writer's own writes to the WAL wait in the kernel (perf trace:
// a 24-byte pwrite of a frame header took 4 ms beside a 13 ms fsync), and
// the more a checkpoint copies, the longer its fsyncs. On a disk whose
// flush takes 4 ms (session 17's machine; docs/performance.md), with
// `baton serve` side by side in five tables, the p99 at 300 turns/s was
// 23.8-32.4 ms every 50 ms against 35.0-47.1 ms every 250 ms (30.4 ms
// every 100 ms, in one), with the same turns a second. A drain lost 3-7 %:
// its commits change the same pages again and again, and each is copied
// more often. The latency people wait on is worth more. Checkpointing less
// often while the writer was busy did no better on either (measured).
//
// A server that writes a little now and then syncs a checkpoint at most
// this often, not once 1,000 pages were written; and the checkpoint's
// first fsync puts the commits before it on the disk, safe from a power
// loss, within about this long.
const checkpointInterval = 50 * time.Millisecond

// fallbackCheckpoint is the WAL's size, in pages, at which a commit
// checkpoints by itself, as SQLite does at 1,000 pages by default: only
// when the checkpointer falls behind.
const fallbackCheckpoint = 16000

// checkpointer copies the WAL back into the database from a connection of
// its own, once a checkpointInterval. A commit that checkpointed itself
// (SQLite's default) made the one writer, and every write waiting for it,
// wait for the copy and its fsyncs; done here, writes go on meanwhile, and
// a page the commits of the interval changed many times is copied once
// (measured: a drain of 10,000 deliveries faster by a quarter or more).
type checkpointer struct {
	db   *sql.DB
	st   *store.Store
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// startCheckpointer starts the checkpointer of the store's database at
// path; Stop ends it.
func startCheckpointer(path string, st *store.Store) (*checkpointer, error) {
	db, err := open(path, 1, false)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{db: db, st: st, stop: stop}
	c.wg.Go(func() { c.run(ctx) })
	return c, nil
}

func (c *checkpointer) run(ctx context.Context) {
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	var done int64 // the write transactions whose commits are all copied
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Counted once ended: a transaction still running when the count
		// is read is not taken for copied when its commit comes after the
		// checkpoint (a tick during a long commit left it in the WAL,
		// unsynced, until the next write: TestCheckpointInBackground).
		n := c.st.WritesEnded()
		if n == done {
			continue
		}
		// PASSIVE: copy what no reader still needs, waiting for no one. A
		// checkpoint that fails (the disk), or copies only part of the WAL
		// (a reader still needs the rest), is tried again at the next
		// tick; the writes that fail with it say so to their callers.
		var busy, frames, copied int
		err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
		if err == nil && busy == 0 && copied == frames {
			done = n
		}
	}
}

// Stop ends the checkpointer and closes its connection.
func (c *checkpointer) Stop() error {
	c.stop()
	c.wg.Wait()
	return c.db.Close()
}
