package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/batonhq/baton/internal/config"
	"github.com/batonhq/baton/internal/store/sqlite"
)

// backup writes a copy of the installation's SQLite database to the file
// --to names, while baton serve runs or not (sqlite.Backup), and says what
// else a restore needs. PostgreSQL has its own tools.
func (e *env) backup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	to := fs.String("to", "", "the new file to write the copy to")
	flags := config.Define(fs, e.getenv)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		_, err := fmt.Fprintln(e.stdout, `Usage:
  baton backup --to FILE
      write a copy of the SQLite database to FILE, a new file, while baton serve runs or not

Configuration (flags win over the environment): the database's, as baton serve takes it
  (--data-dir BATON_DATA_DIR, --database DATABASE_URL)`)
		return err
	} else if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *to == "" {
		return errors.New("--to is required: the new file to write the copy to")
	}
	cfg, err := flags.Config()
	if err != nil {
		return err
	}
	kind, target := cfg.Database()
	if kind == config.Postgres {
		return errors.New("the database is PostgreSQL: back it up with pg_dump (for example pg_dump --format=custom --file baton.dump \"$DATABASE_URL\"), which copies it while Baton runs")
	}
	size, err := sqlite.Backup(ctx, target, *to)
	if err != nil {
		return err
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	target = abs(target)
	_, err = fmt.Fprintf(e.stdout, `backed up %s to %s (%d bytes, checked)
A restore needs two more things the database does not hold: the secret key its tokens are sealed
with (BATON_SECRET_KEY, or %s) and the uploaded files (%s).
To restore: stop baton serve, copy the backup over %s, remove %s-wal and %s-shm
if they are there, and start baton serve again.
`, target, abs(*to), size, abs(filepath.Join(cfg.DataDir, "secret_key")), abs(filepath.Join(cfg.DataDir, "attachments")),
		target, target, target)
	return err
}
