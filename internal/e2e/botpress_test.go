package e2e_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// selfHostedBotpress plays a self-hosted Botpress server as the bridge uses
// it: POST /api/v1/bots/{bot}/converse/{conversation} {text, type,
// metadata} → 200 {"responses": [...]}, or 404 "Invalid Bot ID"; and the
// bot's media under /api/v1/bots/{bot}/media/{hash}-{name}.
type selfHostedBotpress struct {
	*httptest.Server
	botID string
	lobby []byte // the PNG of the lobby

	mu       sync.Mutex
	received []map[string]any // converse requests
}

func newSelfHostedBotpress(t *testing.T, botID string, lobby []byte) *selfHostedBotpress {
	bp := &selfHostedBotpress{botID: botID, lobby: lobby}
	bp.Server = httptest.NewServer(http.HandlerFunc(bp.serve))
	t.Cleanup(bp.Close)
	return bp
}

func (bp *selfHostedBotpress) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/api/v1/bots/" + bp.botID + "/"
	switch {
	case r.Method == "GET" && r.URL.Path == prefix+"media/42rghrwr2zndfjw3fn4q-lobby.png":
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(bp.lobby)
		return
	case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/api/v1/bots/") && strings.Contains(r.URL.Path, "/converse/"):
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if !strings.HasPrefix(r.URL.Path, prefix+"converse/") {
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`{"statusCode":404,"errorCode":"BP_0044","type":"NotFoundError","message":"Not Found: Invalid Bot ID"}`))
		return
	}
	var req map[string]any
	_ = json.NewDecoder(r.Body).Decode(&req)
	bp.mu.Lock()
	bp.received = append(bp.received, req)
	bp.mu.Unlock()
	text := func(s string) map[string]any {
		return map[string]any{"type": "text", "workflow": map[string]any{}, "text": s, "markdown": true, "typing": true}
	}
	var responses []map[string]any
	switch req["text"] {
	case "hi":
		responses = []map[string]any{text("Hello! I am the hotel bot."), {"type": "single-choice", "skill": "choice",
			"workflow": map[string]any{}, "text": "What can I do for you?", "dropdownPlaceholder": "Select...",
			"choices":  []map[string]any{{"title": "See the lobby", "value": "lobby"}, {"title": "Talk to someone", "value": "human"}},
			"markdown": true, "typing": true}}
	case "lobby":
		responses = []map[string]any{{"type": "image", "workflow": map[string]any{}, "title": "Our lobby", "typing": true,
			"image": "http://" + r.Host + prefix + "media/42rghrwr2zndfjw3fn4q-lobby.png"}, text("Anything else?")}
	case "/image":
		responses = []map[string]any{text("Nice picture!")}
	default:
		responses = []map[string]any{text("Sorry, I did not understand.")}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"responses": responses})
}

// botpressBridge plays douglara/chatwoot-botpress-bridge (Rails 7 API, as of
// December 2025), self-hosted Botpress, no ENV settings:
//
//   - config/routes.rb, chatwoot_controller.rb: POST /chatwoot/webhook
//     enqueues params.to_json and renders nothing: 204 at once. params are
//     the query string's parameters merged with the JSON body's, so
//     botpress_endpoint, botpress_bot_id, chatwoot_bot_token and
//     chatwoot_endpoint come from outgoing_url.
//   - valid_event.rb: event == "message_created", message_type ==
//     "incoming", conversation.status in CHATWOOT_ALLOWED_STATUSES (default
//     ["pending"]).
//   - get_dynamic_attribute.rb: the bot id is
//     conversation.custom_attributes.botpress_bot_id, else params, else ENV.
//   - botpress/api/message/send/self_hosted.rb, base.rb: POST
//     {botpress_endpoint}/api/v1/bots/{bot}/converse/{conversation.id}
//     {text: content, or "/<file_type>" per attachment when there is no
//     content, type: "text", metadata: {event}}.
//   - send_to_chatwoot.rb, send_to_chatwoot_request.rb: per response,
//     Faraday POST {chatwoot_endpoint}/api/v1/accounts/{account.id}/
//     conversations/{conversation.id}/messages, JSON {content} or, for
//     single-choice, {content, content_type: "input_select",
//     content_attributes: {items: [{title, value}]}}, headers Content-Type
//     and api_access_token (a symbol: Faraday sends Api-Access-Token).
//   - send_file_to_chatwoot_request.rb: for image/file/video, download the
//     file (the name is the URL's base name after its first "-"; no "-"
//     raises), then Net::HTTP with use_ssl = true and VERIFY_NONE (so the
//     Chatwoot endpoint must speak TLS), multipart attachments[] (file, its
//     content type) then content (the title) when there is one.
//   - Both: only 200 is success (JSON.parse of the body); 404 whose body
//     includes "Resource could not be found", other 404, 401, anything
//     else are told apart.
type botpressBridge struct {
	faraday *http.Client // verifies TLS, trusting the operator's certificate
	netHTTP *http.Client // VERIFY_NONE

	jobs chan map[string]any
	done chan struct{}

	mu      sync.Mutex
	queries []string     // the raw query string of each webhook
	results []bridgeJob  // finished jobs, in order
	sends   []bridgeSend // every call to Chatwoot
}

// bridgeJob is the result of Chatwoot::ReceiveEvent for one webhook.
type bridgeJob struct {
	event map[string]any
	valid bool
	err   string // the exception, if the job raised
	sends []bridgeSend
}

// bridgeSend is one Chatwoot::SendToChatwoot result.
type bridgeSend struct {
	status  int
	body    string
	success bool
	message string // the failure's message
	data    any    // the parsed body on success
}

func newBotpressBridge(t *testing.T, faraday *http.Client) *botpressBridge {
	br := &botpressBridge{faraday: faraday, jobs: make(chan map[string]any, 100), done: make(chan struct{}),
		netHTTP: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}}
	go func() { // the job worker
		defer close(br.done)
		for ev := range br.jobs {
			j := br.receiveEvent(ev)
			br.mu.Lock()
			br.results = append(br.results, j)
			br.mu.Unlock()
		}
	}()
	t.Cleanup(func() { close(br.jobs); <-br.done })
	return br
}

// webhook is ChatwootController#webhook.
func (br *botpressBridge) webhook(b *bot, body map[string]any, w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" || r.URL.Path != "/chatwoot/webhook" {
		http.NotFound(w, r)
		return
	}
	params := map[string]any{}
	for k, v := range r.URL.Query() {
		params[k] = v[len(v)-1]
	}
	for k, v := range body {
		params[k] = v
	}
	params["controller"], params["action"] = "chatwoot", "webhook"
	br.mu.Lock()
	br.queries = append(br.queries, r.URL.RawQuery)
	br.mu.Unlock()
	br.jobs <- params // perform_later
	w.WriteHeader(http.StatusNoContent)
}

// job returns the finished job of the first webhook that matches.
func (br *botpressBridge) job(t *testing.T, match func(ev map[string]any) bool) bridgeJob {
	t.Helper()
	var j bridgeJob
	eventually(t, "the bridge's job", func() bool {
		br.mu.Lock()
		defer br.mu.Unlock()
		i := slices.IndexFunc(br.results, func(j bridgeJob) bool { return match(j.event) })
		if i >= 0 {
			j = br.results[i]
		}
		return i >= 0
	})
	return j
}

// receiveEvent is Chatwoot::ReceiveEvent.
func (br *botpressBridge) receiveEvent(event map[string]any) (j bridgeJob) {
	j.event = event
	defer func() {
		if r := recover(); r != nil {
			j.err = fmt.Sprint(r)
		}
	}()
	status := dig(event, "conversation", "status")
	j.valid = event["event"] == "message_created" && event["message_type"] == "incoming" && status == "pending"
	if !j.valid {
		return j
	}
	endpoint, _ := event["botpress_endpoint"].(string)
	botID := dig(event, "conversation", "custom_attributes", "botpress_bot_id")
	if present(botID) == nil {
		botID = present(event["botpress_bot_id"])
	}
	responses := br.sendToBotpress(event, endpoint, botID)
	for _, resp := range responses { // nil.each raises when Botpress failed
		s := br.sendToChatwoot(event, resp.(map[string]any))
		j.sends = append(j.sends, s)
		br.mu.Lock()
		br.sends = append(br.sends, s)
		br.mu.Unlock()
	}
	if responses == nil {
		panic("undefined method `each' for nil")
	}
	return j
}

// present is ActiveSupport's presence: nil for nil and blank strings.
func present(v any) any {
	if s, ok := v.(string); v == nil || ok && strings.TrimSpace(s) == "" {
		return nil
	}
	return v
}

// sendToBotpress is Botpress::Api::Message::Send::SelfHosted; it returns the
// responses, or nil on failure.
func (br *botpressBridge) sendToBotpress(event map[string]any, endpoint string, botID any) []any {
	text := ""
	if c, _ := event["content"].(string); c != "" {
		text = c
	} else if atts, _ := event["attachments"].([]any); len(atts) > 0 {
		var parts []string
		for _, a := range atts {
			parts = append(parts, "/"+num(dig(a, "file_type")))
		}
		text = strings.Join(parts, " ")
	}
	body, _ := json.Marshal(map[string]any{"text": text, "type": "text", "metadata": map[string]any{"event": event}})
	u := fmt.Sprintf("%s/api/v1/bots/%s/converse/%s", endpoint, num(botID), num(dig(event, "conversation", "id")))
	res, err := br.faraday.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	v, _, ok := readJSON(res)
	if res.StatusCode != 200 || !ok {
		return nil
	}
	responses, _ := dig(v, "responses").([]any)
	return responses
}

// sendToChatwoot is Chatwoot::SendToChatwoot.
func (br *botpressBridge) sendToChatwoot(event, resp map[string]any) bridgeSend {
	endpoint, _ := event["chatwoot_endpoint"].(string)
	token, _ := event["chatwoot_bot_token"].(string)
	u := fmt.Sprintf("%s/api/v1/accounts/%s/conversations/%s/messages", endpoint, num(dig(event, "account", "id")),
		num(dig(event, "conversation", "id")))
	switch resp["type"] {
	case "image", "file", "video":
		return br.sendFile(u, token, resp)
	case "single-choice":
		var items []map[string]any
		for _, c := range resp["choices"].([]any) {
			items = append(items, map[string]any{"title": dig(c, "title"), "value": dig(c, "value")})
		}
		return br.sendJSON(u, token, map[string]any{"content": resp["text"], "content_type": "input_select",
			"content_attributes": map[string]any{"items": items}})
	}
	return br.sendJSON(u, token, map[string]any{"content": resp["text"]})
}

// sendJSON is Chatwoot::SendToChatwootRequest.
func (br *botpressBridge) sendJSON(u, token string, body any) bridgeSend {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", u, bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Api-Access-Token", token)
	req.Header.Set("User-Agent", "Faraday v2.7.11")
	res, err := br.faraday.Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	return classify(res)
}

// sendFile is Chatwoot::SendFileToChatwootRequest.
func (br *botpressBridge) sendFile(u, token string, resp map[string]any) bridgeSend {
	fileURL := num(resp["image"])
	if resp["type"] != "image" {
		fileURL = num(resp[resp["type"].(string)])
	}
	name := path.Base(fileURL)
	i := strings.Index(name, "-")
	if i < 0 {
		panic("Invalid file name")
	}
	name = name[i+1:]
	dl, err := http.Get(fileURL) // OpenURI
	if err != nil || dl.StatusCode != 200 {
		panic("File url is invalid")
	}
	file, _ := io.ReadAll(dl.Body)
	dl.Body.Close()

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="attachments[]"; filename=%q`, name))
	h.Set("Content-Type", dl.Header.Get("Content-Type"))
	part, _ := mw.CreatePart(h)
	_, _ = part.Write(file)
	if title, ok := resp["title"].(string); ok {
		_ = mw.WriteField("content", title)
	}
	_ = mw.Close()

	target, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	target.Scheme = "https" // http.use_ssl = true, whatever the URL says
	req, _ := http.NewRequest("POST", target.String(), &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header["api_access_token"] = []string{token}
	req.Header.Set("User-Agent", "Ruby")
	res, err := br.netHTTP.Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	return classify(res)
}

// classify tells the answers apart as both request classes do.
func classify(res *http.Response) bridgeSend {
	v, body, ok := readJSON(res)
	s := bridgeSend{status: res.StatusCode, body: string(body)}
	switch {
	case res.StatusCode == 200:
		if !ok {
			panic("JSON::ParserError")
		}
		s.success, s.data = true, v
	case res.StatusCode == 404 && strings.Contains(s.body, "Resource could not be found"):
		s.message = "Chatwoot resource could not be found"
	case res.StatusCode == 404:
		s.message = "Invalid chatwoot endpoint"
	case res.StatusCode == 401:
		s.message = "Invalid chatwoot access token"
	default:
		s.message = "Chatwoot server error"
	}
	return s
}

// lobbyPNG returns a small PNG.
func lobbyPNG(t *testing.T) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for x := range 3 {
		img.Set(x, 0, color.NRGBA{R: 200, G: uint8(40 * x), B: 30, A: 255})
		img.Set(x, 1, color.NRGBA{R: 10, G: 90, B: uint8(60 * x), A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBotpressBridge runs douglara/chatwoot-botpress-bridge against Baton
// behind TLS, configured only through the query string of its outgoing URL.
func TestBotpressBridge(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		lobby := lobbyPNG(t)
		bp := newSelfHostedBotpress(t, "hotel-bot", lobby)

		// Chatwoot as operators run it: behind TLS.
		target, _ := url.Parse(e.URL)
		front := httptest.NewTLSServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		}})
		t.Cleanup(front.Close)

		br := newBotpressBridge(t, front.Client())
		b := newBot(t, br.webhook)
		e.connect(b, "/chatwoot/webhook")
		// The token exists once the bot does, so the operator sets the full
		// URL afterwards. One value percent-encoded, one not.
		query := "botpress_endpoint=" + url.QueryEscape(bp.URL) + "&botpress_bot_id=hotel-bot&chatwoot_bot_token=" + b.token +
			"&chatwoot_endpoint=" + front.URL
		outgoing := b.URL + "/chatwoot/webhook?" + query
		body, _ := json.Marshal(map[string]string{"outgoing_url": outgoing})
		got := e.call("PATCH", e.acc(fmt.Sprintf("/agent_bots/%d", b.id)), e.adminToken, string(body), 200).(map[string]any)
		if got["outgoing_url"] != outgoing {
			t.Fatalf("outgoing_url %v, want %s", got["outgoing_url"], outgoing)
		}

		conv := e.customer("casey")
		ok := func(j bridgeJob, n int) {
			t.Helper()
			if !j.valid || j.err != "" || len(j.sends) != n {
				t.Fatalf("job for %q: valid %v, error %q, %d sends, want %d", j.event["content"], j.valid, j.err, len(j.sends), n)
			}
			for _, s := range j.sends {
				if !s.success || s.status != 200 {
					t.Fatalf("a create answered %d: %s", s.status, s.body)
				}
			}
		}

		e.say("casey", conv, "hi")
		ok(br.job(t, incoming("hi")), 2)
		ms := e.messages(conv)
		if got := e.lines(conv); !slices.Equal(got, []string{"in: hi", "out: Hello! I am the hotel bot.", "out: What can I do for you?"}) {
			t.Fatalf("conversation %q", got)
		}
		choice := ms[2]
		items, _ := json.Marshal(dig(choice, "content_attributes", "items"))
		if choice["content_type"] != "input_select" ||
			string(items) != `[{"title":"See the lobby","value":"lobby"},{"title":"Talk to someone","value":"human"}]` {
			t.Fatalf("choice message %v", choice)
		}

		e.say("casey", conv, "lobby")
		j := br.job(t, incoming("lobby"))
		ok(j, 2)
		ms = e.messages(conv)
		photo := ms[len(ms)-2]
		if line(photo) != "out: Our lobby" || line(ms[len(ms)-1]) != "out: Anything else?" {
			t.Fatalf("conversation %q", e.lines(conv))
		}
		atts, _ := photo["attachments"].([]any)
		if len(atts) != 1 || dig(atts[0], "file_type") != "image" {
			t.Fatalf("photo message attachments %v", photo["attachments"])
		}
		if got := download(t, dig(atts[0], "data_url").(string)); !bytes.Equal(got, lobby) {
			t.Fatalf("the attachment's bytes differ from the PNG sent (%d bytes, want %d)", len(got), len(lobby))
		}
		if sent := j.sends[0].data; dig(sent, "id") != photo["id"] || len(dig(sent, "attachments").([]any)) != 1 {
			t.Fatalf("the multipart create answered %v", sent)
		}

		// A photo without words: the bridge tells Botpress "/image".
		upload := e.uploadAsCustomer("casey", conv, "me.png", "image/png", lobby)
		j = br.job(t, func(ev map[string]any) bool { return dig(ev, "id") == upload["id"] })
		ok(j, 1)
		bp.mu.Lock()
		if got := bp.received[len(bp.received)-1]["text"]; got != "/image" {
			t.Fatalf("Botpress got %q for a photo, want /image", got)
		}
		for _, req := range bp.received {
			if dig(req, "metadata", "event", "chatwoot_bot_token") != b.token {
				t.Fatalf("Botpress got an event without the query's parameters: %v", req)
			}
		}
		bp.mu.Unlock()
		if got := e.lines(conv); got[len(got)-1] != "out: Nice picture!" {
			t.Fatalf("conversation %q", got)
		}

		// With people in charge the bridge keeps quiet.
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", conv)), e.adminToken, `{"status":"open"}`, 200)
		e.say("casey", conv, "hello?")
		if j := br.job(t, incoming("hello?")); j.valid || dig(j.event, "conversation", "status") != "open" {
			t.Fatalf("job for a message in an open conversation: valid %v, status %v", j.valid, dig(j.event, "conversation", "status"))
		}
		if got := e.lines(conv); got[len(got)-1] != "in: hello?" {
			t.Fatalf("conversation %q", got)
		}

		// Baton kept the query string verbatim, and every event was
		// acknowledged at once with 204.
		br.mu.Lock()
		for _, q := range br.queries {
			if q != query {
				t.Fatalf("query string %q, want %q", q, query)
			}
		}
		br.mu.Unlock()
		for _, d := range e.settled(b.id) {
			if d.Status != baton.DeliverySucceeded || d.Attempts != 1 {
				t.Fatalf("delivery of %s: status %d after %d attempts, want one 204", d.EventName, d.Status, d.Attempts)
			}
		}

		// The answers the bridge tells apart, from Baton: an unknown
		// conversation (JSON and multipart), a wrong token, a wrong endpoint.
		event := map[string]any{"account": map[string]any{"id": float64(e.accountID)}, "conversation": map[string]any{"id": float64(999999)},
			"chatwoot_endpoint": front.URL, "chatwoot_bot_token": b.token}
		imageResp := map[string]any{"type": "image", "title": "Our lobby", "image": bp.URL + "/api/v1/bots/hotel-bot/media/42rghrwr2zndfjw3fn4q-lobby.png"}
		text := map[string]any{"type": "text", "text": "Hello"}
		for _, resp := range []map[string]any{text, imageResp} {
			s := br.sendToChatwoot(event, resp)
			if s.status != 404 || !strings.Contains(s.body, "Resource could not be found") || s.message != "Chatwoot resource could not be found" {
				t.Fatalf("%s to an unknown conversation: %d %s (%s)", resp["type"], s.status, s.body, s.message)
			}
		}
		event["conversation"] = map[string]any{"id": float64(conv)}
		event["chatwoot_bot_token"] = "wrongtoken"
		if s := br.sendToChatwoot(event, text); s.status != 401 || s.message != "Invalid chatwoot access token" {
			t.Fatalf("a wrong token: %d %s (%s)", s.status, s.body, s.message)
		}
		event["chatwoot_bot_token"], event["chatwoot_endpoint"] = b.token, front.URL+"/chatwoot"
		if s := br.sendToChatwoot(event, text); s.status != 404 || s.message != "Invalid chatwoot endpoint" {
			t.Fatalf("a wrong endpoint: %d %s (%s)", s.status, s.body, s.message)
		}
	})
}

// uploadAsCustomer posts a customer's message with one attachment and no
// content through the public API.
func (e *env) uploadAsCustomer(sourceID string, conv int64, name, contentType string, data []byte) map[string]any {
	e.t.Helper()
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="attachments[]"; filename=%q`, name))
	h.Set("Content-Type", contentType)
	part, _ := mw.CreatePart(h)
	_, _ = part.Write(data)
	_ = mw.Close()
	u := fmt.Sprintf("%s/public/api/v1/inboxes/%s/contacts/%s/conversations/%d/messages", e.URL, e.identifier, sourceID, conv)
	res, err := http.Post(u, mw.FormDataContentType(), &form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	v, body, ok := readJSON(res)
	if res.StatusCode != 200 || !ok {
		e.t.Fatalf("POST %s: %d %s", u, res.StatusCode, body)
	}
	return v.(map[string]any)
}
