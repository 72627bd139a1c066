package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the demo, makes each request it prints as the printed curl
// line would, and runs it again on the same data dir.
func TestDemo(t *testing.T) {
	t.Parallel()
	eachDatabase(t, testDemo)
}

func testDemo(t *testing.T, in *install) {
	dir := t.TempDir()
	delete(in.env, "BATON_DATA_DIR") // the demo's own --data-dir
	var accounts []string
	for run := range 2 {
		p := in.start(t, "Baton demo is running", "demo", "--addr", "127.0.0.1:0", "--data-dir", dir)
		stdout := p.stdout.String()
		m := regexp.MustCompile(`(?m)^\s*Account\s+(\d+) `).FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("run %d printed no account:\n%s", run, stdout)
		}
		accounts = append(accounts, m[1])
		// A handoff is assigned to Sam, who is online: the agent app
		// opens on Waiting, which stays empty, so the printout says where to look.
		if !regexp.MustCompile(`(?m)^\s*Agent app .*\n.*\n.*assigned to Sam: see Mine$`).MatchString(stdout) {
			t.Errorf("run %d: the printout does not say where the handed-off conversation is in the agent app:\n%s", run, stdout)
		}
		if !strings.Contains(stdout, "Baton demo is running at "+p.url) {
			t.Errorf("run %d: the demo is not said to run where it listens, %s:\n%s", run, p.url, stdout)
		}

		// The shop page carries the snippet pointed at this demo.
		shop := regexp.MustCompile(`(?m)^\s*Shop page\s+(\S+)`).FindStringSubmatch(stdout)
		if shop == nil {
			t.Fatalf("run %d printed no shop page:\n%s", run, stdout)
		}
		if res, err := http.Get(shop[1]); err != nil {
			t.Errorf("shop page: %v", err)
		} else {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), `var BASE_URL="`+p.url+`"`) || !strings.Contains(string(body), "chatwootSDK.run") {
				t.Errorf("run %d: the shop page is %d:\n%s", run, res.StatusCode, body)
			}
		}

		var lines []string
		for _, line := range strings.Split(stdout, "\n") {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "curl ") {
				lines = append(lines, line)
			}
		}
		if len(lines) < 5 {
			t.Fatalf("run %d printed %d curl lines:\n%s", run, len(lines), stdout)
		}
		for _, line := range lines {
			req, err := curlRequest(t, line)
			if err != nil {
				t.Errorf("%s\n  %v", line, err)
				continue
			}
			if !strings.HasPrefix(req.URL.String(), p.url+"/") {
				t.Errorf("%s\n  is not a request to the demo at %s", line, p.url)
			}
			code, body := do(t, req)
			if code < 200 || code > 299 {
				t.Errorf("%s\n  answered %d %s", line, code, body)
			}
			if strings.Contains(line, "Can I talk to a person") {
				arrivesAtSam(t, p.url, stdout, m[1])
			}
			if strings.Contains(line, "What are your opening hours?") {
				offersMenuAgain(t, req.URL.String())
			}
			// The line that says the customer's thread has no private notes.
			if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/public/") && strings.Contains(body, "Checked with the warehouse") {
				t.Errorf("%s\n  shows the customer a private note: %s", line, body)
			}
		}
		if err := p.stop(); err != nil {
			t.Errorf("run %d: demo returned %v after its context ended, want nil", run, err)
		}
	}
	if accounts[0] != accounts[1] {
		t.Errorf("the second run on the same data dir made account %s, want %s again", accounts[1], accounts[0])
	}
}

// arrivesAtSam waits for the demo bot's handoff and checks that it carries
// its reason and arrived at Sam Agent, who is online, with the order the
// bot looked up in the conversation's custom attributes.
func arrivesAtSam(t *testing.T, base, stdout, account string) {
	t.Helper()
	token := regexp.MustCompile(`(?m)^\s*Admin .*\n\s+token (\S+)`).FindStringSubmatch(stdout)
	conv := regexp.MustCompile(`conversation (\d+) \(`).FindStringSubmatch(stdout)
	if token == nil || conv == nil {
		t.Fatalf("the demo printed no admin token or conversation:\n%s", stdout)
	}
	url := fmt.Sprintf("%s/api/v1/accounts/%s/conversations/%s", base, account, conv[1])
	var last string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		req.Header.Set("api_access_token", token[1])
		_, body := do(t, req)
		last = body
		var c struct {
			Handoff *struct{ Reason string } `json:"handoff"`
			Meta    struct {
				Assignee *struct{ Name string } `json:"assignee"`
			} `json:"meta"`
			CustomAttributes map[string]any `json:"custom_attributes"`
		}
		if json.Unmarshal([]byte(body), &c) == nil && c.Handoff != nil && c.Meta.Assignee != nil {
			if c.Handoff.Reason != "customer_request" || c.Meta.Assignee.Name != "Sam Agent" {
				t.Errorf("the handoff has reason %q and went to %q, want customer_request and Sam Agent", c.Handoff.Reason, c.Meta.Assignee.Name)
			}
			// The order the bot looked up is kept for the people.
			if c.CustomAttributes["order_number"] != "1042" || c.CustomAttributes["order_email"] != "casey@example.com" {
				t.Errorf("the conversation's custom attributes are %v, want the order the bot looked up", c.CustomAttributes)
			}
			return
		}
	}
	t.Errorf("the bot's handoff never arrived at Sam Agent: %s", last)
}

// offersMenuAgain waits for the demo bot's answer to the opening hours and
// checks that a menu follows it: in the widget a menu once answered is
// spent, and a customer who picked "Opening hours" had nothing left to pick.
func offersMenuAgain(t *testing.T, messages string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, messages, nil)
		_, body := do(t, req)
		last = body
		var ms []struct {
			Content           string `json:"content"`
			ContentType       string `json:"content_type"`
			ContentAttributes struct {
				Items []struct{ Value string } `json:"items"`
			} `json:"content_attributes"`
		}
		if json.Unmarshal([]byte(body), &ms) != nil {
			continue
		}
		for i, msg := range ms {
			if !strings.HasPrefix(msg.Content, "We are open") {
				continue
			}
			if i+1 < len(ms) {
				next := ms[i+1]
				if next.ContentType != "input_select" || len(next.ContentAttributes.Items) == 0 || next.ContentAttributes.Items[0].Value != "order" {
					t.Errorf("after the opening hours the bot says %q (%s, %v), want a menu starting with the order", next.Content, next.ContentType, next.ContentAttributes.Items)
				}
				return
			}
		}
	}
	t.Errorf("the bot's opening hours, and a menu after them, never came: %s", last)
}

// curlRequest makes the request a printed curl command line makes. It reads
// the line as a POSIX shell would, and fails on anything a shell would take
// for more than a word: the lines must work when pasted.
func curlRequest(t *testing.T, line string) (*http.Request, error) {
	t.Helper()
	words, err := shellWords(line)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 || words[0] != "curl" {
		return nil, fmt.Errorf("not a curl command: %q", words)
	}
	var method, url string
	var body io.Reader
	header := http.Header{}
	for i := 1; i < len(words); i++ {
		w := words[i]
		value := func() string {
			if i+1 >= len(words) {
				t.Errorf("%s: %s needs a value", line, w)
				return ""
			}
			i++
			return words[i]
		}
		switch {
		case w == "-s":
		case w == "-X":
			method = value()
		case w == "-H":
			name, v, ok := strings.Cut(value(), ":")
			if !ok {
				return nil, fmt.Errorf("header without a colon in %q", words)
			}
			header.Add(strings.TrimSpace(name), strings.TrimSpace(v))
		case w == "-d":
			body = strings.NewReader(value())
			if method == "" {
				method = http.MethodPost
			}
			if header.Get("Content-Type") == "" {
				header.Set("Content-Type", "application/x-www-form-urlencoded") // as curl does, until a -H says otherwise
			}
		case strings.HasPrefix(w, "-"):
			return nil, fmt.Errorf("curl option %s is not understood by this test", w)
		case url != "":
			return nil, fmt.Errorf("two URLs: %s and %s", url, w)
		default:
			url = w
		}
	}
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		return nil, err
	}
	for name, vs := range header {
		req.Header[name] = vs
	}
	return req, nil
}

// shellWords splits a command line into words as sh does, for lines that
// quote with single quotes only. Characters that sh would read as anything
// but a plain character outside quotes are an error.
func shellWords(line string) ([]string, error) {
	var words []string
	var word strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			word.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		case strings.ContainsRune("\"\\$`&;|<>*?[]#~(){}!", r):
			return nil, fmt.Errorf("%q is special to the shell outside quotes", r)
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("a quote is not closed")
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}
