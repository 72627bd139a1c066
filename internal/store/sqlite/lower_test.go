package sqlite

import (
	"database/sql"
	"path/filepath"
	"regexp"
	"testing"
)

// TestSchemaCallsNoLower checks that no index, trigger, view, constraint
// or generated column of the migrated schema calls lower: what they keep
// would be written with Baton's lower and checked or rebuilt (VACUUM, the
// sqlite3 shell) with SQLite's, which lowers ASCII letters only (see
// lowerFunction). A case-insensitive index needs a column of its own,
// lowered by Go.
func TestSchemaCallsNoLower(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "baton.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rows, err := s.DB().QueryContext(t.Context(), `SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	calls := regexp.MustCompile(`(?i)\blower\s*\(`)
	n := 0
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			t.Fatal(err)
		}
		n++
		if calls.MatchString(text) {
			t.Errorf("%s %s calls lower: %s", typ, name, text)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the schema is empty")
	}
}

// TestLowerEveryConnection checks that lower is Baton's on every
// connection of both pools that Open makes, each held at once so that
// none is a connection asked twice.
func TestLowerEveryConnection(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "baton.db")
	for _, p := range []struct {
		name     string
		conns    int
		readOnly bool
	}{{"writer", 2, false}, {"reader", 4, true}} {
		db, err := open(path, p.conns, p.readOnly)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		var held []*sql.Conn
		for i := range p.conns {
			c, err := db.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
			var got string
			if err := c.QueryRowContext(t.Context(), `SELECT lower('ÉMILE ÖSTERREICH ΣΩΚΡΆΤΗΣ ПРИВЕТ')`).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if want := "émile österreich σωκράτησ привет"; got != want {
				t.Errorf("%s connection %d: lower gives %q, want %q", p.name, i, got, want)
			}
		}
		for _, c := range held {
			c.Close()
		}
	}
}

// TestLowerAsSQLite checks that lower gives what SQLite's does for what
// is not a letter to lower: NULL, numbers as their text (as CAST writes
// it) lowered, blobs as text, bytes that are not UTF-8 and NULs kept.
func TestLowerAsSQLite(t *testing.T) {
	t.Parallel()
	db, err := open(filepath.Join(t.TempDir(), "baton.db"), 1, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, c := range []struct{ expr, want string }{
		{"NULL", "NULL"},
		{"''", "''"},
		{"'abc-XYZ 09_%'", "'abc-xyz 09_%'"},
		{"'A' || char(0) || 'É'", "'a' || char(0) || 'é'"},
		{"x'41C389'", "'aé'"},
		{"x'41FF'", "CAST(x'61FF' AS TEXT)"},
		{"'Ω' || CAST(x'FF' AS TEXT) || 'É'", "'ω' || CAST(x'FF' AS TEXT) || 'é'"},
	} {
		var same bool
		var typ string
		if err := db.QueryRowContext(t.Context(), `SELECT lower(`+c.expr+`) IS `+c.want+`, typeof(lower(`+c.expr+`))`).Scan(&same, &typ); err != nil {
			t.Fatalf("lower(%s): %v", c.expr, err)
		}
		if !same {
			t.Errorf("lower(%s) is not %s", c.expr, c.want)
		}
		if c.want == "NULL" && typ != "null" || c.want != "NULL" && typ != "text" {
			t.Errorf("lower(%s) is of type %s", c.expr, typ)
		}
	}
	for _, n := range []string{"0", "-7", "9223372036854775807", "-9223372036854775808",
		"0.0", "1.0", "-2.5", "0.1", "0.1 + 0.2", "3.141592653589793", "1e15", "1e16", "1e17", "1e20", "1e100",
		"1e-5", "0.0001", "0.000123", "2.5e-300", "123456789012345678.0", "12345678901234567890.0",
		"9007199254740993.0", "1e300 * 1e10", "-1e300 * 1e10"} {
		var got, want, typ string
		if err := db.QueryRowContext(t.Context(), `SELECT lower(`+n+`), lower(CAST(`+n+` AS TEXT)), typeof(lower(`+n+`))`).Scan(&got, &want, &typ); err != nil {
			t.Fatalf("lower(%s): %v", n, err)
		}
		if got != want || typ != "text" {
			t.Errorf("lower(%s) = %q (%s), want %q as SQLite writes it", n, got, typ, want)
		}
	}
}
