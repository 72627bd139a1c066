package realtime

import (
	"context"
	"slices"
	"sort"
	"strconv"
)

// A client that says which event it saw last (last_event_id) is sent what
// it missed from the events the hub keeps (ring), or told to refetch. The
// ring's events are kept by account too (kept), in the ring's order (the
// order they went out: on PostgreSQL a late commit goes out after events
// with higher ids, so the ids are not in order), and a resuming
// subscription reads its account's, found by binary search on their places
// in the ring, outside the hub's lock. It scanned the whole ring under the
// lock, every account's events, 10,000 of them at most (about 155 µs): a
// visitor could fill it with typing indicators, and connections resuming
// together held up the fan-out for everyone.

// kept is an account's events in the ring, oldest first. Its entries are
// not changed once kept, and its slice is only appended to and cut from
// the front (fill and compaction replace it whole): a resuming
// subscription reads a copy of its header outside the hub's lock, and no
// write reaches what that copy covers.
type kept struct {
	entries []*entry
	cut     int // entries cut from the front since the array was made, still held by it
}

// remember keeps an event for resuming clients, forgetting what is older
// than the window or beyond the count. h.mu is held.
func (h *Hub) remember(e *entry) {
	e.seq = h.ringBase + uint64(len(h.ring))
	h.ring = append(h.ring, e)
	h.ringIDs[e.id] = e.seq
	k := h.kept[e.event.AccountID]
	if k == nil {
		k = &kept{}
		h.kept[e.event.AccountID] = k
	}
	was := cap(k.entries)
	if k.entries = append(k.entries, e); cap(k.entries) != was {
		k.cut = 0 // a new array, holding only the entries
	}
	drop := 0
	for drop < len(h.ring) && (len(h.ring)-drop > h.cfg.ResumeEvents || e.at.Sub(h.ring[drop].at) > h.cfg.ResumeWindow) {
		h.forget(h.ring[drop])
		h.ring[drop] = nil
		drop++
	}
	if drop > 0 {
		h.ring = h.ring[drop:]
		h.ringBase += uint64(drop)
	}
}

// forget drops the oldest event of the ring, the oldest of its account's
// too. h.mu is held.
func (h *Hub) forget(e *entry) {
	delete(h.ringIDs, e.id)
	k := h.kept[e.event.AccountID]
	k.entries = k.entries[1:]
	k.cut++
	switch {
	case len(k.entries) == 0:
		delete(h.kept, e.event.AccountID)
	case k.cut > 64 && k.cut > len(k.entries):
		// The entries cut are held by the array, the payloads with them,
		// until it is replaced: it is once they are more than those kept.
		k.entries = slices.Clone(k.entries)
		k.cut = 0
	}
}

// since returns the account's events kept after the event with the id, and
// the ring's end (the place of the next event kept); ok is false when that
// event is not kept here (no longer, or never). The hub's lock is held for
// a lookup; the events are searched after.
func (h *Hub) since(accountID, id int64) (missed []*entry, end uint64, ok bool) {
	h.mu.Lock()
	seq, ok := h.ringIDs[id]
	var all []*entry
	if k := h.kept[accountID]; k != nil {
		all = k.entries
	}
	end = h.ringBase + uint64(len(h.ring))
	h.mu.Unlock()
	if !ok {
		return nil, end, false
	}
	return all[first(all, seq+1):], end, true
}

// first returns the index of the first of the entries at or past the
// place seq in the ring (len(entries) when none is).
func first(entries []*entry, seq uint64) int {
	return sort.Search(len(entries), func(i int) bool { return entries[i].seq >= seq })
}

// replay is what a resuming subscription missed, read before it registers:
// its frames, up to the ring's end then, or that it must refetch.
type replay struct {
	from    int64
	frames  []missedFrame
	end     uint64
	refetch bool
}

type missedFrame struct {
	event string
	data  []byte
	id    int64
}

// missed reads what the subscription missed since the event with the id,
// outside the hub's lock, having the account's skipped events among them
// loaded first (fill).
func (h *Hub) missed(ctx context.Context, s *subscription, id int64) *replay {
	events, end, ok := h.since(s.who.AccountID, id)
	if !ok {
		return &replay{from: id, end: end, refetch: true}
	}
	if h.fill(ctx, events) {
		events, end, ok = h.since(s.who.AccountID, id)
		if !ok {
			return &replay{from: id, end: end, refetch: true}
		}
	}
	r := &replay{from: id, end: end}
	r.refetch = !s.add(r, events)
	return r
}

// add adds the frames of the events the subscriber may hear to the replay;
// false when one of them could not be loaded (fill), and the client must
// refetch.
func (s *subscription) add(r *replay, events []*entry) bool {
	for _, e := range events {
		if e.event.Skipped {
			return false
		}
		for _, p := range e.payloads {
			if data := s.payload(e.event, p); data != nil {
				r.frames = append(r.frames, missedFrame{event: p.Event, data: data, id: e.id})
			}
		}
	}
	return true
}

// sendMissed sends a resuming subscription what it missed, and what went
// out since it was read, or tells it to refetch. It has just registered:
// what goes out after comes to it with the fan-out. h.mu is held.
func (h *Hub) sendMissed(s *subscription, r *replay) {
	if !r.refetch {
		if r.end < h.ringBase {
			r.refetch = true // some went out and were forgotten since
		} else if k := h.kept[s.who.AccountID]; k != nil {
			r.refetch = !s.add(r, k.entries[first(k.entries, r.end):])
		}
	}
	if r.refetch {
		s.send("resume.refetch", []byte(`{"last_event_id":`+strconv.FormatInt(r.from, 10)+`}`), 0)
		return
	}
	for _, f := range r.frames {
		s.send(f.event, f.data, f.id)
	}
}

// fill loads and renders the skipped events among those, for a
// subscription of their account that resumes from before them, and keeps
// them in their stead; it reports whether there were any. What cannot be
// loaded stays skipped, and the client is told to refetch.
func (h *Hub) fill(ctx context.Context, events []*entry) bool {
	var ids []int64
	for _, e := range events {
		if e.event.Skipped {
			ids = append(ids, e.id)
		}
	}
	if len(ids) == 0 {
		return false
	}
	loaded, err := h.app.LiveEventsByID(ctx, ids, nil)
	if err != nil {
		h.log.Warn("live: loading the events a client missed", "err", err)
		return true
	}
	rendered := map[int64]*entry{}
	for _, e := range loaded {
		payloads, err := h.render.Render(e)
		if err != nil {
			h.log.Error("live: rendering an event", "event", e.Name, "id", e.ID, "err", err)
			return true
		}
		rendered[e.ID] = &entry{event: e, payloads: payloads}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var k *kept
	for _, id := range ids {
		seq, ok := h.ringIDs[id]
		if !ok {
			continue
		}
		old := h.ring[seq-h.ringBase]
		if !old.event.Skipped {
			continue // another subscription's fill came first
		}
		en := rendered[id]
		if en == nil {
			// Gone since (its conversation or contact): nothing to show.
			gone := *old.event
			gone.Skipped = false
			en = &entry{event: &gone}
		}
		en.id, en.seq, en.at = old.id, old.seq, old.at
		h.ring[seq-h.ringBase] = en
		if k == nil {
			// A new array: the one resuming subscriptions may be reading
			// is not written.
			k = h.kept[old.event.AccountID]
			k.entries, k.cut = slices.Clone(k.entries), 0
		}
		k.entries[first(k.entries, seq)] = en
	}
	return true
}
