package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a copy of the SQLite database at path to the file to, and
// returns its size. The copy is one consistent moment of the database,
// its WAL included (SQLite's VACUUM INTO, in one read transaction), taken
// while a baton serve writes to it or not: the copy waits for no writer
// and holds none up. The copy is then checked (PRAGMA quick_check).
//
// to must not exist: Backup makes it, readable by its owner alone, as
// the database holds customers' data and sealed tokens. A failed backup
// leaves no file behind.
func Backup(ctx context.Context, path, to string) (size int64, err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("no database at %s (run from the installation's directory, or set BATON_DATA_DIR or DATABASE_URL)", path)
	} else if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	// An absolute path, so that SQLite never reads the name as a URI.
	if to, err = filepath.Abs(to); err != nil {
		return 0, err
	}
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return 0, fmt.Errorf("%s exists already: name a new file for the backup", to)
	} else if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(to)
		}
	}()
	// A connection of its own, with no pragma that could change the
	// database (query_only would refuse VACUUM INTO's write to the copy).
	db, err := sql.Open(driverName, "file:"+uriPath(path)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	// VACUUM INTO writes into an empty file as into a new one.
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, to); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	// The copy is read as it is: none of the pragmas a database Baton
	// serves gets (its journal mode among them) may change it.
	copied, err := sql.Open(driverName, "file:"+uriPath(to)+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer copied.Close()
	var check string
	if err := copied.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return 0, fmt.Errorf("checking the backup: %w", err)
	}
	if check != "ok" {
		return 0, fmt.Errorf("the backup is damaged: %s", check)
	}
	st, err := os.Stat(to)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
