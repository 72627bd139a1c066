package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestServeMetrics checks that serve mounts /metrics, with the gauges read
// from the database, behind --metrics-token.
func TestServeMetrics(t *testing.T) {
	t.Parallel()
	in := newInstall(t)
	p := in.start(t, "", "serve", "--addr", "127.0.0.1:0", "--metrics-token", "scrape-secret")
	if code, _ := get(t, p.url+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without the token: %d, want 401", code)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.url+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer scrape-secret")
	code, body := do(t, req)
	// No delivery has been tried, so baton_deliveries_total has no series
	// yet, and client_golang leaves a family without series out.
	if code != http.StatusOK || !strings.Contains(body, "baton_database_up 1\n") || !strings.Contains(body, "# TYPE process_start_time_seconds gauge") {
		t.Errorf("GET /metrics: %d\n%s", code, body)
	}
}
