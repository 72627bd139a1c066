package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBackup: `baton backup` copies a SQLite database while `baton serve`
// writes to it: the copy holds every message acknowledged before it began,
// is readable by its owner alone, and, put in place of the database with
// the same secret key, serves again with the same tokens. A backup over an
// existing file, of a missing database or of PostgreSQL is refused with a
// clear error, and leaves no file behind.
func TestBackup(t *testing.T) {
	t.Parallel()
	bot := newRecorder(t)
	in := newInstallation(t, "")
	in.seed(bot.URL)
	p := in.serve()
	identifier, convs := in.customers(p, 8)

	// Customers write through the backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range convs {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				c.say(p.url, identifier, k)
			}
		})
	}
	for len(bot.snapshot()) < 200 {
		time.Sleep(time.Millisecond)
	}
	before := len(bot.snapshot())
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	out := in.command("backup", "--to", copyPath)
	close(stop)
	wg.Wait()
	if !strings.Contains(out, "backed up") || !strings.Contains(out, "secret key") || !strings.Contains(out, "attachments") {
		t.Errorf("the backup's report: %s", out)
	}
	st, err := os.Stat(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the backup's mode: %v, want -rw-------", st.Mode().Perm())
	}
	p.kill()

	// The copy, served in a new place with the same key.
	restored := newInstallation(t, "")
	restored.account, restored.admin, restored.botID = in.account, in.admin, in.botID
	if err := os.Rename(copyPath, strings.TrimPrefix(restored.database, "sqlite:")); err != nil {
		t.Fatal(err)
	}
	var messages int64
	if err := restored.open().QueryRow(`SELECT COUNT(*) FROM messages WHERE message_type = 0`).Scan(&messages); err != nil {
		t.Fatal(err)
	}
	if messages < int64(before) {
		t.Errorf("the backup holds %d customer messages; %d had reached the bot before it began", messages, before)
	}
	t.Logf("%d customer messages in the backup, %d at the bot before it", messages, before)
	q := restored.serve()
	if v := restored.must("GET", fmt.Sprintf("%s/api/v1/accounts/%d/conversations/%d", q.url, in.account, convs[0].id), in.admin, ""); v["id"] == nil {
		t.Errorf("a conversation through the restored installation: %v", v)
	}

	// Refusals.
	refused := func(env []string, want string, args ...string) {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"backup"}, args...)...)
		cmd.Env = env
		got, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(got), want) {
			t.Errorf("baton backup %v: %v %s, want an error saying %q", args, err, got, want)
		}
	}
	taken := filepath.Join(t.TempDir(), "taken.db")
	if err := os.WriteFile(taken, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused(restored.environ(t.TempDir()), "exists already", "--to", taken)
	if b, _ := os.ReadFile(taken); string(b) != "keep me" {
		t.Errorf("the file a backup was refused over: %q", b)
	}
	nowhere := filepath.Join(t.TempDir(), "none.db")
	missing := newInstallation(t, "")
	refused(missing.environ(t.TempDir()), "no database at", "--to", nowhere)
	if _, err := os.Stat(strings.TrimPrefix(missing.database, "sqlite:")); err == nil {
		t.Error("a backup of a missing database made one")
	}
	refused(newInstallation(t, "postgres://baton@127.0.0.1:1/baton").environ(t.TempDir()), "pg_dump", "--to", nowhere)
	refused(restored.environ(t.TempDir()), "--to is required")
	if _, err := os.Stat(nowhere); err == nil {
		t.Error("a refused backup left a file")
	}
}
