package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/chatwoot"
	"github.com/batonhq/baton/internal/config"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/filestore"
	"github.com/batonhq/baton/internal/metrics"
	"github.com/batonhq/baton/internal/realtime"
	"github.com/batonhq/baton/internal/server"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/postgres"
	"github.com/batonhq/baton/internal/store/sqlite"
	"github.com/batonhq/baton/internal/web/agent"
	"github.com/batonhq/baton/internal/web/widget"
)

// usage is the help text: the commands, the admin commands' flags and the
// configuration's flags, each written from its flag set.
func usage() string {
	var b strings.Builder
	b.WriteString(`Baton: a customer-conversation server where bots and people share conversations.

Usage:
  baton serve     the HTTP server in one process
  baton migrate   apply database migrations and exit
  baton backup --to FILE
                  copy the SQLite database to FILE while it is served (PostgreSQL: pg_dump)
  baton demo      serve with a seeded demo account; print URLs and credentials
  baton version   print the version this binary was built from
`)
	adminUsage(&b)
	b.WriteString("\nConfiguration (flags win over the environment):\n")
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	config.Define(fs, func(string) string { return "" }).Usage(&b)
	return b.String()
}

// env is what a command runs with: the process's streams and environment.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run runs one command line. It is main without the process: tests call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return errors.New("no command given")
	}
	// -h or --help after any command shows the usage, as a success.
	if err := e.command(ctx, args); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	fmt.Fprint(stdout, usage())
	return nil
}

// command runs the command args name.
func (e *env) command(ctx context.Context, args []string) error {
	switch args[0] {
	case "serve":
		return e.serve(ctx, args[1:], nil)
	case "migrate":
		return e.migrate(ctx, args[1:])
	case "backup":
		return e.backup(ctx, args[1:])
	case "demo":
		return e.demo(ctx, args[1:])
	case "admin":
		return e.admin(ctx, args[1:])
	case "help", "-h", "--help":
		return flag.ErrHelp
	case "version", "--version":
		_, err := fmt.Fprintln(e.stdout, "baton "+version())
		return err
	}
	fmt.Fprint(e.stderr, usage())
	return fmt.Errorf("unknown command %q", args[0])
}

// version is the module's version and the commit the binary was built
// from, as the Go toolchain recorded them ("(devel)" for a build of a
// checkout).
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " with changes"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (commit " + rev + modified + ")"
	}
	return v + ", " + info.GoVersion
}

// system is the context of work the command line does: as Baton itself.
func system(ctx context.Context) context.Context {
	return baton.NewContextWithActor(ctx, baton.SystemActor)
}

func (e *env) logger(cfg *config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// openStore opens the configured database and applies pending migrations.
// On PostgreSQL it returns a second store, on connections of its own, for
// the delivery engine: requests that flood the first pool then never keep
// deliveries waiting, nor the takeover of a dead process's lanes (measured:
// with 40 clients posting at once, that takeover waited up to seconds for
// a connection). On SQLite both are the one store, whose writer is one
// connection anyway.
func openStore(ctx context.Context, cfg *config.Config) (st, engine *store.Store, err error) {
	kind, target := cfg.Database()
	if kind == config.Postgres {
		st, err := postgres.Open(ctx, target)
		if err != nil {
			return nil, nil, err
		}
		engine, err := postgres.Connect(ctx, target)
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		// The engine's pool: its owner lock, its loop, its recorder, the
		// announcer and one to spare (the lanes' VACUUM takes it a moment
		// every 2 s), out of the process's connections.
		n := max(2, min(5, cfg.DBMaxConns/4))
		engine.LimitConnections(n)
		st.LimitConnections(max(1, cfg.DBMaxConns-n))
		return st, engine, nil
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return nil, nil, fmt.Errorf("create database directory: %w", err)
	}
	st, err = sqlite.Open(ctx, target)
	return st, st, err
}

// reachable is the URL of a listening address that a client can use: an
// unspecified address (0.0.0.0, ::), which no client can dial, is named by
// the loopback address (the listener takes both families).
func reachable(addr net.Addr) string {
	a, ok := addr.(*net.TCPAddr)
	if !ok || !a.IP.IsUnspecified() {
		return "http://" + addr.String()
	}
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port))
}

// stack is everything a command runs on.
type stack struct {
	cfg   *config.Config
	store *store.Store
	queue *store.Store // the delivery engine's: store itself, or its own connections (openStore)
	// announcer tells the other processes of this one's commits, on
	// PostgreSQL; nil on SQLite.
	announcer *postgres.Announcer
	app       *app.App
	engine    *delivery.Engine
	stats     *metrics.Metrics
	hub       *realtime.Hub // the live channel, /cable
	log       *slog.Logger
	base      atomic.Value // string: the public URL, known for sure once the server listens
}

func (s *stack) publicURL() string { return s.base.Load().(string) }

func (s *stack) close() {
	if s.announcer != nil {
		s.announcer.Stop() // what a command committed is announced
	}
	s.store.Close()
	if s.queue != s.store {
		s.queue.Close()
	}
}

// open reads the configuration and opens everything a command needs.
func (e *env) open(ctx context.Context, name string, args []string) (*stack, []string, error) {
	cfg, rest, err := config.Parse(name, args, e.getenv)
	if err != nil {
		return nil, nil, err
	}
	// No command takes arguments after its flags: a stray word is a
	// mistake, such as an unquoted "--name Acme Corp", never to be ignored.
	if len(rest) > 0 {
		return nil, nil, fmt.Errorf("unexpected argument %q", rest[0])
	}
	s, err := e.openConfig(ctx, cfg)
	return s, nil, err
}

// errWrongKey is the error of a command whose secret key is not the one
// the database's tokens and secrets were sealed with: such a process would
// show no token and sign nothing, and its engine would give up every
// delivery it claimed (handing bots' customers to people).
var errWrongKey = errors.New("the secret key (BATON_SECRET_KEY, or secret_key in the data directory) is not the one this database's secrets are sealed with: give every process of an installation the same key")

// checkKey refuses a key that does not open the database's key check, the
// value the first process sealed with its key; a database from before the
// check, with tokens and no check, is checked against its oldest token.
// Processes started at once on an empty database, each with a key of its
// own, race to seal the check, and all but the first are refused.
func checkKey(ctx context.Context, st *store.Store, key *auth.Key) error {
	sealed, err := st.Read().KeyCheck(ctx)
	if errors.Is(err, baton.ErrNotFound) {
		// The first process since the check came: the tokens tell, if any,
		// and then the check is sealed, the first of processes racing to.
		if sealed, err = st.Read().AnySealedToken(ctx); err == nil {
			if _, err := key.Open(sealed); err != nil {
				return errWrongKey
			}
		} else if !errors.Is(err, baton.ErrNotFound) {
			return err
		}
		if err := st.Write(ctx, func(q *store.Queries) error { return q.SealKeyCheck(ctx, key.Seal("baton")) }); err != nil {
			return err
		}
		sealed, err = st.Read().KeyCheck(ctx)
	}
	if err != nil {
		return err
	}
	if _, err := key.Open(sealed); err != nil {
		return errWrongKey
	}
	return nil
}

// openConfig opens everything a command needs, as the configuration says.
func (e *env) openConfig(ctx context.Context, cfg *config.Config) (*stack, error) {
	st, queue, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &stack{cfg: cfg, store: st, queue: queue, log: e.logger(cfg)}
	key, err := auth.LoadOrCreateKey(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		s.close()
		return nil, err
	}
	if err := checkKey(ctx, st, key); err != nil {
		s.close()
		return nil, err
	}
	files, err := filestore.NewDisk(filepath.Join(cfg.DataDir, "attachments"))
	if err != nil {
		s.close()
		return nil, err
	}
	s.base.Store(cfg.PublicURL)
	if cfg.PublicURL == "" {
		s.base.Store("http://" + cfg.Addr)
	}
	s.engine = delivery.New(delivery.Config{Store: queue, Key: key, Logger: s.log, Timeout: cfg.DeliveryTimeout,
		Schedule: cfg.DeliveryRetrySchedule, Attempts: cfg.DeliveryAttempts, LeaseMargin: cfg.DeliveryLeaseMargin, BlockPrivate: cfg.WebhookBlockPrivate,
		Observe: func(o delivery.Observation) { s.stats.ObserveDelivery(o.Target, o.Outcome, o.Latency) },
		OnGiveUp: func(ctx context.Context, d *baton.Delivery, reason string) {
			if err := s.app.BotFailed(ctx, d, reason); err != nil {
				s.log.Error("handing over a conversation whose bot failed", "delivery", d.UUID, "err", err)
			}
		}})
	s.stats = metrics.New(metrics.Config{Gauges: s.engine.Gauges, Logger: s.log, Live: func() metrics.Live {
		l := s.hub.Stats()
		return metrics.Live{Connections: l.Connections, Subscriptions: l.Subscriptions, Dropped: l.Dropped,
			Events: l.Events, Frames: l.Frames}
	}})
	var checkURL func(context.Context, string) error // --webhook-block-private's courtesy check
	if cfg.WebhookBlockPrivate {
		checkURL = delivery.CheckURL
	}
	// After a commit: this process's engine and live clients at once, the
	// other processes' through the announcer.
	onEvent, onLive := s.engine.Wake, func() { s.hub.Wake() }
	if kind, _ := cfg.Database(); kind == config.Postgres {
		s.announcer = postgres.NewAnnouncer(queue.DB(), s.log)
		onEvent = func() { s.engine.Wake(); s.announcer.Deliveries() }
		onLive = func() { s.hub.Wake(); s.announcer.Live() }
	}
	s.app = app.New(app.Config{Store: st, Key: key, Files: files, Logger: s.log,
		Limits:   app.Limits{MessagesPerMinute: cfg.MessagesPerMinute, WidgetContactsPerHour: cfg.VisitorsPerHour},
		Renderer: &chatwoot.Renderer{PublicURL: s.publicURL}, OnEvent: onEvent, SecretOverlap: cfg.SecretOverlap,
		CheckOutgoingURL: checkURL, OnLive: onLive})
	s.hub = realtime.New(realtime.Config{App: s.app, Renderer: &chatwoot.Cable{PublicURL: s.publicURL}, Logger: s.log})
	return s, nil
}

func (e *env) migrate(ctx context.Context, args []string) error {
	s, _, err := e.open(ctx, "migrate", args)
	if err != nil {
		return err
	}
	defer s.close()
	kind, _ := s.cfg.Database()
	fmt.Fprintf(e.stdout, "migrations applied (%s)\n", kind)
	return nil
}

// serve runs the server and the delivery engine until ctx ends. ready,
// when set, is called with the base URL and the app once the server listens
// (the demo seeds through it).
func (e *env) serve(ctx context.Context, args []string, ready func(base string, a *app.App) error) error {
	s, _, err := e.open(ctx, "serve", args)
	if err != nil {
		return err
	}
	release := func() {}
	defer func() {
		s.close()
		release() // after the database is closed (see sqlite.Own)
	}()
	if kind, target := s.cfg.Database(); kind == config.SQLite {
		// One process serves a SQLite database: the next would take over
		// the leases of the one alive (see ReleaseAllLeases below).
		if release, err = sqlite.Own(target); err != nil {
			release = func() {}
			return err
		}
	}
	cfg, log := s.cfg, s.log
	api := chatwoot.New(chatwoot.Config{App: s.app, Logger: log, PublicURL: s.publicURL,
		MaxBodyBytes: cfg.MaxBodyBytes, MaxUploadBytes: cfg.MaxUploadBytes})
	web := agent.New(agent.Config{App: s.app, Logger: log, PublicURL: s.publicURL, MaxUploadBytes: cfg.MaxUploadBytes})
	mux := http.NewServeMux()
	mux.Handle("/app", web)
	mux.Handle("/app/", web)
	// The server's root is the agent app's, for whoever opens the URL
	// Baton printed.
	mux.Handle("GET /{$}", http.RedirectHandler("/app", http.StatusFound))
	// The website widget's paths (/packs/js/sdk.js, /widget) beside the API.
	mux.Handle("/", widget.New().Handler(s.app, api))
	srv := server.New(server.Config{Handler: mux, Cable: s.hub, Logger: log, Health: s.store.Ping, RateLimit: cfg.RateLimit,
		TrustedProxies: cfg.TrustedProxies,
		Metrics:        s.stats, MetricsToken: cfg.MetricsToken, MaxConnections: cfg.MaxConnections,
		MaxLiveConnections: cfg.MaxLiveConnections})
	// The hub reads the live event log from its end before the first
	// client can subscribe.
	if err := s.hub.Start(ctx); err != nil {
		return err
	}
	defer s.hub.Stop()
	if err := srv.Start(cfg.Addr); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			// Another Baton, or anything on port 3000: the flag that
			// moves it is not in the error.
			return fmt.Errorf("%w: choose another address with --addr or BATON_ADDR", err)
		}
		return err
	}
	listen := reachable(srv.Addr())
	if cfg.PublicURL == "" {
		s.base.Store(listen)
		if ip, ok := srv.Addr().(*net.TCPAddr); ok && ip.IP.IsUnspecified() {
			log.Warn("listening on every interface with no --public-url: links Baton writes (attachments, the widget's script) "+
				"name "+s.publicURL()+", which only this machine reaches; set --public-url to the address customers and bots use",
				"addr", srv.Addr().String())
		}
	}
	// On SQLite one process owns the database: leases found at start were
	// taken by a process that died (kill -9), and its lanes are ours at
	// once rather than when the leases run out.
	if kind, _ := cfg.Database(); kind == config.SQLite {
		err := s.store.Write(ctx, func(q *store.Queries) error {
			if err := q.ReleaseAllLeases(ctx); err != nil {
				return err
			}
			// Nor are the people of a process that died online.
			return q.ForgetOtherProcesses(ctx, s.app.ProcessID())
		})
		if err != nil {
			_ = srv.Stop(context.Background())
			return err
		}
	}
	s.engine.Start(ctx)
	defer s.engine.Stop()
	retention := s.app.NewRetention(cfg.DeliveryRetention, 0)
	retention.Start(ctx)
	defer retention.Stop()
	// Presence: this process beats so its users' live connections count,
	// and what waits for a person is routed as people come online.
	presence := s.app.NewPresenceKeeper(0, s.engine.Owner())
	presence.Start(ctx)
	defer presence.Stop()
	// Snoozed conversations reopen when their time comes.
	snoozes := s.app.NewSnoozeKeeper(0)
	snoozes.Start(ctx)
	defer snoozes.Stop()
	// Reporting events recorded before business hours were kept are
	// counted in them.
	hours := s.app.NewBusinessHoursKeeper(0)
	hours.Start(ctx)
	defer hours.Stop()
	kind, target := cfg.Database()
	if kind == config.Postgres {
		if on, err := postgres.Autovacuum(ctx, s.store); err == nil && !on {
			log.Warn("PostgreSQL's autovacuum is off: the tables every message updates keep their dead rows " +
				"and grow slower to read; set autovacuum = on, or vacuum the database on a schedule")
		}
		s.announcer.Start(ctx)
		// Other processes' commits wake this engine at once, not at its
		// next poll.
		l := postgres.NewListener(target, s.engine.Wake, log)
		l.Start(ctx)
		defer l.Stop()
		// Every process's live clients hear of every process's commits.
		live := postgres.NewLiveListener(target, s.hub.Wake, log)
		live.Start(ctx)
		defer live.Stop()
	}
	log.Info("baton is serving", "addr", srv.Addr().String(), "public_url", s.publicURL(), "database", kind)
	fmt.Fprintf(e.stdout, "Baton is listening on %s\n", listen)
	if ready != nil {
		if err := ready(s.publicURL(), s.app); err != nil {
			_ = srv.Stop(context.Background())
			return err
		}
	}
	<-ctx.Done()
	log.Info("shutting down: finishing requests in flight")
	// Live clients are told to reconnect (to another process, or to this
	// one when it is back); http.Server.Shutdown does not know of them.
	s.hub.Stop()
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Stop(stopCtx)
}
