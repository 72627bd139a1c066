package sqlite

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"modernc.org/sqlite"
)

// driverName is the database/sql driver Baton's connections are opened
// with: modernc.org/sqlite's, with lower replaced (see lowerFunction).
const driverName = "baton-sqlite"

// The driver is a private one, not the package-level "sqlite" that every
// connection of the process shares: what it registers applies to Baton's
// store alone, and a tool or test that opens the file with "sqlite" sees
// SQLite's own functions, as the sqlite3 shell does.
func init() {
	var d sqlite.Driver
	if err := d.RegisterFunction("lower", &sqlite.FunctionImpl{
		NArgs:         1,
		Deterministic: true,
		Scalar:        lowerFunction,
		// lowerFunction keeps nothing of its argument past its return
		// (a text it gives back as it is, the driver copies at once).
		VolatileArgs: true,
	}); err != nil {
		panic(fmt.Sprintf("register lower: %v", err))
	}
	sql.Register(driverName, &d)
}

// lowerFunction is SQL's lower(X) on Baton's connections: X with every
// letter Unicode lower case ("ÉMILE" is "émile", "ΣΩΚΡΆΤΗΣ" "σωκράτησ",
// "ПРИВЕТ" "привет"), where SQLite's own lowers ASCII letters only.
//
// The searches are written LOWER(x) LIKE LOWER($n), once for both
// databases, and PostgreSQL's LOWER lowers every letter its locale knows:
// with SQLite's, "émile" found "Émile" on PostgreSQL only. An
// application's function of a builtin's name and number of arguments
// replaces it on the connection, so replacing lower makes every
// statement fold case as PostgreSQL's does, unchanged; a function of
// another name would have each search written twice, once a database.
//
// What SQLite keeps never depends on it: no index, trigger, view,
// constraint or generated column may call lower (TestSchemaCallsNoLower),
// as an index of lower(x) written with this one would not match
// SQLite's, with which VACUUM rebuilds indexes and the sqlite3 shell
// reads the file. Letters are lowered one at a time (unicode.ToLower), as
// PostgreSQL's does with glibc's towlower: "ẞ" is "ß", a capital sigma σ
// (never a word's last ς), "İ" "i", one letter for one.
//
// Other values are as SQLite's lower gives them: NULL stays NULL, a
// number is its text lowered, a blob's bytes are read as text. Bytes that
// are not UTF-8 are kept as they are.
func lowerFunction(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case nil:
		return nil, nil
	case string:
		return lowerText(v), nil
	case []byte:
		return lowerText(string(v)), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return lowerText(realText(v)), nil // "Inf" is "inf"
	default:
		return nil, fmt.Errorf("lower of a %T", v)
	}
}

// lowerText is s with its letters lower case. An ASCII text without
// capitals is s itself; an ASCII one is lowered in a copy, a byte at a
// time; only from a first byte that is not ASCII on is it read as runes.
func lowerText(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		c := b[i]
		if c >= utf8.RuneSelf {
			b = lowerRunes(b[:i], s[i:])
			break
		}
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	// b is not written again: the string may share it.
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// lowerRunes appends s to b with its letters lower case, a rune at a
// time, its bytes that are not UTF-8 as they are.
func lowerRunes(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, c)
		} else {
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
		i += n
	}
	return b
}

// realText is f as SQLite writes a REAL as text: 15 significant digits
// when they read back as f, 17 otherwise (where SQLite's last digit may
// differ from Go's: nothing Baton lowers is a number, and PostgreSQL has
// no lower of one), always a decimal point ("1.0"), an exponent of two
// digits or more past 17 digits or before 0.0001 ("1.0e+20", "1.0e-05").
func realText(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	case f == 0:
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', 14, 64)
	if g, _ := strconv.ParseFloat(e, 64); g != f {
		e = strconv.FormatFloat(f, 'e', 16, 64)
	}
	// e is [-]d.ddde±XX: its digits, and where the point goes.
	mantissa, exp, _ := strings.Cut(e, "e")
	sign := ""
	if mantissa[0] == '-' {
		sign, mantissa = "-", mantissa[1:]
	}
	digits := strings.TrimRight(mantissa[:1]+mantissa[2:], "0")
	x, _ := strconv.Atoi(exp)
	if x < -4 || x >= 17 {
		m := digits[:1] + "." + digits[1:]
		if len(digits) == 1 {
			m += "0"
		}
		return sign + m + "e" + exp
	}
	if x < 0 {
		return sign + "0." + strings.Repeat("0", -x-1) + digits
	}
	if len(digits) <= x+1 {
		return sign + digits + strings.Repeat("0", x+1-len(digits)) + ".0"
	}
	return sign + digits[:x+1] + "." + digits[x+1:]
}
