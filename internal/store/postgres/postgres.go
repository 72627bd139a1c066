// Package postgres opens Baton's store on PostgreSQL, for installations that
// run several Baton processes on one database.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/batonhq/baton/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DefaultMaxConns is how many connections to PostgreSQL a process keeps at
// most unless told otherwise.
const DefaultMaxConns = 32

// Open connects to the database at url (postgres:// or postgresql://) and
// applies pending migrations.
func Open(ctx context.Context, url string) (*store.Store, error) {
	st, err := Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, st.DB()); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// Connect connects to the database at url, as Open does, without looking
// at its migrations: for a second pool of connections to a database that
// Open has migrated.
func Connect(ctx context.Context, url string) (*store.Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// Each connection plans a statement once and keeps the plan, unless the
	// URL says otherwise. By default PostgreSQL plans a statement for its
	// arguments the first five times it runs on a connection, and only then
	// weighs one plan for all: for the message path's wide statements
	// (2-15 ms a plan) on each of a pool's connections, that was most of
	// what PostgreSQL did in a process's first seconds under load (at 300
	// bot turns a second, 10-11 ms of its CPU a turn in the first four
	// seconds against 3 ms later). Every statement of the hot path kept the
	// one plan anyway once warm (pg_stat_statements: 31-111 plans for
	// 826-2,136 runs, all of them in the first seconds).
	if _, ok := cfg.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(DefaultMaxConns)
	db.SetMaxIdleConns(DefaultMaxConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return store.New(db, db, dialect{}), nil
}

// Autovacuum reports whether the server runs autovacuum: without it the
// tables every message updates (conversations, deliveries) keep their
// dead rows, and reading them slows down as they grow. Baton vacuums its
// delivery lanes itself (Store.VacuumLanes), not the others.
func Autovacuum(ctx context.Context, s *store.Store) (bool, error) {
	var on bool
	err := s.DB().QueryRowContext(ctx, `SELECT current_setting('autovacuum') = 'on'`).Scan(&on)
	return on, err
}

// Migrations are the schema's migrations, in goose's files: what the
// tests' pool of migrated schemas is keyed by.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded
	}
	return sub
}

// Migrate applies the pending migrations to db. Processes that start at
// once take turns: each migrates holding a session advisory lock, so that
// one applies the migrations and the others find them applied.
func Migrate(ctx context.Context, db *sql.DB) error {
	sub := Migrations()
	// The lock is one per schema: installations in other schemas of the
	// database do not wait for each other.
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("baton migrations " + schema.String))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, 600))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	applied, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(applied) > 0 {
		return analyze(ctx, db)
	}
	return nil
}

// analyze gathers the planner's statistics of the schema's tables that
// hold rows. Without them, after migrations changed tables that hold data,
// PostgreSQL planned the message path's lookups as if the tables were
// empty and walked every contact of an account until autovacuum came by.
//
// An empty table is left alone: its statistics would say "empty", which
// PostgreSQL believes, while a table never analyzed is assumed to hold at
// least ten pages. On a new installation the engine's statements are
// planned once, on tables still empty, and the plan is kept: planned as
// empty, a claim joined the growing deliveries and events by scanning them
// (20 ms a claim, 8,500 buffers, at 200 turns a second) until autovacuum
// analyzed them a minute or more later.
func analyze(ctx context.Context, db *sql.DB) error {
	names, err := queryStrings(ctx, db, `SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()`)
	if err != nil || len(names) == 0 {
		return err
	}
	// Which hold a row, in one query: each probe answers its table's index.
	probes := make([]string, len(names))
	for i, t := range names {
		probes[i] = `SELECT '` + strconv.Itoa(i) + `' WHERE EXISTS (SELECT 1 FROM ` + t + `)`
	}
	held, err := queryStrings(ctx, db, strings.Join(probes, " UNION ALL "))
	if err != nil || len(held) == 0 {
		return err
	}
	full := make([]string, len(held))
	for i, k := range held {
		n, _ := strconv.Atoi(k)
		full[i] = names[n]
	}
	if _, err := db.ExecContext(ctx, `ANALYZE `+strings.Join(full, ", ")); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// queryStrings returns the one text column of query's rows.
func queryStrings(ctx context.Context, db *sql.DB, query string) ([]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	return out, nil
}

type dialect struct{}

func (dialect) Name() string { return "postgres" }

func (dialect) SkipLocked() string { return " FOR UPDATE OF d SKIP LOCKED" }

func (dialect) LockRows(alias string) string { return " FOR UPDATE OF " + alias }

func (dialect) IsUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

func (dialect) IsForeignKeyViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23503"
}

func (dialect) IsRetryable(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && (e.Code == "40P01" || e.Code == "40001")
}

// ownerLocks is the first key of the advisory locks that name delivery
// engines (store.OwnerLocker); the second is the hash of the owner.
const ownerLocks = "1113682031" // "Bato"

func (dialect) LockOwner() string {
	return "SELECT pg_advisory_lock(" + ownerLocks + ", hashtext($1))"
}

// OwnerFree tries the owner's lock for the rest of the transaction: it is
// free when the owner's process died. Two processes taking over at once
// cannot both have it; the second sees the owner alive and leaves the lane
// to the first.
func (dialect) OwnerFree(expr string) string {
	return "pg_try_advisory_xact_lock(" + ownerLocks + ", hashtext(" + expr + "))"
}

// OwnerHeld looks the owner's lock up in pg_locks, without taking it.
func (dialect) OwnerHeld(expr string) string {
	return "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted" +
		" AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())" +
		" AND l.classid = " + ownerLocks + "::oid AND l.objid = hashtext(" + expr + ")::oid AND l.objsubid = 2)"
}

// Pipeline sends ps to PostgreSQL in one round trip, as a batch, which it
// runs as one implicit transaction (see store's pipeliner).
func (dialect) Pipeline(ctx context.Context, db *sql.DB, ps []store.Piped) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		conn := dc.(*stdlib.Conn).Conn()
		b := &pgx.Batch{}
		for _, p := range ps {
			q := b.Queue(p.SQL, p.Args...)
			if p.Read != nil {
				q.Query(func(rows pgx.Rows) error { return p.Read(rows) })
			}
		}
		return conn.SendBatch(ctx, b).Close()
	})
}
