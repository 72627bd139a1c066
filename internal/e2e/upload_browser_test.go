package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/batonhq/baton/internal/browsertest"
)

// TestWidgetUpload: the file picker offers the types the server takes, a
// refused file is explained in the server's words in an alert, and a
// taken one shows as a link.
func TestWidgetUpload(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	_, token := s.visit()
	s.must(200, "POST", "/messages", "", token, `{"message":{"content":"I will send you the invoice"}}`)
	dir := t.TempDir()
	bin, txt := filepath.Join(dir, "big.bin"), filepath.Join(dir, "invoice 2024.txt")
	for name, body := range map[string]string{bin: "\x00\x01\x02", txt: "Invoice 2024: 12 EUR"} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/widget?website_token=%s&cw_conversation=%s", s.e.URL, s.token, token)),
		chromedp.WaitReady("html[data-ready]")); err != nil {
		t.Fatal(err)
	}
	accept := hostEval[string](t, ctx, `document.querySelector('.cw-composer input[type=file]').accept`)
	for _, want := range []string{"image/*", "application/pdf", ".docx"} {
		if !strings.Contains(accept, want) {
			t.Errorf("the file picker accepts %q, without %s", accept, want)
		}
	}

	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(".cw-composer input[type=file]", []string{bin})); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, nil, "#cw-alert[role=alert]", "Attachment big.bin has a file type that is not allowed (application/octet-stream)")
	browsertest.Screenshot(t, ctx, "widget-upload-1-refused")
	browsertest.Axe(t, ctx)
	browsertest.Audit(t, ctx)

	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(".cw-composer input[type=file]", []string{txt})); err != nil {
		t.Fatal(err)
	}
	waitVisible(t, ctx, ".cw-msg--mine a.cw-file")
	if got := hostEval[string](t, ctx, `document.getElementById('cw-alert').textContent`); got != "" {
		t.Errorf("after a good upload the alert still says %q", got)
	}
	// The file shows by the name it was sent with, not its storage key.
	if got := hostEval[string](t, ctx, `document.querySelector('.cw-msg--mine a.cw-file').textContent`); got != "invoice 2024.txt" {
		t.Errorf("the sent file shows as %q, want its name", got)
	}
	browsertest.Screenshot(t, ctx, "widget-upload-2-sent")
}
