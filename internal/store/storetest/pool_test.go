package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
)

// TestDropStaleSchemas: the pool's schemas made by other migrations and
// unused for an hour are dropped; those of the current migrations, and
// those another branch used recently, are kept. (The one of the current
// migrations is listed as held, so that no test process claims it.)
func TestDropStaleSchemas(t *testing.T) {
	base := os.Getenv(PostgresURLVariable)
	if base == "" {
		t.Skip(PostgresURLVariable + " is not set")
	}
	if err := preparePool(base); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var b [4]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	schemas := map[string]struct {
		digest string
		age    string
		kept   bool
	}{
		"baton_pool_stale_" + suffix:  {"another", "2 hours", false},
		"baton_pool_recent_" + suffix: {"another", "1 minute", true},
		"baton_pool_ours_" + suffix:   {pool.digest, "50 minutes", true},
	}
	for name, s := range schemas {
		if _, err := pool.db.Exec(`CREATE SCHEMA ` + name + `; CREATE TABLE ` + name + `.t (id INT)`); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.db.Exec(`INSERT INTO `+poolTable+` (name, digest, free, claimed_at)
			VALUES ($1, $2, $2 <> $4, now() - $3::interval)`, name, s.digest, s.age, pool.digest); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = pool.db.Exec(`DROP SCHEMA IF EXISTS ` + name + ` CASCADE`)
			_, _ = pool.db.Exec(`DELETE FROM `+poolTable+` WHERE name = $1`, name)
		})
	}
	if err := dropStaleSchemas(ctx, pool.db, pool.digest); err != nil {
		t.Fatal(err)
	}
	for name, s := range schemas {
		var schema, listed bool
		if err := pool.db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),
			EXISTS (SELECT 1 FROM `+poolTable+` WHERE name = $1)`, name).Scan(&schema, &listed); err != nil {
			t.Fatal(err)
		}
		if schema != s.kept || listed != s.kept {
			t.Errorf("%s (digest %s, unused for %s): schema there %v, listed %v; want %v", name, s.digest, s.age, schema, listed, s.kept)
		}
	}
}
