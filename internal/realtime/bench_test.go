package realtime_test

import (
	"fmt"
	"net/http"
	"slices"
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
