// Package sqlite opens Baton's store on SQLite, the default database: pure
// Go (modernc.org/sqlite, no cgo), one file, WAL.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/batonhq/baton/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// pragmas are set on every connection, in this order. WAL lets readers run
// beside the one writer; synchronous=NORMAL is durable across a process
// crash in WAL mode (a power loss may lose the last commits, never corrupt
// the file); busy_timeout makes a connection wait for a lock instead of
// failing at once; foreign keys are off in SQLite unless asked for.
var pragmas = []string{
	"busy_timeout(10000)",
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"foreign_keys(ON)",
	"temp_store(MEMORY)",
	"cache_size(-16000)", // 16 MB of page cache a connection
	// The checkpointer copies the WAL back; a commit does only when it
	// falls far behind (see checkpointer).
	"wal_autocheckpoint(" + strconv.Itoa(fallbackCheckpoint) + ")",
}

// Open opens (creating if need be) the SQLite database at path and applies
// pending migrations.
func Open(ctx context.Context, path string) (*store.Store, error) {
	// The writer pool: the group commit keeps one connection for every
	// write transaction (store.Store.Write); a second serves the few
	// callers of the raw pool (store.Store.DB: tests, tools) meanwhile.
	writer, err := open(path, 2, false)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, writer); err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := open(path, max(4, runtime.NumCPU()), true)
	if err != nil {
		writer.Close()
		return nil, err
	}
	st := store.New(reader, writer, dialect{})
	c, err := startCheckpointer(path, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	st.OnClose(c.Stop)
	return st, nil
}

func open(path string, conns int, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		// The writer takes the write lock when a transaction begins, so
		// that a transaction never fails half-way for want of it.
		q.Set("_txlock", "immediate")
	}
	db, err := sql.Open(driverName, "file:"+uriPath(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

// uriPath is path as the path of a file: URI, where %, ? and # would mean
// something else and open another file.
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// Migrate applies the pending migrations to db.
func Migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

type dialect struct{}

func (dialect) Name() string { return "sqlite" }

func (dialect) SkipLocked() string { return "" }

func (dialect) LockRows(string) string { return "" }

func (dialect) IsUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func (dialect) IsForeignKeyViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// IsRetryable: one writer at a time never deadlocks.
func (dialect) IsRetryable(error) bool { return false }
