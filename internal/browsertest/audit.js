// The page side of browsertest.Audit: it defines window.__batonAudit, whose
// functions measure what the browser computed (getComputedStyle, layout)
// and return plain data for the Go side to judge and report.
(() => {
  "use strict";
  if (window.__batonAudit) { return; }

  // A 1×1 canvas turns any CSS color the browser computes (rgb(), color(),
  // oklch(), a system color) into sRGB bytes and an alpha.
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const paint = canvas.getContext("2d", { willReadFrequently: true });
  function rgba(css) {
    paint.clearRect(0, 0, 1, 1);
    paint.fillStyle = "rgba(0, 0, 0, 0)";
    paint.fillStyle = css;
    paint.fillRect(0, 0, 1, 1);
    const d = paint.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  }
  // over lays a color with alpha on an opaque one.
  function over(top, under) {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat(1);
  }
  function luminance(c) {
    const l = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  }
  function ratio(a, b) {
    const x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  function hex(c) {
    return "#" + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, "0")).join("");
  }

  // canvasColor is what shows where no element paints: the root's
  // background, else the color scheme's canvas.
  function canvasColor() {
    const root = rgba(getComputedStyle(document.documentElement).backgroundColor);
    const body = document.body ? rgba(getComputedStyle(document.body).backgroundColor) : [0, 0, 0, 0];
    const probe = document.createElement("div");
    probe.style.cssText = "position:absolute;width:0;height:0;background:Canvas";
    document.documentElement.appendChild(probe);
    const base = rgba(getComputedStyle(probe).backgroundColor);
    probe.remove();
    let c = over(base, [255, 255, 255, 1]);
    if (root[3] > 0) { c = over(root, c); } else if (body[3] > 0) { c = over(body, c); }
    return c;
  }

  // background is the color behind el: the background colors of el and
  // its ancestors laid over each other down to the first opaque one. It is
  // null when an image or gradient is among them (not measurable here).
  function background(el) {
    const layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.backgroundImage && s.backgroundImage !== "none") { return null; }
      const c = rgba(s.backgroundColor);
      if (c[3] > 0) { layers.push(c); }
      if (c[3] >= 1) { break; }
    }
    let c = canvasColor();
    for (let i = layers.length - 1; i >= 0; i--) { c = over(layers[i], c); }
    return c;
  }
  // opacity is the product of the opacity of el and its ancestors.
  function opacity(el) {
    let o = 1;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) { o *= parseFloat(getComputedStyle(n).opacity); }
    return o;
  }

  // path is a CSS selector that names el for a person reading a failure.
  function path(el) {
    const parts = [];
    for (let n = el; n && n.nodeType === 1 && parts.length < 5; n = n.parentElement) {
      if (n.id) { parts.unshift("#" + CSS.escape(n.id)); break; }
      let p = n.localName;
      if (n.classList.length) { p += "." + Array.from(n.classList).slice(0, 2).map(c => CSS.escape(c)).join("."); }
      const same = n.parentElement ? Array.from(n.parentElement.children).filter(c => c.localName === n.localName) : [];
      if (same.length > 1) { p += ":nth-of-type(" + (same.indexOf(n) + 1) + ")"; }
      parts.unshift(p);
    }
    return parts.join(" > ");
  }

  // hidden is whether el is not seen: not rendered, invisible, fully
  // transparent, clipped to nothing (visually hidden text, for screen
  // readers), or out of the page to the left or top (a skip link
  // waiting for the focus).
  function hidden(el) {
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true })) { return true; }
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const s = getComputedStyle(n);
      const r = n.getBoundingClientRect();
      const tiny = r.width <= 1 || r.height <= 1;
      if (tiny && (s.overflow !== "visible" || s.clip !== "auto" || s.clipPath !== "none")) { return true; }
    }
    const r = el.getBoundingClientRect();
    return r.right + window.scrollX <= 0 || r.bottom + window.scrollY <= 0;
  }
  // inactive is whether el belongs to a disabled control, whose text WCAG
  // does not hold to a contrast.
  function inactive(el) {
    return !!el.closest("button:disabled, input:disabled, select:disabled, textarea:disabled, fieldset:disabled, [aria-disabled=true]");
  }
  function large(s) {
    const px = parseFloat(s.fontSize), weight = parseInt(s.fontWeight, 10) || 400;
    return px >= 24 || (px >= 18.66 && weight >= 700);
  }

  // measure is one piece of text's contrast: its color (with the
  // opacity it is drawn with) over the background behind it.
  function measure(el, text, color) {
    const s = getComputedStyle(el);
    const bg = background(el);
    if (!bg) { return { where: path(el), text: text, unmeasured: true }; }
    const c = rgba(color || s.color);
    c[3] *= opacity(el);
    const fg = over(c, bg);
    const need = large(s) ? 3 : 4.5;
    return { where: path(el), text: text, fg: hex(fg), bg: hex(bg), ratio: Math.round(ratio(fg, bg) * 100) / 100, need: need,
      size: s.fontSize, weight: s.fontWeight };
  }

  // contrast measures every visible text node of the page, and the text
  // shown in fields (their value, else their placeholder) and selects.
  function contrast() {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const text = t.nodeValue.replace(/\s+/g, " ").trim();
      const el = t.parentElement;
      if (!text || !el || /^(script|style|noscript|template|option|optgroup|title)$/.test(el.localName)) { continue; }
      if (el.closest("svg")) { continue; }
      if (hidden(el) || inactive(el)) { continue; }
      const range = document.createRange();
      range.selectNodeContents(t);
      const r = range.getBoundingClientRect();
      if (r.width < 1 || r.height < 1) { continue; }
      out.push(measure(el, text.slice(0, 60)));
    }
    document.querySelectorAll("input, textarea, select").forEach(el => {
      if (el.type === "hidden" || hidden(el) || inactive(el)) { return; }
      if (el.localName === "select") {
        const o = el.selectedOptions[0];
        if (o && o.text.trim()) { out.push(measure(el, o.text.trim().slice(0, 60))); }
        return;
      }
      if (/^(checkbox|radio|range|color|file|image|submit|reset|button)$/.test(el.type)) { return; }
      if (el.value) {
        out.push(measure(el, el.value.slice(0, 60)));
      } else if (el.placeholder) {
        out.push(measure(el, "placeholder: " + el.placeholder.slice(0, 48), getComputedStyle(el, "::placeholder").color));
      }
    });
    return out;
  }

  // positiveTabindex lists the elements that jump the tab order.
  function positiveTabindex() {
    return Array.from(document.querySelectorAll("[tabindex]")).filter(el => el.tabIndex > 0)
      .map(el => ({ where: path(el), tabindex: el.getAttribute("tabindex") }));
  }

  // focused describes the focused element's focus indicator: its outline,
  // and the outline's contrast with what is around it.
  function focused() {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) { el = el.shadowRoot.activeElement; }
    if (!el || el === document.body || el === document.documentElement) { return { none: true }; }
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const out = { where: path(el), tag: el.localName, outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
      focusVisible: el.matches(":focus-visible"), width: r.width, height: r.height, seen: !hidden(el) };
    out.label = (el.getAttribute("aria-label") || el.textContent || el.value || el.id || "").replace(/\s+/g, " ").trim().slice(0, 40);
    if (s.outlineStyle !== "none" && out.outlineWidth > 0) {
      // An outline drawn outside the box (offset 0 or more) is seen on
      // the parent's background, one drawn inside on the element's own.
      const offset = parseFloat(s.outlineOffset) || 0;
      const bg = background(offset >= 0 && el.parentElement ? el.parentElement : el);
      if (bg) {
        const c = rgba(s.outlineColor);
        c[3] *= opacity(el);
        const ring = over(c, bg);
        out.ring = hex(ring);
        out.ringBg = hex(bg);
        out.ringRatio = Math.round(ratio(ring, bg) * 100) / 100;
      }
    }
    return out;
  }

  // scriptFocusable lists the elements that only script focuses (tabindex
  // -1) and that are seen, marked for focusOne.
  function scriptFocusable() {
    const els = Array.from(document.querySelectorAll('[tabindex="-1"]')).filter(el => !hidden(el));
    els.forEach((el, i) => el.setAttribute("data-audit-focus", String(i)));
    return els.length;
  }
  function focusOne(i) {
    const el = document.querySelector('[data-audit-focus="' + i + '"]');
    if (!el) { return { none: true }; }
    el.focus();
    const d = focused();
    if (document.activeElement !== el) { d.none = true; }
    return d;
  }
  function cleanUp() {
    document.querySelectorAll("[data-audit-focus]").forEach(el => el.removeAttribute("data-audit-focus"));
  }

  // live lists the page's live regions: where what changes is read out.
  function live() {
    return Array.from(document.querySelectorAll('[aria-live], [role="log"], [role="status"], [role="alert"]')).map(el => {
      const s = getComputedStyle(el);
      const polite = el.getAttribute("aria-live") || { log: "polite", status: "polite", alert: "assertive" }[el.getAttribute("role")] || "";
      return { where: path(el), id: el.id, live: polite, rendered: s.display !== "none" && s.visibility !== "hidden" && !el.closest("[aria-hidden=true], [hidden]") };
    });
  }
  function matches(sel) {
    return Array.from(document.querySelectorAll(sel)).map(el => {
      const region = el.closest('[aria-live]:not([aria-live="off"]), [role="log"], [role="status"], [role="alert"]');
      return { where: path(el), region: region ? path(region) : "", hiddenFromAT: !!el.closest("[aria-hidden=true]") || getComputedStyle(el).display === "none" };
    });
  }

  window.__batonAudit = { contrast, positiveTabindex, focused, scriptFocusable, focusOne, cleanUp, live, matches, path };
})();
