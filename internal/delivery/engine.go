package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/signature"
	"github.com/batonhq/baton/internal/store"
)

// DefaultTimeout bounds one attempt, from connecting to reading the answer.
const DefaultTimeout = 5 * time.Second

// DefaultAttempts is how many attempts in all an event gets from a bot that
// is up but answers an error.
const DefaultAttempts = 3

// DefaultLeaseMargin is how much longer than an attempt a lease lasts.
const DefaultLeaseMargin = 30 * time.Second

// DefaultSchedule is how long to wait before each retry of a bot that is
// down: the first within seconds, the whole about two days.
var DefaultSchedule = []time.Duration{
	1 * time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	1 * time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 12 * time.Hour, 8 * time.Hour,
}

// Config is what an Engine needs.
type Config struct {
	Store  *store.Store
	Key    *auth.Key // opens bots' signing secrets
	Logger *slog.Logger
	Now    func() time.Time
	// Timeout bounds one attempt, from connecting to reading the answer.
	Timeout time.Duration
	// Schedule is the wait before each retry of a bot that is down.
	Schedule []time.Duration
	// Attempts is how many attempts in all an event gets from a bot that is
	// up but answers an error.
	Attempts int
	// Workers is how many attempts run at once.
	Workers int
	// Client sends the requests; the default follows no redirects and
	// honours BlockPrivate.
	Client *http.Client
	// BlockPrivate refuses targets on loopback, private, link-local,
	// unspecified and multicast addresses, checked on the address each
	// connection actually dials. Such a delivery is parked.
	BlockPrivate bool
	// PollInterval is how often an idle engine looks for work that no
	// wake-up announced: retries coming due, another process's commits.
	PollInterval time.Duration
	// BreakerThreshold is how many consecutive failures of a bot that is
	// down open its circuit breaker; BreakerCooldown is the first wait
	// before a probe, doubled on each failed probe up to ten times as long.
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// LeaseMargin is how much longer than the attempt timeout a claimed
	// delivery stays this process's (default DefaultLeaseMargin): the time
	// a lane of a process that died unseen waits before another takes it.
	LeaseMargin time.Duration
	// OnGiveUp is called after a delivery is given up (failed or parked),
	// outside the transaction that recorded it: the handoff policy.
	OnGiveUp func(ctx context.Context, d *baton.Delivery, reason string)
	// Observe, when set, is told of every attempt: for metrics.
	Observe func(o Observation)
}

// Observation is one attempt, as metrics see it.
type Observation struct {
	Target  baton.Target
	Outcome string // "succeeded", "retry", "failed" or "parked"
	Status  int    // the HTTP status, 0 when no answer came
	Latency time.Duration
}

// Engine delivers pending events to bots.
type Engine struct {
	store    *store.Store
	key      *auth.Key
	log      *slog.Logger
	now      func() time.Time
	timeout  time.Duration
	schedule []time.Duration
	attempts int
	client   *http.Client
	// blockPrivate is --webhook-block-private; fixedClient says the client
	// was given (Config.Client) and is used for every target.
	blockPrivate bool
	fixedClient  bool
	clientsMu    sync.Mutex
	clients      map[string]*http.Client // by allow-list, for accounts that have one

	poll     time.Duration
	breakAt  int
	cooldown time.Duration
	margin   time.Duration
	onGiveUp func(ctx context.Context, d *baton.Delivery, reason string)
	observe  func(o Observation)

	owner string // this process's name on the leases it takes
	lock  *store.OwnerLock
	// since is when the handoff clock of older messages starts: when Start
	// ran, or later, when the engine's own stall ended (see stalled).
	since atomic.Pointer[time.Time]
	// records are the records of attempts in flight, which a look for
	// stranded customers runs beside (see stranded).
	records  inFlight
	checked  time.Time // when the owner lock was last checked and dead owners' lanes taken over
	scanned  time.Time // when stranded customers were last looked for
	wake     chan struct{}
	jobs     chan job
	jobsMu   sync.Mutex     // held to send on jobs and to close it: the loop and the recorder both send
	jobsDone bool           // jobs is closed
	finished chan *finished // attempts made, for the recorder
	workers  int
	held     atomic.Int64 // deliveries claimed and not yet recorded (queued, in flight or being recorded), and places reserved for a claim
	// heldOff says the loop did not claim for want of free workers, so
	// that the recorder, which frees them, wakes it though nothing it
	// recorded made a delivery due.
	heldOff atomic.Bool
	// recorded says attempts were recorded since the lanes were last
	// vacuumed (see vacuum).
	recorded atomic.Bool
	// recordClaims says the recorder claims in the transaction that
	// records (see recorder): on SQLite. On PostgreSQL a record is one
	// round trip (recordQuiet), which a claim could join only whether or
	// not a lane moved, as it is sent before the answer; there the record
	// wakes the loop, which claims what it made due.
	recordClaims bool
	stop         context.CancelFunc
	wg           sync.WaitGroup
	// recording is the context attempts are recorded in: it outlives the
	// engine's own by up to recordGrace after Stop, so that attempts made
	// are recorded, not sent again.
	recording context.Context
	noRecord  context.CancelFunc

	secretsMu sync.Mutex
	secrets   map[string]string // opened signing secrets, by their sealed form
}

// job is a claimed delivery, with the end of its lease.
type job struct {
	c          *store.Claim
	leaseUntil time.Time
}

// finished is an attempt made and not yet recorded.
type finished struct {
	d          *baton.Delivery
	o          outcome
	start      time.Time
	leaseUntil time.Time // the end of the delivery's lease
	a          *baton.Attempt
	status     baton.DeliveryStatus
	next       time.Time
}

// maxRecord bounds how many attempts one transaction records.
const maxRecord = 64

// quickRetry is the wait before the first quick retry of an event a bot
// refused; the next waits twice as long, and so on.
const quickRetry = 200 * time.Millisecond

// maxResponse is how much of a bot's answer is read; the rest is dropped.
const maxResponse = 64 << 10

// excerpt is how much of an answer the delivery log keeps.
const excerpt = 512

// New returns an engine; Start runs it.
func New(c Config) *Engine {
	e := &Engine{store: c.Store, key: c.Key, log: c.Logger, now: c.Now, timeout: c.Timeout, schedule: c.Schedule,
		attempts: c.Attempts, client: c.Client, workers: c.Workers, poll: c.PollInterval, breakAt: c.BreakerThreshold,
		cooldown: c.BreakerCooldown, margin: c.LeaseMargin, onGiveUp: c.OnGiveUp, observe: c.Observe, owner: newOwner(), wake: make(chan struct{}, 1)}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	if e.schedule == nil {
		e.schedule = DefaultSchedule
	}
	if e.attempts <= 0 {
		e.attempts = DefaultAttempts
	}
	if e.workers <= 0 {
		e.workers = 32
	}
	if e.poll <= 0 {
		e.poll = 200 * time.Millisecond
	}
	if e.breakAt <= 0 {
		e.breakAt = 5
	}
	if e.cooldown <= 0 {
		e.cooldown = 30 * time.Second
	}
	if e.margin <= 0 {
		e.margin = DefaultLeaseMargin
	}
	e.blockPrivate, e.fixedClient = c.BlockPrivate, c.Client != nil
	if e.client == nil {
		var refused func(netip.Addr) bool
		if c.BlockPrivate {
			refused = Private
		}
		e.client = newClient(e.workers, refused, nil)
	}
	e.jobs = make(chan job, e.ahead())
	e.finished = make(chan *finished, e.ahead())
	e.secrets = map[string]string{}
	e.recordClaims = e.store.Dialect() == "sqlite"
	// The recorder's record, and one for each delivery held (see
	// recorder: the attempts it leaves to records of their own).
	e.records = newInFlight(e.ahead() + 1)
	return e
}

// Owner is the engine's name on the leases it takes and, where the store
// has owner locks, on the lock it holds while it runs (store.HoldOwner).
func (e *Engine) Owner() string { return e.owner }

// newOwner names this process on its leases.
func newOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), rand.Uint32())
}

// lease is how long a claimed delivery stays this process's: longer than
// any attempt and a wait in the queue behind fast bots, so that in steady
// state nothing is sent twice. A dead process's lanes do not wait for it
// to end where owner locks tell (PostgreSQL, see owned). A delivery that waited in the queue so long that its
// lease could end mid-attempt is not sent (see deliver).
func (e *Engine) lease() time.Duration { return e.timeout + e.margin }

// ahead is how many deliveries the engine keeps claimed, queued or in
// flight: four times as many as it has workers, so that workers finishing
// find the next delivery waiting instead of waiting on a claim's commit,
// and so that attempts are recorded and claimed in groups of tens (on
// PostgreSQL a drain to a fast bot went from about 4,300 to 6,000
// deliveries/s with twice as many). A slow bot's deliveries wait in the
// queue at most four attempt timeouts, within their lease.
func (e *Engine) ahead() int { return 4 * e.workers }

// Wake tells the engine that deliveries may be due. It never blocks.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Start runs the engine until ctx ends or Stop is called.
func (e *Engine) Start(ctx context.Context) {
	e.recording, e.noRecord = context.WithCancel(context.WithoutCancel(ctx))
	ctx, e.stop = context.WithCancel(ctx)
	// A customer's message that waited while no engine ran (the process
	// had died) did not wait for the bot: its handoff deadline counts from
	// now.
	since := e.now()
	e.since.Store(&since)
	var workers sync.WaitGroup
	for range e.workers {
		workers.Go(func() {
			for j := range e.jobs {
				e.deliver(ctx, j)
			}
		})
	}
	// One recorder writes the attempts the workers made, as many as have
	// finished in one transaction: under load they share a commit.
	e.wg.Go(func() {
		workers.Wait()
		close(e.finished)
	})
	e.wg.Go(func() { e.recorder(ctx) })
	if e.store.Dialect() == "postgres" { // SQLite reuses a deleted row's space
		e.wg.Go(func() { e.vacuum(ctx) })
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer func() {
			e.jobsMu.Lock()
			defer e.jobsMu.Unlock()
			e.jobsDone = true
			close(e.jobs)
		}()
		e.loop(ctx)
	}()
}

// reserve reserves places for a claim: all that are free, counting as
// free those of the recorded attempts being recorded (they are neither
// queued nor in flight), when at least least are. It returns how many;
// the claim gives back, from held, those it does not fill. So the loop and
// the recorder may claim at once and never queue more than e.ahead(): a
// send on jobs never waits.
func (e *Engine) reserve(recorded, least int) int {
	for {
		held := e.held.Load()
		free := e.ahead() + recorded - int(held)
		if free < least {
			return 0
		}
		if e.held.CompareAndSwap(held, held+int64(free)) {
			return free
		}
	}
}

// queue hands claimed deliveries to the workers, in places reserved for
// them (reserve), and gives back the reserved places they do not fill;
// once the loop has ended (the engine stops) it drops them, and Stop gives
// their leases up.
func (e *Engine) queue(claimed []*store.Claim, reserved int, leaseUntil time.Time) {
	e.held.Add(-int64(reserved - len(claimed)))
	e.jobsMu.Lock()
	defer e.jobsMu.Unlock()
	if e.jobsDone {
		e.held.Add(-int64(len(claimed)))
		return
	}
	for _, c := range claimed {
		e.jobs <- job{c: c, leaseUntil: leaseUntil}
	}
}

// Stop stops the engine and waits for attempts in flight to end; their
// deliveries stay pending and go out after the next start, or at once from
// another process: the engine gives up its leases, as nothing of it is in
// flight any more.
func (e *Engine) Stop() {
	if e.stop == nil {
		return
	}
	e.stop()
	grace := time.AfterFunc(recordGrace, e.noRecord)
	e.wg.Wait()
	grace.Stop()
	e.noRecord()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := e.store.Write(ctx, func(q *store.Queries) error { return q.ReleaseLeases(ctx, e.owner) })
	if err != nil {
		e.log.Error("delivery: giving up leases", "err", err)
	}
	e.lock.Release()
}

// recordGrace bounds how long a stopping engine waits to record the
// attempts it made.
const recordGrace = 10 * time.Second

// checkInterval is how often the engine makes sure it holds its owner lock
// and takes over the lanes of processes that died: the bound on how long
// a dead process's work waits, beside the claim that follows.
const checkInterval = time.Second

// owned makes sure, once a checkInterval, that the engine holds its owner
// lock, and takes over the lanes of owners whose lock is free. It reports
// whether the engine may claim: not before it holds its lock, or others
// would take its lanes over as a dead process's.
func (e *Engine) owned(ctx context.Context) bool {
	now := e.now()
	if e.lock != nil && now.Sub(e.checked) < checkInterval && !now.Before(e.checked) {
		return true
	}
	defer e.took(now, "checking the owner lock")
	if e.lock == nil {
		l, err := e.store.HoldOwner(ctx, e.owner)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("delivery: taking the owner lock", "err", err)
				e.stalled(e.now(), err)
			}
			return false
		}
		e.lock = l
	} else if err := e.lock.Check(ctx); err != nil {
		if ctx.Err() == nil {
			e.log.Error("delivery: keeping the owner lock", "err", err)
			e.stalled(e.now(), err)
		}
		return false
	}
	e.checked = now
	var n int64
	err := e.store.Write(ctx, func(q *store.Queries) (err error) {
		n, err = q.TakeOverLanes(ctx, e.owner, now)
		return err
	})
	if err != nil && ctx.Err() == nil {
		e.log.Error("delivery: taking over the lanes of processes that died", "err", err)
		e.stalled(e.now(), err)
	} else if n > 0 {
		e.log.Info("delivery: took over the lanes of processes that died", "lanes", n)
	}
	return true
}

func (e *Engine) loop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-timer.C:
		}
		if e.owned(ctx) {
			if err := e.dispatch(ctx); err != nil && ctx.Err() == nil {
				e.log.Error("delivery: claiming due deliveries", "err", err)
			}
		}
		// Stranded customers are looked for once a strandedInterval, not
		// on every wake-up: under load the engine wakes for every attempt.
		if now := e.now(); now.Sub(e.scanned) >= max(e.poll, strandedInterval) || now.Before(e.scanned) {
			e.scanned = now
			if err := e.stranded(ctx); err != nil && ctx.Err() == nil {
				e.log.Error("delivery: looking for stranded customers", "err", err)
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(e.poll)
	}
}

// vacuumInterval is how often an engine that recorded attempts vacuums the
// lanes (store.VacuumLanes).
const vacuumInterval = 2 * time.Second

// vacuum vacuums the lanes when the engine starts and then once a
// vacuumInterval while it records attempts, apart from the loop, whose
// claims it would hold up. A VACUUM also tells PostgreSQL how many lanes
// there are, and its statements are planned again for that: the one at the
// start is for a process that finds a backlog its last VACUUM did not see
// (measured: a drain of 10,000 deliveries over 400 lanes went at 4,200 a
// second with the lanes believed empty, at 6,600-7,000 before the lanes
// were ever vacuumed).
//
// A role that may not vacuum them (store.MayVacuumLanes) leaves them to
// autovacuum.
func (e *Engine) vacuum(ctx context.Context) {
	may, err := e.store.MayVacuumLanes(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("delivery: asking whether this role may vacuum the lanes", "err", err)
		}
		return
	}
	if !may {
		e.log.Info("delivery: the lanes are left to autovacuum: the database role does not own them")
		return
	}
	tick := time.NewTicker(vacuumInterval)
	defer tick.Stop()
	for due := true; ; due = e.recorded.Swap(false) {
		if due {
			if err := e.store.VacuumLanes(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("delivery: vacuuming the lanes", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// strandedInterval is how often the engine looks for stranded customers:
// a customer is handed to people at most this long after the bot's
// handoff deadline (at least a second).
const strandedInterval = time.Second

// dispatch tops up the claimed deliveries to e.ahead(), in one claim. It
// waits until at least half the workers' worth can be claimed, so that
// under load a claim carries tens of deliveries instead of one or two; when
// the queue is short it claims at once, for latency.
func (e *Engine) dispatch(ctx context.Context) error {
	// heldOff is set before the workers are counted: a recorder that
	// frees one after the count sees it, and wakes the loop.
	e.heldOff.Store(true)
	free := e.reserve(0, max(e.workers/2, 1))
	if free == 0 {
		return nil // enough is queued
	}
	e.heldOff.Store(false)
	now := e.now()
	leaseUntil := now.Add(e.lease())
	claimed, err := e.store.ClaimDue(ctx, e.owner, now, leaseUntil, free, e.blockPrivate)
	e.took(now, "claiming")
	if err != nil {
		claimed = nil
	}
	e.queue(claimed, free, leaseUntil)
	if err != nil {
		if ctx.Err() == nil {
			e.stalled(e.now(), err)
		}
		return err
	}
	if len(claimed) == free {
		e.Wake() // there may be more
	}
	return nil
}

// stranded gives up on customers' messages that their bot has not
// acknowledged within its handoff deadline, for the handoff policy; the
// deliveries themselves go on. The deadline counts from the end of the
// engine's latest stall at the earliest (see stalled).
func (e *Engine) stranded(ctx context.Context) error {
	if e.onGiveUp == nil {
		return nil
	}
	now := e.now()
	// A record in flight for slowCall or longer is a stall of Baton's
	// that has not ended: the bot may have answered, and its delivery is
	// pending only for the record that waits. It restarts the clock when
	// it ends (took), before it leaves records: since is read after them.
	if began, ok := e.records.oldest(); ok && now.Sub(began) >= slowCall {
		return nil
	}
	var since time.Time
	if p := e.since.Load(); p != nil {
		since = *p
	}
	late, err := e.store.Read().StrandedDeliveries(ctx, now, since, 100)
	// The loop claims nothing while it looks: a look that waits for the
	// database is a stall of Baton's too (those it found were late when it
	// began). The handoffs are not timed: they are what the look is for,
	// and a hundred of them slower than slowCall would hand the next
	// hundred customers of a bot that is down over a deadline later.
	e.took(now, "looking for stranded customers")
	for _, d := range late {
		e.onGiveUp(ctx, d, "no answer within the handoff deadline")
	}
	return err
}

// stalled restarts the handoff clock of older messages at until, unless
// it already starts later, because the engine's own work failed with err,
// its database's error, or took too long (err nil, see took): it could not
// take its owner lock, claim, or record an attempt, or not at once. A
// customer's message waiting meanwhile did not wait for the bot, however
// long the database failed or kept the engine waiting; a bot's own
// failures (no answer, an error answered) are recorded, and never get
// here. until is now for a claim and for a call that took too long, and
// the end of the delivery's lease for an attempt not recorded: the
// delivery goes out again only then.
//
// A delivery gone (not found) stalls nothing: there is no one to hand over.
func (e *Engine) stalled(until time.Time, err error) {
	if errors.Is(err, baton.ErrNotFound) {
		return
	}
	for {
		since := e.since.Load()
		if since != nil && !until.After(*since) {
			return
		}
		if e.since.CompareAndSwap(since, &until) {
			return
		}
	}
}

// slowCall is how long one of the engine's own calls to its database (to
// check its owner lock and take over the lanes of processes that died, to
// claim, to record attempts, to look for stranded customers) may take before it counts as a stall of
// Baton's, as a failure does (see took and stalled): a lock waited for, a
// PostgreSQL that is slow, a pool with no free connection (database/sql
// waits for one) hold a customer's message back as surely as an error.
// The calls take milliseconds. A second is the shortest handoff deadline a
// bot may have (app.MinHandoffDeadline), and the lateness a handoff has
// anyway (strandedInterval): a wait shorter than that counts against the
// bot, as that lateness counts for it; a longer one restarts every
// waiting customer's clock, so a bound much lower would hold handoffs of
// bots really down back whenever the database has a slow moment.
//
// A database slower than that on nearly every call holds handoffs at the
// deadline back for as long as it stays so: the engine calls it several
// times a second, and each call restarts the clock. A bot that is really
// down still loses its customers meanwhile: its attempts are made and
// recorded, slowly, and a delivery given up (failed once the schedule is
// used up, about two days with DefaultSchedule; parked once a bot that
// answers errors has had its attempts, within a second or so) hands its
// conversation to people (OnGiveUp, from record); and where the bot says
// so, new conversations in its inboxes start open while its breaker is
// open. Handoffs at the deadline come back with the first deadline's
// worth of calls quicker than slowCall.
const slowCall = time.Second

// took restarts the handoff clock (stalled) when one of the engine's own
// calls to its database, begun at start, took slowCall or longer, and logs
// what it was doing.
func (e *Engine) took(start time.Time, doing string) {
	end := e.now()
	if d := end.Sub(start); d >= slowCall {
		e.log.Warn("delivery: the database kept the engine waiting; the handoff deadlines start again", "doing", doing, "waited", d)
		e.stalled(end, nil)
	}
}

// inFlight is when each call of a kind, in flight, began: a fixed set of
// places, each taken and given back with atomics, so that the path of
// every record takes no lock. A look reads them all.
type inFlight struct {
	began []atomic.Int64 // Unix nanoseconds; 0 for a free place
}

func newInFlight(places int) inFlight { return inFlight{began: make([]atomic.Int64, places)} }

// begin notes a call begun at start and returns its place: -1 when every
// place is taken (a call left out is timed only once it ends, see took).
func (f *inFlight) begin(start time.Time) int {
	ns := max(start.UnixNano(), 1)
	for i := range f.began {
		if f.began[i].CompareAndSwap(0, ns) {
			return i
		}
	}
	return -1
}

// end gives back the place of a call that ended.
func (f *inFlight) end(place int) {
	if place >= 0 {
		f.began[place].Store(0)
	}
}

// oldest returns when the call in flight the longest began; false when
// none is.
func (f *inFlight) oldest() (time.Time, bool) {
	var first int64
	for i := range f.began {
		if ns := f.began[i].Load(); ns != 0 && (first == 0 || ns < first) {
			first = ns
		}
	}
	return time.Unix(0, first), first != 0
}

// DeliverDue claims the due head of every lane and makes one attempt at
// each, returning when they are recorded: the engine without its loop, for
// tests and tools that drive time themselves. It returns how many attempts
// it made.
func (e *Engine) DeliverDue(ctx context.Context) (int, error) {
	now := e.now()
	leaseUntil := now.Add(e.lease())
	claimed, err := e.store.ClaimDue(ctx, e.owner, now, leaseUntil, 1000, e.blockPrivate)
	e.took(now, "claiming")
	if err != nil && ctx.Err() == nil {
		e.stalled(e.now(), err)
	}
	made := make([]*finished, len(claimed))
	var wg sync.WaitGroup
	for i, c := range claimed {
		wg.Go(func() { made[i] = e.attempt(ctx, c, leaseUntil) })
	}
	wg.Wait()
	made = slices.DeleteFunc(made, func(f *finished) bool { return f == nil })
	for len(made) > 0 {
		n := min(len(made), maxRecord)
		rest, _, _, _ := e.record(ctx, made[:n], 0)
		for _, f := range rest {
			e.record(ctx, []*finished{f}, 0)
		}
		made = made[n:]
	}
	if err == nil {
		err = e.stranded(ctx)
	}
	return len(claimed), err
}

func (e *Engine) deliver(ctx context.Context, j job) {
	if e.now().Add(e.timeout).After(j.leaseUntil) {
		// The lease could end mid-attempt and another process send it
		// too: leave it to whoever claims the lane next.
		e.held.Add(-1)
		e.Wake()
		return
	}
	f := e.attempt(ctx, j.c, j.leaseUntil)
	if f == nil {
		e.held.Add(-1)
		e.Wake()
		return
	}
	e.finished <- f // the recorder gives the place back
}

// recorder records the attempts the workers finish, those that finished
// together in one transaction, until the workers are done.
func (e *Engine) recorder(ctx context.Context) {
	batch := make([]*finished, 0, maxRecord)
	for f := range e.finished {
		batch = append(batch[:0], f)
	more:
		for len(batch) < maxRecord {
			select {
			case f, ok := <-e.finished:
				if !ok {
					break more
				}
				batch = append(batch, f)
			default:
				break more
			}
		}
		// The recorder claims in the same transaction (recordClaims) what
		// its record made due: a lane it moves to its next delivery (a
		// bot's reply queued behind the customer's message) is claimed at
		// once, and the claim costs no transaction of its own. The loop
		// claims what the commits of new deliveries announce.
		free := 0
		if e.recordClaims && ctx.Err() == nil {
			free = e.reserve(len(batch), 1)
		}
		rest, claimed, leaseUntil, due := e.record(ctx, batch, free)
		e.held.Add(-int64(len(batch) - len(rest)))
		e.queue(claimed, free, leaseUntil)
		// Wake the loop when there may be more to claim, when the record
		// made something due that it did not claim, or when the loop held
		// off for the workers this freed.
		if free > 0 && len(claimed) == free || free == 0 && due || e.heldOff.Swap(false) {
			e.Wake()
		}
		// Each of the rest may wait for a lane's lock, for as long as the
		// transaction holding it runs: not in the recorder's way.
		for _, f := range rest {
			e.wg.Go(func() {
				e.record(ctx, []*finished{f}, 0)
				e.held.Add(-1)
				e.Wake()
			})
		}
	}
}

// outcome is what one attempt came to.
type outcome struct {
	status     int // 0: no answer
	err        string
	response   string
	retryAfter time.Duration
	closed     bool // the bot's breaker was closed, with no failures counted, when read for the attempt
}

// attempt posts one delivery, leased until leaseUntil, and returns what
// came of it, for record; nil when the engine is stopping (the delivery
// stays pending and is tried again).
func (e *Engine) attempt(ctx context.Context, c *store.Claim, leaseUntil time.Time) *finished {
	d := c.Delivery
	start := e.now()
	o := e.post(ctx, c, start)
	if ctx.Err() != nil {
		return nil
	}
	f := &finished{d: d, o: o, start: start, leaseUntil: leaseUntil}
	f.status, f.next = e.decide(d, o, start)
	f.a = &baton.Attempt{DeliveryID: d.ID, AttemptedAt: start, StatusCode: max(o.status, 0), Latency: e.now().Sub(start),
		Error: o.err, Response: o.response, Refused: o.status > 0 && !outage(o.status) && (o.status < 200 || o.status >= 300)}
	return f
}

// record writes attempts and the deliveries' next states in one
// transaction, then tells metrics and the handoff policy. When the
// transaction fails, each attempt is tried in one of its own, so that one
// that cannot be recorded does not hold the others back. An attempt made
// is recorded even while the engine stops: it was sent.
//
// A transaction of several attempts records them together
// (store.RecordAttempts: on PostgreSQL two statements, whatever their
// number), takes their lanes without waiting, and holds at most one lane
// of a conversation; an attempt whose lane is taken, or whose
// conversation already has one in the transaction, is returned, to be
// recorded on its own, as one attempt always was; so is every attempt of a
// group that failed.
//
// With claim > 0 the transaction then claims up to claim deliveries (a
// failed claim fails the transaction, and the attempts are recorded on
// their own), returned with the end of their leases once committed.
//
// Attempts that claim nothing and leave their targets' breakers as they
// are, as most do, are recorded by store.RecordAttempts (recordQuiet):
// on PostgreSQL one round trip, where a transaction takes four.
func (e *Engine) record(ctx context.Context, fs []*finished, claim int) (rest []*finished, claimed []*store.Claim, leaseUntil time.Time, due bool) {
	wctx := e.recording
	if wctx == nil || wctx.Err() != nil { // DeliverDue, outside Start and Stop
		wctx = context.WithoutCancel(ctx)
	}
	var done []*finished
	var err error
	start := e.now()
	place := e.records.begin(start)
	if claim == 0 && quiet(fs) {
		done, rest, due, err = e.recordQuiet(wctx, fs)
	} else {
		done, rest, claimed, leaseUntil, due, err = e.recordInTransaction(wctx, fs, claim)
	}
	e.took(start, "recording attempts")
	if err != nil && (len(fs) > 1 || claim > 0) {
		e.records.end(place)
		return fs, nil, time.Time{}, false
	}
	fs = done
	if err != nil {
		for _, f := range fs {
			e.log.Error("delivery: recording an attempt", "delivery", f.d.UUID, "err", err)
			e.stalled(f.leaseUntil, err)
		}
	}
	// Only now that the clock has restarted, if it had to: a look for
	// stranded customers that finds the record ended finds it restarted.
	e.records.end(place)
	if err != nil {
		return rest, claimed, leaseUntil, due
	}
	if len(fs) > 0 {
		e.recorded.Store(true)
	}
	for _, f := range fs {
		d := f.d
		if e.observe != nil {
			e.observe(Observation{Target: d.Target, Outcome: outcomeName(f.status), Status: f.a.StatusCode, Latency: f.a.Latency})
		}
		if f.status.GivenUp() {
			e.log.Warn("delivery: gave up", "delivery", d.UUID, "target", d.Target.String(), "event", d.EventName,
				"attempts", d.Attempts+1, "last_error", f.o.err)
			if e.onGiveUp != nil {
				e.onGiveUp(ctx, d, f.o.err)
			}
		}
	}
	return rest, claimed, leaseUntil, due
}

// recordInTransaction is record's transaction: the attempts, what they do
// to their targets' breakers, and the claim.
func (e *Engine) recordInTransaction(wctx context.Context, fs []*finished, claim int) (done, rest []*finished, claimed []*store.Claim, leaseUntil time.Time, due bool, err error) {
	err = e.store.Write(wctx, func(q *store.Queries) error {
		done, rest, claimed, due = fs, nil, nil, false
		// An attempt's record lost in a crash of the database costs the
		// attempt sent again, as a lease does (dispatch); and while the
		// commit waited for its flush, the lanes it moved stayed locked,
		// and a bot's reply queued on one of them waited for it.
		if err := q.AsyncCommit(wctx); err != nil {
			return err
		}
		// The claim is made when this record made something due: a lane
		// moved to its next head, a target's breaker closed. Else the
		// loop claims what is due, woken by each new lane head, and by
		// the recorder when it held off for want of free workers.
		claimDue := func(moved bool) (err error) {
			if claim == 0 || !moved {
				return nil
			}
			now := e.now()
			leaseUntil = now.Add(e.lease())
			claimed, err = q.ClaimDue(wctx, e.owner, now, leaseUntil, claim, e.blockPrivate)
			return err
		}
		if len(fs) == 1 {
			moved, err := e.write(wctx, q, fs[0])
			if err != nil {
				return err
			}
			due = moved
			return claimDue(moved)
		}
		group, rs, others := oneEach(fs)
		rest = others
		recorded, moved, err := q.RecordAttempts(wctx, e.owner, rs)
		if err != nil {
			return err
		}
		done = nil
		for _, f := range group {
			if !recorded[f.d.ID] {
				rest = append(rest, f)
				continue
			}
			done = append(done, f)
			closed, err := e.breaker(wctx, q, f.d.Target, f.o, f.start)
			if err != nil {
				return err
			}
			moved = moved || closed
		}
		due = moved
		return claimDue(moved)
	})
	return done, rest, claimed, leaseUntil, due, err
}

// quiet reports whether the attempts leave their targets' breakers as they
// are: each was answered, by a target whose breaker was closed, with no
// failures counted (see breaker).
func quiet(fs []*finished) bool {
	for _, f := range fs {
		if f.o.status <= 0 || outage(f.o.status) || !f.o.closed {
			return false
		}
	}
	return true
}

// recordQuiet is record's transaction for attempts that are quiet and
// claim nothing: the record alone, which store.RecordAttempts sends in one
// round trip on PostgreSQL. Of several, it records one a conversation, as
// recordInTransaction does, and returns the others as rest.
func (e *Engine) recordQuiet(ctx context.Context, fs []*finished) (done, rest []*finished, moved bool, err error) {
	group, rs, rest := oneEach(fs)
	recorded, moved, err := e.store.RecordAttempts(ctx, e.owner, rs)
	if err != nil {
		return fs, nil, false, err
	}
	for _, f := range group {
		if recorded[f.d.ID] {
			done = append(done, f)
		} else {
			rest = append(rest, f)
		}
	}
	return done, rest, moved, nil
}

// oneEach splits attempts into a group with one attempt a conversation,
// the first of each, which a transaction records together, with their
// records, and the others, recorded on their own.
func oneEach(fs []*finished) (group []*finished, rs []store.AttemptRecord, others []*finished) {
	conversations := make(map[int64]bool, len(fs))
	for _, f := range fs {
		if conversations[f.d.LaneID] {
			others = append(others, f)
			continue
		}
		conversations[f.d.LaneID] = true
		group = append(group, f)
		rs = append(rs, store.AttemptRecord{Attempt: f.a, Status: f.status, Next: f.next})
	}
	return group, rs, others
}

// write records one attempt in the transaction. It reports whether the
// record made something due (see breaker).
func (e *Engine) write(ctx context.Context, q *store.Queries, f *finished) (due bool, err error) {
	moved, err := q.RecordAttempt(ctx, e.owner, f.a, f.status, f.next)
	if err != nil {
		return false, err
	}
	closed, err := e.breaker(ctx, q, f.d.Target, f.o, f.start)
	return moved || closed, err
}

// outcomeName is an attempt's outcome as metrics count it: the delivery's
// new state, "retry" for one still pending.
func outcomeName(s baton.DeliveryStatus) string {
	if s == baton.DeliveryPending {
		return "retry"
	}
	return s.String()
}

// breaker keeps the target's circuit breaker: an answer closes it; the
// target being down counts, and opens it at the threshold, for the
// cooldown doubled for each failure past the threshold, at most ten
// cooldowns. An event the target refuses does not count: the endpoint is
// up. It reports whether it closed the breaker, which may have held the
// target's other lanes back.
func (e *Engine) breaker(ctx context.Context, q *store.Queries, t baton.Target, o outcome, now time.Time) (closed bool, err error) {
	switch {
	case o.status > 0 && !outage(o.status) && o.closed:
		return false, nil // nothing to reset: spare the statement (a round trip on PostgreSQL)
	case o.status > 0 && !outage(o.status):
		return true, q.RecordBreakerOutcome(ctx, t, true, time.Time{})
	case !outage(o.status):
		return false, nil // a bad URL: not the endpoint's health
	}
	failures, err := q.CountBreakerFailure(ctx, t)
	if err != nil || failures < e.breakAt {
		return false, err
	}
	wait := e.cooldown << min(failures-e.breakAt, 4)
	return false, q.OpenBreaker(ctx, t, now.Add(min(wait, 10*e.cooldown)))
}

// decide turns an outcome into the delivery's next state: succeeded; for a
// bot that is down, pending on the long schedule; for a bot answering an
// error, pending for a quick retry until the attempts run out; else failed.
func (e *Engine) decide(d *baton.Delivery, o outcome, now time.Time) (baton.DeliveryStatus, time.Time) {
	// Outages and refusals are counted apart, so that an event refused
	// after an outage still gets its quick retries, and the reverse.
	outages, refusals := d.Attempts-d.Refusals, d.Refusals
	switch {
	case o.status >= 200 && o.status < 300:
		return baton.DeliverySucceeded, now
	case o.status < 0:
		return baton.DeliveryParked, now // no URL to send to: retrying cannot help
	case outage(o.status):
		n := outages + 1
		if n > len(e.schedule) {
			return baton.DeliveryFailed, now
		}
		wait := jitter(e.schedule[n-1])
		return baton.DeliveryPending, now.Add(max(wait, o.retryAfter))
	case refusals+1 < e.attempts:
		n := refusals + 1
		// Quick: the lane waits behind this event, and a bot that refuses
		// some events (the Rasa example answers 500 to its own replies)
		// must not slow the customer's conversation by more than a moment.
		return baton.DeliveryPending, now.Add(max(jitter(time.Duration(n)*quickRetry), o.retryAfter))
	}
	return baton.DeliveryParked, now
}

// outage reports whether an answer (0: none) means the bot is down or
// overloaded rather than refusing this event.
func outage(status int) bool {
	switch status {
	case 0, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// jitter spreads a wait by up to a fifth either way, so that retries of many
// lanes do not arrive together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	spread := int64(d) / 5
	return d - time.Duration(spread) + time.Duration(rand.Int64N(2*spread+1))
}

// endpoint is where a target's deliveries go, read for one attempt.
type endpoint struct {
	url     string
	secrets []string // opened: the current secret, then the previous one while it still signs
	closed  bool     // the breaker was closed, with no failures counted
	allowed []string // the target's account's allow-list, as the claim read it (none for a global bot)
}

// endpoint is the claimed target's URL, opened secrets and breaker, as
// the claim read them. A missing target, one without a URL or a secret
// this server's key cannot open is no outage: retrying cannot help (status
// -1 parks the delivery).
func (e *Engine) endpoint(t baton.Target, c store.Endpoint, now time.Time) (*endpoint, *outcome) {
	ep := endpoint{url: c.URL, closed: c.BreakerClosed, allowed: c.AllowedPrivate}
	sealed := [][]byte{c.Secret}
	switch t.Kind {
	case baton.TargetBot:
		if !c.Found {
			return nil, &outcome{status: -1, err: "bot not found"}
		}
		if c.URL == "" {
			return nil, &outcome{status: -1, err: "the bot has no outgoing URL"}
		}
		if c.PreviousSecret != nil && c.PreviousUntil.After(now) {
			sealed = append(sealed, c.PreviousSecret)
		}
	case baton.TargetWebhook:
		if !c.Found {
			return nil, &outcome{status: -1, err: "webhook not found"}
		}
	default:
		return nil, &outcome{status: -1, err: "unknown target " + t.String()}
	}
	if sealed[0] == nil || e.key == nil {
		return &ep, nil
	}
	for _, b := range sealed {
		s, err := e.open(b)
		if err != nil {
			return nil, &outcome{status: -1, err: fmt.Sprintf("the signing secret does not open with this server's key: %v", err)}
		}
		ep.secrets = append(ep.secrets, s)
	}
	return &ep, nil
}

// open opens a sealed secret, remembering what it opened: a target's
// secrets are read with every claim, and stay the same until rotated (a
// rotated secret is a new sealed form, so nothing needs forgetting but
// for room).
func (e *Engine) open(sealed []byte) (string, error) {
	e.secretsMu.Lock()
	s, ok := e.secrets[string(sealed)]
	e.secretsMu.Unlock()
	if ok {
		return s, nil
	}
	s, err := e.key.Open(sealed)
	if err != nil {
		return "", err
	}
	e.secretsMu.Lock()
	if len(e.secrets) >= 4096 {
		clear(e.secrets)
	}
	e.secrets[string(sealed)] = s
	e.secretsMu.Unlock()
	return s, nil
}

// post sends one attempt.
func (e *Engine) post(ctx context.Context, c *store.Claim, now time.Time) outcome {
	d := c.Delivery
	ep, failed := e.endpoint(d.Target, c.Endpoint, now)
	if failed != nil {
		return *failed
	}
	client := e.clientFor(ep)
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(d.Payload))
	if err != nil {
		return outcome{status: -1, err: "bad outgoing URL: " + withoutURL(err)}
	}
	for k, v := range signature.Headers(d.UUID, d.Payload, ep.secrets, now) {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		var private *privateError
		switch {
		case errors.As(err, &private):
			return outcome{status: -1, err: private.Error()} // retrying cannot help
		case errors.Is(err, context.DeadlineExceeded):
			return outcome{err: fmt.Sprintf("timed out after %s", e.timeout)}
		}
		return outcome{err: withoutURL(err)}
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	o := outcome{status: res.StatusCode, response: truncate(text(string(body)), excerpt), closed: ep.closed}
	if res.StatusCode < 200 || res.StatusCode >= 300 {
		o.err = text(res.Status)
	}
	if s := res.Header.Get("Retry-After"); s != "" {
		o.retryAfter = retryAfter(s, now)
	}
	return o
}

// withoutURL is an error's text without the URL Go's client puts in it:
// bots carry configuration, tokens included, in their URL's query string,
// and errors go to the log, the delivery log and activity messages.
func withoutURL(err error) string {
	var u *url.Error
	if errors.As(err, &u) {
		return u.Op + ": " + u.Err.Error()
	}
	return err.Error()
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. Waits
// over a day are cut to a day.
func retryAfter(s string, now time.Time) time.Duration {
	var d time.Duration
	if secs, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(s); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}

// text is what a bot answered as PostgreSQL takes text: valid UTF-8
// without NUL, each bad byte, or run of them, replaced. PostgreSQL refused
// the record of an attempt answered with either, and the delivery went out
// again each time its lease ran out, never counted nor given up; the
// engine would also take that failure for its database's (see stalled).
func text(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// Gauges reads what metrics show at scrape time: each target's deliveries
// waiting (pending, due or retrying) and until when each target's breaker
// holds deliveries back.
func (e *Engine) Gauges(ctx context.Context) (backlog map[baton.Target]int64, breakerOpenUntil map[baton.Target]time.Time, err error) {
	q := e.store.Read()
	if breakerOpenUntil, err = q.BreakersOpenUntil(ctx); err != nil {
		return nil, nil, err
	}
	backlog, err = q.DeliveryBacklog(ctx)
	return backlog, breakerOpenUntil, err
}
