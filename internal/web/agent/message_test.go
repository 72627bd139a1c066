package agent_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
)

func TestInteractiveMessageShowsTheAnswer(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Ivy", "ivy@example.com", "hi")
	w.Call("POST", fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages", w.account, id), w.botToken,
		map[string]any{"content": "Pick one", "content_type": "input_select",
			"content_attributes": map[string]any{"items": []any{map[string]any{"title": "Refund <now>", "value": "refund"},
				map[string]any{"title": "Exchange", "value": "exchange"}}}}, http.StatusOK)
	page, err := w.App.Messages(batontest.System(), w.account, id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var menu *baton.Message
	for _, m := range page.Messages {
		if m.ContentType == baton.ContentInputSelect {
			menu = m
		}
	}
	if _, err := w.App.PublicAnswer(w.asCustomer("ivy"), id, menu.ID, app.Answer{SubmittedValues: []any{
		map[string]any{"title": "Refund <now>", "value": "refund"}}}); err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	b.signIn(w.agentMail, password)
	p := b.get(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	for _, want := range []string{"Offered (input_select)", "<li>Refund &lt;now&gt;</li>", "<li>Exchange</li>",
		"Customer answered: <strong>Refund &lt;now&gt;</strong>"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestReplyWithAttachment(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Ava", "ava@example.com", "hi")
	w.handOff(id, "help", "Ava needs a file")
	b := w.browser()
	p := b.signIn(w.agentMail, password)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", p.csrf(t))
	mw.WriteField("content", "Here is the invoice")
	fw, _ := mw.CreateFormFile("attachments", "invoice.txt")
	fw.Write([]byte("invoice 1042"))
	mw.Close()
	conv := fmt.Sprintf("%s/app/accounts/%d/conversations/%d", w.URL, w.account, id)
	req, _ := http.NewRequest("POST", conv+"/messages", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reply with a file: %d", res.StatusCode)
	}
	page := b.get(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	if !strings.Contains(page.body, ">invoice.txt</a>") {
		t.Fatal("the attachment is not shown")
	}
	e := w.bot.wait(t, "the reply with its attachment", func(e map[string]any) bool {
		return e["event"] == "message_created" && e["content"] == "Here is the invoice"
	})
	raw, _ := json.Marshal(e["attachments"])
	if !strings.Contains(string(raw), "data_url") {
		t.Errorf("the bot's event has no attachment: %s", raw)
	}
}

// TestUploadsLeaveNoTempFiles: the files of a reply's form, written to disk
// while it is read (past 32 KiB), are removed when the request ends,
// whether the reply was taken or refused (they stayed in the temporary
// directory for good: the form is parsed on a copy of the request, whose
// files the server does not know).
func TestUploadsLeaveNoTempFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	w := setup(t)
	id := w.customer("Ava", "ava@example.com", "hi")
	w.handOff(id, "help", "Ava needs a file")
	b := w.browser()
	p := b.signIn(w.agentMail, password)
	upload := func(displayID int64, want int) {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf_token", p.csrf(t))
		mw.WriteField("content", "Here is the log")
		fw, _ := mw.CreateFormFile("attachments", "log.txt")
		fw.Write(bytes.Repeat([]byte("0123456789abcdef"), 8<<10)) // 128 KiB
		mw.Close()
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/app/accounts/%d/conversations/%d/messages", w.URL, w.account, displayID), &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("reply with a file to %d: %d, want %d", displayID, res.StatusCode, want)
		}
	}
	upload(id, http.StatusOK)
	upload(id+1000, http.StatusNotFound)
	if left, _ := filepath.Glob(filepath.Join(tmp, "multipart-*")); len(left) != 0 {
		t.Fatalf("the uploads left %d temporary files: %v", len(left), left)
	}
}
