package e2e_test

import (
	"fmt"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestBotFailurePolicy sets a bot's handoff deadline, keep-pending and
// breaker behaviour through the API, and refuses values out of bounds.
func TestBotFailurePolicy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		path := e.acc(fmt.Sprintf("/agent_bots/%d", b.id))

		got := e.call("GET", path, e.adminToken, "", 200).(map[string]any)
		if got["handoff_deadline_seconds"] != float64(30) || got["keep_pending_on_failure"] != false || got["open_while_breaker_open"] != true {
			t.Fatalf("defaults: %v %v %v", got["handoff_deadline_seconds"], got["keep_pending_on_failure"], got["open_while_breaker_open"])
		}
		got = e.call("PATCH", path, e.adminToken,
			`{"handoff_deadline_seconds":"120","keep_pending_on_failure":true,"open_while_breaker_open":false}`, 200).(map[string]any)
		if got["handoff_deadline_seconds"] != float64(120) || got["keep_pending_on_failure"] != true || got["open_while_breaker_open"] != false {
			t.Fatalf("after update: %v", got)
		}
		for _, bad := range []string{`{"handoff_deadline_seconds":0}`, `{"handoff_deadline_seconds":86401}`} {
			e.call("PATCH", path, e.adminToken, bad, 422)
		}
		got = e.call("GET", path, e.adminToken, "", 200).(map[string]any)
		if got["handoff_deadline_seconds"] != float64(120) {
			t.Fatalf("a refused update changed the deadline to %v", got["handoff_deadline_seconds"])
		}
	})
}
