package batontest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Bot is a bot played by an httptest server: it records every event it
// receives, with its headers and exact body, and answers 200 unless its
// handler writes another answer.
type Bot struct {
	*httptest.Server
	Mu       sync.Mutex // guards Events, Headers and Bodies
	Events   []map[string]any
	Headers  []http.Header
	Bodies   [][]byte
	Received chan map[string]any // every event, as it arrives
}

// NewBot starts a bot that stops when the test ends. handle, when set, runs
// for each event after it is recorded and may write the answer.
func NewBot(t testing.TB, handle func(ev map[string]any, w http.ResponseWriter, r *http.Request)) *Bot {
	b := &Bot{Received: make(chan map[string]any, 1000)}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev map[string]any
		_ = json.Unmarshal(body, &ev)
		b.Mu.Lock()
		b.Events, b.Headers, b.Bodies = append(b.Events, ev), append(b.Headers, r.Header.Clone()), append(b.Bodies, body)
		b.Mu.Unlock()
		if handle != nil {
			handle(ev, w, r)
		}
		b.Received <- ev
	}))
	t.Cleanup(b.Close)
	return b
}

// Next waits up to ten seconds for the bot's next event that matches,
// skipping others.
func (b *Bot) Next(t testing.TB, match func(ev map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-b.Received:
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("the bot did not receive the expected event")
			return nil
		}
	}
}
