package app

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// FileStore keeps attachment bytes. The disk store under the data dir is
// the default; an S3-compatible store can take its place.
type FileStore interface {
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
}

// Limits bound what one request may make.
type Limits struct {
	MessagesPerMinute     int   // per conversation, all senders (Chatwoot's flood guard)
	AttachmentMaxBytes    int64 // per file
	AttachmentsPerMessage int
	// WidgetContactsPerHour is how many new widget visitors (contacts) one
	// client address may start in an hour; loopback is exempt.
	WidgetContactsPerHour int
}

// DefaultLimits are Chatwoot's: 200 messages a minute in a conversation,
// 15 attachments a message, 40 MB a file.
var DefaultLimits = Limits{MessagesPerMinute: 200, AttachmentMaxBytes: 40 << 20, AttachmentsPerMessage: 15, WidgetContactsPerHour: 20}

// DefaultSecretOverlap is how long a bot's rotated-out secret keeps
// signing beside the new one.
const DefaultSecretOverlap = 24 * time.Hour

// Config is what New needs.
type Config struct {
	Store  *store.Store
	Key    *auth.Key
	Files  FileStore
	Logger *slog.Logger
	Now    func() time.Time // defaults to time.Now
	Limits Limits           // zero fields take DefaultLimits
	// Renderer renders event payloads; without one no events are written.
	Renderer Renderer
	// OnEvent is called after a transaction that queued a delivery at the
	// head of its lane commits: the delivery engine's wake-up. A delivery
	// queued behind another is claimed when the one before it is done.
	OnEvent func()
	// OnLive is called after a transaction that wrote live events commits:
	// the live hub's wake-up.
	OnLive func()
	// SecretOverlap is how long a bot's rotated-out secret keeps signing
	// (default 24 hours).
	SecretOverlap time.Duration
	// CheckOutgoingURL, when set, vets a bot's outgoing URL when the bot is
	// created, changed or connected to an inbox; an error refuses it. It is
	// --webhook-block-private's courtesy check: the delivery engine's
	// check of each address it dials is the guarantee.
	CheckOutgoingURL func(ctx context.Context, rawURL string) error
	// ProcessID names this process in the presence tables; empty is a new
	// random id.
	ProcessID string
}

// App is the set of use cases over one store.
type App struct {
	store         *store.Store
	key           *auth.Key
	files         FileStore
	log           *slog.Logger
	now           func() time.Time
	limits        Limits
	render        Renderer
	onEvent       func()
	onLive        func()
	secretOverlap time.Duration
	checkURL      func(ctx context.Context, rawURL string) error
	newVisitors   *window[netip.Addr] // widget contacts started per client address
	widgetEvents  *window[int64]      // widget events per visitor (contact inbox)
	widgetConvs   *window[int64]      // conversations started per visitor (contact inbox)
	answers       *window[int64]      // changed answers per conversation
	signIns       signInLimiter
	processID     string
	// heard guesses, by where a message is written, whether someone will
	// hear of it (see heardGuess).
	heard sync.Map
}

// New returns an App.
func New(c Config) *App {
	a := &App{store: c.Store, key: c.Key, files: c.Files, log: c.Logger, now: c.Now, limits: c.Limits,
		render: c.Renderer, onEvent: c.OnEvent, onLive: c.OnLive, secretOverlap: c.SecretOverlap,
		checkURL: c.CheckOutgoingURL, processID: c.ProcessID}
	if a.processID == "" {
		a.processID = newUUID()
	}
	if a.secretOverlap == 0 {
		a.secretOverlap = DefaultSecretOverlap
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if a.limits.MessagesPerMinute == 0 {
		a.limits.MessagesPerMinute = DefaultLimits.MessagesPerMinute
	}
	if a.limits.AttachmentMaxBytes == 0 {
		a.limits.AttachmentMaxBytes = DefaultLimits.AttachmentMaxBytes
	}
	if a.limits.AttachmentsPerMessage == 0 {
		a.limits.AttachmentsPerMessage = DefaultLimits.AttachmentsPerMessage
	}
	if a.limits.WidgetContactsPerHour == 0 {
		a.limits.WidgetContactsPerHour = DefaultLimits.WidgetContactsPerHour
	}
	a.newVisitors = &window[netip.Addr]{length: time.Hour}
	a.widgetEvents = &window[int64]{length: time.Minute}
	a.widgetConvs = &window[int64]{length: time.Hour}
	a.answers = &window[int64]{length: time.Minute}
	return a
}

// Now returns the app's current time, truncated to microseconds: the
// precision times are stored with.
func (a *App) Now() time.Time { return a.now().UTC().Truncate(time.Microsecond) }

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// window counts events per key (a client address, a visitor, a
// conversation) in fixed windows: an abuse limit that holds in one process
// (each replica of a scaled-out server counts its own). Its memory is the
// keys of one window.
type window[K comparable] struct {
	mu     sync.Mutex
	length time.Duration
	start  time.Time
	counts map[K]int
}

// take counts one event of key at now and reports whether it is within
// limit.
func (w *window[K]) take(key K, now time.Time, limit int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Sub(w.start) >= w.length || w.counts == nil {
		w.start, w.counts = now, map[K]int{}
	}
	if w.counts[key] >= limit {
		return false
	}
	w.counts[key]++
	return true
}

// full reports whether key's events in the window at now have reached
// limit, counting none.
func (w *window[K]) full(key K, now time.Time, limit int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return now.Sub(w.start) < w.length && w.counts[key] >= limit
}

// takeAddr is take for a client address; unknown and loopback addresses
// are not limited.
func takeAddr(w *window[netip.Addr], addr netip.Addr, now time.Time, limit int) bool {
	return !addr.IsValid() || addr.IsLoopback() || w.take(addr, now, limit)
}
