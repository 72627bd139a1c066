package postgres

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// DeliveriesChannel is the channel on which a process announces that it
// committed deliveries, its schema as the payload (see Announcer).
const DeliveriesChannel = "baton_deliveries"

// LiveChannel is the channel on which a process announces that it
// committed live events, its schema as the payload (see Announcer).
const LiveChannel = "baton_live"

// Listener wakes this process's delivery engine when another process
// commits deliveries, instead of leaving them to the engine's next poll. It
// holds one connection of its own that LISTENs on DeliveriesChannel, and
// calls Wake for each announcement from its schema. A lost connection is
// made again, waiting longer after each failure; Wake is also called once
// it listens again, for what was committed in between.
type Listener struct {
	url     string
	wake    func()
	log     *slog.Logger
	channel string

	// MinBackoff and MaxBackoff bound the wait before connecting again
	// (defaults 100 ms and 10 s); it doubles after each failure.
	MinBackoff, MaxBackoff time.Duration
	// OnListen, when set, is called each time the listener is connected and
	// listening: for tests.
	OnListen func()

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// NewListener returns a listener on the database at url that calls wake;
// Start runs it.
func NewListener(url string, wake func(), log *slog.Logger) *Listener {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Listener{url: url, wake: wake, log: log, channel: DeliveriesChannel, MinBackoff: 100 * time.Millisecond,
		MaxBackoff: 10 * time.Second}
}

// NewLiveListener returns a listener on LiveChannel: it calls wake for
// each announcement of live events from its schema, and each time it
// listens (again), for what was committed while it did not.
func NewLiveListener(url string, wake func(), log *slog.Logger) *Listener {
	l := NewListener(url, wake, log)
	l.channel = LiveChannel
	return l
}

// Start listens until ctx ends or Stop is called.
func (l *Listener) Start(ctx context.Context) {
	ctx, l.stop = context.WithCancel(ctx)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.run(ctx)
	}()
}

// Stop stops listening and closes the connection.
func (l *Listener) Stop() {
	if l.stop != nil {
		l.stop()
	}
	l.wg.Wait()
}

func (l *Listener) run(ctx context.Context) {
	backoff := l.MinBackoff
	for ctx.Err() == nil {
		listened, err := l.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened {
			backoff = l.MinBackoff
		}
		l.log.Warn("postgres listener: connection lost, connecting again", "err", err, "after", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, l.MaxBackoff)
	}
}

// listen connects, listens and wakes the engine until the connection
// fails or ctx ends; it reports whether it got as far as listening.
func (l *Listener) listen(ctx context.Context) (bool, error) {
	cfg, err := pgx.ParseConfig(l.url)
	if err != nil {
		return false, err
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "baton listener"
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	// The schema is the one the store's connections see: the same URL, so
	// the same search_path.
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return false, fmt.Errorf("current schema: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+l.channel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	l.wake() // for commits made while nobody listened
	if l.OnListen != nil {
		l.OnListen()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		if n.Payload == schema {
			l.wake()
		}
	}
}
