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

// TestLowerText checks the lowering of texts: unchanged, ASCII, with
// letters that are not (one longer lowered than it is: Ⱥ, 2 bytes, is ⱥ,
// 3), and bytes that are not UTF-8, kept.
func TestLowerText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                         "",
		"already lower, 1 2 3 ~":   "already lower, 1 2 3 ~",
		"Hello, World@Example.COM": "hello, world@example.com",
		"ÉMILE Zola":               "émile zola",
		"ΣΩΚΡΆΤΗΣ":                 "σωκράτησ",
		"ПРИВЕТ, Мир":              "привет, мир",
		"ÖSTERREICH ẞ İ":           "österreich ß i",
		"aȺȺb":                     "aⱥⱥb",
		"ȺA\xffÉ\xc3":              "ⱥa\xffé\xc3",
	} {
		if got := lowerText(in); got != want {
			t.Errorf("lowerText(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkSearchLower reads 100,000 messages of about 110 characters,
// ASCII with capitals as the agent app's search benchmark writes them, for
// a word that none holds: with SQLite's builtin lower (the "sqlite"
// driver), with Baton's, and with LIKE alone (the agent app's search for a
// word of ASCII letters), side by side.
//
//	go test ./internal/store/sqlite/ -run '^$' -bench SearchLower -count 5
func BenchmarkSearchLower(b *testing.B) {
	path := filepath.Join(b.TempDir(), "baton.db")
	baton, err := open(path, 1, false)
	if err != nil {
		b.Fatal(err)
	}
	defer baton.Close()
	if _, err := baton.Exec(`CREATE TABLE messages (content TEXT);
		WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 100000)
		INSERT INTO messages SELECT 'Hello, I need help with my order ' || i ||
			'. It should have come last week; could you check the tracking, please?' FROM seq`); err != nil {
		b.Fatal(err)
	}
	builtin, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		b.Fatal(err)
	}
	defer builtin.Close()
	for _, c := range []struct {
		name, where string
		db          *sql.DB
	}{
		{"sqlite's lower", `lower(content) LIKE lower($1) ESCAPE '\'`, builtin},
		{"baton's lower", `lower(content) LIKE lower($1) ESCAPE '\'`, baton},
		{"like alone", `content LIKE $1 ESCAPE '\'`, baton},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				var n int
				if err := c.db.QueryRow(`SELECT COUNT(*) FROM messages WHERE `+c.where, "%MÜNCHEN%").Scan(&n); err != nil || n != 0 {
					b.Fatalf("%d found, %v", n, err)
				}
			}
		})
	}
}
