package batontest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/chatwoot"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/filestore"
	"github.com/batonhq/baton/internal/metrics"
	"github.com/batonhq/baton/internal/realtime"
	"github.com/batonhq/baton/internal/server"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/postgres"
	"github.com/batonhq/baton/internal/store/storetest"
	"github.com/batonhq/baton/internal/web/agent"
	"github.com/batonhq/baton/internal/web/widget"
)

// SecretKey is the key every world seals tokens and secrets with.
const SecretKey = "0123456789abcdef0123456789abcdef"

// Options shape a World. The zero value is Baton on a new SQLite database,
// on the wall clock, with an engine that delivers only when the test calls
// Round, and no live channel.
type Options struct {
	Store *store.Store // nil: a new SQLite database
	Clock *Clock       // nil: the wall clock
	// App and Engine change the app's and the engine's settings after the
	// world has filled them in.
	App    func(*app.Config)
	Engine func(*delivery.Config)
	// RunEngine runs the engine in the background, woken by every commit
	// that writes events; otherwise the test makes its rounds with Round.
	RunEngine bool
	// Live runs the live channel's hub and serves it at /cable; Cable,
	// when set, wraps that handler.
	Live  bool
	Cable func(http.Handler) http.Handler
	// Hub changes the live channel's settings after the world has filled
	// them in.
	Hub func(*realtime.Config)
	// Widget serves the widget's pages in front of the API.
	Widget bool
	// Agent serves the agent app at /app.
	Agent bool
	// PostgresURL, with Live, is the PostgreSQL database Store opened:
	// the hub then hears of every process's commits through LISTEN, as
	// baton serve's on PostgreSQL does, and Start returns once it listens.
	PostgresURL string
	// MetricsToken, when set, serves /metrics behind it, counting the
	// engine's deliveries.
	MetricsToken string
	Logger       *slog.Logger // nil: logs are dropped
}

// World is one Baton for one test: a store, the app, the Chatwoot API over
// real HTTP, a delivery engine and, when asked, the live channel, all on
// one clock, with a platform app that made nothing yet.
type World struct {
	T        testing.TB
	Store    *store.Store
	App      *app.App
	Engine   *delivery.Engine
	Hub      *realtime.Hub    // nil without Options.Live
	Metrics  *metrics.Metrics // nil without Options.MetricsToken
	Clock    *Clock
	Key      *auth.Key
	URL      string // where the server listens
	Files    string // the directory attachments are stored in
	Platform string // the platform app's token
}

// Quiet is a logger that drops everything.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Start starts a World that stops when the test ends.
func Start(t testing.TB, o Options) *World {
	t.Helper()
	w := &World{T: t, Store: o.Store, Clock: o.Clock, Files: t.TempDir()}
	if w.Store == nil {
		w.Store = storetest.OpenSQLite(t)
	}
	if w.Clock == nil {
		w.Clock = NewWallClock()
	}
	log := o.Logger
	if log == nil {
		log = Quiet
	}
	var err error
	if w.Key, err = auth.NewKey(SecretKey); err != nil {
		t.Fatal(err)
	}
	files, err := filestore.NewDisk(w.Files)
	if err != nil {
		t.Fatal(err)
	}
	publicURL := func() string { return w.URL }

	ec := delivery.Config{Store: w.Store, Key: w.Key, Now: w.Clock.Now, Logger: log}
	if o.MetricsToken != "" {
		ec.Observe = func(ob delivery.Observation) { w.Metrics.ObserveDelivery(ob.Target, ob.Outcome, ob.Latency) }
	}
	if o.Engine != nil {
		o.Engine(&ec)
	}
	w.Engine = delivery.New(ec)

	ac := app.Config{Store: w.Store, Key: w.Key, Files: files, Logger: log, Now: w.Clock.Now,
		Renderer: &chatwoot.Renderer{PublicURL: publicURL}}
	// On PostgreSQL the other processes (worlds on the same schema) hear
	// of this one's commits through an announcer, as baton serve's do.
	var announcer *postgres.Announcer
	if o.PostgresURL != "" {
		announcer = postgres.NewAnnouncer(w.Store.DB(), log)
	}
	if o.RunEngine {
		ac.OnEvent = w.Engine.Wake
		if announcer != nil {
			ac.OnEvent = func() { w.Engine.Wake(); announcer.Deliveries() }
		}
	}
	if o.Live {
		ac.OnLive = func() {
			w.Hub.Wake()
			if announcer != nil {
				announcer.Live()
			}
		}
	}
	if o.App != nil {
		o.App(&ac)
	}
	w.App = app.New(ac)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if announcer != nil {
		announcer.Start(ctx)
		t.Cleanup(announcer.Stop)
	}
	sc := server.Config{Handler: chatwoot.New(chatwoot.Config{App: w.App, Logger: log, PublicURL: publicURL}), Logger: log}
	if o.Widget {
		sc.Handler = widget.New().Handler(w.App, sc.Handler)
	}
	if o.Agent {
		web := agent.New(agent.Config{App: w.App, Logger: log, PublicURL: publicURL, Now: w.Clock.Now})
		mux := http.NewServeMux()
		mux.Handle("/app", web)
		mux.Handle("/app/", web)
		mux.Handle("/", sc.Handler)
		sc.Handler = mux
	}
	if o.Live {
		hc := realtime.Config{App: w.App, Renderer: &chatwoot.Cable{PublicURL: publicURL}, Logger: log}
		if o.Hub != nil {
			o.Hub(&hc)
		}
		w.Hub = realtime.New(hc)
		if err := w.Hub.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Hub.Stop)
		if o.PostgresURL != "" {
			listening := make(chan struct{})
			var once sync.Once
			l := postgres.NewLiveListener(o.PostgresURL, w.Hub.Wake, log)
			l.OnListen = func() { once.Do(func() { close(listening) }) }
			l.Start(ctx)
			t.Cleanup(l.Stop)
			<-listening
		}
		sc.Cable = w.Hub
		if o.Cable != nil {
			sc.Cable = o.Cable(w.Hub)
		}
	}
	if o.MetricsToken != "" {
		w.Metrics = metrics.New(metrics.Config{Gauges: w.Engine.Gauges, Now: w.Clock.Now, Logger: log})
		sc.Metrics, sc.MetricsToken = w.Metrics, o.MetricsToken
	}
	srv := server.New(sc)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	w.URL = "http://" + srv.Addr().String()
	if o.RunEngine {
		w.Engine.Start(ctx)
		t.Cleanup(w.Engine.Stop)
	}

	if _, w.Platform, err = w.App.CreatePlatformApp(System(), "Tests"); err != nil {
		t.Fatal(err)
	}
	return w
}

// With returns a copy of the world that fails t: for a fuzz target that
// builds one world and gives each input a copy of its own.
func (w *World) With(t testing.TB) *World {
	c := *w
	c.T = t
	return &c
}

// System is a context acting as Baton itself, which may do anything.
func System() context.Context {
	return baton.NewContextWithActor(context.Background(), baton.SystemActor)
}

// NewAccount makes an account as the system (so the platform app may not
// manage it) and returns its id.
func (w *World) NewAccount(name string) int64 {
	w.T.Helper()
	acc, err := w.App.CreateAccount(System(), app.AccountInput{Name: &name})
	if err != nil {
		w.T.Fatal(err)
	}
	return acc.ID
}

// NewUser makes a user with the role in the account and returns their id
// and access token.
func (w *World) NewUser(account int64, name, email, role string) (int64, string) {
	w.T.Helper()
	password := "password123"
	u, token, err := w.App.CreateUserInAccount(System(), account, app.UserInput{Name: &name, Email: &email, Password: &password}, role)
	if err != nil {
		w.T.Fatal(err)
	}
	return u.ID, token
}

// NewInbox makes an inbox of the channel type (baton.ChannelAPI,
// baton.ChannelWebWidget) in the account.
func (w *World) NewInbox(account int64, name string, channel string) *baton.Inbox {
	w.T.Helper()
	in, err := w.App.CreateInbox(System(), account, app.InboxInput{Name: &name, ChannelType: channel})
	if err != nil {
		w.T.Fatal(err)
	}
	return in
}

// Round makes one synchronous delivery round and returns how many attempts
// it made.
func (w *World) Round() int {
	w.T.Helper()
	n, err := w.Engine.DeliverDue(context.Background())
	if err != nil {
		w.T.Fatalf("delivery round: %v", err)
	}
	return n
}
