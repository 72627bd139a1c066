package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrOwned is the error of Own when another process serves the database.
var ErrOwned = errors.New("another baton serve is running on this SQLite database")

// Own takes, for as long as the process runs or until release is called,
// the exclusive lock that says one process serves the SQLite database at
// path: one serving process is what lets a starting one take every lease
// as a dead process's. It fails with ErrOwned while another process holds
// it. The lock is the database file's own (flock, which SQLite's fcntl
// locks do not see), so a second process that names the file by another
// path, a symbolic or a hard link, is refused too. The operating system
// frees the lock when the process dies, kill -9 included. Commands that
// only read or provision (admin, migrate) do not take it.
//
// Closing any descriptor of the file drops the process's fcntl locks on it,
// SQLite's among them: release is for after the database is closed.
func Own(path string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("sqlite owner lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrOwned, path)
		}
		return nil, fmt.Errorf("sqlite owner lock: %w", err)
	}
	return func() { f.Close() }, nil
}
