package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/batonhq/baton/internal/store/postgres"
)

// poolTable lists the pool of schemas the PostgreSQL tests take their
// stores from, in the test database, shared by every test process that
// uses it: migrating a new schema took 1.5 to 2.5 s on the test machine,
// emptying a used one takes 20 to 50 ms. Each schema is listed with the
// digest of the migrations it was made by (a branch with other migrations
// has schemas of its own) and whether a test holds it. A schema is emptied
// when it is claimed, so a test that crashed leaves nothing behind but a
// claim, which goes stale.
const poolTable = "public.baton_test_schemas"

var pool struct {
	once   sync.Once
	err    error
	db     *sql.DB // the test database, for the pool's bookkeeping
	digest string  // of the migrations
}

// preparePool opens the bookkeeping connection and makes the pool's table.
func preparePool(base string) error {
	pool.once.Do(func() {
		if pool.digest, pool.err = migrationsDigest(); pool.err != nil {
			return
		}
		if pool.db, pool.err = sql.Open("pgx", base); pool.err != nil {
			return
		}
		pool.db.SetMaxOpenConns(4)
		// Processes that start at once take turns to make the table.
		_, pool.err = pool.db.Exec(`BEGIN;
			SELECT pg_advisory_xact_lock(7289453010);
			CREATE TABLE IF NOT EXISTS ` + poolTable + ` (
				name       TEXT PRIMARY KEY,
				digest     TEXT NOT NULL,
				free       BOOLEAN NOT NULL,
				claimed_at TIMESTAMPTZ NOT NULL DEFAULT now()
			);
			COMMIT`)
		if pool.err == nil {
			pool.err = dropStaleSchemas(context.Background(), pool.db, pool.digest)
		}
	})
	return pool.err
}

// dropStaleSchemas drops the pool's schemas made by other migrations than
// those of the digest and not claimed for an hour: a branch's, or main's
// before its migrations changed, which would otherwise stay in the test
// database for ever. A schema another process is dropping is skipped.
func dropStaleSchemas(ctx context.Context, db *sql.DB, digest string) error {
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var name string
		err = tx.QueryRowContext(ctx, `DELETE FROM `+poolTable+` WHERE name = (SELECT name FROM `+poolTable+`
			WHERE digest <> $1 AND claimed_at < now() - interval '1 hour' LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING name`, digest).Scan(&name)
		if err == sql.ErrNoRows {
			return tx.Rollback()
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+quoteIdent(name)+` CASCADE`)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("dropping the test schema %s: %w", name, err)
		}
	}
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// migrationsDigest names the migrations the schemas are made by.
func migrationsDigest() (string, error) {
	h := sha256.New()
	m := postgres.Migrations()
	err := fs.WalkDir(m, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(m, path)
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)[:8]), err
}

// claimSchema takes a schema of the pool for one test, or makes a new one,
// and leaves it empty: no rows, sequences at their start, migrations
// recorded (a new one is migrated by the store when it opens).
func claimSchema(base string) (string, error) {
	if err := preparePool(base); err != nil {
		return "", err
	}
	ctx := context.Background()
	var name string
	// A claim older than any test run is a test process that died.
	err := pool.db.QueryRowContext(ctx, `UPDATE `+poolTable+` SET free = false, claimed_at = now()
		WHERE name = (SELECT name FROM `+poolTable+`
			WHERE digest = $1 AND (free OR claimed_at < now() - interval '1 hour')
			LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING name`, pool.digest).Scan(&name)
	if err == sql.ErrNoRows {
		var b [6]byte
		_, _ = rand.Read(b[:])
		name = "baton_pool_" + hex.EncodeToString(b[:])
		_, err = pool.db.ExecContext(ctx, `INSERT INTO `+poolTable+` (name, digest, free) VALUES ($1, $2, false)`, name, pool.digest)
	}
	if err != nil {
		return "", err
	}
	if _, err := pool.db.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+name); err != nil {
		return "", err
	}
	return name, emptySchema(ctx, name)
}

// emptySchema deletes every row but the migrations' record and restarts
// the sequences. Deleting the few rows a test wrote is much quicker than
// TRUNCATE, which makes every table and index anew; the foreign keys are
// not checked (session_replication_role, for a superuser), and where that
// is not allowed TRUNCATE does it.
func emptySchema(ctx context.Context, schema string) error {
	var deletes, restarts, tables sql.NullString
	err := pool.db.QueryRowContext(ctx, `SELECT
		(SELECT string_agg('DELETE FROM ' || quote_ident(schemaname) || '.' || quote_ident(tablename), '; ')
			FROM pg_tables WHERE schemaname = $1 AND tablename <> 'goose_db_version'),
		(SELECT string_agg('ALTER SEQUENCE ' || quote_ident(schemaname) || '.' || quote_ident(sequencename) || ' RESTART', '; ')
			FROM pg_sequences WHERE schemaname = $1 AND sequencename <> 'goose_db_version_id_seq'),
		(SELECT string_agg(quote_ident(schemaname) || '.' || quote_ident(tablename), ', ')
			FROM pg_tables WHERE schemaname = $1 AND tablename <> 'goose_db_version')`, schema).Scan(&deletes, &restarts, &tables)
	if err != nil || !deletes.Valid {
		return err // a new schema: nothing to empty
	}
	conn, err := pool.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	script := []string{"BEGIN", "SET LOCAL session_replication_role = replica", deletes.String}
	if restarts.Valid {
		script = append(script, restarts.String)
	}
	if _, err = conn.ExecContext(ctx, strings.Join(append(script, "COMMIT"), "; ")); err == nil {
		return nil
	}
	_, err = conn.ExecContext(ctx, `ROLLBACK; TRUNCATE `+tables.String+` RESTART IDENTITY CASCADE`)
	return err
}

// releaseSchema gives the schema back to the pool.
func releaseSchema(name string) {
	_, _ = pool.db.Exec(`UPDATE `+poolTable+` SET free = true WHERE name = $1`, name)
}
