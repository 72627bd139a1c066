package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/sqlite"
	"github.com/batonhq/baton/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) *store.Store { return storetest.OpenSQLite(t) })
}

// TestPragmas checks that the settings sqlite.Open promises are in force on
// the writer connection.
func TestPragmas(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	for _, c := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "10000"},
		{"temp_store", "2"}, // MEMORY
		{"query_only", "0"},
	} {
		t.Run(c.pragma, func(t *testing.T) {
			var got string
			if err := s.DB().QueryRowContext(t.Context(), "PRAGMA "+c.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", c.pragma, err)
			}
			if got != c.want {
				t.Errorf("PRAGMA %s = %s, want %s", c.pragma, got, c.want)
			}
		})
	}
}

// TestReaderIsReadOnly checks that queries through Read cannot write: writes
// belong to the one writer connection.
func TestReaderIsReadOnly(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	now := time.Now()
	err := s.Read().CreateAccount(t.Context(), &baton.Account{Name: "x", CreatedAt: now, UpdatedAt: now})
	if err == nil {
		t.Fatal("CreateAccount through the reader succeeded")
	}
	if _, err := s.Read().FindAccount(t.Context(), 1); !errors.Is(err, baton.ErrNotFound) {
		t.Errorf("the reader wrote an account: FindAccount gives %v", err)
	}
}

// TestBackgroundLooksAreRanges checks that the engine's look for stranded
// customers (once a second) and the delivery log's pruning (every few
// minutes) read the rows they may act on, through an index, not every
// pending delivery, every succeeded one or every event: SQLite's planner
// preferred deliveries_pending (status, id) to the indexes they had.
func TestBackgroundLooksAreRanges(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	for _, c := range []struct{ name, query, want string }{
		{"stranded customers", `SELECT d.id FROM deliveries d WHERE d.handoff AND d.status = 0
			AND d.created_at <= 1000 - (SELECT 5) ORDER BY d.created_at, d.id LIMIT 100`,
			"deliveries_handoff (status=? AND created_at<?)"},
		{"old succeeded deliveries", `SELECT id FROM deliveries WHERE status = 1 AND next_attempt_at < 5
			AND updated_at < 5 ORDER BY id LIMIT 500`, "deliveries_succeeded (status=? AND next_attempt_at<?)"},
		{"old events", `SELECT e.id FROM events e WHERE e.id < COALESCE((SELECT y.id FROM events y
			WHERE y.created_at >= 5 ORDER BY y.id LIMIT 1), 9223372036854775807) AND e.created_at < 5
			ORDER BY e.id LIMIT 500`, "SEARCH e USING INTEGER PRIMARY KEY (rowid<?)"},
	} {
		rows, err := s.DB().QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+c.query)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if !slices.ContainsFunc(plan, func(d string) bool { return strings.Contains(d, c.want) }) {
			t.Errorf("%s: plan %q, want %s", c.name, plan, c.want)
		}
	}
}

// TestCheckpointInBackground checks that what is committed reaches the
// database file, out of the WAL, without a commit checkpointing: the
// checkpointer does it within a few seconds. The transaction lasts several
// of the checkpointer's ticks, and nothing is written after it: a
// checkpoint made while it ran must not count its commit as copied.
func TestCheckpointInBackground(t *testing.T) {
	const checkpointTick = 50 * time.Millisecond // checkpointInterval
	t.Parallel()
	f := openCheckpointed(t)
	f.commit(4 * checkpointTick)
	f.waitCopied("10 s after a commit of 500 kB")
}

// TestCheckpointAfterReader checks that a commit a reader's older snapshot
// kept in the WAL is copied once the reader is done, with nothing written
// since: a checkpoint that copied only part of the WAL is made again.
func TestCheckpointAfterReader(t *testing.T) {
	t.Parallel()
	f := openCheckpointed(t)
	// A reader of its own, whose transaction holds a snapshot from before
	// the commit.
	tx, err := f.conn().BeginTx(t.Context(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	f.commit(0)
	time.Sleep(500 * time.Millisecond) // checkpoints made meanwhile copy nothing the reader needs
	if got := f.size(); got >= f.before+copiedAtLeast {
		t.Fatalf("the database file grew to %d bytes while a reader held a snapshot from before the commit", got)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	f.waitCopied("10 s after the reader ended")
}

// copiedAtLeast is how much a commit of 500 kB grows the database file by
// once it is copied out of the WAL.
const copiedAtLeast = 400_000

// checkpointed is a store on a database file whose migrations are copied
// out of the WAL already (before is the file's size then), so that only
// what a test commits afterwards can grow the file.
type checkpointed struct {
	t      *testing.T
	path   string
	s      *store.Store
	before int64
}

func openCheckpointed(t *testing.T) *checkpointed {
	f := &checkpointed{t: t, path: filepath.Join(t.TempDir(), "baton.db")}
	s, err := sqlite.Open(t.Context(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.s = s
	// The store's checkpointer may hold the checkpoint meanwhile.
	db := f.conn()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var busy, frames, copied int
		if err := db.QueryRowContext(t.Context(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
			t.Fatal(err)
		}
		if busy == 0 && copied == frames {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint of the migrations: busy %d, %d of %d frames copied", busy, copied, frames)
		}
	}
	f.before = f.size()
	return f
}

// conn opens a connection of the test's own to the database.
func (f *checkpointed) conn() *sql.DB {
	db, err := sql.Open("sqlite", "file:"+f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	return db
}

func (f *checkpointed) size() int64 {
	fi, err := os.Stat(f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	return fi.Size()
}

// commit commits 500 kB, holding the transaction open for hold first.
func (f *checkpointed) commit(hold time.Duration) {
	err := f.s.Write(f.t.Context(), func(q *store.Queries) error {
		err := q.CreateAccount(f.t.Context(), &baton.Account{Name: strings.Repeat("x", 500_000), CreatedAt: time.Now(),
			UpdatedAt: time.Now()})
		time.Sleep(hold)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// waitCopied waits up to 10 s for the commit to be copied into the file.
func (f *checkpointed) waitCopied(when string) {
	f.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); f.size() < f.before+copiedAtLeast; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			f.t.Fatalf("the database file is %d bytes %s, %d before the commit: not checkpointed", f.size(), when, f.before)
		}
	}
}

// TestReopen opens a database a second time: nothing is migrated twice and
// the data is still there.
func TestReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "baton.db")
	storetest.Reopen(t, func(ctx context.Context) (*store.Store, error) { return sqlite.Open(ctx, path) })
}

// TestMigrationsMatch checks that both dialects have the same migrations, by
// number and name, each with an Up and a Down section.
func TestMigrationsMatch(t *testing.T) {
	t.Parallel()
	names := func(dir string) []string {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
				continue
			}
			out = append(out, e.Name())
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, mark := range []string{"-- +goose Up", "-- +goose Down"} {
				if !strings.Contains(string(b), mark) {
					t.Errorf("%s/%s has no %q", dir, e.Name(), mark)
				}
			}
		}
		return out
	}
	lite, pg := names("migrations"), names(filepath.Join("..", "postgres", "migrations"))
	if len(lite) == 0 {
		t.Fatal("no SQLite migrations")
	}
	if !slices.Equal(lite, pg) {
		t.Errorf("migrations differ:\n sqlite   %v\n postgres %v", lite, pg)
	}
}

// TestMigrateDown takes every migration down and up again.
func TestMigrateDown(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := storetest.OpenSQLite(t)
	tables := func() []string {
		t.Helper()
		rows, err := s.DB().QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
			AND name NOT IN ('goose_db_version', 'sqlite_sequence') ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			out = append(out, name)
		}
		return out
	}
	before := tables()
	storetest.MigrateDownUp(t, s, goose.DialectSQLite3, os.DirFS("migrations"), func() {
		if left := tables(); len(left) != 0 {
			t.Errorf("tables left after migrating down: %v", left)
		}
	})
	if after := tables(); !slices.Equal(before, after) {
		t.Errorf("tables after down and up:\n got %v\nwant %v", after, before)
	}
}

// TestOpenPath opens databases in directories whose names mean something in
// a URI: each database must be the file at the path given.
func TestOpenPath(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a b", "100%", "q?x=1", "h#x", "p%20q", "é"} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.Mkdir(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "baton.db")
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Errorf("open in %q: %v", name, err)
			continue
		}
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("open in %q made no database there: %v", name, err)
		}
	}
}

// TestReportBackfill: the migration of reporting events records the first
// responses made before it.
func TestReportBackfill(t *testing.T) {
	t.Parallel()
	storetest.ReportBackfill(t, storetest.OpenSQLite(t), goose.DialectSQLite3, os.DirFS("migrations"))
}

// TestReportHistory: the migration of business hours records the
// resolutions and reopenings made before reporting events were kept.
func TestReportHistory(t *testing.T) {
	t.Parallel()
	storetest.ReportHistory(t, storetest.OpenSQLite(t), goose.DialectSQLite3, os.DirFS("migrations"))
}

// TestOrphanTokensMigration: migration 00041 deletes the tokens whose
// owner is gone (a deleted user's live token, kept before deleting a user
// deleted it) and keeps every other.
func TestOrphanTokensMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "baton.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 40); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO users (name, email, created_at, updated_at) VALUES ('Ann', 'ann@acme.test', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	for i, owner := range []struct {
		typ string
		id  int
	}{{"User", 1}, {"UserPubsub", 1}, {"UserPubsub", 99}, {"User", 98}, {"AgentBot", 97}, {"PlatformApp", 96}} {
		if _, err := db.ExecContext(ctx, `INSERT INTO access_tokens (owner_type, owner_id, token_hash, token_enc, created_at, updated_at)
			VALUES ($1, $2, $3, x'00', 0, 0)`, owner.typ, owner.id, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.UpTo(ctx, 41); err != nil {
		t.Fatal(err)
	}
	var left []string
	rows, err := db.QueryContext(ctx, `SELECT owner_type || ' ' || owner_id FROM access_tokens ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		left = append(left, s)
	}
	if !slices.Equal(left, []string{"User 1", "UserPubsub 1"}) {
		t.Errorf("tokens left: %v, want Ann's two", left)
	}
}
