package chatwoot_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestAvatarMustBeAnImage: a bot's avatar is what its bytes are, whatever
// its file name and the type its part claims. An HTML page called
// avatar.png and an SVG (which can carry script) are refused with a 422
// naming the field, through the Application and the Platform API, on
// create and on update, and leave no file and no change behind. A real
// PNG, even one called avatar.html, is kept and served as image/png with
// nosniff; GIF, JPEG and WebP pass by their magic numbers.
func TestAvatarMustBeAnImage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		files := func() int {
			t.Helper()
			n := 0
			err := filepath.WalkDir(b.Files, func(_ string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					n++
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		upload := func(method, path, token, filename, contentType string, data []byte) *response {
			t.Helper()
			var form bytes.Buffer
			mw := multipart.NewWriter(&form)
			_ = mw.WriteField("name", "Painted bot")
			_ = mw.WriteField("outgoing_url", "http://127.0.0.1:1/bot")
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="avatar"; filename=%q`, filename))
			h.Set("Content-Type", contentType)
			part, err := mw.CreatePart(h)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = part.Write(data)
			_ = mw.Close()
			req, _ := http.NewRequest(method, b.URL+path, &form)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			if strings.HasPrefix(path, "/platform/") {
				req.Header.Set("api_access_token", b.Platform)
			} else {
				req.Header.Set("api_access_token", token)
			}
			return b.send(req)
		}
		bots := func() int {
			t.Helper()
			own := b.must(request{Method: "GET", Path: b.acc("/agent_bots"), Token: b.admin}).Array(t)
			platform := b.must(request{Method: "GET", Path: "/platform/api/v1/agent_bots", Token: b.Platform}).Array(t)
			return len(own) + len(platform)
		}
		refused := func(what string, r *response) {
			t.Helper()
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: status %d, want 422\n%s", what, r.Status, r.Body)
			}
			body := r.Object(t)
			attrs, _ := body["attributes"].([]any)
			if body["message"] != "Avatar must be a PNG, JPEG, GIF or WebP image" || !slices.Contains(attrs, any("avatar")) {
				t.Errorf("%s: body %s, want the avatar's message and field", what, r.Body)
			}
		}

		html := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
		svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="2" height="2"/></svg>`)
		refusals := []struct {
			what, method, path, filename, contentType string
			data                                      []byte
		}{
			{"HTML called avatar.png", "POST", b.acc("/agent_bots"), "avatar.png", "image/png", html},
			{"SVG", "POST", b.acc("/agent_bots"), "avatar.svg", "image/svg+xml", svg},
			{"SVG called avatar.png", "POST", b.acc("/agent_bots"), "avatar.png", "image/png", svg},
			{"empty", "POST", b.acc("/agent_bots"), "avatar.png", "image/png", []byte("\x89P")},
			{"HTML through the Platform API", "POST", "/platform/api/v1/agent_bots", "avatar.png", "image/png", html},
			{"SVG through the Platform API", "POST", "/platform/api/v1/agent_bots", "avatar.gif", "image/gif", svg},
		}
		for _, c := range refusals {
			refused(c.what, upload(c.method, c.path, b.admin, c.filename, c.contentType, c.data))
		}
		if n := files(); n != 0 {
			t.Fatalf("%d files left by refused avatars, want none", n)
		}
		if n := bots(); n != 0 {
			t.Fatalf("%d bots made with refused avatars, want none", n)
		}

		// A real PNG is taken for one whatever it is called, and served so.
		var pic bytes.Buffer
		img := image.NewRGBA(image.Rect(0, 0, 2, 2))
		img.Set(0, 0, color.RGBA{R: 255, A: 255})
		if err := png.Encode(&pic, img); err != nil {
			t.Fatal(err)
		}
		r := upload("POST", b.acc("/agent_bots"), b.admin, "avatar.html", "text/html", pic.Bytes())
		if r.Status != http.StatusOK {
			t.Fatalf("a PNG avatar: %d %s", r.Status, r.Body)
		}
		bot := r.Object(t)
		botPath := b.acc("/agent_bots/%d", num(t, bot, "id"))
		avatarURL, _ := bot["avatar_url"].(string)
		served := func(wantType string, want []byte) {
			t.Helper()
			if !strings.HasPrefix(avatarURL, b.URL+"/avatars/") {
				t.Fatalf("avatar_url %q", avatarURL)
			}
			r := b.do(request{Method: "GET", Path: strings.TrimPrefix(avatarURL, b.URL)})
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != wantType ||
				r.Header.Get("X-Content-Type-Options") != "nosniff" || !bytes.Equal(r.Body, want) {
				t.Errorf("the avatar is served %d, Content-Type %q, X-Content-Type-Options %q, %d bytes; want 200, %s, nosniff, %d bytes",
					r.Status, r.Header.Get("Content-Type"), r.Header.Get("X-Content-Type-Options"), len(r.Body), wantType, len(want))
			}
		}
		served("image/png", pic.Bytes())
		if n := files(); n != 1 {
			t.Fatalf("%d files after one avatar, want 1", n)
		}

		// An update with something else keeps the bot's avatar.
		refused("HTML as an update", upload("PATCH", botPath, b.admin, "avatar.png", "image/png", html))
		refused("SVG as a Platform update", upload("PATCH", fmt.Sprintf("/platform/api/v1/agent_bots/%d", num(t, bot, "id")), "", "a.png", "image/png", svg))
		if got := b.must(request{Method: "GET", Path: botPath, Token: b.admin}).Object(t)["avatar_url"]; got != avatarURL {
			t.Errorf("after refused updates avatar_url is %v, want %s", got, avatarURL)
		}
		served("image/png", pic.Bytes())
		if n := files(); n != 1 {
			t.Fatalf("%d files after refused updates, want 1", n)
		}

		// GIF, JPEG and WebP are known by their first bytes too.
		for _, img := range []struct {
			contentType string
			data        []byte
		}{
			{"image/gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")},
			{"image/jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\xff\xd9")},
			{"image/webp", []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")},
		} {
			r := upload("PATCH", botPath, b.admin, "avatar", "application/octet-stream", img.data)
			if r.Status != http.StatusOK {
				t.Fatalf("a %s avatar: %d %s", img.contentType, r.Status, r.Body)
			}
			avatarURL, _ = r.Object(t)["avatar_url"].(string)
			served(img.contentType, img.data)
		}
		if n := files(); n != 1 {
			t.Fatalf("%d files after the avatar was replaced, want 1", n)
		}
	})
}
