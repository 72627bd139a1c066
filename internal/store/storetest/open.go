// Package storetest opens fresh stores for tests, on SQLite always and on
// PostgreSQL when BATON_TEST_POSTGRES_URL is set, and holds the conformance
// suite that both databases must pass.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for creating schemas

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/postgres"
	"github.com/batonhq/baton/internal/store/sqlite"
)

// PostgresURLVariable names the variable that turns the PostgreSQL tests on.
const PostgresURLVariable = "BATON_TEST_POSTGRES_URL"

// OpenSQLite returns a migrated store on a new SQLite file in a temporary
// directory, closed when the test ends.
func OpenSQLite(t testing.TB) *store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "baton.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// PostgresURL returns a URL for a new, empty schema of the test database,
// dropped when the test ends, for tests that migrate it themselves (several
// processes on one schema, migrations); the test is skipped when no test
// database is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresURLVariable)
	if base == "" {
		t.Skip(PostgresURLVariable + " is not set")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "baton_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return searchPath(t, base, schema)
}

// searchPath is the test database's URL with the schema as search path.
func searchPath(t testing.TB, base, schema string) string {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresURLVariable, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres returns a migrated store on a schema of the test database
// that no other test uses while this one runs, empty as if just migrated,
// or skips the test when there is no test database. The schema comes from
// the pool (see pool.go).
func OpenPostgres(t testing.TB) *store.Store {
	t.Helper()
	base := os.Getenv(PostgresURLVariable)
	if base == "" {
		t.Skip(PostgresURLVariable + " is not set")
	}
	schema, err := claimSchema(base)
	if err != nil {
		t.Fatalf("postgres test schema: %v", err)
	}
	t.Cleanup(func() { releaseSchema(schema) }) // after the store closes
	s, err := postgres.Open(context.Background(), searchPath(t, base, schema))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	// Tests run in parallel, many to a package and two packages at once,
	// on one server of 100 connections: each keeps to a few.
	s.LimitConnections(4)
	t.Cleanup(func() { s.Close() })
	return s
}

// Role is the PostgreSQL role a store from OpenPostgresRole connects as,
// which a test cuts off the database, to see what Baton does while its
// database is out of reach.
type Role struct {
	admin *sql.DB // the test database as its own user, who made the role
	name  string
}

// OpenPostgresRole is OpenPostgres, connected as a role of its own, made
// for the test and dropped when it ends, which may use the schema's tables
// and do nothing else (it owns none: Baton leaves the lanes to
// autovacuum).
func OpenPostgresRole(t testing.TB) (*store.Store, *Role) {
	t.Helper()
	base := os.Getenv(PostgresURLVariable)
	if base == "" {
		t.Skip(PostgresURLVariable + " is not set")
	}
	schema, err := claimSchema(base)
	if err != nil {
		t.Fatalf("postgres test schema: %v", err)
	}
	t.Cleanup(func() { releaseSchema(schema) })
	u := searchPath(t, base, schema)
	admin, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx := context.Background()
	if err := postgres.Migrate(ctx, admin); err != nil { // a new schema of the pool
		t.Fatalf("migrate postgres: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	r := &Role{admin: admin, name: "baton_test_role_" + hex.EncodeToString(b[:])}
	if _, err := admin.Exec(`CREATE ROLE ` + r.name + ` LOGIN PASSWORD 'baton'`); err != nil {
		t.Fatalf("create a role: %v", err)
	}
	t.Cleanup(func() {
		// The grants go with DROP OWNED; the role owns nothing else.
		if _, err := admin.Exec(`DROP OWNED BY ` + r.name + `; DROP ROLE ` + r.name); err != nil {
			t.Logf("drop role %s: %v", r.name, err)
		}
	})
	_, err = admin.Exec(`GRANT USAGE ON SCHEMA ` + schema + ` TO ` + r.name + `;
		GRANT ALL ON ALL TABLES IN SCHEMA ` + schema + ` TO ` + r.name + `;
		GRANT ALL ON ALL SEQUENCES IN SCHEMA ` + schema + ` TO ` + r.name)
	if err != nil {
		t.Fatalf("grant the schema to the role: %v", err)
	}
	as, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	as.User = url.UserPassword(r.name, "baton")
	s, err := postgres.Open(ctx, as.String())
	if err != nil {
		t.Fatalf("open postgres as %s: %v", r.name, err)
	}
	s.LimitConnections(4)
	t.Cleanup(func() { s.Close() })
	return s, r
}

// Cut cuts the role off the database: its sessions end, and it may open
// no more ("too many connections for role", SQLSTATE 53300), until Restore.
func (r *Role) Cut(t testing.TB) {
	t.Helper()
	_, err := r.admin.Exec(`ALTER ROLE ` + r.name + ` CONNECTION LIMIT 0`)
	if err == nil {
		_, err = r.admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, r.name)
	}
	if err != nil {
		t.Fatalf("cut the role off: %v", err)
	}
}

// Restore lets the role connect again.
func (r *Role) Restore(t testing.TB) {
	t.Helper()
	if _, err := r.admin.Exec(`ALTER ROLE ` + r.name + ` CONNECTION LIMIT -1`); err != nil {
		t.Fatalf("let the role back: %v", err)
	}
}

// Each runs fn once for each database: SQLite always, PostgreSQL when the
// test database is configured. Use it for tests whose behaviour must not
// depend on the database.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, OpenSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, OpenPostgres(t))
	})
}
