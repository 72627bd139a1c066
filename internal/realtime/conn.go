package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/batonhq/baton/internal/app"
	"github.com/coder/websocket"
)

// Protocol is ActionCable's subprotocol, which clients offer and must be
// answered (they close the socket otherwise).
const Protocol = "actioncable-v1-json"

var (
	frameWelcome = []byte(`{"type":"welcome"}`)
	frameRestart = []byte(`{"type":"disconnect","reason":"server_restart","reconnect":true}`)
	// frameRemote is what Rails sends a connection the server ends
	// (remote_connections…disconnect): the client connects again.
	frameRemote = []byte(`{"type":"disconnect","reason":"remote","reconnect":true}`)
)

// conn is one live WebSocket. Its frames wait in a queue that a writer
// goroutine, started only while there is something to write, drains: an
// idle connection costs its reading goroutine and little else, and the
// fan-out never waits for a client.
type conn struct {
	hub    *Hub
	ws     *websocket.Conn
	cancel context.CancelFunc

	out *corkConn // the socket under ws, to write a batch of frames at once

	mu      sync.Mutex
	queue   []outFrame
	writing bool
	dead    bool
	drained chan struct{} // closed when the queue empties, while someone waits

	subs map[string]*subscription // by identifier, as sent; guarded by hub.mu
	slot uint16                   // the part of the ping interval it is pinged in; guarded by hub.mu

	// The client's allowance of frames (pace), kept by the reading
	// goroutine alone.
	allowance float64
	paced     time.Time
}

// subscription is one RoomChannel subscription of a connection.
type subscription struct {
	c      *conn
	ident  []byte // the identifier as a JSON string, echoed byte for byte
	who    *app.Subscriber
	resume bool // the client asked for event ids and resuming
}

// ServeHTTP serves /cable: a WebSocket upgrade, or Rails' 404 for a plain
// request. Any Origin is accepted, as Chatwoot does: the widget runs on
// customers' sites, and the pubsub token in each subscription is the
// credential.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("Page not found"))
		return
	}
	hw := &hijackWriter{ResponseWriter: w}
	ws, err := websocket.Accept(hw, r, &websocket.AcceptOptions{Subprotocols: []string{Protocol},
		InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	ws.SetReadLimit(h.cfg.MaxMessageBytes)
	// The request's context ends with the handler; the connection's lives
	// until it closes.
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{hub: h, ws: ws, out: hw.conn, cancel: cancel, subs: map[string]*subscription{}}
	if !h.add(c) {
		cancel()
		c.closeWith(frameRestart)
		return
	}
	c.enqueue(frameWelcome)
	// The connection is read on a goroutine of its own, and this one, deep
	// in the HTTP server's and the middleware's frames, ends: a client at
	// rest then holds a small stack.
	go h.serve(ctx, c)
}

// serve reads the client's commands until the connection ends.
func (h *Hub) serve(ctx context.Context, c *conn) {
	defer h.remove(c)
	for {
		typ, b, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		if h.pace(ctx, c) != nil {
			return
		}
		if typ == websocket.MessageText {
			// A command may go deep (the store); run on a goroutine of
			// its own, it leaves the reading goroutine's stack small.
			done := make(chan struct{})
			go func() {
				defer close(done)
				h.command(ctx, c, b)
			}()
			<-done
		}
	}
}

// pace waits until the client may send another frame: CommandBurst at
// once, then CommandRate a second. A client that sends faster is read
// more slowly (its frames wait in the network's buffers, then its writes
// do); it is not dropped. Frames are not free: a subscription is looked up
// in the database, a user's subscribing and unsubscribing each write
// presence and tell every agent of the account, and update_presence reads
// it again; a client looping on them made thousands of statements a second
// (65 MB of SQLite's log in 3 s) on one connection, past the requests a
// minute the server allows an address.
func (h *Hub) pace(ctx context.Context, c *conn) error {
	burst, rate := float64(h.cfg.CommandBurst), h.cfg.CommandRate
	for {
		now := h.now()
		if c.paced.IsZero() {
			c.allowance = burst
		} else if d := now.Sub(c.paced); d > 0 {
			c.allowance = min(burst, c.allowance+d.Seconds()*rate)
		}
		c.paced = now
		if c.allowance >= 1 {
			c.allowance--
			return nil
		}
		// The hub's clock decides when; the wait only looks again.
		wait := time.Duration((1 - c.allowance) / rate * float64(time.Second))
		t := time.NewTimer(min(wait, 100*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (h *Hub) add(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.conns[c] = struct{}{}
	c.slot = h.nextPing
	h.pings[c.slot][c] = struct{}{}
	h.nextPing = (h.nextPing + 1) % pingSlots
	return true
}

// remove forgets a closed connection and its subscriptions.
func (h *Hub) remove(c *conn) {
	c.kill()
	h.mu.Lock()
	delete(h.conns, c)
	delete(h.pings[c.slot], c)
	var gone []*subscription
	for _, s := range c.subs {
		h.drop(s)
		gone = append(gone, s)
	}
	c.subs = nil
	h.mu.Unlock()
	for _, s := range gone {
		h.left(s)
	}
}

// came records a user's subscription in the presence the team sees (on
// every process) and tells the accounts' live clients.
func (h *Hub) came(ctx context.Context, s *subscription) {
	if s.who.UserID == 0 {
		return
	}
	if err := h.app.UserConnected(ctx, h.app.ProcessID(), s.who.UserID); err != nil {
		h.log.Warn("live: recording presence", "err", err)
	}
	if err := h.app.PublishPresence(ctx, s.who.UserID); err != nil {
		h.log.Warn("live: announcing presence", "err", err)
	}
}

// left is came's undoing, when the subscription ends.
func (h *Hub) left(s *subscription) {
	if s.who.UserID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.app.UserDisconnected(ctx, h.app.ProcessID(), s.who.UserID); err != nil {
		h.log.Warn("live: recording presence", "err", err)
	}
	if err := h.app.PublishPresence(ctx, s.who.UserID); err != nil {
		h.log.Warn("live: announcing presence", "err", err)
	}
}

// command is one client frame. Unknown commands, bad JSON and unknown
// actions are ignored without a reply, as Rails does.
func (h *Hub) command(ctx context.Context, c *conn, b []byte) {
	var cmd struct {
		Command    string          `json:"command"`
		Identifier string          `json:"identifier"`
		Data       json.RawMessage `json:"data"`
	}
	if json.Unmarshal(b, &cmd) != nil {
		return
	}
	switch cmd.Command {
	case "subscribe":
		h.subscribe(ctx, c, cmd.Identifier)
	case "unsubscribe":
		h.mu.Lock()
		s, ok := c.subs[cmd.Identifier]
		if ok {
			delete(c.subs, cmd.Identifier)
			h.drop(s)
		}
		h.mu.Unlock()
		if ok {
			h.left(s)
		}
	case "message":
		// data is a JSON string holding the action's JSON.
		var data string
		if json.Unmarshal(cmd.Data, &data) != nil {
			data = string(cmd.Data)
		}
		var act struct {
			Action string `json:"action"`
		}
		if json.Unmarshal([]byte(data), &act) != nil {
			return
		}
		h.mu.Lock()
		s, ok := c.subs[cmd.Identifier]
		h.mu.Unlock()
		if ok && act.Action == "update_presence" {
			s.send("presence.update", h.presence(s.who.AccountID, s.who.UserID != 0), 0)
		}
	}
}

// maxIdentifier is the longest identifier a subscription may have.
// Chatwoot's are about 100 bytes; a subscription keeps its identifier
// twice (its key, and as JSON for its frames) and repeats it in every
// frame it is sent, and one of 16 KiB (a frame's limit) made each of a
// contact's events 16 KiB larger and each subscription hold 32 KiB.
const maxIdentifier = 1 << 10

// roomParams are a RoomChannel identifier's parameters. LastEventID is
// Baton's: a client that sends it gets event ids and can resume.
type roomParams struct {
	Channel     string          `json:"channel"`
	PubsubToken string          `json:"pubsub_token"`
	AccountID   json.RawMessage `json:"account_id"`
	UserID      json.RawMessage `json:"user_id"`
	LastEventID *int64          `json:"last_event_id"`
}

// number reads a JSON number or a string of digits; anything else is 0.
func number(raw json.RawMessage) int64 {
	s := strings.Trim(string(raw), `"`)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// subscribe resolves a subscription's token and registers it, answering
// confirm_subscription, or reject_subscription for an unknown token, a
// user who is not in the account, another channel or one subscription too
// many (Chatwoot answers nothing; both client versions handle the reject).
func (h *Hub) subscribe(ctx context.Context, c *conn, identifier string) {
	ident := jsonString(identifier)
	reject := func() {
		c.enqueue([]byte(`{"identifier":` + string(ident) + `,"type":"reject_subscription"}`))
	}
	var p roomParams
	if len(identifier) > maxIdentifier || json.Unmarshal([]byte(identifier), &p) != nil || p.Channel != "RoomChannel" {
		reject()
		return
	}
	h.mu.Lock()
	_, dup := c.subs[identifier]
	full := len(c.subs) >= h.cfg.MaxSubscriptions
	h.mu.Unlock()
	if dup {
		return // Rails ignores a subscription made twice
	}
	if full {
		reject()
		return
	}
	// An account suspended from here on refuses the subscription (ended),
	// whatever the check below read.
	h.mu.Lock()
	endings := h.endings
	h.mu.Unlock()
	var who *app.Subscriber
	var err error
	if userID := number(p.UserID); userID != 0 || len(p.UserID) > 0 {
		who, err = h.app.SubscribeUser(ctx, p.PubsubToken, number(p.AccountID), userID)
	} else {
		who, err = h.app.SubscribeContact(ctx, p.PubsubToken)
	}
	if err != nil || h.subscribed(c, who) {
		reject()
		return
	}
	s := &subscription{c: c, ident: ident, who: who, resume: p.LastEventID != nil}
	h.came(ctx, s)
	presence := h.presence(who.AccountID, who.UserID != 0)
	// The account's events are loaded from here on; those skipped before
	// that a resuming client missed are loaded now.
	h.mu.Lock()
	h.listen(who.AccountID)
	h.mu.Unlock()
	var missed *replay
	if p.LastEventID != nil && *p.LastEventID != 0 {
		// The client may have heard, from another process, of events this
		// one has not read yet (a hub nobody listened to reads late).
		h.readPast(ctx, *p.LastEventID)
		missed = h.missed(ctx, s, *p.LastEventID)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ok, refused := h.register(c, identifier, s, endings); !ok {
		h.unlisten(who.AccountID)
		if who.UserID != 0 {
			go h.left(s)
		}
		if refused {
			reject()
		}
		return
	}
	c.enqueue([]byte(`{"identifier":` + string(ident) + `,"type":"confirm_subscription"}`))
	if missed != nil {
		h.sendMissed(s, missed)
	}
	s.send("presence.update", presence, 0)
}

// subscribed reports whether the connection has a subscription of the
// subscriber already, under another identifier (the same one is ignored
// before). A second is refused: each would be sent every frame again, and
// a client subscribing one contact 50 times on each of its connections
// had every message it wrote sent back 50 times a connection. Commands of
// a connection run one at a time, so none can come between this and the
// subscription's registration.
func (h *Hub) subscribed(c *conn, who *app.Subscriber) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range c.subs {
		if s.who.AccountID == who.AccountID && s.who.UserID == who.UserID && s.who.ContactInboxID == who.ContactInboxID {
			return true
		}
	}
	return false
}

func add(m map[int64]map[*subscription]struct{}, k int64, s *subscription) {
	set := m[k]
	if set == nil {
		set = map[*subscription]struct{}{}
		m[k] = set
	}
	set[s] = struct{}{}
}

func del(m map[int64]map[*subscription]struct{}, k int64, s *subscription) {
	if set := m[k]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

// register adds the subscription to its connection and to the hub, and
// reports whether it did: not when the connection closed meanwhile or has
// it already (ignored, as Rails does), nor when its account was suspended
// here since endings was read, before the subscription was checked, or
// its user's membership ended since (refused). h.mu is held.
func (h *Hub) register(c *conn, identifier string, s *subscription, endings uint64) (ok, refused bool) {
	if _, dup := c.subs[identifier]; dup || c.subs == nil {
		return false, false
	}
	if h.ended[s.who.AccountID].count > endings {
		return false, true
	}
	if m, ok := h.members[s.who.AccountID]; ok && s.who.UserID != 0 && m.count > endings && !m.users[s.who.UserID] {
		return false, true
	}
	c.subs[identifier] = s
	h.join(s)
	return true, false
}

// join registers a subscription with its account (rooms), and a
// contact's with their contact inbox. h.mu is held.
func (h *Hub) join(s *subscription) {
	h.stats.subscriptions.Add(1)
	who := s.who
	r := h.rooms[who.AccountID]
	if r == nil {
		r = &room{users: map[*subscription]struct{}{}, contacts: map[*subscription]struct{}{}}
		h.rooms[who.AccountID] = r
	}
	if who.UserID != 0 {
		r.users[s] = struct{}{}
		return
	}
	r.contacts[s] = struct{}{}
	add(h.contacts, who.ContactInboxID, s)
}

// drop forgets a subscription. h.mu is held.
func (h *Hub) drop(s *subscription) {
	h.stats.subscriptions.Add(-1)
	who := s.who
	h.unlisten(who.AccountID)
	if who.UserID == 0 {
		del(h.contacts, who.ContactInboxID, s)
	}
	if r := h.rooms[who.AccountID]; r != nil {
		delete(r.users, s)
		delete(r.contacts, s)
		if len(r.users) == 0 && len(r.contacts) == 0 {
			delete(h.rooms, who.AccountID)
		}
	}
}

// payload is what the subscriber is sent of one frame of an event: the
// agents' data for a user the event's audience holds, the contact's for
// the contact it names, nothing otherwise. Never across accounts.
func (s *subscription) payload(e *app.LiveEvent, p app.LivePayload) []byte {
	if s.who.AccountID != e.AccountID {
		return nil
	}
	if s.who.UserID != 0 {
		if e.Users[s.who.UserID] {
			return p.Agent
		}
		return nil
	}
	if e.ContactInboxID != 0 && e.ContactInboxID == s.who.ContactInboxID {
		return p.Contact
	}
	return nil
}

// send queues a message frame for the subscription; id, when not 0, is
// the event's, for clients that resume. The frame is built when written,
// from the data every subscriber of the event shares.
func (s *subscription) send(event string, data []byte, id int64) {
	if data == nil {
		return
	}
	if !s.resume {
		id = 0
	}
	s.c.hub.stats.frames.Add(1)
	s.c.enqueueFrame(outFrame{ident: s.ident, event: event, data: data, id: id})
}

// outFrame is a frame waiting to be written: a whole one (raw), or a
// subscription's message frame, made of its identifier and an event's
// data.
type outFrame struct {
	raw   []byte
	ident []byte
	event string
	data  []byte
	id    int64
}

// appendTo appends the message frame to b.
func (f *outFrame) appendTo(b []byte) []byte {
	b = append(b, `{"identifier":`...)
	b = append(b, f.ident...)
	b = append(b, `,"message":{"event":"`...)
	b = append(b, f.event...)
	b = append(b, `","data":`...)
	b = append(b, f.data...)
	if f.id != 0 {
		b = append(b, `,"event_id":`...)
		b = strconv.AppendInt(b, f.id, 10)
	}
	return append(b, "}}"...)
}

// corkLimit is about the most a connection's cork holds before it is
// written out.
const corkLimit = 64 << 10

// framePool holds the buffers writers build message frames in.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// enqueue queues a frame. A client whose queue is full is dropped: it is
// not keeping up, and the fan-out does not wait for anyone.
func (c *conn) enqueue(b []byte) {
	c.enqueueFrame(outFrame{raw: b})
}

func (c *conn) enqueueFrame(f outFrame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return
	}
	if len(c.queue) >= c.hub.cfg.SendQueue {
		c.hub.stats.dropped.Add(1)
		c.dead, c.queue = true, nil
		c.cancel()
		go c.ws.CloseNow()
		return
	}
	c.queue = append(c.queue, f)
	if !c.writing {
		c.writing = true
		go c.write()
	}
}

// write drains the queue, then ends. The frames taken at once leave in
// one write to the socket (one system call, not one a frame), within the
// write timeout, or in writes of about corkLimit when they are more.
func (c *conn) write() {
	bp := framePool.Get().(*[]byte)
	defer framePool.Put(bp)
	for c.more() {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		c.mu.Unlock()
		c.out.cork()
		held := 0
		for i := range batch {
			f := &batch[i]
			b := f.raw
			if b == nil {
				*bp = f.appendTo((*bp)[:0])
				b = *bp
			}
			// Written into the cork, this does not block: no deadline.
			if err := c.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
				c.kill()
				break
			}
			// The cork holds a copy of each frame, made for this
			// connection: a batch of large frames whole held megabytes a
			// connection (50 frames of a long message, 7.5 MB; 20 such
			// clients took the server from 40 MB to 800 MB).
			if held += len(b); held >= corkLimit && i < len(batch)-1 {
				if err := c.out.uncork(c.hub.cfg.WriteTimeout); err != nil {
					c.kill()
					break
				}
				c.out.cork()
				held = 0
			}
		}
		if err := c.out.uncork(c.hub.cfg.WriteTimeout); err != nil {
			c.kill()
		}
	}
}

// more reports whether frames wait for the connection's writer. When none
// do (or the connection is dead), the writer's part ends: the next frame
// queued starts another.
func (c *conn) more() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) > 0 && !c.dead {
		return true
	}
	c.writing = false
	c.queue = nil
	if c.drained != nil {
		close(c.drained)
		c.drained = nil
	}
	return false
}

// hijackWriter hands websocket.Accept the connection wrapped in a
// corkConn.
type hijackWriter struct {
	http.ResponseWriter
	conn *corkConn
}

func (w *hijackWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &corkConn{Conn: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			w.conn.raw = raw
		}
	}
	if err := brw.Writer.Flush(); err != nil { // the response, if still buffered
		_ = nc.Close()
		return nil, nil, err
	}
	brw.Writer.Reset(w.conn) // keeps the server's buffer and its size
	return w.conn, brw, nil
}

// corkConn is a live socket that can hold what is written to it (corked)
// and send it in one write when uncorked: a writer that has several frames
// to send makes one system call, not one a frame.
type corkConn struct {
	net.Conn
	raw    syscall.RawConn // the socket, for tryWrite; nil when the connection gives none
	mu     sync.Mutex
	corked bool
	buf    *[]byte
}

// corkPool holds the buffers of corked sockets, so that an idle one holds
// none.
var corkPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked {
		*c.buf = append(*c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *corkConn) cork() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		c.corked, c.buf = true, corkPool.Get().(*[]byte)
	}
}

// uncork writes what was held, waiting at most the timeout.
func (c *corkConn) uncork(timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return nil
	}
	b := c.buf
	c.corked, c.buf = false, nil
	defer func() {
		if cap(*b) <= 256<<10 {
			*b = (*b)[:0]
			corkPool.Put(b)
		}
	}()
	if len(*b) == 0 {
		return nil
	}
	// A socket's deadline is the operating system's time, not the hub's
	// clock.
	_ = c.Conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := c.Conn.Write(*b)
	_ = c.Conn.SetWriteDeadline(time.Time{})
	return err
}

// tryWrite writes the ping's frame straight to the socket, if the socket
// takes it without waiting, and returns how much it took: a ping never
// waits for a client. It takes nothing while another write is under way
// (a control frame the WebSocket library answers, which may wait for a
// client that does not read) or the socket is corked. When it writes a
// part, it corks the rest, to be written before anything else.
func (c *corkConn) tryWrite(p *pinger) (int, error) {
	if !c.mu.TryLock() {
		return 0, nil
	}
	defer c.mu.Unlock()
	if c.corked {
		return 0, nil
	}
	p.n, p.err = 0, nil
	if err := c.raw.Write(p.write); err != nil {
		return 0, err
	}
	if p.err == nil && p.n > 0 && p.n < len(p.frame) {
		c.corked, c.buf = true, corkPool.Get().(*[]byte)
		*c.buf = append(*c.buf, p.frame[p.n:]...)
	}
	return p.n, p.err
}

// kill closes the connection at once.
func (c *conn) kill() {
	c.mu.Lock()
	c.dead = true
	c.mu.Unlock()
	c.cancel()
	_ = c.ws.CloseNow()
}

// closeWith sends a last frame, waits a moment for it to be written, and
// closes the connection.
func (c *conn) closeWith(last []byte) {
	c.enqueue(last)
	c.mu.Lock()
	var wait chan struct{}
	if c.writing && !c.dead {
		wait = make(chan struct{})
		c.drained = wait
	}
	c.mu.Unlock()
	if wait != nil {
		select {
		case <-wait:
		case <-time.After(2 * time.Second):
		}
	}
	c.kill()
}
