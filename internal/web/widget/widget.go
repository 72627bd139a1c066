// Package widget is Baton's website widget, embedded in the binary: the
// Chatwoot-compatible loader (/packs/js/sdk.js), the page the loader puts in
// its iframe (/widget) and the page's script, style sheet and message
// catalogues. Plain JavaScript and CSS, served as written (gzip-compressed
// once at start); no build step.
//
// Assets other than sdk.js are served under names that carry a hash of
// their content, with a year-long immutable cache; sdk.js keeps Chatwoot's
// fixed name, so it is cached for an hour and revalidated by ETag.
package widget

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

//go:embed static
var static embed.FS

// Asset is one embedded file, ready to serve.
type Asset struct {
	Name   string // the fingerprinted name, e.g. widget.3f2a9c1d.js
	Type   string // Content-Type
	Body   []byte
	Gzip   []byte // Body, gzip-compressed
	ETag   string
	Source string // the name in static/
}

// Widget serves the widget's files.
type Widget struct {
	sdk      *Asset
	assets   map[string]*Asset // by fingerprinted name
	js, css  *Asset
	catalogs map[string]*Asset // by language code
	page     *template.Template
}

// Languages are the languages the widget has message catalogues for.
var Languages = []string{"en", "es", "ar"}

// rtl are the languages written right to left.
var rtl = map[string]bool{"ar": true, "he": true, "fa": true, "ur": true}

// New loads the embedded files.
func New() *Widget {
	w := &Widget{assets: map[string]*Asset{}, catalogs: map[string]*Asset{}}
	w.sdk = load("sdk.js", false)
	w.js = w.add(load("widget.js", true))
	w.css = w.add(load("widget.css", true))
	for _, l := range Languages {
		w.catalogs[l] = w.add(load("i18n/"+l+".json", true))
	}
	page, err := fs.ReadFile(static, "static/widget.html")
	if err != nil {
		panic(err)
	}
	w.page = template.Must(template.New("widget").Parse(string(page)))
	return w
}

func (w *Widget) add(a *Asset) *Asset {
	w.assets[a.Name] = a
	return a
}

func load(name string, fingerprint bool) *Asset {
	body, err := fs.ReadFile(static, "static/"+name)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])[:12]
	a := &Asset{Name: path.Base(name), Source: name, Body: body, ETag: `"` + hash + `"`,
		Type: mime.TypeByExtension(path.Ext(name))}
	if strings.HasSuffix(name, ".js") {
		a.Type = "text/javascript; charset=utf-8"
	}
	if fingerprint {
		ext := path.Ext(name)
		a.Name = strings.ReplaceAll(strings.TrimSuffix(name, ext), "/", "-") + "." + hash + ext
	}
	a.Gzip = Compress(body)
	return a
}

// Compress gzips b as the assets are served.
func Compress(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// SDK is the loader, sdk.js.
func (w *Widget) SDK() *Asset { return w.sdk }

// Assets lists the fingerprinted assets, by name.
func (w *Widget) Assets() []*Asset {
	out := make([]*Asset, 0, len(w.assets))
	for _, a := range w.assets {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// PageAssets are the assets the widget page loads for a language: its
// script, style sheet and that language's catalogue (inlined in the page).
func (w *Widget) PageAssets() []*Asset { return []*Asset{w.js, w.css} }

// AssetPath is where the fingerprinted assets are served.
const AssetPath = "/widget/assets/"

// ServeSDK serves sdk.js: a classic script any site may load (CORS *).
func (w *Widget) ServeSDK(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Access-Control-Allow-Origin", "*")
	rw.Header().Set("Cache-Control", "public, max-age=3600")
	serve(rw, r, w.sdk)
}

// ServeAsset serves a fingerprinted asset, or 404.
func (w *Widget) ServeAsset(rw http.ResponseWriter, r *http.Request, name string) {
	a, ok := w.assets[name]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	rw.Header().Set("Access-Control-Allow-Origin", "*")
	rw.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	serve(rw, r, a)
}

func serve(rw http.ResponseWriter, r *http.Request, a *Asset) {
	h := rw.Header()
	h.Set("Content-Type", a.Type)
	h.Set("ETag", a.ETag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == a.ETag {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.Body
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = a.Gzip
	}
	if r.Method == http.MethodHead {
		return
	}
	rw.Write(body)
}

// Lang picks the catalogue language for a requested locale ("pt_BR",
// "es-419", "ar"): its language if the widget has it, else English.
func Lang(locale string) string {
	l := strings.ToLower(locale)
	if i := strings.IndexAny(l, "_-"); i >= 0 {
		l = l[:i]
	}
	for _, x := range Languages {
		if x == l {
			return l
		}
	}
	return "en"
}

// Page is what the widget page needs from the server.
type Page struct {
	Title  string // the inbox's name
	Locale string // the requested locale
	Accept string // the file types attachments may have, as an HTML accept attribute
	// AllowedDomains are the sites that may frame the page, CSP host
	// sources (the inbox's, checked when written); none is any site.
	AllowedDomains []string
}

// ServePage writes the widget page, which runs only the widget's own
// script. Any site may frame it unless the inbox names allowed domains;
// then only those may, by the frame-ancestors directive, which Chatwoot
// sends as the inbox's allowed_domains separated by spaces. Chatwoot's
// answer then also keeps Rails' X-Frame-Options: SAMEORIGIN, which
// browsers that know frame-ancestors ignore; so does Baton's, so that a
// browser that knows only the older header refuses every site rather than
// letting any frame it.
func (w *Widget) ServePage(rw http.ResponseWriter, r *http.Request, p Page) {
	lang := Lang(p.Locale)
	urls := map[string]string{}
	for l, a := range w.catalogs {
		urls[l] = AssetPath + a.Name
	}
	var catalog map[string]any
	_ = json.Unmarshal(w.catalogs[lang].Body, &catalog)
	dir := "ltr"
	if rtl[lang] {
		dir = "rtl"
	}
	data := map[string]any{"Lang": lang, "Dir": dir, "Title": p.Title, "Accept": p.Accept,
		"JS": AssetPath + w.js.Name, "CSS": AssetPath + w.css.Name,
		"I18n": map[string]any{"lang": lang, "catalog": catalog, "catalogs": urls}}
	var buf bytes.Buffer
	if err := w.page.Execute(&buf, data); err != nil {
		http.Error(rw, "widget page failed", http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	ancestors := "*"
	if len(p.AllowedDomains) > 0 {
		ancestors = strings.Join(p.AllowedDomains, " ")
		h.Set("X-Frame-Options", "SAMEORIGIN")
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
		"img-src * data: blob:; media-src 'self' data: blob:; connect-src 'self' ws: wss:; "+
		"frame-ancestors "+ancestors+"; base-uri 'none'; form-action 'none'")
	rw.Write(buf.Bytes())
}

// Handler serves the widget's paths, Chatwoot's, and passes every other
// request to next (the API):
//
//	GET /packs/js/sdk.js          the loader
//	GET /widget?website_token=…   the page in the loader's iframe; 404 for a
//	                              token no web widget inbox has
//	GET /widget/assets/{name}     the page's fingerprinted files
func (w *Widget) Handler(a *app.App, next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /packs/js/sdk.js", w.ServeSDK)
	mux.HandleFunc("GET "+AssetPath+"{name}", func(rw http.ResponseWriter, r *http.Request) {
		w.ServeAsset(rw, r, r.PathValue("name"))
	})
	mux.HandleFunc("GET /widget", func(rw http.ResponseWriter, r *http.Request) {
		cred := baton.ContactCredential{WebsiteToken: r.URL.Query().Get("website_token")}
		inbox, err := a.WidgetInbox(baton.NewContextWithCredential(r.Context(), cred))
		if err != nil {
			writeError(rw, err)
			return
		}
		w.ServePage(rw, r, Page{Title: inbox.Name, Locale: r.URL.Query().Get("locale"), Accept: app.FileAccept(),
			AllowedDomains: inbox.AllowedDomains})
	})
	mux.Handle("/", next)
	return mux
}

// writeError answers a failed page request as Chatwoot's widget controller
// does: 404 {"error": "web widget does not exist"} for an unknown token,
// 401 for a suspended account.
func writeError(rw http.ResponseWriter, err error) {
	status, msg := http.StatusInternalServerError, "Internal server error"
	switch baton.ErrorCode(err) {
	case baton.ENOTFOUND:
		status, msg = http.StatusNotFound, "web widget does not exist"
	case baton.EUNAUTHORIZED, baton.ESUSPENDED:
		status, msg = http.StatusUnauthorized, baton.ErrorMessage(err)
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(status)
	json.NewEncoder(rw).Encode(map[string]string{"error": msg})
}

// ShopPage is a sample shop's page with Chatwoot's snippet, as Chatwoot's
// dashboard gives it, pointed at baseURL: what `baton demo` serves.
func ShopPage(baseURL, websiteToken string) []byte {
	var b bytes.Buffer
	_ = shopPage.Execute(&b, map[string]string{"Base": baseURL, "Token": websiteToken})
	return b.Bytes()
}

var shopPage = template.Must(template.New("shop").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Demo shop</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a}header{background:#1a1a1a;color:#fff;padding:16px 32px}
main{padding:24px 32px;max-width:720px}.p{display:inline-block;border:1px solid #ccc;border-radius:8px;padding:16px;margin:0 12px 12px 0;width:180px}</style>
</head>
<body>
<header><strong>Acme Demo shop</strong></header>
<main>
<h1>Mugs and more</h1>
<p>This page carries Chatwoot's website snippet, pointed at Baton. Open the chat bubble at the bottom right,
say hello to the demo bot, pick from its menu, and ask for a person.</p>
<div class="p"><h2>Blue mug</h2><p>300 ml, dishwasher safe.</p></div>
<div class="p"><h2>Red mug</h2><p>450 ml, for big mornings.</p></div>
</main>
<script>
  (function(d,t) {
    var BASE_URL={{.Base}};
    var g=d.createElement(t),s=d.getElementsByTagName(t)[0];
    g.src=BASE_URL+"/packs/js/sdk.js";
    g.defer = true;
    g.async = true;
    s.parentNode.insertBefore(g,s);
    g.onload=function(){
      window.chatwootSDK.run({
        websiteToken: {{.Token}},
        baseUrl: BASE_URL
      })
    }
  })(document,"script");
</script>
</body>
</html>
`))
