package browsertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

//go:embed audit.js
var auditSource string

// Finding is one thing Audit found wrong with a page.
type Finding struct {
	Check string // contrast, name, tabindex, focus or live
	Where string // a CSS selector of the element
	What  string
}

// String formats a finding for a test failure.
func (f Finding) String() string { return f.Check + ": " + f.Where + ": " + f.What }

// AuditOption adds to what Audit asks of a page.
type AuditOption func(*audit)

type audit struct {
	live []string
}

// LiveRegion asks that every element the CSS selector matches (at least
// one) is a live region or inside one, seen by assistive technology, so
// that what is added to it is read out: where new messages appear, or the
// element the page's script writes its announcements to.
func LiveRegion(selector string) AuditOption {
	return func(a *audit) { a.live = append(a.live, selector) }
}

// controls are the elements that must have an accessible name.
const controls = `input:not([type=hidden]), select, textarea, button, summary, dialog, [role=button], [role=checkbox], ` +
	`[role=combobox], [role=listbox], [role=radio], [role=switch], [role=textbox], [role=slider], [role=spinbutton], ` +
	`[role=tab], [role=menuitem], [role=dialog]`

// Audit checks the tab's current document as Chromium renders it, in the
// color scheme it is in, and fails the test with each finding:
//
//   - contrast: every visible text node, and the text shown in fields and
//     selects (their value, else their placeholder), against the
//     background behind it (the background colors of its element and
//     ancestors laid over each other, with opacity), below WCAG AA: 4.5:1,
//     or 3:1 for large text (24 px, or 18.66 px bold). Text of disabled
//     controls is exempt, as WCAG has it; text over an image or gradient
//     is not measured (logged).
//   - name: an input, select, textarea, button, summary, dialog or ARIA
//     widget that the accessibility tree holds with no accessible name,
//     as Chromium computes it.
//   - tabindex: a positive tabindex, which jumps the tab order.
//   - focus: Tab pressed through the whole tab order, and each element
//     only script focuses (tabindex -1) focused: the focused element is
//     not seen, or shows no outline of 2 px or more (or the browser's own,
//     outline-style auto), or an outline under 3:1 against the background
//     around it (WCAG 1.4.11).
//   - live: what LiveRegion asks.
//
// It moves the focus and leaves it nowhere (on the body), the page
// scrolled back where it was. It returns the findings, so that a caller
// may also inspect them.
func Audit(t testing.TB, ctx context.Context, opts ...AuditOption) []Finding {
	t.Helper()
	var a audit
	for _, o := range opts {
		o(&a)
	}
	run := func(expr string, v any) {
		t.Helper()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](auditSource+";JSON.stringify("+expr+")"))
		if err != nil {
			t.Fatalf("audit: %s: %v", expr, err)
		}
		if err := json.Unmarshal([]byte(raw), v); err != nil {
			t.Fatalf("audit: %s: %v", expr, err)
		}
	}
	var found []Finding
	add := func(check, where, format string, args ...any) {
		found = append(found, Finding{Check: check, Where: where, What: fmt.Sprintf(format, args...)})
	}
	var scroll [2]float64
	run(`[window.scrollX, window.scrollY]`, &scroll)

	// Contrast, once for each element, colors and need.
	var texts []struct {
		Where, Text, FG, BG, Size, Weight string
		Ratio, Need                       float64
		Unmeasured                        bool
	}
	run(`__batonAudit.contrast()`, &texts)
	seen := map[string]bool{}
	for _, x := range texts {
		if x.Unmeasured {
			t.Logf("audit: contrast not measured over an image or gradient: %s %q", x.Where, x.Text)
			continue
		}
		key := x.Where + x.FG + x.BG
		if x.Ratio >= x.Need || seen[key] {
			continue
		}
		seen[key] = true
		add("contrast", x.Where, "%q is %s on %s, %.2f:1, under %.1f:1 (%s, weight %s)", x.Text, x.FG, x.BG, x.Ratio, x.Need, x.Size, x.Weight)
	}

	// Names, as the accessibility tree has them.
	var marked, named int
	run(`(() => { const els = document.querySelectorAll(`+jsString(controls)+`);
		els.forEach((el, i) => el.setAttribute("data-audit-name", String(i))); return els.length; })()`, &marked)
	if marked > 0 {
		nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("[data-audit-name]"), chromedp.AtLeast(0)))
		if err != nil {
			t.Fatalf("audit: controls: %v", err)
		}
		for _, n := range nodes {
			named++
			res, err := chromedp.Call(ctx, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{
				BackendNodeID: n.BackendNodeID, FetchRelatives: new(bool)})
			if err != nil {
				t.Fatalf("audit: accessibility node: %v", err)
			}
			if len(res.Nodes) == 0 || res.Nodes[0].Ignored {
				continue // hidden from assistive technology: nothing to name
			}
			var name string
			if v := res.Nodes[0].Name; v != nil {
				_ = json.Unmarshal(v.Value, &name)
			}
			if strings.TrimSpace(name) == "" {
				var where string
				run(`__batonAudit.path(document.querySelector('[data-audit-name="`+n.AttributeValue("data-audit-name")+`"]'))`, &where)
				add("name", where, "<%s> has no accessible name", n.LocalName)
			}
		}
		run(`(document.querySelectorAll("[data-audit-name]").forEach(el => el.removeAttribute("data-audit-name")), 0)`, &marked)
	}

	var jumps []struct{ Where, Tabindex string }
	run(`__batonAudit.positiveTabindex()`, &jumps)
	for _, j := range jumps {
		add("tabindex", j.Where, "tabindex=%s jumps the tab order", j.Tabindex)
	}

	// Focus: the whole tab order, then what only script focuses.
	type focus struct {
		None, Seen, Again, Same, FocusVisible bool
		Where, Label, OutlineStyle            string
		OutlineWidth, RingRatio               float64
		Ring, RingBg                          string
	}
	judge := func(f focus, how string) {
		switch {
		case !f.Seen:
			add("focus", f.Where, "%s focuses %q, which is not seen", how, f.Label)
		case f.OutlineStyle == "auto":
			// The browser's own ring, drawn in two tones to show on any background.
		case f.OutlineStyle == "none" || f.OutlineWidth < 2:
			add("focus", f.Where, "%s focuses %q with no outline (outline %s %gpx)", how, f.Label, f.OutlineStyle, f.OutlineWidth)
		case f.Ring != "" && f.RingRatio < 3:
			add("focus", f.Where, "%s focuses %q with an outline of %.2f:1 (%s on %s), under 3:1", how, f.Label, f.RingRatio, f.Ring, f.RingBg)
		}
	}
	var ok bool
	run(`(document.activeElement && document.activeElement.blur(), true)`, &ok)
	outside, stops := 0, 0
	for range 600 {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatalf("audit: Tab: %v", err)
		}
		var f focus
		// The stop's number marks its element; the same element again
		// right away is Tab moving inside it (a date field's parts).
		run(fmt.Sprintf(`(() => { const el = document.activeElement; const d = __batonAudit.focused();
			if (el && el !== document.body) {
				const at = el.getAttribute("data-audit-tab");
				d.again = at !== null && at !== "%d";
				d.same = at === "%d";
				if (at === null) { el.setAttribute("data-audit-tab", "%d"); }
			}
			return d; })()`, stops, stops, stops+1), &f)
		if f.None {
			// The focus left the page for the browser's own controls.
			if outside++; outside > 3 {
				break
			}
			continue
		}
		outside = 0
		if f.Again {
			break
		}
		if f.Same {
			continue
		}
		stops++
		judge(f, "Tab")
	}
	var n int
	run(`(document.querySelectorAll("[data-audit-tab]").forEach(el => el.removeAttribute("data-audit-tab")), __batonAudit.scriptFocusable())`, &n)
	for i := range n {
		var f focus
		run(fmt.Sprintf(`__batonAudit.focusOne(%d)`, i), &f)
		if !f.None {
			judge(f, "script")
		}
	}
	run(fmt.Sprintf(`(__batonAudit.cleanUp(), document.activeElement && document.activeElement.blur(), window.scrollTo(%g, %g), true)`,
		scroll[0], scroll[1]), &ok)

	for _, sel := range a.live {
		var ms []struct {
			Where, Region string
			HiddenFromAT  bool
		}
		run(`__batonAudit.matches(`+jsString(sel)+`)`, &ms)
		if len(ms) == 0 {
			add("live", sel, "no element is there to be a live region")
		}
		for _, m := range ms {
			switch {
			case m.Region == "":
				add("live", m.Where, "not in a live region (aria-live, role log, status or alert): what is added to it is not read out")
			case m.HiddenFromAT:
				add("live", m.Where, "a live region hidden from assistive technology (display none or aria-hidden)")
			}
		}
	}

	t.Logf("audit: %d texts measured, %d controls named, %d stops of the tab order, %d elements script focuses, %d findings",
		len(texts), named, stops, n, len(found))
	for _, f := range found {
		t.Errorf("audit: %s", f)
	}
	return found
}

// jsString quotes s as a JavaScript string.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
