package realtime

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// Renderer renders live events and presence for the wire: the Chatwoot
// surface provides it, since payloads are its wire format.
type Renderer interface {
	Render(e *app.LiveEvent) ([]app.LivePayload, error)
	RenderPresence(accountID int64, users map[int64]string, contacts map[int64]bool) ([]byte, error)
}

// Config is what New needs. Zero durations and sizes take the defaults.
type Config struct {
	App              *app.App
	Renderer         Renderer
	Logger           *slog.Logger
	Now              func() time.Time
	PingInterval     time.Duration // 3 s, as Rails
	TypingTimeout    time.Duration // 30 s: a typing indicator nobody turns off ends by itself
	ResumeWindow     time.Duration // 5 min: how far back a client may resume
	ResumeEvents     int           // 10,000: and at most this many events back
	MaxSubscriptions int           // 50 per connection
	MaxMessageBytes  int64         // 16 KiB: the largest frame a client may send
	SendQueue        int           // 512 frames waiting for a slow client before it is dropped
	WriteTimeout     time.Duration // 10 s for one frame
	// CommandBurst and CommandRate pace what a client sends: CommandBurst
	// frames at once (100), then CommandRate a second (10); past that its
	// frames are read only as the allowance comes back (see conn.pace).
	CommandBurst int
	CommandRate  float64
}

// Hub keeps the live connections and fans committed events out to them.
type Hub struct {
	cfg    Config
	app    *app.App
	render Renderer
	log    *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	conns    map[*conn]struct{}
	pings    [pingSlots]map[*conn]struct{} // the connections by the part of the interval they are pinged in
	nextPing uint16
	contacts map[int64]map[*subscription]struct{} // by contact inbox id
	rooms    map[int64]*room                      // by account id
	// listening counts the subscriptions of each account here (and those
	// being made); quiet is when an account's last one ended. An account
	// nobody has listened to for the resume window has its events skipped,
	// not loaded (hear).
	listening map[int64]int
	quiet     map[int64]time.Time
	ring      []*entry         // recent events, oldest first
	ringIDs   map[int64]uint64 // event id → sequence number in ring
	ringBase  uint64           // sequence number of ring[0]
	kept      map[int64]*kept  // ring's events by account (resume.go)
	// ended is, for each account whose subscriptions were ended here
	// (suspended), the count of endings then (endings): a subscription
	// checked before it is refused when it comes to register.
	ended   map[int64]ending
	endings uint64
	// members is, for each account whose presence changed here, who was
	// a member then and the count of endings then: a user's subscription
	// checked before a change that left them out (removed) is refused
	// when it comes to register.
	members map[int64]memberSet
	closing bool

	// Work for the reading goroutine, and what it alone keeps.
	wake chan struct{}
	// heard is signalled when the hub goes from hearing no account to
	// hearing one: a deaf hub's reading goroutine waits for it or for
	// deafRead (see read).
	heard chan struct{}
	last  int64               // the newest id read
	gaps  map[int64]time.Time // ids read past, not committed then, and since when

	typing map[typingKey]*typingLease // owned by the reading goroutine

	stop context.CancelFunc
	wg   sync.WaitGroup

	stats struct {
		subscriptions, dropped, events, frames, reads atomic.Int64
	}
	dispatched atomic.Int64 // the highest event id handled, for Sync
}

// room is an account's subscriptions on this process.
type room struct {
	users    map[*subscription]struct{}
	contacts map[*subscription]struct{}
}

type ending struct {
	count uint64
	at    time.Time
}

type memberSet struct {
	users map[int64]bool // not changed once kept
	ending
}

type typingKey struct {
	conversation int64
	typist       string
	id           int64
}

type typingLease struct {
	expires time.Time
	event   *app.LiveEvent
}

// entry is an event as it was fanned out, kept for resuming clients. It
// is not changed once kept (fill replaces it), so that a resuming
// subscription reads it outside the hub's lock.
type entry struct {
	id       int64
	seq      uint64 // its place in the ring
	at       time.Time
	event    *app.LiveEvent
	payloads []app.LivePayload
}

// New returns a hub; Start runs it.
func New(c Config) *Hub {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.PingInterval == 0 {
		c.PingInterval = 3 * time.Second
	}
	if c.TypingTimeout == 0 {
		c.TypingTimeout = 30 * time.Second
	}
	if c.ResumeWindow == 0 {
		c.ResumeWindow = 5 * time.Minute
	}
	if c.ResumeEvents == 0 {
		c.ResumeEvents = 10000
	}
	if c.MaxSubscriptions == 0 {
		c.MaxSubscriptions = 50
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = 16 << 10
	}
	if c.SendQueue == 0 {
		c.SendQueue = 512
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.CommandBurst == 0 {
		c.CommandBurst = 100
	}
	if c.CommandRate == 0 {
		c.CommandRate = 10
	}
	h := &Hub{cfg: c, app: c.App, render: c.Renderer, log: c.Logger, now: c.Now,
		conns: map[*conn]struct{}{}, contacts: map[int64]map[*subscription]struct{}{},
		rooms: map[int64]*room{}, ringIDs: map[int64]uint64{}, kept: map[int64]*kept{}, ended: map[int64]ending{},
		members:   map[int64]memberSet{},
		listening: map[int64]int{}, quiet: map[int64]time.Time{}, gaps: map[int64]time.Time{},
		wake: make(chan struct{}, 1), heard: make(chan struct{}, 1), typing: map[typingKey]*typingLease{}}
	for i := range h.pings {
		h.pings[i] = map[*conn]struct{}{}
	}
	return h
}

// Start begins reading the live event log (from its current end) and
// pinging connections, until ctx ends or Stop is called.
func (h *Hub) Start(ctx context.Context) error {
	last, err := h.app.LastLiveEventID(ctx)
	if err != nil {
		return err
	}
	h.last = last
	ctx, h.stop = context.WithCancel(ctx)
	h.wg.Add(2)
	go func() {
		defer h.wg.Done()
		h.read(ctx)
	}()
	go func() {
		defer h.wg.Done()
		h.ping(ctx)
	}()
	return nil
}

// Stop tells every client the server restarts (they reconnect, to another
// process or to this one when it is back), closes the connections and
// stops the hub.
func (h *Hub) Stop() {
	h.mu.Lock()
	h.closing = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	bye := []byte(`{"type":"disconnect","reason":"server_restart","reconnect":true}`)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.closeWith(bye)
		}()
	}
	wg.Wait()
	if h.stop != nil {
		h.stop()
	}
	h.wg.Wait()
}

// Wake tells the hub that live events were committed (SQLite).
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// read is the one goroutine that reads, loads and fans out events, so that
// they go out in the order they committed.
func (h *Hub) read(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		case <-tick.C:
			// Read too, for commits nobody announced: another process's
			// announcement lost while the listener connected again, or a
			// command's (baton admin) that announces none.
			h.sweepTyping(h.now())
		case <-prune.C:
			h.forgetQuiet(h.now())
			if err := h.app.PruneLiveEvents(ctx, h.cfg.ResumeWindow+time.Minute); err != nil && ctx.Err() == nil {
				h.log.Warn("live: pruning the live event log", "err", err)
			}
			continue
		}
		if err := h.catchUp(ctx); err != nil && ctx.Err() == nil {
			h.log.Error("live: reading the live event log", "err", err)
		}
		if h.deaf() {
			// Nobody here hears of any account's events, so the log is
			// read only to keep its place and its ids for clients that
			// resume here, and at most every deafRead: a process that
			// serves only the API (bots' answers, integrations) read the
			// log after each of its commits, hundreds of times a second,
			// for nobody.
			select {
			case <-ctx.Done():
				return
			case <-h.heard:
			case <-time.After(deafRead):
			}
		}
	}
}

// deafRead is how often a hub that hears no account reads the log.
const deafRead = 25 * time.Millisecond

// deaf reports whether the hub hears no account's events (hear): no
// subscription, and none ended within the resume window.
func (h *Hub) deaf() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.listening) == 0 && len(h.quiet) == 0
}

// catchUp fans out what was committed since it last ran, by id. On SQLite
// that is the order of the commits. On PostgreSQL ids are taken in one
// order and committed in another: an id read past (its transaction had not
// committed yet, or rolled back) is a gap, asked for again by each read for
// gapWait. The order within a conversation holds: a transaction writing
// about one holds its row, so the next takes its ids after the first
// committed, and a read that sees the second sees the first.
func (h *Hub) catchUp(ctx context.Context) error {
	now := time.Now() // gaps wait for real transactions, whatever the hub's clock
	for id, since := range h.gaps {
		if now.Sub(since) > gapWait {
			delete(h.gaps, id)
		}
	}
	for {
		also := slices.Sorted(maps.Keys(h.gaps))
		if len(also) > maxAsked {
			// Rolled back by the thousand: the newest are the likeliest
			// still to commit.
			for _, id := range also[:len(also)-maxAsked] {
				delete(h.gaps, id)
			}
			also = also[len(also)-maxAsked:]
		}
		h.stats.reads.Add(1)
		events, read, err := h.app.LiveEventsSince(ctx, h.last, also, 500, h.hear)
		if err != nil {
			return err
		}
		newest := h.last
		got := make(map[int64]bool, len(read))
		for _, id := range read {
			got[id] = true
			delete(h.gaps, id)
			newest = max(newest, id)
		}
		if newest-h.last <= maxGaps {
			for id := h.last + 1; id < newest; id++ {
				if !got[id] {
					h.gaps[id] = now
				}
			}
		}
		advanced := newest > h.last
		h.last = newest
		for _, e := range events {
			if !h.seen(e.ID) {
				h.dispatch(e)
			}
		}
		h.handled(newest) // rows with nothing left to show count too
		if !advanced || len(read) < 500 {
			return nil
		}
	}
}

// gapWait is how long an id read past is asked for again: longer than a
// transaction that wrote a live event stays open. maxGaps bounds how many
// one read may leave, maxAsked how many a read asks for again.
const (
	gapWait  = time.Minute
	maxGaps  = 10000
	maxAsked = 1000
)

func (h *Hub) seen(id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.ringIDs[id]
	return ok
}

// dispatch renders an event and hands its frames to the subscriptions that
// may hear of it. A typing indicator's sender whose message arrives stops
// typing at once.
func (h *Hub) dispatch(e *app.LiveEvent) {
	defer h.handled(e.ID)
	now := h.now()
	if e.Name == baton.EventAccountSuspended || e.Name == baton.EventAccountDeleted {
		h.endAccount(e.AccountID) // skipped or not: it names the account
		return
	}
	if e.Skipped {
		// Nobody here hears of it: kept, unloaded, for a client that
		// resumes (fill loads it then).
		h.mu.Lock()
		h.remember(&entry{id: e.ID, at: now, event: e})
		h.mu.Unlock()
		return
	}
	switch e.Name {
	case baton.EventConversationTypingOn:
		h.typing[typingOf(e)] = &typingLease{expires: now.Add(h.cfg.TypingTimeout), event: e}
	case baton.EventConversationTypingOff:
		delete(h.typing, typingOf(e))
	case baton.EventMessageCreated:
		if m := e.Message; m != nil {
			k := typingKey{conversation: e.ConversationID, typist: m.SenderType, id: m.SenderID}
			if l, ok := h.typing[k]; ok {
				delete(h.typing, k)
				h.typingOff(l)
			}
		}
	}
	if e.Name == baton.EventPresenceUpdate {
		h.presenceChanged(e)
		return
	}
	payloads, err := h.render.Render(e)
	if err != nil {
		h.log.Error("live: rendering an event", "event", e.Name, "id", e.ID, "err", err)
		return
	}
	h.stats.events.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remember(&entry{id: e.ID, at: now, event: e, payloads: payloads})
	h.fanOut(e, payloads, e.ID)
}

// hear reports whether the account's events are to be loaded and
// rendered: while it has a subscription here, and for the resume window
// after its last one ended, so that a client that comes back finds them
// ready. The events of other accounts are skipped: loading and rendering
// every event for nobody cost a quarter of a busy server's CPU.
func (h *Hub) hear(accountID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.listening[accountID] > 0 {
		return true
	}
	since, ok := h.quiet[accountID]
	return ok && h.now().Sub(since) <= h.cfg.ResumeWindow
}

// listen and unlisten count a subscription of the account. h.mu is held.
func (h *Hub) listen(accountID int64) {
	if len(h.listening) == 0 && len(h.quiet) == 0 {
		select {
		case h.heard <- struct{}{}:
		default:
		}
	}
	h.listening[accountID]++
}

func (h *Hub) unlisten(accountID int64) {
	if h.listening[accountID]--; h.listening[accountID] <= 0 {
		delete(h.listening, accountID)
		h.quiet[accountID] = h.now()
	}
}

// forgetQuiet forgets the accounts quiet for longer than the resume window.
func (h *Hub) forgetQuiet(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, since := range h.quiet {
		if now.Sub(since) > h.cfg.ResumeWindow {
			delete(h.quiet, id)
		}
	}
	for id, e := range h.ended {
		if now.Sub(e.at) > h.cfg.ResumeWindow {
			delete(h.ended, id)
		}
	}
	for id, m := range h.members {
		if now.Sub(m.at) > h.cfg.ResumeWindow {
			delete(h.members, id)
		}
	}
}

// fanOut hands an event's frames to the subscriptions that may hear of it
// (subscription.payload decides). h.mu is held.
func (h *Hub) fanOut(e *app.LiveEvent, payloads []app.LivePayload, id int64) {
	for _, p := range payloads {
		if r := h.rooms[e.AccountID]; p.Agent != nil && r != nil {
			for s := range r.users {
				s.send(p.Event, s.payload(e, p), id)
			}
		}
		if p.Contact != nil && e.ContactInboxID != 0 {
			for s := range h.contacts[e.ContactInboxID] {
				s.send(p.Event, s.payload(e, p), id)
			}
		}
	}
}

// handled records that events up to the id were handled. Only the
// reading goroutine writes it.
func (h *Hub) handled(id int64) {
	if id > h.dispatched.Load() {
		h.dispatched.Store(id)
	}
}

func typingOf(e *app.LiveEvent) typingKey {
	k := typingKey{conversation: e.ConversationID}
	if s := e.Typist; s != nil {
		k.typist = s.Type
		switch {
		case s.User != nil:
			k.id = s.User.ID
		case s.Bot != nil:
			k.id = s.Bot.ID
		case s.Contact != nil:
			k.id = s.Contact.ID
		}
	}
	return k
}

// sweepTyping ends the typing indicators that nobody turned off in time.
func (h *Hub) sweepTyping(now time.Time) {
	for k, l := range h.typing {
		if !now.Before(l.expires) {
			delete(h.typing, k)
			h.typingOff(l)
		}
	}
}

// typingOff fans out the end of a typing indicator that the hub ends
// itself. It is not remembered for resuming: an indicator is of the moment.
func (h *Hub) typingOff(l *typingLease) {
	off := *l.event
	off.Name = baton.EventConversationTypingOff
	payloads, err := h.render.Render(&off)
	if err != nil {
		h.log.Error("live: rendering a typing indicator's end", "err", err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fanOut(&off, payloads, 0)
}

// Stats are the hub's counts, for /metrics.
type Stats struct {
	Connections   int
	Subscriptions int
	Dropped       int64 // connections dropped for not keeping up
	Events        int64 // events fanned out
	Frames        int64 // frames queued for clients
	Reads         int64 // reads of the live event log
}

// Stats returns the hub's counts now.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	n := len(h.conns)
	h.mu.Unlock()
	return Stats{Connections: n, Subscriptions: int(h.stats.subscriptions.Load()), Dropped: h.stats.dropped.Load(),
		Events: h.stats.events.Load(), Frames: h.stats.frames.Load(), Reads: h.stats.reads.Load()}
}

// presence renders the account's presence: its users who are there, on
// any process (from the database), and, for agents, the contacts
// connected to this process, read from the account's own subscriptions
// (each presence change of every account walked every contact online
// here, under the hub's lock).
func (h *Hub) presence(accountID int64, forAgents bool) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	users, err := h.app.AccountPresence(ctx, accountID)
	if err != nil {
		h.log.Warn("live: reading presence", "err", err)
		users = map[int64]string{}
	}
	var contacts map[int64]bool
	if forAgents {
		contacts = h.contactsHere(accountID)
	}
	b, err := h.render.RenderPresence(accountID, users, contacts)
	if err != nil {
		return nil
	}
	return b
}

// contactsHere returns the account's contacts connected to this process.
func (h *Hub) contactsHere(accountID int64) map[int64]bool {
	contacts := map[int64]bool{}
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[accountID]; r != nil {
		for s := range r.contacts {
			contacts[s.who.ContactID] = true
		}
	}
	return contacts
}

// presenceChanged tells the account's agents on this process who is there
// now. The event's audience are the account's members: the subscriptions
// of a user who is no longer one (removed from the account, deleted) end
// here, and their connections are closed with Rails' remote disconnect,
// so that the client subscribes again and is refused (its other
// subscriptions come back). They had heard of the account's presence, and
// could ask for it, for as long as they stayed connected. One of theirs
// checked before the change, still on its way, is refused when it comes
// to register (members).
func (h *Hub) presenceChanged(e *app.LiveEvent) {
	b := h.presence(e.AccountID, true)
	var gone []*subscription
	h.mu.Lock()
	h.keepMembers(e.AccountID, e.Users)
	if r := h.rooms[e.AccountID]; r != nil {
		for s := range r.users {
			if !e.Users[s.who.UserID] {
				gone = append(gone, s)
				continue
			}
			s.send("presence.update", b, 0)
		}
	}
	h.end(gone)
	h.mu.Unlock()
	for _, s := range gone {
		go func() {
			h.left(s)
			s.c.closeWith(frameRemote)
		}()
	}
}

// keepMembers keeps the account's members as a change of its presence
// names them, for register: a user left out whose subscription was
// checked before is refused. h.mu is held.
func (h *Hub) keepMembers(accountID int64, users map[int64]bool) {
	h.endings++
	h.members[accountID] = memberSet{users: users, ending: ending{count: h.endings, at: h.now()}}
}

// endAccount ends every subscription of the account here, its users' and
// its contacts', as presenceChanged ends a removed member's: the account
// was suspended or deleted, and they kept hearing of it (a widget's
// visitors could still be told of its agents' replies). Their connections
// are closed with Rails' remote disconnect; the clients connect again and
// are refused. A subscription checked before the suspension or deletion
// committed, still on its way, is refused when it comes to register
// (ended).
func (h *Hub) endAccount(accountID int64) {
	var gone []*subscription
	h.mu.Lock()
	h.endings++
	h.ended[accountID] = ending{count: h.endings, at: h.now()}
	if r := h.rooms[accountID]; r != nil {
		for s := range r.users {
			gone = append(gone, s)
		}
		for s := range r.contacts {
			gone = append(gone, s)
		}
	}
	h.end(gone)
	h.mu.Unlock()
	closed := map[*conn]bool{}
	for _, s := range gone {
		if !closed[s.c] {
			closed[s.c] = true
			go s.c.closeWith(frameRemote)
		}
		if s.who.UserID != 0 {
			go h.left(s)
		}
	}
}

// end forgets the subscriptions, taking them from their connections. h.mu
// is held.
func (h *Hub) end(gone []*subscription) {
	for _, s := range gone {
		for k, x := range s.c.subs {
			if x == s {
				delete(s.c.subs, k)
				h.drop(s)
			}
		}
	}
}

// jsonString encodes s as a JSON string.
func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// readPast waits, a second at most, until the hub has read the log past
// the id, or its end when the id is past it: an id no event has (yet) is a
// client's mistake or a probe, and is not waited for.
func (h *Hub) readPast(ctx context.Context, id int64) {
	if h.dispatched.Load() >= id {
		return
	}
	if last, err := h.app.LastLiveEventID(ctx); err == nil {
		id = min(id, last)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for h.dispatched.Load() < id {
		h.Wake()
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// Sync waits until the hub has fanned out every live event committed
// before the call (tests use it to subscribe after what they set up).
func (h *Hub) Sync(ctx context.Context) error {
	want, err := h.app.LastLiveEventID(ctx)
	if err != nil {
		return err
	}
	for {
		h.Wake()
		if h.dispatched.Load() >= want || want == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
