package agent

import (
	"strings"
	"testing"

	"github.com/batonhq/baton"
)

// TestTranscriptMarkdown: a message's text is shown with the marks the
// customer's widget shows (bold, italics, struck, code, links, lists,
// paragraphs and line breaks), every part escaped, links only to http(s)
// and mailto, and no mark inside a word or an address.
func TestTranscriptMarkdown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ text, want string }{
		{"Your **parcel** is on its _way_.", `<p>Your <strong>parcel</strong> is on its <em>way</em>.</p>`},
		{"~~old~~ and `code <b>`", `<p><del>old</del> and <code>code &lt;b&gt;</code></p>`},
		{"snake_case_name and 2*3*4", `<p>snake_case_name and 2*3*4</p>`},
		{"See https://shop.example/track?a=1&b=2.", `<p>See <a href="https://shop.example/track?a=1&amp;b=2" rel="noopener noreferrer nofollow" target="_blank">https://shop.example/track?a=1&amp;b=2</a>.</p>`},
		{"[Track it](https://shop.example/t) or [mail](mailto:help@shop.example)", `<p><a href="https://shop.example/t" rel="noopener noreferrer nofollow" target="_blank">Track it</a> or <a href="mailto:help@shop.example" rel="noopener noreferrer nofollow" target="_blank">mail</a></p>`},
		{"[click](javascript:alert(1)) <script>alert(1)</script>", `<p>[click](javascript:alert(1)) &lt;script&gt;alert(1)&lt;/script&gt;</p>`},
		{"Line one\nline two\n\nNext", `<p>Line one<br>line two</p><p>Next</p>`},
		{"Pick:\n- one\n- **two**\n1. first", `<p>Pick:</p><ul><li>one</li><li><strong>two</strong></li></ul><ol><li>first</li></ol>`},
		{"a*b*c http://x.test/a_b_c", `<p>a*b*c <a href="http://x.test/a_b_c" rel="noopener noreferrer nofollow" target="_blank">http://x.test/a_b_c</a></p>`},
	} {
		m := botMessage(t, 1, baton.ContentText, tc.text, `{}`)
		html := renderItems(t, m)
		_, body, _ := strings.Cut(html, `dir="auto">`)
		body, _, found := strings.Cut(body, "</div>")
		if !found {
			t.Fatalf("%q: no body in %s", tc.text, html)
		}
		if got := body; got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.text, got, tc.want)
		}
	}
}

// TestMarkdownLongLines: lines made to be slow (an address glued to text a
// hundred thousand times over, marks that never close) parse in one pass:
// before, the first took over a minute of CPU for every view of the page.
func TestMarkdownLongLines(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		"x" + strings.Repeat("http://", 21000),
		strings.Repeat("*", 150000),
		strings.Repeat("a_", 75000),
		strings.Repeat("[a](http://", 13000),
		strings.Repeat("_"+strings.Repeat("b", 1000), 150),
	} {
		blocks := markdown(line)
		var n int
		for _, b := range blocks {
			for _, l := range b.Lines {
				for _, s := range l {
					n += len(s.Text)
				}
			}
		}
		if len(blocks) != 1 || n == 0 || n > len(line) {
			t.Errorf("a line of %d bytes parsed into %d blocks of %d bytes of text", len(line), len(blocks), n)
		}
	}
}
