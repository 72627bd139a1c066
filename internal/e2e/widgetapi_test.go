package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestWidgetIdentity: setUser with the inbox's HMAC verifies the visitor;
// an inbox that demands HMACs refuses an unverified identity; a verified
// identity changes only with a hash for the new one.
func TestWidgetIdentity(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		site := newWidgetSite(e)
		path := e.acc(fmt.Sprintf("/inboxes/%d", site.inboxID))
		hmacToken := e.call("GET", path, e.adminToken, "", 200).(map[string]any)["hmac_token"].(string)
		e.call("PATCH", path, e.adminToken, `{"channel":{"hmac_mandatory":true}}`, 200)

		_, token := site.visit()
		r := site.must(401, "PATCH", "/contact/set_user", "", token, `{"identifier":"user-7","email":"ann@acme.test"}`)
		if r.body.(map[string]any)["error"] != "HMAC failed: Invalid Identifier Hash Provided" {
			t.Errorf("an unverified identity: %s", r.raw)
		}
		site.must(401, "PATCH", "/contact/set_user", "", token, `{"identifier":"user-7","identifier_hash":"00ff","email":"ann@acme.test"}`)
		good := auth.IdentifierHash(hmacToken, "user-7")
		got := site.must(200, "PATCH", "/contact/set_user", "", token,
			fmt.Sprintf(`{"identifier":"user-7","identifier_hash":%q,"email":"ann@acme.test","name":"Ann","custom_attributes":{"plan":"pro"}}`, good)).body.(map[string]any)
		if got["identifier"] != "user-7" || got["has_email"] != true || got["has_name"] != true {
			t.Errorf("set_user answered %v", got)
		}
		// Another identifier without its hash is refused now.
		site.must(401, "PATCH", "/contact/set_user", "", token, `{"identifier":"user-8","email":"ann@acme.test"}`)
		// Attributes merge and can be deleted.
		site.must(200, "PATCH", "/contact", "", token, `{"custom_attributes":{"city":"Oslo"}}`)
		site.must(200, "POST", "/contact/destroy_custom_attributes", "", token, `{"custom_attributes":["plan"]}`)
		id := int64(got["id"].(float64))
		c := e.call("GET", e.acc(fmt.Sprintf("/contacts/%d", id)), e.adminToken, "", 200).(map[string]any)["payload"].(map[string]any)
		attrs := c["custom_attributes"].(map[string]any)
		if c["identifier"] != "user-7" || c["name"] != "Ann" || attrs["city"] != "Oslo" || attrs["plan"] != nil {
			t.Errorf("the contact after set_user and attributes: %v", c)
		}
	})
}

// TestWidgetConversationActions: the widget's conversation endpoints act
// on the visitor's own latest conversation only, and a token of another
// inbox is refused.
func TestWidgetConversationActions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		site, other := newWidgetSite(e), newWidgetSite(e)
		_, token := site.visit()
		_, otherToken := other.visit()

		// The widget page exists for a website token only.
		for tok, want := range map[string]int{site.token: 200, "no-such-token": 404} {
			res, err := http.Get(e.URL + "/widget?website_token=" + tok)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("/widget?website_token=%s: %d, want %d", tok, res.StatusCode, want)
			}
		}

		// Nothing to act on before the first message.
		if got := site.must(200, "GET", "/conversations", "", token, "").raw; got != "{}\n" && got != "{}" {
			t.Errorf("conversations before any: %q", got)
		}
		site.must(404, "POST", "/conversations/toggle_typing", "", token, `{"typing_status":"on"}`)
		site.must(200, "POST", "/messages", "", token, `{"message":{"content":"Hi"}}`)
		site.must(200, "POST", "/conversations/toggle_typing", "", token, `{"typing_status":"on"}`)
		site.must(422, "POST", "/conversations/toggle_typing", "", token, `{"typing_status":"maybe"}`)
		site.must(200, "POST", "/conversations/update_last_seen", "", token, `{}`)
		site.must(204, "POST", "/conversations/set_custom_attributes", "", token, `{"custom_attributes":{"order":"A-1"}}`)
		site.must(204, "POST", "/labels", "", token, `{"label":"vip"}`)
		conv := site.must(200, "GET", "/conversations", "", token, "").body.(map[string]any)
		if conv["status"] != "open" || conv["labels"].([]any)[0] != "vip" || conv["custom_attributes"].(map[string]any)["order"] != "A-1" {
			t.Errorf("the conversation: %v", conv)
		}
		// Talk to a person needs a conversation with the bot.
		site.must(422, "POST", "/conversations/toggle_status", "", token, `{"status":"bogus"}`)
		site.must(204, "DELETE", "/labels/vip", "", token, "")

		// Another inbox's token names nobody here.
		site.must(401, "GET", "/conversations", "", otherToken, "")
		site.must(401, "POST", "/messages", "", otherToken, `{"message":{"content":"sneaky"}}`)
		site.must(401, "GET", "/messages", "", otherToken, "")

		// The after= catch-up returns only newer messages.
		list, meta := site.messages("", token)
		if seen := meta["contact_last_seen_at"]; seen != conv["contact_last_seen_at"] || seen == float64(0) {
			t.Errorf("messages meta %v, want the conversation's contact_last_seen_at %v", meta, conv["contact_last_seen_at"])
		}
		last := int64(list[len(list)-1].(map[string]any)["id"].(float64))
		site.must(200, "POST", "/messages", "", token, `{"message":{"content":"Second"}}`)
		newer, _ := site.messages(fmt.Sprintf("&after=%d", last), token)
		if len(newer) != 1 || newer[0].(map[string]any)["content"] != "Second" {
			t.Errorf("after=%d: %v", last, newer)
		}

		// End conversation resolves it; a new conversation starts another.
		if got := site.must(200, "GET", "/conversations/toggle_status", "", token, "").body.(map[string]any); got["status"] != "resolved" {
			t.Errorf("toggle_status: %v", got)
		}
		fresh := site.must(200, "POST", "/conversations", "", token,
			`{"message":{"content":"New question","referer_url":"https://shop.test/help","timestamp":"later","timezone":"../../etc/passwd"}}`,
			"Accept-Language", "de-DE,de;q=0.9").body.(map[string]any)
		if fresh["id"] == conv["id"] || fresh["status"] == "resolved" || len(fresh["messages"].([]any)) != 1 {
			t.Errorf("a new conversation: %v after %v", fresh, conv["id"])
		}
		// It records the visit as a conversation POST messages starts does.
		attrs := e.call("GET", e.acc(fmt.Sprintf("/conversations/%v", fresh["id"])), e.adminToken, "", 200).(map[string]any)["additional_attributes"].(map[string]any)
		if attrs["browser_language"] != "de" || attrs["referer"] != "https://shop.test/help" ||
			attrs["initiated_at"].(map[string]any)["timestamp"] != "later" || attrs["browser"].(map[string]any)["browser_name"] != "Chrome" {
			t.Errorf("the new conversation's additional_attributes: %v", attrs)
		}
		// A time zone that is no IANA name is left out; the message is not refused for it.
		if _, ok := attrs["timezone"]; ok {
			t.Errorf("the new conversation kept the time zone %q", attrs["timezone"])
		}
	})
}

// TestWidgetNewVisitorLimit: one address starts at most the limit of new
// visitors an hour; loopback and returning visitors are not counted.
func TestWidgetNewVisitorLimit(t *testing.T) {
	t.Parallel()
	e := start(t, storetest.OpenSQLite(t))
	site := newWidgetSite(e)
	ctx := baton.NewContextWithCredential(context.Background(), baton.ContactCredential{WebsiteToken: site.token})
	from := baton.NewContextWithClientAddr(ctx, netip.MustParseAddr("203.0.113.9"))
	var last string
	for i := 0; i < 20; i++ {
		w, err := e.App.WidgetConfig(from)
		if err != nil {
			t.Fatalf("visitor %d: %v", i+1, err)
		}
		last = w.Token
	}
	if _, err := e.App.WidgetConfig(from); baton.ErrorCode(err) != baton.ERATELIMIT {
		t.Fatalf("the 21st new visitor from one address: %v, want a rate limit", err)
	}
	// A returning visitor is fine, and so is another address.
	back := baton.NewContextWithCredential(from, baton.ContactCredential{WebsiteToken: site.token, WidgetToken: last})
	if _, err := e.App.WidgetConfig(baton.NewContextWithClientAddr(back, netip.MustParseAddr("203.0.113.9"))); err != nil {
		t.Errorf("a returning visitor: %v", err)
	}
	if _, err := e.App.WidgetConfig(baton.NewContextWithClientAddr(ctx, netip.MustParseAddr("198.51.100.1"))); err != nil {
		t.Errorf("another address: %v", err)
	}
}
