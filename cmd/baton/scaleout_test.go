package main_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/store/storetest"
)

// TestScaleOut runs two baton serve processes on one PostgreSQL schema
// with one bot. Customers post through both, alternately, across many
// conversations: every message reaches the bot, in order per conversation,
// and none twice. Then one process is killed with SIGKILL while its
// deliveries are in flight: the other takes its lanes over before their
// leases end, and every acknowledged message still arrives, in order; only
// deliveries in flight at the kill go out twice.
func TestScaleOut(t *testing.T) {
	t.Parallel()
	in := newInstallation(t, storetest.PostgresURL(t))
	const conversations, steady, more = 40, 10, 10
	bot := newRecorder(t)
	in.seed(bot.URL)
	// The bot holds attempts for as long as the test takes to pick the
	// process to kill, which a loaded machine may make seconds: the
	// attempts must not time out meanwhile. Their leases (the timeout and
	// 30 s) are longer too, which the takeover spares.
	a, b := in.serve("--delivery-timeout", "30s"), in.serve("--delivery-timeout", "30s")
	identifier, convs := in.customers(a, conversations)

	// Steady state: both processes up, a fast bot.
	var wg sync.WaitGroup
	for _, c := range convs {
		wg.Go(func() {
			for k := range steady {
				base := a.url
				if (c.n+k)%2 == 1 {
					base = b.url
				}
				if !c.say(base, identifier, k) {
					t.Errorf("conversation %d: message %d was not acknowledged", c.n, k)
				}
			}
		})
	}
	wg.Wait()
	bot.waitAll(t, convs, 30*time.Second)
	bot.checkOrder(t, convs)
	ids, messages := bot.duplicates()
	if len(ids) > 0 || len(messages) > 0 {
		t.Errorf("in steady state, %d deliveries were sent twice and %d messages got two deliveries", len(ids), len(messages))
	}
	steadyCount := len(bot.snapshot())
	if want := conversations * steady; steadyCount != want {
		t.Errorf("the bot received %d customer messages, want %d", steadyCount, want)
	}

	// The bot holds every attempt, so that those in flight stay in flight
	// until the kill: which process holds which lanes changes from claim
	// to claim (one may hold none for a while), and a bot that answered
	// after a delay ended the attempts the test saw before the kill came
	// (a loaded machine slowed the test by 450 ms, more than the delay).
	bot.hold()
	var survivor atomic.Pointer[process] // set at the kill
	var sent atomic.Int64
	for _, c := range convs {
		wg.Go(func() {
			for k := steady; k < steady+more; k++ {
				base := a.url
				if (c.n+k)%2 == 1 {
					base = b.url
				}
				if p := survivor.Load(); p != nil {
					base = p.url
				}
				if c.say(base, identifier, k) {
					sent.Add(1)
				}
			}
		})
	}
	// Kill once a third is sent and the bot holds attempts of half the
	// lanes: the process that sent more of them.
	var victim, other *process
	held := 0
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if sent.Load() >= conversations*more/3 && bot.inFlight.Load() >= conversations/2 {
			fromA, fromB := bot.inFlightFrom(a.cmd.Process.Pid), bot.inFlightFrom(b.cmd.Process.Pid)
			victim, other, held = a, b, fromA
			if fromB > fromA {
				victim, other, held = b, a, fromB
			}
			if held > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute, %d messages sent, %d attempts held by the bot, %d of them from one process",
				sent.Load(), bot.inFlight.Load(), held)
		}
	}
	// When each lane's lease ends, read while the bot holds its attempt.
	leaseEnds := in.leaseEnds()
	survivor.Store(other)
	victim.kill()
	killedAt := time.Now()
	// The bot learns that the dead process's connections closed when its
	// server next reads them, which a loaded machine delays: released
	// before, it answers those attempts, to no one, as if they had been
	// delivered (seen: 32 held, none seen to end).
	for deadline := time.Now().Add(20 * time.Second); bot.aborted() < held; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("20 s after the kill, the bot saw %d of the %d attempts it held of the killed process end", bot.aborted(), held)
			break
		}
	}
	bot.release()
	wg.Wait()
	bot.waitAll(t, convs, 90*time.Second)
	bot.checkOrder(t, convs)

	got := bot.snapshot()[steadyCount:]
	var aborted []received
	for _, g := range got {
		if g.aborted {
			aborted = append(aborted, g)
		}
	}
	// The attempts the bot held from the dead process ended with it, and
	// went out again from the other before their leases ended: taken over,
	// not left to run out.
	if len(aborted) < held {
		t.Errorf("the bot held %d attempts of the killed process and saw %d end with it", held, len(aborted))
	}
	var resent, leaseLeft time.Duration // the latest resend after the kill; the least time left on a lease then
	for _, x := range aborted {
		var again *received
		for i := range got {
			if got[i].delivery == x.delivery && !got[i].aborted {
				again = &got[i]
				break
			}
		}
		end, leased := leaseEnds[x.delivery]
		switch {
		case again == nil:
			t.Errorf("delivery %s (c%d-m%d), in flight at the kill, was never delivered", x.delivery, x.conv, x.k)
		case !leased:
			t.Errorf("delivery %s (c%d-m%d), in flight at the kill, had no lease", x.delivery, x.conv, x.k)
		case !again.at.Before(end):
			t.Errorf("delivery %s was sent again %s after the kill, when its lease had ended (%s after the kill): not taken over",
				x.delivery, again.at.Sub(killedAt), end.Sub(killedAt))
		default:
			resent = max(resent, again.at.Sub(killedAt))
			if left := end.Sub(again.at); leaseLeft == 0 || left < leaseLeft {
				leaseLeft = left
			}
		}
	}
	// Only the dead process's deliveries, in flight at the kill and at
	// most one a lane, go out twice.
	first := map[string]time.Time{}
	twice := 0
	for _, g := range got {
		t0, ok := first[g.delivery]
		if !ok {
			first[g.delivery] = g.at
			continue
		}
		twice++
		if t0.After(killedAt) {
			t.Errorf("delivery %s, first sent %s after the kill, went out twice", g.delivery, t0.Sub(killedAt))
		}
	}
	if twice > conversations {
		t.Errorf("%d deliveries went out twice; at most one a lane, %d, were in the dead process's hands", twice, conversations)
	}
	t.Logf("killed with %d attempts in flight (%d seen coming from it), sent again within %s of the kill with at least %s left on their leases; all delivered %s after the kill; %d deliveries went out twice",
		len(aborted), held, resent.Round(time.Millisecond), leaseLeft.Round(time.Second), time.Since(killedAt).Round(time.Second), twice)
}
