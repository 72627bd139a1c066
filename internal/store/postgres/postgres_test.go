package postgres_test

import (
	"context"
	"database/sql"
	"net/url"
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

// TestStatisticsAfterMigrations: migrations end with ANALYZE of the tables
// that hold rows, so the planner has statistics for the message path's
// lookups from the first request; an empty table is not analyzed, so it is
// never planned as one that stays empty.
func TestStatisticsAfterMigrations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// A new schema: one from the tests' pool was migrated by an earlier test.
	s, err := postgres.Open(ctx, storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// analyzed maps each table to whether it has statistics, and, if so,
	// the rows they count.
	analyzed := func() map[string]float64 {
		rows, err := s.DB().QueryContext(ctx, `SELECT c.relname, c.reltuples FROM pg_class c
			WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.reltuples >= 0`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]float64{}
		for rows.Next() {
			var name string
			var n float64
			if err := rows.Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			out[name] = n
		}
		return out
	}
	for name, n := range analyzed() {
		if n == 0 {
			t.Errorf("table %s analyzed while empty: PostgreSQL plans it as empty", name)
		}
	}
	if _, ok := analyzed()["goose_db_version"]; !ok {
		t.Error("goose_db_version holds rows after migrations but has no statistics")
	}

	// Migrations applied to tables that hold data analyze them.
	p, err := goose.NewProvider(goose.DialectPostgres, s.DB(), postgres.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, v-1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO accounts (name, created_at, updated_at) VALUES ('Acme', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(ctx, s.DB()); err != nil {
		t.Fatal(err)
	}
	after := analyzed()
	if after["accounts"] < 1 {
		t.Errorf("accounts after migrations with a row in it: statistics %v (analyzed: %v), want 1 row", after["accounts"], after)
	}
	if _, ok := after["messages"]; ok {
		t.Error("messages, empty, was analyzed")
	}
}

// TestListsOfIDsAreOneStatement: a read by a list of ids is one statement
// text whatever the list's length, so that PostgreSQL parses and plans it
// once a connection, not once a length (the live channel's reads of the log
// asked for a varying count of ids at each wake-up).
func TestListsOfIDsAreOneStatement(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := storetest.OpenPostgres(t)
	s.DB().SetMaxOpenConns(1) // one connection: its prepared statements are the ones counted
	q := s.Read()
	for n := 1; n <= 5; n++ {
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = int64(i + 1)
		}
		if _, err := q.LiveEventsSince(ctx, 100, ids, 10); err != nil {
			t.Fatal(err)
		}
		if _, err := q.LiveEventsByID(ctx, ids); err != nil {
			t.Fatal(err)
		}
	}
	// The reads' texts, which begin with the live event's columns: on a
	// schema just migrated, the connection also holds the migrations'
	// statements, one of which looks into live_events for rows.
	var prepared int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_prepared_statements
		WHERE statement LIKE 'SELECT id, account_id, conversation_id, message_id, %'`).Scan(&prepared); err != nil {
		t.Fatal(err)
	}
	if prepared != 2 {
		t.Errorf("%d statements prepared for two reads by lists of 1 to 5 ids, want 2", prepared)
	}
}

// TestQuietMessagesAcrossProcesses writes quiet messages into the same
// conversations from two stores on one schema, as two processes do.
func TestQuietMessagesAcrossProcesses(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	open := func() *store.Store {
		s, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		s.LimitConnections(4)
		t.Cleanup(func() { s.Close() })
		return s
	}
	storetest.QuietMessagesAcrossStores(t, open(), open())
}

// TestQuietMessageSkipsLocked: a quiet message's statement never waits for
// a conversation another transaction holds.
func TestQuietMessageSkipsLocked(t *testing.T) {
	t.Parallel()
	storetest.QuietMessageSkipsLocked(t, storetest.OpenPostgres(t))
}

// TestOptimisticWritesTogether writes messages into many conversations at
// once, and into one from many callers, without transactions.
func TestOptimisticWritesTogether(t *testing.T) {
	t.Parallel()
	storetest.OptimisticWritesTogether(t, storetest.OpenPostgres(t))
}

// TestOptimisticWriteSkipsLocked: an optimistic write's statement never
// waits for a conversation another transaction holds.
func TestOptimisticWriteSkipsLocked(t *testing.T) {
	t.Parallel()
	storetest.OptimisticWriteSkipsLocked(t, storetest.OpenPostgres(t))
}

// TestOptimisticWriteFailsAlone: a message that breaks the statement it is
// written in with others fails alone.
func TestOptimisticWriteFailsAlone(t *testing.T) {
	t.Parallel()
	storetest.OptimisticWriteFailsAlone(t, storetest.OpenPostgres(t))
}

// TestOptimisticLookupPlannedOnce: the lookups read together keep one plan.
func TestOptimisticLookupPlannedOnce(t *testing.T) {
	t.Parallel()
	storetest.OptimisticLookupPlannedOnce(t, storetest.OpenPostgres(t))
}

// TestPlanCacheMode: Baton's connections keep one plan a statement unless
// the URL says otherwise.
func TestPlanCacheMode(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	for _, c := range []struct{ url, want string }{
		{url, "force_generic_plan"},
		{url + "&plan_cache_mode=auto", "auto"},
	} {
		s, err := postgres.Open(t.Context(), c.url)
		if err != nil {
			t.Fatal(err)
		}
		var mode string
		err = s.DB().QueryRowContext(t.Context(), `SHOW plan_cache_mode`).Scan(&mode)
		s.Close()
		if err != nil || mode != c.want {
			t.Errorf("plan_cache_mode %q (%v), want %q", mode, err, c.want)
		}
	}
}

// TestMayVacuumLanes: the role that migrated the schema (its owner) may
// vacuum the lanes; a role that only reads and writes them may not, and
// its VACUUM is no error (PostgreSQL skips the table with a warning), so
// the engine leaves them to autovacuum rather than fill the server's log.
func TestMayVacuumLanes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := storetest.PostgresURL(t)
	owner, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if may, err := owner.MayVacuumLanes(ctx); err != nil || !may {
		t.Fatalf("the schema's owner may vacuum the lanes: %v, %v; want true", may, err)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	schema := parsed.Query().Get("search_path")
	const role = "baton_test_not_owner"
	if _, err := owner.DB().ExecContext(ctx, `DO $$ BEGIN
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+role+`') THEN CREATE ROLE `+role+` NOLOGIN; END IF;
		END $$`); err != nil {
		t.Skipf("cannot make a role here: %v", err)
	}
	for _, grant := range []string{`GRANT USAGE ON SCHEMA ` + schema + ` TO ` + role,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ` + schema + ` TO ` + role} { // dropped with the schema
		if _, err := owner.DB().ExecContext(ctx, grant); err != nil {
			t.Fatal(err)
		}
	}
	q := parsed.Query()
	q.Set("role", role)
	parsed.RawQuery = q.Encode()
	other, err := postgres.Connect(ctx, parsed.String())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if may, err := other.MayVacuumLanes(ctx); err != nil || may {
		t.Fatalf("a role that does not own the lanes may vacuum them: %v, %v; want false", may, err)
	}
	if err := other.VacuumLanes(ctx); err != nil {
		t.Fatalf("a VACUUM by a role that does not own the lanes: %v, want PostgreSQL's warning only", err)
	}
}

// TestReportBackfill: the migration of reporting events records the first
// responses made before it.
func TestReportBackfill(t *testing.T) {
	t.Parallel()
	storetest.ReportBackfill(t, storetest.OpenPostgres(t), goose.DialectPostgres, os.DirFS("migrations"))
}

// TestReportHistory: the migration of business hours records the
// resolutions and reopenings made before reporting events were kept.
func TestReportHistory(t *testing.T) {
	t.Parallel()
	storetest.ReportHistory(t, storetest.OpenPostgres(t), goose.DialectPostgres, os.DirFS("migrations"))
}
