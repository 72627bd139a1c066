package realtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/realtime"
	"github.com/batonhq/baton/internal/store/storetest"
	"github.com/coder/websocket"
)

// BenchmarkResume fills the hub's recent events (10,000 kept) with 9,000
// of one visitor's typing indicators, as any visitor can (the rest is room
// for what the run adds), then has 4 connections resume from before them
// as fast as they can, each as another visitor of
// the account (who hears none of them), for 5 s: subscribe with
// last_event_id, wait for the subscription's presence (its last frame),
// unsubscribe, again. Meanwhile a third visitor posts a message every 10
// ms and times it to its own frame, and a probe takes the hub's lock (as
// Stats does) every 200 µs and times the wait. It reports the resumes a
// second, a resume's p50 and p99 (subscribe to its last frame), the lock's
// wait p50, p99 and max, and the messages' p50 and p99. Run it once:
// -benchtime 1x.
func BenchmarkResume(b *testing.B) {
	w := populate(b, newNode(b, storetest.OpenSQLite(b), "", func(c *realtime.Config) {
		c.CommandBurst = 1 << 30 // the resumers loop on their connections
	}))
	hub := w.nodes[0].hub
	typist, dana, finn := w.customer("Typist"), w.customer("Dana"), w.customer("Finn")
	// Finn's connection listens from the start, so that the account's
	// events are loaded and rendered, as on a server in use.
	listener := w.dial(0)
	listener.subscribe(fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","last_event_id":0}`, finn.pubsub))
	// Every resume starts from Finn's message, the last event before the
	// typing indicators.
	w.say(finn, "before the typing")
	var from int64
	for from == 0 {
		f := listener.next()
		raw := <-listener.raw
		if msg, _ := f["message"].(map[string]any); msg != nil && msg["event"] == "message.created" {
			var frame struct {
				Message struct {
					EventID int64 `json:"event_id"`
				} `json:"message"`
			}
			if err := json.Unmarshal(raw, &frame); err != nil || frame.Message.EventID == 0 {
				b.Fatalf("no event id: %s", raw)
			}
			from = frame.Message.EventID
		}
	}
	fill := make(chan int)
	var filling sync.WaitGroup
	for range 4 {
		filling.Go(func() {
			for i := range fill {
				status := "on"
				if i%2 == 1 {
					status = "off"
				}
				w.call(http.MethodPost, fmt.Sprintf("%s/conversations/%d/toggle_typing", w.publicPath(typist), typist.conv), "",
					map[string]any{"typing_status": status}, nil)
			}
		})
	}
	for i := range 9000 {
		fill <- i
	}
	close(fill)
	filling.Wait()
	w.sync()
	resume := fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","last_event_id":%d}`, dana.pubsub, from)
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var all sync.WaitGroup
		var mu sync.Mutex
		var resumes, waits, messages []time.Duration
		for range 4 {
			c := w.dial(0)
			all.Go(func() {
				var took []time.Duration
				for ctx.Err() == nil {
					start := time.Now()
					c.send(map[string]any{"command": "subscribe", "identifier": resume})
					for {
						f := c.next()
						<-c.raw
						msg, _ := f["message"].(map[string]any)
						if msg != nil && msg["event"] == "resume.refetch" {
							b.Error("told to refetch: the event resumed from is no longer kept")
						}
						if msg != nil && msg["event"] == "presence.update" {
							break
						}
					}
					took = append(took, time.Since(start))
					c.send(map[string]any{"command": "unsubscribe", "identifier": resume})
				}
				mu.Lock()
				resumes = append(resumes, took...)
				mu.Unlock()
			})
		}
		all.Go(func() { sampleLockWaits(ctx, hub, &waits) })
		all.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				start := time.Now()
				w.say(finn, fmt.Sprint("during the resumes ", i))
				listener.event("message.created")
				messages = append(messages, time.Since(start))
				time.Sleep(10 * time.Millisecond)
			}
		})
		all.Wait()
		cancel()
		b.ReportMetric(float64(len(resumes))/5, "resumes/s")
		reportTimes(b, "resume", resumes, false)
		reportTimes(b, "lock", waits, true)
		reportTimes(b, "message", messages, false)
	}
}

// sampleLockWaits measures, until ctx ends, how long the hub's Stats waits
// for its lock, every 200 µs, into waits.
func sampleLockWaits(ctx context.Context, hub *realtime.Hub, waits *[]time.Duration) {
	for ctx.Err() == nil {
		start := time.Now()
		_ = hub.Stats()
		*waits = append(*waits, time.Since(start))
		time.Sleep(200 * time.Microsecond)
	}
}

// reportTimes reports the times' p50 and p99 as name-p50-µs and
// name-p99-µs, and with withMax their largest too (name-max-µs).
func reportTimes(b *testing.B, name string, times []time.Duration, withMax bool) {
	b.ReportMetric(quantile(times, 50), name+"-p50-µs")
	b.ReportMetric(quantile(times, 99), name+"-p99-µs")
	if withMax {
		b.ReportMetric(quantile(times, 100), name+"-max-µs")
	}
}

// quantile returns the q-th percentile of the times, in microseconds.
func quantile(v []time.Duration, q int) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return float64(v[min(len(v)-1, len(v)*q/100)].Nanoseconds()) / 1000
}

// BenchmarkPresence has 5,000 visitors of another account online (5,000
// contact subscriptions on 10 connections), then 4 connections of an
// agent ask for their account's presence (update_presence, as the agent
// app does) as fast as they can for 5 s, while the probe times the hub's
// lock as in BenchmarkResume. It reports the answers a second, their p50
// and p99, and the lock's wait p50, p99 and max. Run it once: -benchtime
// 1x.
func BenchmarkPresence(b *testing.B) {
	w := populate(b, newNode(b, storetest.OpenSQLite(b), "", func(c *realtime.Config) {
		c.CommandBurst = 1 << 30
		c.MaxSubscriptions = 1 << 20
	}))
	hub := w.nodes[0].hub
	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	inbox, err := w.nodes[0].app.CreateInbox(sys, w.other, app.InboxInput{Name: ptr("API"), ChannelType: baton.ChannelAPI})
	if err != nil {
		b.Fatal(err)
	}
	tokens := make([]string, 5000)
	next := make(chan int)
	var making sync.WaitGroup
	for range 4 {
		making.Go(func() {
			for i := range next {
				var c struct {
					PubsubToken string `json:"pubsub_token"`
				}
				w.call(http.MethodPost, "/public/api/v1/inboxes/"+inbox.Identifier+"/contacts", "", map[string]any{"name": fmt.Sprint("Visitor ", i)}, &c)
				tokens[i] = c.PubsubToken
			}
		})
	}
	for i := range tokens {
		next <- i
	}
	close(next)
	making.Wait()
	// The visitors subscribe 50 at a time on each connection, each 50
	// confirmed before the next: a client that sent all its commands at
	// once would not read its answers fast enough, and be dropped.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := strings.Replace(w.nodes[0].url, "http://", "ws://", 1) + "/cable"
	var online sync.WaitGroup
	for part := range slices.Chunk(tokens, 500) {
		ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{realtime.Protocol}})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ws.CloseNow() })
		confirmed := make(chan struct{}, len(part))
		go func() {
			for {
				_, frame, err := ws.Read(ctx)
				if err != nil {
					return
				}
				if bytes.Contains(frame, []byte(`"type":"confirm_subscription"`)) {
					confirmed <- struct{}{}
				}
			}
		}()
		online.Go(func() {
			for window := range slices.Chunk(part, 50) {
				for _, token := range window {
					cmd, _ := json.Marshal(map[string]any{"command": "subscribe", "identifier": contactIdentifier(token)})
					if err := ws.Write(ctx, websocket.MessageText, cmd); err != nil {
						b.Error(err)
						return
					}
				}
				for range window {
					select {
					case <-confirmed:
					case <-time.After(10 * time.Second):
						b.Error("a visitor's subscription was not confirmed within 10 s")
						return
					}
				}
			}
		})
	}
	online.Wait()
	if b.Failed() {
		b.FailNow()
	}
	ident := userIdentifier(w.admin, w.account)
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var all sync.WaitGroup
		var mu sync.Mutex
		var answers, waits []time.Duration
		var agents []*client
		for range 4 {
			c := w.dial(0)
			c.subscribe(ident)
			agents = append(agents, c)
		}
		// Each subscription told the others of the agent's presence:
		// those frames are let go first, so that each answer is paired
		// with its question.
		w.sync()
		time.Sleep(100 * time.Millisecond)
		for _, c := range agents {
			for len(c.frames) > 0 {
				<-c.frames
				<-c.raw
			}
		}
		for _, c := range agents {
			all.Go(func() {
				var took []time.Duration
				for ctx.Err() == nil {
					start := time.Now()
					c.send(map[string]any{"command": "message", "identifier": ident, "data": `{"action":"update_presence"}`})
					for {
						f := c.next()
						<-c.raw
						if msg, _ := f["message"].(map[string]any); msg != nil && msg["event"] == "presence.update" {
							break
						}
					}
					took = append(took, time.Since(start))
				}
				mu.Lock()
				answers = append(answers, took...)
				mu.Unlock()
			})
		}
		all.Go(func() { sampleLockWaits(ctx, hub, &waits) })
		all.Wait()
		cancel()
		b.ReportMetric(float64(len(answers))/5, "answers/s")
		reportTimes(b, "answer", answers, false)
		reportTimes(b, "lock", waits, true)
	}
}
