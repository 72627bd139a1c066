package realtime

import (
	"context"
	"strconv"
	"syscall"
	"time"
)

// pingSlots is how many parts the connections are pinged in, one part
// after another over the interval: each connection is pinged every
// interval, and 10,000 of them are pinged 33 every 10 ms, not in bursts
// that hold up the fan-out and the message path.
const pingSlots = 300

// ping sends Rails' heartbeat to every connection, once an interval. The
// connections of a slot are pinged from this goroutine, outside the hub's
// lock (conn.ping).
func (h *Hub) ping(ctx context.Context) {
	t := time.NewTicker(max(h.cfg.PingInterval/pingSlots, time.Millisecond))
	defer t.Stop()
	var p pinger
	p.write = p.writeTo // bound once: no allocation a ping
	var due []*conn
	slot := uint16(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		slot = (slot + 1) % pingSlots
		p.at(h.now().Unix())
		h.mu.Lock()
		for c := range h.pings[slot] {
			due = append(due, c)
		}
		h.mu.Unlock()
		for _, c := range due {
			c.ping(&p)
		}
		clear(due) // holds no connection until the next tick
		due = due[:0]
	}
}

// pinger is the pinging goroutine's ping of the moment, and the write of
// it under way.
type pinger struct {
	unix  int64
	frame []byte // the ping as a WebSocket frame: its header, then text
	text  []byte // the ActionCable JSON, frame's payload

	write func(fd uintptr) bool // writeTo, for syscall.RawConn.Write
	n     int                   // what writeTo wrote
	err   error
}

// at makes the ping of the second, once a second: a frame handed to a
// connection's queue is never changed after.
func (p *pinger) at(unix int64) {
	if p.frame != nil && unix == p.unix {
		return
	}
	p.unix = unix
	text := strconv.AppendInt([]byte(`{"type":"ping","message":`), unix, 10)
	text = append(text, '}')
	// A text frame, final, unmasked (from a server), under 126 bytes: its
	// length fits in the header's second byte.
	p.frame = append([]byte{0x81, byte(len(text))}, text...)
	p.text = p.frame[2:]
}

// writeTo writes the frame once, without waiting: a socket that cannot
// take it now (EAGAIN) takes nothing, and one interrupted is tried again
// by the connection's writer.
func (p *pinger) writeTo(fd uintptr) bool {
	n, err := syscall.Write(int(fd), p.frame)
	if err == syscall.EAGAIN || err == syscall.EINTR {
		n, err = 0, nil
	}
	p.n, p.err = max(n, 0), err
	return true
}

// ping sends the connection the ping. A connection at rest (no frame
// waiting, no writer running) is written to at once from the calling
// goroutine, when its socket takes the frame without waiting: no writer
// goroutine, timer or buffer for a client that hears nothing but pings.
// Otherwise the ping is queued as any frame, and a client that does not
// read stalls only its own writer. A busy connection is pinged all the
// same: Rails 6.1's client (Chatwoot's) declares a connection stale after
// 6 s without a ping, whatever else arrived (8.x counts any frame).
func (c *conn) ping(p *pinger) {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return
	}
	if c.writing || c.out.raw == nil {
		c.mu.Unlock()
		c.enqueue(p.text)
		return
	}
	c.writing = true // frames queued meanwhile wait for this write
	c.mu.Unlock()
	n, err := c.out.tryWrite(p)
	switch {
	case err != nil:
		c.kill()
		c.more()
	case n == len(p.frame):
		if c.more() {
			go c.write()
		}
	case n == 0:
		// Not written: the writer sends it, after what was queued
		// meanwhile.
		c.mu.Lock()
		c.queue = append(c.queue, outFrame{raw: p.text})
		c.mu.Unlock()
		go c.write()
	default:
		// Written in part: tryWrite holds the rest, corked, for the
		// writer to send before anything else.
		go func() {
			if err := c.out.uncork(c.hub.cfg.WriteTimeout); err != nil {
				c.kill()
			}
			c.write()
		}()
	}
}
