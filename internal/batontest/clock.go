package batontest

import (
	"sync"
	"time"
)

// Clock is the time a test gives the code under test and moves itself. It
// stands still until Add or Set moves it, advances by a step on each read
// when made with NewTickingClock, or follows the wall clock plus what Add
// added when made with NewWallClock.
type Clock struct {
	mu   sync.Mutex
	now  time.Time     // the time, or for a wall clock the offset from the wall
	step time.Duration // added on each read
	wall bool
}

// NewClock returns a clock standing at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// NewTickingClock returns a clock at start that moves by step each time it
// is read, so that every row written gets a time of its own.
func NewTickingClock(start time.Time, step time.Duration) *Clock {
	return &Clock{now: start, step: step}
}

// NewWallClock returns a clock that follows the wall clock, ahead by what
// Add adds: for code that also waits in real time (polls, timeouts).
func NewWallClock() *Clock { return &Clock{wall: true} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wall {
		return time.Now().Add(c.now.Sub(time.Time{}))
	}
	c.now = c.now.Add(c.step)
	return c.now
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set puts a clock that is not a wall clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wall {
		panic("batontest: Set on a wall clock")
	}
	c.now = t
}
