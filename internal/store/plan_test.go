package store_test

import (
	"encoding/json"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestPublicLookupReadsFew: the public API's lookup of a customer's
// conversation reads the rows it returns and not the account's other
// contacts or conversations, on a PostgreSQL database whose statistics
// predate its data (as every new installation's do until autovacuum comes
// by). Written as a join from the inbox, PostgreSQL started from the
// account's contacts and walked them all: 300 rows here, 4 ms a message
// with 800 in the benchmark.
func TestPublicLookupReadsFew(t *testing.T) {
	s := storetest.OpenPostgres(t)
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO accounts (id, name, created_at, updated_at) VALUES (1, 'A', 0, 0)`,
		`INSERT INTO inboxes (id, account_id, name, channel_type, identifier, created_at, updated_at)
			VALUES (1, 1, 'I', 'Channel::Api', 'inbox-1', 0, 0), (2, 1, 'J', 'Channel::Api', 'inbox-2', 0, 0)`,
		`INSERT INTO contacts (id, account_id, created_at, updated_at) SELECT n, 1, 0, 0 FROM generate_series(1, 300) n`,
		`INSERT INTO contact_inboxes (id, contact_id, inbox_id, source_id, pubsub_token, created_at, updated_at)
			SELECT n, n, 1 + n % 2, 'source-' || n, 'pubsub-' || n, 0, 0 FROM generate_series(1, 300) n`,
		`INSERT INTO conversations (account_id, inbox_id, display_id, contact_id, contact_inbox_id, uuid,
			last_activity_at, created_at, updated_at) SELECT 1, 1 + n % 2, n, n, n, 'uuid-' || n, 0, 0, 0 FROM generate_series(1, 300) n`,
	} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, c := range []struct {
		name  string
		query string
		args  []any
	}{
		{"message target", store.FindPublicMessageTargetSQL, []any{"inbox-1", "source-300", 300, 0, 200}},
		{"conversation", store.FindPublicConversationSQL, []any{"inbox-1", "source-300", 300}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out string
			if err := s.DB().QueryRowContext(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) `+c.query, c.args...).Scan(&out); err != nil {
				t.Fatal(err)
			}
			var plan []struct{ Plan planNode }
			if err := json.Unmarshal([]byte(out), &plan); err != nil || len(plan) != 1 {
				t.Fatalf("plan %s: %v", out, err)
			}
			if plan[0].Plan.ActualRows != 1 {
				t.Errorf("%v rows found, want 1", plan[0].Plan.ActualRows)
			}
			read := map[string]float64{}
			plan[0].Plan.rowsRead(read)
			for _, table := range []string{"contacts", "conversations", "contact_inboxes"} {
				if read[table] > 1 {
					t.Errorf("%v rows of %s read for one conversation; plan: %s", read[table], table, out)
				}
			}
		})
	}
}

// planNode is a node of EXPLAIN's JSON plan.
type planNode struct {
	Relation   string     `json:"Relation Name"`
	ActualRows float64    `json:"Actual Rows"`
	Loops      float64    `json:"Actual Loops"`
	Removed    float64    `json:"Rows Removed by Filter"`
	Plans      []planNode `json:"Plans"`
}

// rowsRead adds up, by table, the rows the scans of the plan read (those
// they returned and those their filters removed).
func (n planNode) rowsRead(read map[string]float64) {
	if n.Relation != "" {
		read[n.Relation] += (n.ActualRows + n.Removed) * n.Loops
	}
	for _, c := range n.Plans {
		c.rowsRead(read)
	}
}
