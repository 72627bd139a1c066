package realtime_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkFanOut posts a customer's message into a conversation watched
// by its contact and 50 agents (administrators) and waits until all 51
// have the frame: one op is one message, from the POST to the last frame
// read. It reports the p50 and p99 of that time.
func BenchmarkFanOut(b *testing.B) {
	w := setup(b)
	casey := w.customer("Casey")
	clients := []*client{w.dial(0)}
	clients[0].subscribe(contactIdentifier(casey.pubsub))
	for range 50 {
		c := w.dial(0)
		c.subscribe(userIdentifier(w.admin, w.account))
		clients = append(clients, c)
	}
	w.sync()
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		w.call(http.MethodPost, fmt.Sprintf("%s/conversations/%d/messages", w.publicPath(casey), casey.conv), "",
			map[string]any{"content": fmt.Sprint("m", i)}, nil)
		for _, c := range clients {
			c.event("message.created")
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkFanOutRate posts customer messages at 1,000 a second (from 16
// posters, for 3 s) into one conversation watched by its contact and 50
// agents, and reports, over every client's every frame, the p50 and p99
// of the time from the POST's start (an upper bound of the commit) to the
// frame's arrival, and the rate reached. Run it once: -benchtime 1x.
func BenchmarkFanOutRate(b *testing.B) {
	const rate, seconds, posters = 1000, 3, 16
	w := setup(b)
	casey := w.customer("Casey")
	clients := []*client{w.dial(0)}
	clients[0].subscribe(contactIdentifier(casey.pubsub))
	for range 50 {
		c := w.dial(0)
		c.subscribe(userIdentifier(w.admin, w.account))
		clients = append(clients, c)
	}
	w.sync()
	path := fmt.Sprintf("%s/conversations/%d/messages", w.publicPath(casey), casey.conv)
	for b.Loop() {
		total := rate * seconds
		sent := make([]atomic.Int64, total)
		var mu sync.Mutex
		var took []time.Duration
		var readers sync.WaitGroup
		for _, c := range clients {
			readers.Go(func() {
				go func() {
					for range c.raw {
					}
				}()
				got := 0
				timeout := time.After(seconds*time.Second + 30*time.Second)
				for {
					var f map[string]any
					select {
					case f = <-c.frames:
					case <-timeout:
						return
					}
					msg, _ := f["message"].(map[string]any)
					if msg == nil || msg["event"] != "message.created" {
						continue
					}
					data, _ := msg["data"].(map[string]any)
					content, _ := data["content"].(string)
					i, err := strconv.Atoi(strings.TrimPrefix(content, "r"))
					if err != nil || i >= total {
						continue
					}
					d := time.Duration(time.Now().UnixNano() - sent[i].Load())
					mu.Lock()
					took = append(took, d)
					mu.Unlock()
					if got++; got == total {
						return
					}
				}
			})
		}
		began := time.Now()
		var post sync.WaitGroup
		for p := range posters {
			post.Go(func() {
				for i := p; i < total; i += posters {
					if wait := time.Until(began.Add(time.Duration(i) * time.Second / rate)); wait > 0 {
						time.Sleep(wait)
					}
					sent[i].Store(time.Now().UnixNano())
					w.call(http.MethodPost, path, "", map[string]any{"content": fmt.Sprint("r", i)}, nil)
				}
			})
		}
		post.Wait()
		posted := time.Since(began)
		readers.Wait()
		slices.Sort(took)
		b.ReportMetric(float64(total)/posted.Seconds(), "msgs/s")
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(len(took))/float64(total*len(clients))*100, "%-frames-received")
	}
}
