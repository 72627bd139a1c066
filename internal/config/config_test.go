package config_test

import (
	"flag"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/config"
	"github.com/batonhq/baton/internal/delivery"
)

func TestDatabase(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url, dataDir, kind, target string
	}{
		{"", "/data", config.SQLite, "/data/baton.db"},
		{"sqlite:/var/baton.db", "/data", config.SQLite, "/var/baton.db"},
		{"sqlite:///var/baton.db", "/data", config.SQLite, "/var/baton.db"},
		{"sqlite:rel.db", "/data", config.SQLite, "rel.db"},
		{"baton.db", "/data", config.SQLite, "baton.db"},
		{"postgres://u:p@h/db", "/data", config.Postgres, "postgres://u:p@h/db"},
		{"postgresql://h/db?sslmode=disable", "/data", config.Postgres, "postgresql://h/db?sslmode=disable"},
	} {
		t.Run(c.url, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": c.url, "BATON_DATA_DIR": c.dataDir}
			cfg, _, err := config.Parse("serve", nil, func(k string) string { return env[k] })
			if err != nil {
				t.Errorf("%q: %v", c.url, err)
				return
			}
			if kind, target := cfg.Database(); kind != c.kind || target != c.target {
				t.Errorf("%q: %s %s, want %s %s", c.url, kind, target, c.kind, c.target)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--database", "mysql://root:secret@h/db"}, nil},
		{[]string{"--database", "postgress://h/db"}, nil},
		{[]string{"--database", "sqlite:"}, nil},
		{[]string{"--addr", "3000"}, nil},
		{[]string{"--data-dir", ""}, nil},
		{[]string{"--public-url", "ftp://x"}, nil},
		{[]string{"--log-level", "loud"}, nil},
		{[]string{"--log-format", "xml"}, nil},
		{[]string{"--max-body", "0"}, nil},
		{[]string{"--messages-per-minute", "many"}, nil},
		{[]string{"--rate-limit", "-1"}, nil},
		{[]string{"--no-such-flag"}, nil},
		{nil, map[string]string{"BATON_MAX_UPLOAD_BYTES": "-5"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, _, err := config.Parse("serve", c.args, func(k string) string { return c.env[k] })
			if err == nil {
				t.Errorf("%q %v: no error", c.args, c.env)
			} else if strings.Contains(err.Error(), "secret") {
				t.Errorf("%q: the error shows the password: %v", c.args, err)
			}
		})
	}
}

func TestFlagsOverEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BATON_ADDR": "0.0.0.0:80", "BATON_LOG_LEVEL": "debug", "BATON_PUBLIC_URL": "https://chat.example.com/"}
	cfg, rest, err := config.Parse("serve", []string{"--addr", "127.0.0.1:0", "extra"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:0" || cfg.LogLevel != "debug" || cfg.PublicURL != "https://chat.example.com" {
		t.Errorf("config: %+v", cfg)
	}
	if len(rest) != 1 || rest[0] != "extra" {
		t.Errorf("rest: %q, want [extra]", rest)
	}
}

func TestMetricsToken(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BATON_METRICS_TOKEN": "from-env"}
	cfg, _, err := config.Parse("serve", nil, func(k string) string { return env[k] })
	if err != nil || cfg.MetricsToken != "from-env" {
		t.Fatalf("from the environment: %q, %v", cfg.MetricsToken, err)
	}
	cfg, _, err = config.Parse("serve", []string{"--metrics-token", "from-flag"}, func(k string) string { return env[k] })
	if err != nil || cfg.MetricsToken != "from-flag" {
		t.Fatalf("from the flag: %q, %v", cfg.MetricsToken, err)
	}
}

// TestDefaultsFromOwners: a setting nobody sets takes the default of the
// package that owns it, written once there.
func TestDefaultsFromOwners(t *testing.T) {
	t.Parallel()
	c, _, err := config.Parse("serve", nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.DeliveryRetrySchedule, delivery.DefaultSchedule) || c.DeliveryTimeout != delivery.DefaultTimeout ||
		c.DeliveryAttempts != delivery.DefaultAttempts || c.MessagesPerMinute != app.DefaultLimits.MessagesPerMinute ||
		c.SecretOverlap != app.DefaultSecretOverlap || c.DeliveryRetention != app.DefaultRetention {
		t.Errorf("defaults %+v differ from their owners'", c)
	}
	// The environment and then a flag override it; the flag wins.
	env := map[string]string{"BATON_DELIVERY_RETRY_SCHEDULE": "1s,2m"}
	c, _, err = config.Parse("serve", []string{"--delivery-retry-schedule", "3s"}, func(k string) string { return env[k] })
	if err != nil || !slices.Equal(c.DeliveryRetrySchedule, []time.Duration{3 * time.Second}) {
		t.Errorf("schedule %v, %v: want the flag's 3s", c.DeliveryRetrySchedule, err)
	}
}

// TestMaxConnections: the bound on client connections is a flag like the
// others: set from its environment variable or the flag, and listed with
// both in the usage text.
func TestMaxConnections(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BATON_MAX_CONNECTIONS": "7"}
	c, _, err := config.Parse("serve", nil, func(k string) string { return env[k] })
	if err != nil || c.MaxConnections != 7 {
		t.Errorf("from the environment: %d, %v; want 7", c.MaxConnections, err)
	}
	c, _, err = config.Parse("serve", []string{"--max-connections", "9"}, func(k string) string { return env[k] })
	if err != nil || c.MaxConnections != 9 {
		t.Errorf("from the flag: %d, %v; want 9", c.MaxConnections, err)
	}
	if _, _, err := config.Parse("serve", []string{"--max-connections", "0"}, func(string) string { return "" }); err == nil {
		t.Error("--max-connections 0 accepted")
	}
	var b strings.Builder
	config.Define(flag.NewFlagSet("serve", flag.ContinueOnError), func(string) string { return "" }).Usage(&b)
	if !strings.Contains(b.String(), "--max-connections  BATON_MAX_CONNECTIONS  ") {
		t.Errorf("usage does not list --max-connections with its variable:\n%s", b.String())
	}
}

// TestWidgetVisitorsPerHour: the bound on new widget visitors an address
// starts in an hour is a flag and a variable, 20 by default.
func TestWidgetVisitorsPerHour(t *testing.T) {
	t.Parallel()
	c, _, err := config.Parse("serve", nil, func(string) string { return "" })
	if err != nil || c.VisitorsPerHour != 20 {
		t.Errorf("by default: %d, %v; want 20", c.VisitorsPerHour, err)
	}
	env := map[string]string{"BATON_WIDGET_VISITORS_PER_HOUR": "500"}
	if c, _, err = config.Parse("serve", nil, func(k string) string { return env[k] }); err != nil || c.VisitorsPerHour != 500 {
		t.Errorf("from the environment: %d, %v; want 500", c.VisitorsPerHour, err)
	}
	if c, _, err = config.Parse("serve", []string{"--widget-visitors-per-hour", "3"}, func(string) string { return "" }); err != nil || c.VisitorsPerHour != 3 {
		t.Errorf("from the flag: %d, %v; want 3", c.VisitorsPerHour, err)
	}
}
