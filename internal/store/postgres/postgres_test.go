package postgres_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/postgres"
	"github.com/batonhq/baton/internal/store/storetest"
)

func skipWithoutDatabase(t *testing.T) {
	t.Helper()
	if os.Getenv(storetest.PostgresURLVariable) == "" {
		t.Skip(storetest.PostgresURLVariable + " is not set")
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	skipWithoutDatabase(t)
	storetest.Run(t, func(t *testing.T) *store.Store { return storetest.OpenPostgres(t) })
}

// TestReopen opens a database a second time: nothing is migrated twice and
// the data is still there.
func TestReopen(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	storetest.Reopen(t, func(ctx context.Context) (*store.Store, error) { return postgres.Open(ctx, url) })
}

// TestMigrateConcurrently migrates one new database from several processes'
// connections at once, as a scaled-out deployment starting does: none may
// fail on another's migration, and the schema is migrated once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	const processes = 4
	dbs := make([]*sql.DB, processes)
	for i := range dbs {
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.PingContext(t.Context()); err != nil {
			t.Fatal(err)
		}
		dbs[i] = db
	}
	errs := make([]error, processes)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			errs[i] = postgres.Migrate(t.Context(), db)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	var applied int
	if err := dbs[0].QueryRowContext(t.Context(), `SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(entries) {
		t.Errorf("%d migrations recorded, want %d", applied, len(entries))
	}
}

// TestMigrateDown takes every migration down and up again.
func TestMigrateDown(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	tables := func() []string {
		t.Helper()
		rows, err := s.DB().QueryContext(t.Context(), `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_name <> 'goose_db_version' ORDER BY table_name`)
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
	if len(before) == 0 {
		t.Fatal("no tables in the test schema")
	}
	storetest.MigrateDownUp(t, s, goose.DialectPostgres, os.DirFS("migrations"), func() {
		if left := tables(); len(left) != 0 {
			t.Errorf("tables left after migrating down: %v", left)
		}
	})
	if after := tables(); !slices.Equal(before, after) {
		t.Errorf("tables after down and up:\n got %v\nwant %v", after, before)
	}
}

// TestAnalyzeAfterMigrations: migrations end with ANALYZE, so the planner
// has statistics for the message path's lookups from the first request.
func TestAnalyzeAfterMigrations(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	var missing []string
	rows, err := s.DB().QueryContext(t.Context(), `SELECT relname FROM pg_stat_user_tables
		WHERE schemaname = current_schema() AND last_analyze IS NULL AND last_autoanalyze IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		missing = append(missing, name)
	}
	if len(missing) > 0 {
		t.Errorf("tables never analyzed after migrations: %v", missing)
	}
}
