// Package config reads Baton's configuration from flags and the environment
// into one value, validated once. Flags win over the environment; no other
// package reads the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/chatwoot"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/server"
	"github.com/batonhq/baton/internal/store/postgres"
)

// Config is the configuration of a Baton process.
type Config struct {
	Addr        string // where the HTTP server listens
	DatabaseURL string // postgres://… or sqlite:PATH or a bare path
	DataDir     string // the SQLite file, attachments and the generated key live here
	PublicURL   string // how clients reach this server, for links; empty: http://<the bound address>
	SecretKey   string // seals tokens at rest; generated into DataDir when empty
	LogLevel    string
	LogFormat   string // text or json

	MaxBodyBytes      int64          // largest JSON body
	MaxUploadBytes    int64          // largest multipart body
	MessagesPerMinute int            // per conversation
	VisitorsPerHour   int            // new widget visitors per client address
	RateLimit         int            // requests a minute from one client address; 0 is no limit
	TrustedProxies    []netip.Prefix // proxies whose X-Forwarded-For names the client

	DeliveryTimeout       time.Duration   // one attempt to deliver to a bot
	DeliveryRetrySchedule []time.Duration // waits before the retries of a bot that is down
	DeliveryAttempts      int             // attempts in all for an event a bot that is up refuses
	DeliveryRetention     time.Duration   // how long acknowledged deliveries are kept
	DeliveryLeaseMargin   time.Duration   // how much longer than an attempt a claimed delivery stays a process's
	SecretOverlap         time.Duration   // how long a rotated-out bot secret keeps signing
	WebhookBlockPrivate   bool            // refuse bot and webhook URLs on loopback, private or link-local addresses (accounts may allow some for their own targets)
	DBMaxConns            int             // connections to PostgreSQL this process keeps at most
	MaxConnections        int             // client connections served at once; more wait to be accepted
	MaxLiveConnections    int             // live (/cable) connections held at once, apart from MaxConnections

	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string
}

// Database kinds.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Database returns the kind of database and what to open: a file path for
// SQLite, the URL for PostgreSQL.
func (c *Config) Database() (kind, target string) {
	u := c.DatabaseURL
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return Postgres, u
	case strings.HasPrefix(u, "sqlite:"):
		return SQLite, strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
	}
	return SQLite, u
}

// Parse reads flags from args (after the command name) and variables through
// getenv. Unknown flags and bad values are errors.
func Parse(name string, args []string, getenv func(string) string) (*Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := Define(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	c, err := f.Config()
	if err != nil {
		return nil, nil, err
	}
	return c, fs.Args(), nil
}

// Flags are the configuration's flags defined on a flag set, which may hold
// a command's own flags beside them.
type Flags struct {
	fs     *flag.FlagSet
	c      Config
	env    map[string]string // flag name → its environment variable
	envErr error             // the first environment variable that did not parse
}

// Define defines the configuration's flags on fs. Each defaults to its
// environment variable, read through getenv, and else to the default of
// the package that owns the setting. After fs.Parse, Config returns the
// validated value.
func Define(fs *flag.FlagSet, getenv func(string) string) *Flags {
	f := &Flags{fs: fs, env: map[string]string{}}
	c := &f.c
	c.Addr, c.DataDir, c.LogLevel, c.LogFormat = "127.0.0.1:3000", "./baton-data", "info", "text"
	c.MaxBodyBytes, c.MaxUploadBytes = chatwoot.DefaultMaxBodyBytes, chatwoot.DefaultMaxUploadBytes
	c.MessagesPerMinute = app.DefaultLimits.MessagesPerMinute
	c.VisitorsPerHour = app.DefaultLimits.WidgetContactsPerHour
	c.RateLimit = server.DefaultRateLimit
	c.DeliveryTimeout, c.DeliveryRetrySchedule, c.DeliveryAttempts = delivery.DefaultTimeout, delivery.DefaultSchedule, delivery.DefaultAttempts
	c.DeliveryRetention, c.SecretOverlap = app.DefaultRetention, app.DefaultSecretOverlap
	c.DeliveryLeaseMargin = delivery.DefaultLeaseMargin
	c.DBMaxConns, c.MaxConnections = postgres.DefaultMaxConns, server.DefaultMaxConnections
	c.MaxLiveConnections = server.DefaultMaxLiveConnections
	def := func(v flag.Value, name, env, help string) {
		f.env[name] = env
		if s := getenv(env); s != "" {
			if err := v.Set(s); err != nil && f.envErr == nil {
				f.envErr = fmt.Errorf("%s: %q %v", env, s, err)
			}
		}
		fs.Var(v, name, help)
	}
	def((*text)(&c.Addr), "addr", "BATON_ADDR", "listen address")
	def((*text)(&c.DatabaseURL), "database", "DATABASE_URL", "postgres://… or sqlite:PATH (default sqlite:<data-dir>/baton.db)")
	def((*text)(&c.DataDir), "data-dir", "BATON_DATA_DIR", "data directory")
	def((*text)(&c.PublicURL), "public-url", "BATON_PUBLIC_URL", "how clients reach this server (default http://<addr>)")
	def((*text)(&c.LogLevel), "log-level", "BATON_LOG_LEVEL", "debug, info, warn or error")
	def((*text)(&c.LogFormat), "log-format", "BATON_LOG_FORMAT", "text or json")
	def((*positive64)(&c.MaxBodyBytes), "max-body", "BATON_MAX_BODY_BYTES", "largest JSON body in bytes")
	def((*positive64)(&c.MaxUploadBytes), "max-upload", "BATON_MAX_UPLOAD_BYTES", "largest multipart body in bytes")
	def((*positive)(&c.MessagesPerMinute), "messages-per-minute", "BATON_MESSAGES_PER_MINUTE", "messages a minute in one conversation")
	def((*positive)(&c.VisitorsPerHour), "widget-visitors-per-hour", "BATON_WIDGET_VISITORS_PER_HOUR", "new website widget visitors an hour from one client address")
	def((*count)(&c.RateLimit), "rate-limit", "BATON_RATE_LIMIT", "requests a minute from one address, 0 for none")
	def((*prefixes)(&c.TrustedProxies), "trusted-proxies", "BATON_TRUSTED_PROXIES", "proxies whose X-Forwarded-For names the client (CIDRs, comma-separated)")
	def((*duration)(&c.DeliveryTimeout), "delivery-timeout", "BATON_DELIVERY_TIMEOUT", "one attempt to deliver to a bot")
	def((*schedule)(&c.DeliveryRetrySchedule), "delivery-retry-schedule", "BATON_DELIVERY_RETRY_SCHEDULE", "waits before the retries of a bot that is down")
	def((*positive)(&c.DeliveryAttempts), "delivery-attempts", "BATON_DELIVERY_ATTEMPTS", "attempts for an event a bot refuses, then parked")
	def((*duration)(&c.DeliveryLeaseMargin), "delivery-lease-margin", "BATON_DELIVERY_LEASE_MARGIN", "how much longer than an attempt a claimed delivery stays this process's")
	def((*duration)(&c.DeliveryRetention), "delivery-retention", "BATON_DELIVERY_RETENTION", "how long acknowledged deliveries are kept")
	def((*duration)(&c.SecretOverlap), "secret-overlap", "BATON_SECRET_OVERLAP", "how long a rotated-out bot secret keeps signing")
	def((*boolean)(&c.WebhookBlockPrivate), "webhook-block-private", "BATON_WEBHOOK_BLOCK_PRIVATE", "refuse bot and webhook URLs on private addresses (accounts may allow some for their own targets)")
	def((*positive)(&c.DBMaxConns), "db-max-conns", "BATON_DB_MAX_CONNS", "PostgreSQL connections this process keeps at most")
	def((*positive)(&c.MaxConnections), "max-connections", "BATON_MAX_CONNECTIONS", "client connections served at once; more wait")
	def((*positive)(&c.MaxLiveConnections), "max-live-connections", "BATON_MAX_LIVE_CONNECTIONS", "live (/cable) connections held at once, not counted in max-connections")
	def((*text)(&c.MetricsToken), "metrics-token", "BATON_METRICS_TOKEN", "bearer token /metrics asks for (default none: open)")
	c.SecretKey = getenv("BATON_SECRET_KEY")
	return f
}

// Config returns the configuration, validated, once the flag set is parsed.
func (f *Flags) Config() (*Config, error) {
	if f.envErr != nil {
		return nil, f.envErr
	}
	c := f.c
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Usage writes a line for each flag of the flag set: its name, its
// environment variable for the configuration's flags, what it sets and its
// default.
func (f *Flags) Usage(w io.Writer) {
	f.fs.VisitAll(func(fl *flag.Flag) {
		line := "  --" + fl.Name
		if env := f.env[fl.Name]; env != "" {
			line += "  " + env
		}
		line += "  " + fl.Usage
		if _, isBool := fl.Value.(interface{ IsBoolFlag() bool }); fl.DefValue != "" && !(isBool && fl.DefValue == "false") {
			line += " (" + fl.DefValue + ")"
		}
		fmt.Fprintln(w, line)
	})
	fmt.Fprintln(w, "  BATON_SECRET_KEY  seals tokens at rest (default generated into the data dir)")
}

// The typed values of the flags. Each refuses a bad value when it is set,
// from a flag or from the environment.
type (
	text       string
	count      int
	duration   time.Duration
	schedule   []time.Duration
	prefixes   []netip.Prefix
	boolean    bool
	positive64 int64
	positive   int
)

func (v *text) String() string     { return string(*v) }
func (v *text) Set(s string) error { *v = text(s); return nil }

func (v *positive64) String() string     { return strconv.FormatInt(int64(*v), 10) }
func (v *positive64) Set(s string) error { n, err := parsePositive(s); *v = positive64(n); return err }
func (v *positive) String() string       { return strconv.Itoa(int(*v)) }
func (v *positive) Set(s string) error   { n, err := parsePositive(s); *v = positive(n); return err }

// parsePositive reads a positive whole number.
func parsePositive(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("is not a positive whole number")
	}
	return n, nil
}

func (v *count) String() string { return strconv.Itoa(int(*v)) }
func (v *count) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return errors.New("is not a whole number of requests")
	}
	*v = count(n)
	return nil
}

func (v *duration) String() string { return shortDuration(time.Duration(*v)) }
func (v *duration) Set(s string) error {
	d, err := parseDuration(s)
	*v = duration(d)
	return err
}

func (v *schedule) String() string {
	parts := make([]string, len(*v))
	for i, d := range *v {
		parts[i] = shortDuration(d)
	}
	return strings.Join(parts, ",")
}
func (v *schedule) Set(s string) error {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := parseDuration(strings.TrimSpace(part))
		if err != nil {
			return err
		}
		out = append(out, d)
	}
	*v = out
	return nil
}

func (v *prefixes) String() string {
	parts := make([]string, len(*v))
	for i, p := range *v {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}
func (v *prefixes) Set(s string) error {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return fmt.Errorf("%q is not an address or a CIDR range", part)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	*v = out
	return nil
}

func (v *boolean) String() string { return strconv.FormatBool(bool(*v)) }
func (v *boolean) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("is not true or false")
	}
	*v = boolean(b)
	return nil
}

// IsBoolFlag lets a bare --webhook-block-private turn it on.
func (v *boolean) IsBoolFlag() bool { return true }

// parseDuration reads a positive Go duration.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("is not a positive duration such as 5s or 2m")
	}
	return d, nil
}

// shortDuration writes a duration as it would be typed: 2m, not 2m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (c *Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("addr: %q is not host:port", c.Addr)
	}
	if c.DataDir == "" {
		return errors.New("data-dir: must not be empty")
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "baton.db")
	}
	if kind, target := c.Database(); kind == SQLite && target == "" {
		return errors.New("database: sqlite needs a path")
	} else if scheme, _, ok := strings.Cut(c.DatabaseURL, "://"); ok && kind == SQLite && !strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		// Another database's URL must not become the name of a SQLite file.
		// Only the scheme is shown: the URL may hold a password.
		return fmt.Errorf("database: %q URLs are not supported: use postgres:// or sqlite:PATH", scheme)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public-url: %q is not an http(s) URL", c.PublicURL)
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log-format: %q is not text or json", c.LogFormat)
	}
	return nil
}
