package agent_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkConversationList renders the "All open" queue page with 50
// conversations (each with a contact, messages and a handoff) for a
// signed-in agent, over HTTP on SQLite: the server's whole time per page.
//
//	go test ./internal/web/agent/ -run '^$' -bench ConversationList -benchtime 200x
func BenchmarkConversationList(b *testing.B) {
	w := setup(b)
	for i := range 50 {
		id := w.customer(fmt.Sprintf("Customer %02d", i), fmt.Sprintf("c%d@example.com", i), "Hello, I need help with my order")
		w.handOff(id, "Customer asked for a person", "Needs help with an order")
	}
	br := w.browser()
	br.signIn(w.agentMail, password)
	url := fmt.Sprintf("%s/app/accounts/%d/conversations?queue=open", w.URL, w.account)
	check := func() {
		res, err := br.client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
		if n := countRows(string(body)); n != 50 {
			b.Fatalf("%d rows, want 50", n)
		}
	}
	check()
	b.ResetTimer()
	for b.Loop() {
		check()
	}
}

func countRows(body string) int { return strings.Count(body, "<tr data-conversation=") }

// BenchmarkConversationPage renders a conversation of 1,000 messages: the
// page shows the newest 60 and loads older ones on scroll, so its cost does
// not grow with the transcript.
//
//	go test ./internal/web/agent/ -run '^$' -bench ConversationPage -benchtime 200x
func BenchmarkConversationPage(b *testing.B) {
	w := setup(b)
	id := w.customer("Long Talker", "long@example.com", "message 0")
	for i := 1; i < 1000; i++ {
		w.say("long-talker", id, fmt.Sprintf("message %d", i))
	}
	br := w.browser()
	br.signIn(w.agentMail, password)
	url := fmt.Sprintf("%s/app/accounts/%d/conversations/%d", w.URL, w.account, id)
	for b.Loop() {
		res, err := br.client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "message 999") {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}
