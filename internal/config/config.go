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
	RateLimit         int            // requests a minute from one client address; 0 is no limit
	TrustedProxies    []netip.Prefix // proxies whose X-Forwarded-For names the client

	DeliveryTimeout       time.Duration   // one attempt to deliver to a bot
	DeliveryRetrySchedule []time.Duration // waits before the retries of a bot that is down
	DeliveryAttempts      int             // attempts in all for an event a bot that is up refuses
	DeliveryRetention     time.Duration   // how long acknowledged deliveries are kept
	SecretOverlap         time.Duration   // how long a rotated-out bot secret keeps signing
	WebhookBlockPrivate   bool            // refuse bot URLs on loopback, private or link-local addresses
	DBMaxConns            int             // connections to PostgreSQL this process keeps at most
	MaxConnections        int             // client connections served at once; more wait to be accepted

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
	c := &Config{}
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("BATON_ADDR", "127.0.0.1:3000"), "listen address")
	fs.StringVar(&c.DatabaseURL, "database", getenv("DATABASE_URL"), "database URL")
	fs.StringVar(&c.DataDir, "data-dir", env("BATON_DATA_DIR", "./baton-data"), "data directory")
	fs.StringVar(&c.PublicURL, "public-url", getenv("BATON_PUBLIC_URL"), "public URL")
	fs.StringVar(&c.LogLevel, "log-level", env("BATON_LOG_LEVEL", "info"), "log level")
	fs.StringVar(&c.LogFormat, "log-format", env("BATON_LOG_FORMAT", "text"), "log format")
	maxBody := fs.String("max-body", env("BATON_MAX_BODY_BYTES", "1048576"), "largest JSON body in bytes")
	maxUpload := fs.String("max-upload", env("BATON_MAX_UPLOAD_BYTES", "104857600"), "largest multipart body in bytes")
	perMinute := fs.String("messages-per-minute", env("BATON_MESSAGES_PER_MINUTE", "200"), "messages a minute in one conversation")
	trustedProxies := fs.String("trusted-proxies", env("BATON_TRUSTED_PROXIES", ""), "proxies whose X-Forwarded-For names the client (CIDRs, comma-separated)")
	rateLimit := fs.String("rate-limit", env("BATON_RATE_LIMIT", "3000"), "requests a minute from one address, 0 for none")
	timeout := fs.String("delivery-timeout", env("BATON_DELIVERY_TIMEOUT", "5s"), "one delivery attempt")
	schedule := fs.String("delivery-retry-schedule", env("BATON_DELIVERY_RETRY_SCHEDULE", DefaultRetrySchedule), "waits before retries")
	attempts := fs.String("delivery-attempts", env("BATON_DELIVERY_ATTEMPTS", "3"), "attempts for an event a bot refuses")
	retention := fs.String("delivery-retention", env("BATON_DELIVERY_RETENTION", "168h"), "how long acknowledged deliveries are kept")
	overlap := fs.String("secret-overlap", env("BATON_SECRET_OVERLAP", "24h"), "how long a rotated-out bot secret keeps signing")
	dbMaxConns := fs.String("db-max-conns", env("BATON_DB_MAX_CONNS", "32"), "connections to PostgreSQL at most")
	maxConns := fs.String("max-connections", env("BATON_MAX_CONNECTIONS", "1024"), "client connections served at once")
	// A boolean flag, so that a bare --webhook-block-private turns it on;
	// its default comes from the environment.
	blockDefault, err := strconv.ParseBool(env("BATON_WEBHOOK_BLOCK_PRIVATE", "false"))
	if err != nil {
		return nil, nil, fmt.Errorf("BATON_WEBHOOK_BLOCK_PRIVATE: %q is not true or false", getenv("BATON_WEBHOOK_BLOCK_PRIVATE"))
	}
	fs.BoolVar(&c.WebhookBlockPrivate, "webhook-block-private", blockDefault, "refuse bot URLs on private addresses")
	fs.StringVar(&c.MetricsToken, "metrics-token", getenv("BATON_METRICS_TOKEN"), "bearer token /metrics asks for")
	c.SecretKey = getenv("BATON_SECRET_KEY")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if c.MaxBodyBytes, err = positive("max-body", *maxBody); err != nil {
		return nil, nil, err
	}
	if c.MaxUploadBytes, err = positive("max-upload", *maxUpload); err != nil {
		return nil, nil, err
	}
	n, err := positive("messages-per-minute", *perMinute)
	if err != nil {
		return nil, nil, err
	}
	c.MessagesPerMinute = int(n)
	rl, err := strconv.Atoi(*rateLimit)
	if err != nil || rl < 0 {
		return nil, nil, fmt.Errorf("rate-limit: %q is not a whole number of requests", *rateLimit)
	}
	c.RateLimit = rl
	for _, part := range strings.Split(*trustedProxies, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return nil, nil, fmt.Errorf("trusted-proxies: %q is not an address or a CIDR range", part)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	if c.DeliveryTimeout, err = duration("delivery-timeout", *timeout); err != nil {
		return nil, nil, err
	}
	if c.DeliveryRetention, err = duration("delivery-retention", *retention); err != nil {
		return nil, nil, err
	}
	if c.SecretOverlap, err = duration("secret-overlap", *overlap); err != nil {
		return nil, nil, err
	}
	for _, part := range strings.Split(*schedule, ",") {
		d, err := duration("delivery-retry-schedule", strings.TrimSpace(part))
		if err != nil {
			return nil, nil, err
		}
		c.DeliveryRetrySchedule = append(c.DeliveryRetrySchedule, d)
	}
	n, err = positive("delivery-attempts", *attempts)
	if err != nil {
		return nil, nil, err
	}
	c.DeliveryAttempts = int(n)
	if n, err = positive("db-max-conns", *dbMaxConns); err != nil {
		return nil, nil, err
	}
	c.DBMaxConns = int(n)
	if n, err = positive("max-connections", *maxConns); err != nil {
		return nil, nil, err
	}
	c.MaxConnections = int(n)
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	return c, fs.Args(), nil
}

// DefaultRetrySchedule spans about two days, the first retries within
// seconds, so that every event of a bot that was down for hours arrives.
const DefaultRetrySchedule = "1s,5s,30s,2m,10m,30m,1h,2h,4h,8h,12h,12h,8h"

// duration reads a positive Go duration.
func duration(name, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration such as 5s or 2m", name, s)
	}
	return d, nil
}

func positive(name, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive whole number", name, s)
	}
	return n, nil
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
