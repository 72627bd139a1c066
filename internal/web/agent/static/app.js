// Baton agent app: a little plain JavaScript over server-rendered pages.
// Everything works without it (forms post and redirect); with it, replies
// and actions go without a reload, the transcript, the queues' counts and
// a queue's rows stay live, Enter sends, older messages load on scroll,
// and the user is told when a conversation is handed to the team or
// assigned to them.
(function () {
  "use strict";
  var body = document.body;
  var account = body.dataset.account;
  var csrf = body.dataset.csrf;
  var POLL_MS = 3000;

  // A sign-in link's page posts its form at once: the link is used by
  // the browser that opens it, not by a preview or a mail scanner that
  // runs no script (they see a Continue button).
  var linkSignIn = document.getElementById("link-sign-in");
  if (linkSignIn) { linkSignIn.submit(); return; }

  function request(method, url, data) {
    var opts = { method: method, headers: { "X-Requested-With": "baton" }, credentials: "same-origin" };
    if (method !== "GET") {
      opts.headers["X-CSRF-Token"] = csrf;
      opts.body = data;
    }
    return fetch(url, opts);
  }

  function say(text) {
    var live = document.getElementById("live");
    if (live) { live.textContent = text; }
  }

  // markChosen shows option i of a listbox as the chosen one to the field
  // that owns the list (aria-activedescendant), and scrolls it into view.
  function markChosen(list, field, idPrefix, i) {
    Array.prototype.forEach.call(list.children, function (li, j) {
      li.setAttribute("aria-selected", j === i ? "true" : "false");
    });
    field.setAttribute("aria-activedescendant", idPrefix + i);
    list.children[i].scrollIntoView({ block: "nearest" });
  }

  // --- Arriving: what the page that sent here wants said and focused ---
  // The script that moves to another page (the next conversation, the
  // next queue) leaves for that page alone what to tell the person and
  // where the focus goes (a CSS selector): a page that loads puts it
  // nowhere.
  var arriveKey = "baton-arrive";
  function go(url, said, focus) {
    try {
      sessionStorage.setItem(arriveKey, JSON.stringify({
        path: new URL(url, location.href).pathname, said: said || "", focus: focus || ""
      }));
    } catch (e) { /* storage off: the page comes as new */ }
    location.href = url;
  }
  function arrived() {
    var a = null;
    try {
      a = JSON.parse(sessionStorage.getItem(arriveKey) || "null");
      sessionStorage.removeItem(arriveKey);
    } catch (e) { return; }
    if (!a || a.path !== location.pathname) { return; }
    var el = a.focus ? document.querySelector(a.focus) : null;
    if (el) { el.focus(); }
    if (a.said) { setTimeout(function () { say(a.said); }, 100); }
  }

  // --- Times: written in UTC by the server, shown in the reader's zone ---
  var clockFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  function localTimes(root) {
    root.querySelectorAll("time.clock[datetime]:not([data-local])").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      el.title = el.textContent;
      el.textContent = clockFormat.format(d);
      el.dataset.local = "1";
    });
  }
  localTimes(document);

  // --- Being told: counts, title, notifications, sound -----------------
  var baseTitle = document.title;
  var last = null;
  var soundBox = document.getElementById("sound");
  var notifyButton = document.getElementById("notify");
  if (soundBox) {
    soundBox.checked = localStorage.getItem("baton.sound") === "on";
    soundBox.addEventListener("change", function () {
      localStorage.setItem("baton.sound", soundBox.checked ? "on" : "off");
    });
  }
  if (notifyButton && "Notification" in window && Notification.permission === "default") {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(function () { notifyButton.hidden = true; });
    });
  }
  function beep() {
    if (!soundBox || !soundBox.checked) { return; }
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var o = ctx.createOscillator(); var g = ctx.createGain();
      o.frequency.value = 880; g.gain.value = 0.08;
      o.connect(g); g.connect(ctx.destination); o.start(); o.stop(ctx.currentTime + 0.15);
    } catch (e) { /* no audio */ }
  }
  function tell(text) {
    say(text);
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      try { new Notification("Baton", { body: text, tag: "baton-" + text }); } catch (e) { /* ignored */ }
    }
  }
  // A search's counts read the messages of every recent conversation:
  // while one is shown they are asked for at most every SEARCH_POLL_MS,
  // however often the page polls or /cable says something changed.
  var SEARCH_POLL_MS = 15000, searchCountedAt = 0;
  function pollCounts() {
    if (!account) { return Promise.resolve(); }
    // Counted with the page's filters, as the page's counts were.
    var q = new URLSearchParams(location.search);
    if (q.get("q")) {
      if (Date.now() - searchCountedAt < SEARCH_POLL_MS) { return Promise.resolve(); }
      searchCountedAt = Date.now();
    }
    var params = new URLSearchParams();
    ["inbox_id", "team_id", "q"].forEach(function (k) {
      if (q.get(k)) { params.set(k, q.get(k)); }
    });
    return request("GET", "/app/accounts/" + account + "/counts?" + params.toString()).then(function (r) {
      if (!r.ok) { throw new Error("counts " + r.status); }
      return r.json();
    }).then(function (data) {
      var c = data.counts;
      document.querySelectorAll("[data-count]").forEach(function (el) {
        var k = el.getAttribute("data-count");
        if (k in c) { el.textContent = c[k]; }
      });
      listChanged(c);
      var attention = c.waiting + c.mine;
      document.title = (attention > 0 ? "(" + attention + ") " : "") + baseTitle;
      if (last) {
        if (c.waiting > last.waiting) { tell("A conversation was handed to the team."); }
        if (c.mine > last.mine) { tell("A conversation was assigned to you."); }
      }
      last = c;
    });
  }

  // --- A queue's page: its rows follow the counts -----------------------
  // When a queue's count differs from what the page's rows were read
  // with, a conversation came, went or changed hands: the rows are fetched
  // again and put in place of the old, the filters and what is typed in
  // them left alone.
  var rows = document.getElementById("rows");
  var queueCounts = document.querySelectorAll(".queues [data-count]");
  function countsKey(count) {
    return Array.prototype.map.call(queueCounts, function (el) {
      var k = el.getAttribute("data-count");
      return k + "=" + count(k, el);
    }).join(",");
  }
  var shownCounts = countsKey(function (k, el) { return el.textContent; }); // as rendered
  function listChanged(c) {
    if (!rows) { return; }
    var key = countsKey(function (k) { return c[k]; });
    if (key === shownCounts) { return; }
    shownCounts = key;
    request("GET", location.href).then(function (r) {
      if (!r.ok) { throw new Error("rows " + r.status); }
      return r.text();
    }).then(function (html) {
      // Server-rendered and escaped by html/template.
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("rows");
      if (!fresh) { return; }
      var focused = document.activeElement;
      var row = rows.contains(focused) && focused.closest("tr[data-conversation]");
      var focusedID = rows.contains(focused) && focused.id;
      var lost = rows.contains(focused);
      var at = row ? Array.prototype.indexOf.call(rows.querySelectorAll("tr[data-conversation]"), row) : -1;
      var table = rows.querySelector(".table-scroll");
      var left = table ? table.scrollLeft : 0; // a phone's table scrolled sideways stays so
      rows.replaceChildren.apply(rows, Array.prototype.slice.call(fresh.childNodes));
      table = rows.querySelector(".table-scroll");
      if (table) { table.scrollLeft = left; }
      // The focus goes back to the same control (a row's box, Select
      // all), else to the same row's link; a row gone from the list leaves
      // it on the row now in its place (or the last), else on the page,
      // never lost on the document's body.
      var same = focusedID && document.getElementById(focusedID);
      var again = row && rows.querySelector('tr[data-conversation="' + row.dataset.conversation + '"] a');
      if (!same && !again && lost) {
        var remaining = rows.querySelectorAll("tr[data-conversation]");
        var near = remaining[Math.min(Math.max(at, 0), remaining.length - 1)];
        again = (near && near.querySelector("a")) || document.getElementById("main");
        if (row) { say("Conversation #" + row.dataset.conversation + " left this list"); }
      }
      if (same) {
        same.focus();
      } else if (again) {
        again.focus();
      }
    }).catch(function () { shownCounts = ""; }); // fetched again at the next poll
  }

  // --- The conversation page ------------------------------------------
  var layout = document.querySelector("[data-conversation-url]");
  var transcript = document.getElementById("transcript");
  var wrap = document.getElementById("transcript-wrap");
  var convURL = layout ? layout.dataset.conversationUrl : null;

  // A reply being written survives the page's reloads when the
  // conversation changes under it: kept in this tab's session, put back at
  // each load until it is sent or emptied.
  var draftKey = "baton-draft:" + convURL;
  function keepDraft(text) {
    try {
      if (text) { sessionStorage.setItem(draftKey, text); } else { sessionStorage.removeItem(draftKey); }
    } catch (e) { /* storage off: the draft is lost */ }
  }
  // reloadKeepingDraft shows the page again, as it now stands, with the
  // reply being written put back, as a private note if it was one, and the
  // focus where it was (the control with the same id, or the same action's
  // button). said, if given, is told once the page is back.
  var stateKey = "baton-page:" + convURL;
  // leaving is set while the page is on its way to another (Resolve and
  // next): a change seen meanwhile (the status it just set) does not
  // reload it instead.
  var leaving = false;
  function reloadKeepingDraft(said, action) {
    if (leaving) { return; }
    var draft = document.getElementById("reply-content");
    var noteBox = document.getElementById("private-note");
    keepDraft(draft ? draft.value : "");
    var active = document.activeElement;
    try {
      sessionStorage.setItem(stateKey, JSON.stringify({
        note: !!(noteBox && noteBox.checked),
        focus: active && active.id ? active.id : "",
        action: action || "",
        said: said || ""
      }));
    } catch (e) { /* storage off: the page comes back as new */ }
    location.reload();
  }
  (function restoreDraft() {
    var box = document.getElementById("reply-content");
    var kept = null, state = null;
    try {
      kept = sessionStorage.getItem(draftKey);
      state = JSON.parse(sessionStorage.getItem(stateKey) || "null");
      sessionStorage.removeItem(stateKey);
    } catch (e) { return; }
    if (box && kept && !box.value) { box.value = kept; }
    if (!state) { return; }
    var noteBox = document.getElementById("private-note");
    if (noteBox && state.note) { noteBox.checked = true; }
    var target = state.focus ? document.getElementById(state.focus) : null;
    if (!target && state.action) {
      document.querySelectorAll("form[data-action]").forEach(function (f) {
        if (!target && f.action === state.action) { target = f.querySelector("button, [type=submit]"); }
      });
    }
    // An action whose control is gone (Take over, once taken) leaves the
    // focus where the next step is: the reply box, or the page.
    (target || box || document.getElementById("main")).focus();
    if (box && target === box) { box.setSelectionRange(box.value.length, box.value.length); }
    if (state.said) { setTimeout(function () { say(state.said); }, 100); }
  })();

  // A reply being written is kept when the person leaves the page for
  // another (a link, the next conversation), and is back when they return.
  if (layout) {
    window.addEventListener("pagehide", function () {
      var draft = document.getElementById("reply-content");
      if (draft) { keepDraft(draft.value); }
    });
  }

  // The details beside the transcript (Manage, Contact) can be hidden to
  // give it the width, and stay so on the next pages.
  var details = document.getElementById("details");
  var detailsToggle = document.getElementById("details-toggle");
  function showDetails(on) {
    var inside = details.contains(document.activeElement);
    details.hidden = !on;
    layout.classList.toggle("no-details", !on);
    detailsToggle.setAttribute("aria-expanded", String(on));
    detailsToggle.textContent = on ? "Hide details" : "Show details";
    try { localStorage.setItem("baton.details", on ? "shown" : "hidden"); } catch (e) { /* for this page only */ }
    if (inside) { detailsToggle.focus(); } // not lost on the body
  }
  function toggleDetails() {
    if (!details || !detailsToggle) { return false; }
    showDetails(details.hidden);
    say(details.hidden ? "Details hidden" : "Details shown");
    return true;
  }
  if (layout && details && detailsToggle) {
    detailsToggle.hidden = false;
    detailsToggle.addEventListener("click", function () { showDetails(details.hidden); });
    var hiddenBefore = false;
    try { hiddenBefore = localStorage.getItem("baton.details") === "hidden"; } catch (e) { /* shown */ }
    if (hiddenBefore) { showDetails(false); }
  }

  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html; // server-rendered and escaped by html/template
    return t.content;
  }
  var toLatest = document.getElementById("to-latest"), unseen = 0;
  function seenAll() {
    unseen = 0;
    if (toLatest) { toLatest.hidden = true; }
  }
  function atBottom() { return wrap.scrollHeight - wrap.scrollTop - wrap.clientHeight < 40; }
  function scrollDown() { wrap.scrollTop = wrap.scrollHeight; }

  // arrival is what is said of messages that came from others (the
  // person's own reply was said as sent): who wrote the last and what it
  // begins with, so that a screen reader user need not go to read it.
  function arrival(lis) {
    var li = lis[lis.length - 1];
    var text = function (sel) {
      var el = li.querySelector(sel);
      return el ? el.innerText.replace(/\s+/g, " ").trim() : "";
    };
    var what = text(".activity") || text(".body") || (li.querySelector(".attachment") ? "an attachment" : "");
    if (what.length > 160) { what = what.slice(0, 159) + "…"; }
    var more = lis.length > 1 ? lis.length + " new messages. The last" : "";
    if (li.classList.contains("msg-activity")) { return more ? more + ": " + what : what; }
    var from = " from " + (text(".sender") || "someone") + ": " + what;
    if (more) { return more + (li.classList.contains("msg-note") ? ", a private note" : "") + from; }
    return (li.classList.contains("msg-note") ? "New private note" : "New message") + from;
  }

  function pollMessages() {
    // Leaving, the page asks for no more: what it would fetch would be
    // marked seen.
    if (!transcript || leaving) { return Promise.resolve(); }
    var after = transcript.dataset.newest || "0";
    return request("GET", convURL + "/messages?after=" + after).then(function (r) {
      if (!r.ok) { throw new Error("messages " + r.status); }
      var status = r.headers.get("X-Conversation-Status");
      var owner = r.headers.get("X-Conversation-Owner");
      var others = decodeURIComponent(r.headers.get("X-Viewers") || "");
      var viewersEl = document.getElementById("viewers");
      var viewersText = others ? "Also viewing: " + others : "";
      if (viewersEl && viewersEl.textContent !== viewersText) { viewersEl.textContent = viewersText; }
      return r.text().then(function (html) {
        if (status && status !== layout.dataset.status || owner && owner !== layout.dataset.owner) {
          // Whose it is changed (the bot, the queue, or one person for
          // another): show the page as it now stands, its controls and
          // warnings with it. A reply being written is kept across.
          reloadKeepingDraft();
          return;
        }
        var frag = fragment(html);
        var items = frag.querySelectorAll("li[data-id]");
        if (items.length === 0) { return; }
        var stick = atBottom();
        var seen = {};
        transcript.querySelectorAll("li[data-id]").forEach(function (li) { seen[li.dataset.id] = true; });
        // Two polls at once (the timer's and a live event's) get the same
        // messages: each is shown, and counted, once.
        var added = 0, others = [];
        items.forEach(function (li) {
          if (!seen[li.dataset.id]) {
            transcript.appendChild(li);
            added++;
            if (li.dataset.user !== layout.dataset.me) { others.push(li); }
          }
        });
        localTimes(transcript);
        transcript.dataset.newest = items[items.length - 1].dataset.id;
        if (!added) { return; }
        if (stick) {
          scrollDown();
        } else if (toLatest) {
          // Scrolled up, reading: a button over the transcript's foot says
          // how many came below, and goes there.
          unseen += added;
          toLatest.textContent = unseen === 1 ? "1 new message below" : unseen + " new messages below";
          toLatest.hidden = false;
        }
        if (others.length) { say(arrival(others)); }
      });
    });
  }

  var loadingOlder = false;
  function loadOlder() {
    if (!transcript || loadingOlder || transcript.dataset.hasOlder !== "true") { return; }
    loadingOlder = true;
    request("GET", convURL + "/messages?before=" + transcript.dataset.oldest).then(function (r) {
      if (!r.ok) { throw new Error("older " + r.status); }
      var more = r.headers.get("X-Has-More") === "true";
      return r.text().then(function (html) {
        var frag = fragment(html);
        var items = frag.querySelectorAll("li[data-id]");
        var before = wrap.scrollHeight;
        transcript.insertBefore(frag, transcript.firstChild);
        localTimes(transcript);
        wrap.scrollTop += wrap.scrollHeight - before;
        if (items.length) { transcript.dataset.oldest = items[0].dataset.id; }
        transcript.dataset.hasOlder = String(more);
        if (!more) {
          var b = document.getElementById("load-older");
          if (b) { b.parentNode.remove(); }
        }
      });
    }).catch(function () { /* tried again on the next scroll */ }).then(function () { loadingOlder = false; });
  }

  if (transcript) {
    // The page opens at its newest message, or, when some were unseen, at
    // the first of those, just under its mark, if the newest is then below.
    scrollDown();
    var unreadStart = document.getElementById("unread-start");
    if (unreadStart) {
      var above = unreadStart.getBoundingClientRect().top - wrap.getBoundingClientRect().top - 8;
      if (above < 0) { wrap.scrollTop += above; }
    }
    wrap.addEventListener("scroll", function () {
      if (wrap.scrollTop < 200) { loadOlder(); }
      if (unseen && atBottom()) { seenAll(); }
    }, { passive: true });
    if (toLatest) {
      toLatest.addEventListener("click", function () {
        scrollDown();
        seenAll();
        wrap.focus(); // the button is gone: the focus stays by what it showed
      });
    }
    var older = document.getElementById("load-older");
    if (older) { older.addEventListener("click", loadOlder); }

    var reply = document.getElementById("reply");
    var box = document.getElementById("reply-content");
    var note = document.getElementById("private-note");
    var err = document.getElementById("reply-error");
    // Enter sends. The line break it would type is refused until the key
    // is up: a keyboard's is cancelled with its keydown, but the "char"
    // that automation (and some input methods) send apart from it would
    // otherwise land in the emptied box.
    var sending = false;
    // Canned responses: "/" at the start of the box and the start of a
    // short code ask the server for the first matches (the short codes that
    // start with what was typed first, at most 20; the page carries none of
    // them) and show them in a listbox under the box; arrows choose, Enter,
    // Tab or a click inserts the content (as text, never HTML) for editing
    // before sending, Escape closes. The box keeps the focus and points at
    // the chosen option (aria-activedescendant). Answers are kept for the
    // page's life by what was typed; one that comes after the box changed
    // is kept but not shown; Enter or Tab pressed before the answer comes
    // waits for it.
    // The Canned responses button beside the box does the same for a
    // pointer: it puts a "/" where the caret is (at the start of an empty
    // box, else after what is written, spaced from the words around it)
    // and opens the picker from there; the chosen response takes the place
    // of that "/" and what was typed after it, the rest of the draft kept.
    // What it put in goes again if the picker closes with nothing typed.
    var picker = document.getElementById("canned-picker");
    var cannedStatus = document.getElementById("canned-status");
    var cannedButton = document.getElementById("canned-open");
    var matches = [], active = -1;
    var wanted = null;  // what was typed after "/", while the picker is wanted
    var shownFor = null; // what the picker shows the answer for
    var slash = -1;      // where the button's "/" is in the box, while it is there
    var put = null;      // what the button put in the box: {at, text}
    var answers = {}, asking = {}, askTimer = null, lastSaid = "";
    function closePicker() {
      if (!picker) { return; }
      picker.hidden = true;
      cannedStatus.hidden = true;
      box.removeAttribute("aria-activedescendant");
      matches = []; active = -1; shownFor = null;
    }
    function dismiss() {
      if (put && wanted === "" && box.value.substr(put.at, put.text.length) === put.text) {
        box.value = box.value.slice(0, put.at) + box.value.slice(put.at + put.text.length);
        box.setSelectionRange(put.at, put.at);
      }
      wanted = null;
      slash = -1;
      put = null;
      clearTimeout(askTimer);
      closePicker();
      if (cannedButton) { cannedButton.setAttribute("aria-expanded", "false"); }
    }
    // token is the short code being typed: where its "/" is, where it
    // ends (the caret, after the button's "/") and what is after the "/";
    // null when none is being typed.
    function token() {
      if (slash >= 0) {
        var caret = box.selectionStart;
        if (box.value.charAt(slash) !== "/" || caret <= slash || /\s/.test(box.value.slice(slash + 1, caret))) { return null; }
        return { start: slash, end: caret, q: box.value.slice(slash + 1, caret) };
      }
      var m = /^\/(\S*)$/.exec(box.value);
      return m ? { start: 0, end: box.value.length, q: m[1] } : null;
    }
    function choose(i) {
      active = i;
      markChosen(picker, box, "canned-option-", i);
    }
    function insert(i) {
      var c = matches[i], t = token() || { start: box.selectionStart, end: box.selectionEnd };
      wanted = null; // what was typed stays until it is replaced
      dismiss();
      box.value = box.value.slice(0, t.start) + c.content + box.value.slice(t.end);
      box.focus();
      var at = t.start + c.content.length;
      box.setSelectionRange(at, at);
      box.dispatchEvent(new Event("input")); // the box's height follows, and the draft is kept
      say("Inserted canned response " + c.short_code);
    }
    function tellOnce(text) {
      if (text !== lastSaid) { lastSaid = text; say(text); }
    }
    function show(q, answer) {
      shownFor = q;
      matches = answer.canned_responses || [];
      picker.textContent = "";
      cannedStatus.hidden = true;
      if (!matches.length) {
        picker.hidden = true;
        box.removeAttribute("aria-activedescendant");
        active = -1;
        cannedStatus.textContent = q ? "No canned response matches /" + q + "." :
          "No canned responses yet: add them under Canned responses.";
        cannedStatus.hidden = false;
        tellOnce(cannedStatus.textContent);
        return;
      }
      matches.forEach(function (c, i) {
        var li = document.createElement("li");
        li.id = "canned-option-" + i;
        li.setAttribute("role", "option");
        var code = document.createElement("span");
        code.className = "code";
        code.textContent = "/" + c.short_code;
        var text = document.createElement("span");
        text.className = "text";
        text.textContent = c.content;
        li.appendChild(code);
        li.appendChild(text);
        // mousedown, not click: the box keeps the focus.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); insert(i); });
        picker.appendChild(li);
      });
      picker.hidden = false;
      if (answer.more) {
        cannedStatus.textContent = "The first " + matches.length + " are shown: type more of the short code for others.";
        cannedStatus.hidden = false;
      }
      choose(0);
      // The whole list, and what is said under it, in the window's view.
      (cannedStatus.hidden ? picker : cannedStatus).scrollIntoView({ block: "nearest" });
      tellOnce((matches.length === 1 ? "1 canned response" : matches.length + " canned responses") + (answer.more ? ", and more" : ""));
    }
    // ask fetches the answer for q once, and shows it if q is still what
    // is wanted.
    function ask(q) {
      if (answers[q]) { return Promise.resolve(answers[q]); }
      if (!asking[q]) {
        asking[q] = request("GET", picker.dataset.url + "?search=" + encodeURIComponent(q)).then(function (r) {
          if (!r.ok) { throw new Error("canned " + r.status); }
          return r.json();
        }).then(function (answer) {
          answers[q] = answer;
          return answer;
        }).finally(function () { delete asking[q]; });
      }
      return asking[q].then(function (answer) {
        if (wanted === q && shownFor !== q) { show(q, answer); }
        return answer;
      }, function (e) {
        if (wanted === q) {
          picker.hidden = true;
          cannedStatus.textContent = "The canned responses could not be loaded. Type again to retry.";
          cannedStatus.hidden = false;
          tellOnce(cannedStatus.textContent);
        }
        throw e;
      });
    }
    function openPicker() {
      var t = picker && token();
      if (!t) { dismiss(); return; }
      var q = t.q;
      wanted = q;
      if (cannedButton) { cannedButton.setAttribute("aria-expanded", "true"); }
      clearTimeout(askTimer);
      if (answers[q]) { show(q, answers[q]); return; }
      // A few letters typed quickly ask once, for the last of them.
      askTimer = setTimeout(function () { ask(q).catch(function () {}); }, 120);
    }
    if (picker) {
      box.addEventListener("input", openPicker);
      box.addEventListener("blur", dismiss);
      if (cannedButton) {
        cannedButton.hidden = false;
        cannedButton.addEventListener("click", function () {
          if (wanted !== null) { dismiss(); box.focus(); return; } // open: it closes
          var v = box.value, caret;
          if (/^\/\S*$/.test(v)) {
            caret = v.length; // a short code typed at the start already
          } else {
            var at = document.activeElement === box ? box.selectionEnd : v.length;
            var before = v.slice(0, at), after = v.slice(at);
            var text = (/\S$/.test(before) ? " " : "") + "/" + (/^\S/.test(after) ? " " : "");
            box.value = before + text + after;
            put = { at: at, text: text };
            slash = at + text.indexOf("/");
            caret = slash + 1;
          }
          box.focus();
          box.setSelectionRange(caret, caret);
          openPicker();
        });
        // mousedown, not click, leaves the box: where its caret was is
        // where the "/" goes.
        cannedButton.addEventListener("mousedown", function (e) { if (document.activeElement === box) { e.preventDefault(); } });
      }
      box.addEventListener("keydown", function (e) {
        if (wanted === null || e.isComposing) { return; }
        var ready = shownFor === wanted, n = matches.length;
        if ((e.key === "ArrowDown" || e.key === "ArrowUp") && ready && n) {
          choose((active + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
        } else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) {
          if (ready && !n) { return; } // nothing matches: Enter sends, Tab moves on
          sending = e.key === "Enter"; // its line break is refused until the key is up, as when sending
          if (ready) {
            insert(active);
          } else {
            var q = wanted;
            clearTimeout(askTimer);
            ask(q).then(function () {
              if (wanted === q && shownFor === q && matches.length) { insert(active); }
            }).catch(function () {});
          }
        } else if (e.key === "Escape" && (!ready || !picker.hidden || !cannedStatus.hidden)) {
          dismiss();
        } else {
          return;
        }
        e.preventDefault();
        e.stopImmediatePropagation();
      });
    }
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        sending = true;
        reply.requestSubmit();
      }
    });
    box.addEventListener("beforeinput", function (e) {
      if (sending && (e.inputType === "insertLineBreak" || e.inputType === "insertParagraph")) { e.preventDefault(); }
    });
    box.addEventListener("keyup", function (e) { if (e.key === "Enter") { sending = false; } });
    // Typing, told to the customer (not for private notes), when the
    // server supports it.
    var typingSent = 0, typingStop = null;
    function typing(status) {
      if (layout.dataset.typing !== "on") { return; }
      var d = new FormData();
      d.set("status", status);
      if (note.checked) { d.set("private", "1"); }
      request("POST", convURL + "/typing", d).catch(function () {});
    }
    box.addEventListener("input", function () {
      if (!box.value) { keepDraft(""); }
      var now = Date.now();
      if (now - typingSent > 5000) { typingSent = now; typing("on"); }
      clearTimeout(typingStop);
      typingStop = setTimeout(function () { typingSent = 0; typing("off"); }, 3000);
    });
    // A private note looks and reads as one: the box, its label and the
    // button all say so, for as long as the mode is on.
    var boxLabel = reply.querySelector('label[for="reply-content"]');
    var sendButton = reply.querySelector('button[type="submit"]');
    function noteMode() {
      reply.classList.toggle("private", note.checked);
      box.setAttribute("placeholder", note.checked ? "Only the team sees a private note" : "");
      boxLabel.textContent = note.checked ? "Private note (only the team sees it)" : "Reply";
      sendButton.textContent = note.checked ? "Add private note" : "Send";
    }
    note.addEventListener("change", noteMode);
    noteMode();
    // The box grows with what is written, up to its max-height, then
    // scrolls (app.css). A browser that sizes fields by their content does
    // it itself; in another the box is sized here as it changes, the page
    // held where it was while the box is measured.
    var fitBox = function () {};
    if (!(window.CSS && CSS.supports && CSS.supports("field-sizing", "content"))) {
      fitBox = function () {
        var x = window.scrollX, y = window.scrollY, s = getComputedStyle(box);
        var edges = parseFloat(s.borderTopWidth) + parseFloat(s.borderBottomWidth);
        box.style.height = "auto";
        box.style.height = Math.min(box.scrollHeight + edges, parseFloat(s.maxHeight) || Infinity) + "px";
        if (window.scrollY !== y) { window.scrollTo(x, y); }
      };
      box.addEventListener("input", fitBox);
      fitBox();
    }
    reply.addEventListener("submit", function (e) {
      e.preventDefault();
      err.hidden = true;
      var data = new FormData(reply);
      request("POST", reply.action, data).then(function (r) {
        if (!r.ok) { return r.text().then(function (t) { throw new Error(t || ("error " + r.status)); }); }
        box.value = "";
        fitBox();
        keepDraft("");
        document.getElementById("reply-files").value = "";
        say(note.checked ? "Private note added" : "Reply sent");
        // One's own reply is shown, wherever the transcript was read:
        // not counted among "new messages below".
        return pollMessages().then(function () { scrollDown(); seenAll(); });
      }).catch(function (e2) {
        err.textContent = e2.message;
        err.hidden = false;
      });
    });
  }

  // Snooze: the times offered are the person's own (the server is told
  // their time zone, and their offset from UTC for a zone it does not
  // know); choosing a date and time picks "A time I choose".
  document.querySelectorAll("input[data-tz]").forEach(function (el) {
    el.value = String(-new Date().getTimezoneOffset());
  });
  document.querySelectorAll("input[data-zone]").forEach(function (el) {
    try { el.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* the offset serves */ }
  });
  // Escape in an action's disclosure (Snooze…, Hand back…) closes it and
  // leaves the focus on its summary, as it would a menu.
  document.querySelectorAll(".actions details").forEach(function (d) {
    d.addEventListener("keydown", function (e) {
      if (e.key !== "Escape" || !d.open || e.defaultPrevented) { return; }
      e.preventDefault();
      d.open = false;
      d.querySelector("summary").focus();
    });
  });
  var snoozeAt = document.getElementById("snooze-at");
  if (snoozeAt) {
    snoozeAt.addEventListener("input", function () {
      var custom = snoozeAt.form.querySelector("input[name=until][value=custom]");
      if (custom) { custom.checked = true; }
    });
  }

  // Actions (take over, hand back, resolve, assign, labels, priority) post
  // with the script, then the page shows the new state. When someone else
  // changed the conversation first (409), the page says so and shows it
  // as it now stands.
  document.querySelectorAll("form[data-action]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      request("POST", f.action, new FormData(f)).then(function (r) {
        if (!r.ok) {
          return r.text().then(function (t) {
            var err = new Error(t);
            err.stale = r.status === 409;
            throw err;
          });
        }
        var button = e.submitter || f.querySelector("button");
        reloadKeepingDraft(f.dataset.done || (button ? button.textContent.trim() : "Saved") + ": done", f.action);
      }).catch(function (e2) {
        alert(e2.message);
        if (e2.stale) { reloadKeepingDraft("", f.action); }
      });
    });
  });

  // --- The contact's local time, kept current ---------------------------
  // Written in the reader's style (their 12 or 24 hours), a weekday with
  // it, in the contact's zone, or at their browser's offset when only that
  // is known; again each half minute.
  (function contactClock() {
    var el = document.getElementById("contact-clock");
    if (!el) { return; }
    var zone = el.dataset.zone, offset = Number(el.dataset.offset) || 0, format;
    try {
      format = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "numeric", minute: "2-digit", timeZone: zone || "UTC" });
    } catch (e) { return; } // a zone this browser does not know: the server's text stays
    function tick() {
      el.textContent = format.format(new Date(Date.now() + (zone ? 0 : offset * 60000)));
    }
    tick();
    setInterval(tick, 30000);
  })();

  // --- Labels: the labels in use, suggested as one is typed ------------
  // The labels field stays a comma-separated list; the label being typed
  // (the part of the list the caret is in) is matched against the labels
  // the account's conversations use, asked of the server once, the first
  // time the field is typed in. The matches (those that start with it
  // first, none already in the list, at most ten) show in a listbox under
  // the field; Down or Up chooses (also to open it, all of them, when
  // nothing is typed), Enter or Tab takes the chosen one in place of what
  // was typed, a comma after it for the next; Enter with none chosen saves
  // the labels; Escape closes. The field keeps the focus.
  (function labelSuggestions() {
    var field = document.getElementById("labels");
    var list = document.getElementById("label-suggestions");
    if (!field || !list) { return; }
    field.setAttribute("role", "combobox");
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-expanded", "false");
    field.setAttribute("aria-controls", list.id);
    var help = document.getElementById("labels-help");
    if (help) { help.textContent += " The labels in use are suggested as you type: Down to choose one, Enter to add it."; }
    var known = null, asking = null, shown = [], chosen = -1, lastSaid = "";
    function load() {
      if (known) { return Promise.resolve(known); }
      if (!asking) {
        asking = request("GET", field.dataset.url).then(function (r) {
          if (!r.ok) { throw new Error("labels " + r.status); }
          return r.json();
        }).then(function (answer) {
          known = answer.labels || [];
          return known;
        }).catch(function (e) { asking = null; throw e; });
      }
      return asking;
    }
    // part is the part of the list the caret is in: where it starts and
    // ends, and its label as typed.
    function part() {
      var v = field.value, caret = field.selectionStart == null ? v.length : field.selectionStart;
      var start = v.lastIndexOf(",", caret - 1) + 1, end = v.indexOf(",", caret);
      if (end < 0) { end = v.length; }
      return { start: start, end: end, text: v.slice(start, end).trim().toLowerCase() };
    }
    function close() {
      list.hidden = true;
      list.textContent = "";
      shown = []; chosen = -1;
      field.setAttribute("aria-expanded", "false");
      field.removeAttribute("aria-activedescendant");
    }
    function choose(i) {
      chosen = i;
      markChosen(list, field, "label-option-", i);
    }
    function take(i) {
      var p = part(), v = field.value;
      var before = v.slice(0, p.start), after = v.slice(p.end).replace(/^\s*,?\s*/, "");
      var label = shown[i];
      before = before.replace(/\s*$/, "");
      var head = (before ? before + " " : "") + label + ", ";
      field.value = head + after;
      field.setSelectionRange(head.length, head.length);
      close();
      say("Label " + label + " added");
    }
    function show(all) {
      var p = part();
      if (!known || (!p.text && !all)) { close(); return; }
      var taken = {};
      field.value.split(",").forEach(function (l) {
        var t = l.trim().toLowerCase();
        if (t && t !== p.text) { taken[t] = true; }
      });
      var starts = [], holds = [];
      known.forEach(function (l) {
        if (taken[l]) { return; }
        if (l.indexOf(p.text) === 0) { starts.push(l); } else if (l.indexOf(p.text) > 0) { holds.push(l); }
      });
      shown = starts.concat(holds).slice(0, 10);
      list.textContent = "";
      chosen = -1;
      field.removeAttribute("aria-activedescendant");
      if (!shown.length) { close(); return; }
      shown.forEach(function (l, i) {
        var li = document.createElement("li");
        li.id = "label-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = l;
        // mousedown, not click: the field keeps the focus.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); take(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      field.setAttribute("aria-expanded", "true");
      var said = shown.length === 1 ? "1 label suggested" : shown.length + " labels suggested";
      if (said !== lastSaid) { lastSaid = said; say(said); }
    }
    field.addEventListener("input", function () {
      lastSaid = "";
      load().then(function () { if (document.activeElement === field) { show(false); } }).catch(function () {});
    });
    field.addEventListener("keydown", function (e) {
      if (e.isComposing || e.altKey || e.ctrlKey || e.metaKey) { return; }
      var open = !list.hidden && shown.length;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (!open) {
          load().then(function () {
            show(true);
            if (shown.length) { choose(e.key === "ArrowDown" ? 0 : shown.length - 1); }
          }).catch(function () {});
          return;
        }
        var n = shown.length;
        choose(chosen < 0 ? (e.key === "ArrowDown" ? 0 : n - 1) : (chosen + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
      } else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && open && chosen >= 0) {
        e.preventDefault();
        taking = e.key === "Enter";
        take(chosen);
      } else if (e.key === "Escape" && open) {
        e.preventDefault();
        e.stopPropagation();
        close();
      }
    });
    field.addEventListener("blur", close);
    // The Enter that took a label does not save too: the key's "char",
    // which automation and some input methods send apart from its keydown,
    // would submit the form; it is refused until the key is up.
    var taking = false;
    field.addEventListener("keyup", function (e) { if (e.key === "Enter") { taking = false; } });
    field.form.addEventListener("submit", function (e) {
      if (taking) { e.preventDefault(); e.stopImmediatePropagation(); }
    }, true);
  })();

  // --- Live: poll, and catch up by itself after a lost connection -------
  // Each poll asks for what is newer than what the page has, so a page
  // that was offline for a while fetches everything it missed at once.
  var failures = 0;
  function tick() {
    Promise.all([pollCounts(), pollMessages()]).then(function () {
      failures = 0;
    }).catch(function () {
      failures = Math.min(failures + 1, 5);
    }).then(function () {
      setTimeout(tick, POLL_MS * Math.pow(2, failures));
    });
  }
  if (account) { setTimeout(tick, 500); }

  // --- /cable: when the server offers it, a change is shown at once ------
  // Any frame about this account makes the page poll now; polling stays
  // the source of truth, so a lost socket loses nothing.
  var soon = null;
  function pollNow() {
    if (soon) { return; }
    soon = setTimeout(function () {
      soon = null;
      Promise.all([pollCounts(), pollMessages()]).catch(function () {});
    }, 150);
  }
  var typingEl = document.getElementById("typing");
  var typingOff = null;
  function showTyping(name, on) {
    if (!typingEl) { return; }
    clearTimeout(typingOff);
    typingEl.textContent = on ? name + " is typing…" : "";
    if (on) { typingOff = setTimeout(function () { typingEl.textContent = ""; }, 30000); }
  }
  var reconnecting = false;
  function cable() {
    var token = body.dataset.pubsub, user = body.dataset.user;
    if (!token || !account || !("WebSocket" in window)) { return; }
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/cable",
      ["actioncable-v1-json", "actioncable-unsupported"]);
    var ident = JSON.stringify({ channel: "RoomChannel", pubsub_token: token, account_id: Number(account), user_id: Number(user) });
    ws.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      if (f.type === "welcome") {
        ws.send(JSON.stringify({ command: "subscribe", identifier: ident }));
        // Back after a lost socket: catch up on what happened meanwhile,
        // the rows' last messages with it.
        if (rows && reconnecting) { shownCounts = ""; }
        reconnecting = true;
        pollNow();
        return;
      }
      if (f.type === "confirm_subscription") { body.dataset.live = "on"; return; }
      var m = f.message;
      if (!m || !m.event || !m.data || String(m.data.account_id) !== String(account)) { return; }
      if (m.event === "conversation.typing_on" || m.event === "conversation.typing_off") {
        var conv = m.data.conversation || {};
        if (layout && String(conv.id) === String(layout.dataset.displayId) && m.data.user &&
            !(m.data.user.type === "user" && String(m.data.user.id) === String(user))) {
          showTyping(m.data.user.name || "Someone", m.event === "conversation.typing_on");
        }
        return;
      }
      if (m.event === "presence.update") { return; }
      // A customer writing in one of the person's conversations is told,
      // unless the person is looking at it.
      if (m.event === "message.created" && m.data.message_type === 0 && !m.data.private && m.data.conversation &&
          String(m.data.conversation.assignee_id) === String(user)) {
        var looking = layout && !document.hidden && String(m.data.conversation_id) === String(layout.dataset.displayId);
        if (!looking) {
          tell(((m.data.sender && m.data.sender.name) || "A customer") + " wrote in conversation " + m.data.conversation_id + ".");
        }
      }
      // A queue's rows show each conversation's last message and unread
      // count, which change without its count changing: fetch them again.
      if (rows && /^(message|conversation)\./.test(m.event)) { shownCounts = ""; }
      // An answer to a question (or a deletion) changes a message the open
      // page shows: show the page again, keeping what is being written.
      if (layout && m.event === "message.updated" && String(m.data.conversation_id) === String(layout.dataset.displayId)) {
        reloadKeepingDraft();
        return;
      }
      pollNow();
    };
    ws.onclose = function () { delete body.dataset.live; setTimeout(cable, 2000); };
  }
  cable();
  // --- Keyboard shortcuts ------------------------------------------------
  // Chatwoot's dashboard keys where Baton has the thing they act on
  // (Alt+J / Alt+K previous and next conversation, Alt+C the
  // conversations, Alt+V the contacts, Alt+R the reports, Alt+S the
  // settings, Alt+N the next queue, Alt+L reply, Alt+P private note, Alt+E
  // resolve, Ctrl/Cmd+Alt+E resolve and open the next, Alt+M snooze,
  // Ctrl/Cmd+Alt+A attach a file, Alt+O the details beside the transcript,
  // Ctrl/Cmd+Enter send, Ctrl/Cmd+/ the list of keys) and Baton's own
  // (Alt+T take over, Alt+U mark as unread, Alt+Q the canned responses,
  // "?" the list; Chatwoot has no key for the last three, and U and Q are
  // free in it and in the browsers' own Alt keys). Chatwoot's Escape, which leaves the
  // conversation, is not taken: Escape closes what is open here (the
  // canned responses, Snooze…, Hand back…), and reaches the page from a
  // screen reader's reading mode too, where leaving would surprise. One
  // table both runs them and lists them in the dialog, under where each
  // works (all of them, but the reports' for who has none). None fires
  // while typing in a field but those meant for the reply box, and no plain
  // letter is taken, so a screen reader's own single keys still reach it;
  // "?" is the one plain key, and only outside fields. A chord that AltGr
  // makes (Ctrl+Alt on Windows) types a character and is never a shortcut.
  function shortcuts() {
    var dialog = document.getElementById("shortcuts");
    var opener = document.getElementById("shortcuts-open");
    if (!dialog || !account) { return; }
    var box = document.getElementById("reply-content");
    var listKey = "baton-list:" + account;
    var mac = /Mac|iPhone|iPad/.test(navigator.platform || "");
    var altName = mac ? "Option" : "Alt", modName = mac ? "Cmd" : "Ctrl";

    // The list a conversation was opened from, in its order, so that a
    // conversation page knows its neighbours; kept for the tab's session.
    function rowLinks() {
      return rows ? Array.prototype.slice.call(rows.querySelectorAll("tr[data-conversation] a[href]")).filter(function (a, i, all) {
        return i === 0 || all[i - 1].closest("tr") !== a.closest("tr"); // each row's first link
      }) : [];
    }
    function keepList() {
      if (!rows) { return; }
      try {
        var current = document.querySelector(".queues [aria-current] span");
        sessionStorage.setItem(listKey, JSON.stringify({
          url: location.pathname + location.search,
          label: current ? current.textContent : "",
          more: !!rows.querySelector('.pages a[rel="next"]'), // the list has pages after this one
          rows: rowLinks().map(function (a) { return a.pathname; })
        }));
      } catch (e) { /* storage off: Alt+J/K work on the list page only */ }
    }
    function keptList() {
      try { return JSON.parse(sessionStorage.getItem(listKey) || "null"); } catch (e) { return null; }
    }
    if (rows) {
      keepList();
      window.addEventListener("pagehide", keepList); // the rows follow the counts meanwhile
    }
    function listURL() {
      var kept = keptList();
      return kept && kept.url ? kept.url : "/app/accounts/" + account + "/conversations";
    }
    function leave(url) {
      if (box) { keepDraft(box.value); }
      location.href = url;
    }

    // stillIn reports whether the conversation of this page still belongs
    // in the queue of the list URL, as its status and owner now are: one
    // taken over, handed back or resolved here has left Mine, Waiting or
    // the bot's. A queue it cannot tell (a team's) is taken to hold it.
    function stillIn(url) {
      var queue = new URL(url, location.href).searchParams.get("queue") || "waiting";
      var status = layout.dataset.status, owner = layout.dataset.owner;
      switch (queue) {
        case "waiting": return status === "open" && owner === "waiting";
        case "mine": return status === "open" && owner === "person:" + layout.dataset.me;
        case "bot": return status === "pending";
        case "open": case "snoozed": case "resolved": return status === queue;
      }
      return true;
    }
    // A conversation's page links to the list it was opened from, and to
    // the conversations before and after it there, saying where it is;
    // once it has left that list, that it is not in it any more.
    (function showPlace() {
      var link = document.getElementById("list-link");
      var kept = keptList();
      if (!layout || !link || !kept || !kept.url) { return; }
      link.href = kept.url;
      if (kept.label) { document.getElementById("list-name").textContent = kept.label; }
      var i = kept.rows.indexOf(location.pathname);
      if (i < 0) { return; }
      [["prev-link", kept.rows[i - 1]], ["next-link", kept.rows[i + 1]]].forEach(function (p) {
        var a = document.getElementById(p[0]);
        if (p[1]) { a.href = p[1]; a.hidden = false; }
      });
      var at = document.getElementById("list-position");
      at.textContent = stillIn(kept.url) ? (i + 1) + " of " + kept.rows.length + (kept.more ? "+" : "") :
        "no longer in " + (kept.label || "this list");
      at.hidden = false;
    })();

    // step moves through the list: on the list, the focus goes to the
    // row before or after the focused one (the first when none is);
    // on a conversation, the one before or after it opens.
    // On another page with a table of rows (the contacts), the focus moves
    // through its rows the same way; elsewhere the keys say where they work.
    function focusRow(links, by, noun) {
      if (!links.length) { say("No " + noun + "s here"); return; }
      var at = links.findIndex(function (a) { return a.closest("tr").contains(document.activeElement); });
      var next = at < 0 ? 0 : Math.min(Math.max(at + by, 0), links.length - 1);
      if (at >= 0 && next === at) { say(by > 0 ? "Last " + noun + " of the page" : "First " + noun + " of the page"); }
      links[next].focus();
    }
    function step(by) {
      if (rows) { focusRow(rowLinks(), by, "conversation"); return; }
      if (!layout) {
        var table = document.querySelector("main table.rows");
        if (!table) { say(altName + "+J and " + altName + "+K move through a list or between conversations. " + altName + "+C goes to the conversations."); return; }
        focusRow(Array.prototype.slice.call(table.querySelectorAll("tbody tr")).map(function (tr) {
          return tr.querySelector("a[href]");
        }).filter(Boolean), by, table.classList.contains("contacts-table") ? "contact" : "row");
        return;
      }
      var kept = keptList();
      var i = kept ? kept.rows.indexOf(location.pathname) : -1;
      if (i < 0) { say("This conversation is not in the list it was opened from. " + altName + "+C goes to the list."); return; }
      if (!kept.rows[i + by]) { say(by > 0 ? "Last conversation of the list" : "First conversation of the list"); return; }
      leave(kept.rows[i + by]);
    }
    function replyMode(note) {
      var noteBox = document.getElementById("private-note");
      if (!box || !noteBox) { return; }
      if (noteBox.checked !== note) {
        noteBox.checked = note;
        noteBox.dispatchEvent(new Event("change"));
      }
      box.focus();
      say(note ? "Private note: only the team sees it" : "Reply to the customer");
    }
    function act(path, none) {
      if (!layout) { return; } // a conversation's action, on its page only
      var form = document.querySelector('form[data-action][action$="' + path + '"]');
      if (!form) { say(none); return; }
      form.requestSubmit();
    }
    // navLink is the main navigation's link to the path under the account.
    function navLink(path) {
      return document.querySelector('nav[aria-label="Main"] a[href="/app/accounts/' + account + path + '"]');
    }
    function goTo(path) {
      var a = navLink(path);
      if (a) { leave(a.href); }
    }

    // resolveAndNext resolves the conversation and opens the next one of
    // the list it was opened from (Chatwoot's "resolve and move to next"):
    // the list is read again, and the first conversation after this one
    // in the order it was shown that is still in it opens, going round to
    // the top as Chatwoot does, else the list's first; the list itself
    // when it holds no other. The focus lands on the next one's name, the
    // start of what there is to read, and the person is told.
    var resolving = false;
    function resolveAndNext() {
      var form = document.querySelector("form[data-resolve-next]");
      if (!layout) { return; }
      if (!form) { say("The conversation is resolved already"); return; }
      if (resolving) { return; }
      resolving = leaving = true;
      var here = location.pathname, url = listURL(), kept = keptList();
      var done = "Conversation #" + layout.dataset.displayId + " resolved.";
      request("POST", form.action, new FormData(form)).then(function (r) {
        if (!r.ok) {
          return r.text().then(function (t) {
            var e = new Error(t || "error " + r.status);
            e.stale = r.status === 409;
            throw e;
          });
        }
        return request("GET", url).then(function (r2) { return r2.ok ? r2.text() : ""; }, function () { return ""; });
      }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var all = Array.prototype.map.call(doc.querySelectorAll("#rows tr[data-conversation]"), function (tr) {
          var a = tr.querySelector("a[href]");
          return a ? a.getAttribute("href").split(/[?#]/)[0] : "";
        }).filter(Boolean);
        var fresh = all.filter(function (p) { return p !== here; });
        var order = kept && kept.url === url ? kept.rows : [];
        var i = order.indexOf(here);
        var after = i < 0 ? [] : order.slice(i + 1).concat(order.slice(0, i));
        var next = after.filter(function (p) { return fresh.indexOf(p) >= 0; })[0] || fresh[0];
        if (html) {
          // The list as it now is, for Alt+J / Alt+K from the next one.
          var current = doc.querySelector(".queues [aria-current] span");
          try {
            sessionStorage.setItem(listKey, JSON.stringify({ url: url, label: current ? current.textContent : (kept && kept.label) || "",
              more: !!doc.querySelector('#rows .pages a[rel="next"]'), rows: all }));
          } catch (e) { /* storage off */ }
        }
        if (box) { keepDraft(box.value); }
        if (next) {
          go(next, done + " Next: " + ((doc.querySelector('#rows tr[data-conversation] a[href="' + next + '"]') || {}).textContent || "the next conversation") + ".", "#conv-title");
        } else {
          go(url, done + " No other conversation is in this list.", "#main");
        }
      }).catch(function (e2) {
        resolving = leaving = false;
        alert(e2.message);
        if (e2.stale) { reloadKeepingDraft("", form.action); }
      });
    }
    // Mark as unread: the conversation is unread again from the
    // customer's newest message, and the person goes back to the list it
    // was opened from, where it shows so and the list says it was done.
    var unreadForm = document.querySelector("form[data-unread]");
    if (unreadForm) {
      unreadForm.addEventListener("submit", function (e) {
        e.preventDefault();
        if (leaving) { return; }
        leaving = true; // no poll marks it seen again meanwhile
        request("POST", unreadForm.action, new FormData(unreadForm)).then(function (r) {
          if (!r.ok) { return r.text().then(function (t) { throw new Error(t || "error " + r.status); }); }
          leave(listURL());
        }).catch(function (e2) {
          leaving = false;
          alert(e2.message);
        });
      });
    }
    var resolveNextForm = document.querySelector("form[data-resolve-next]");
    if (resolveNextForm) {
      resolveNextForm.addEventListener("submit", function (e) {
        e.preventDefault();
        resolveAndNext();
      });
    }

    // nextQueue opens the queue after the one shown (the first after the
    // last), the focus on its link.
    function nextQueue() {
      var links = Array.prototype.slice.call(document.querySelectorAll(".queues a"));
      var at = links.findIndex(function (a) { return a.getAttribute("aria-current") === "page"; });
      if (!links.length) { say(altName + "+N moves between the queues on the conversation list"); return; }
      var next = links[(at + 1) % links.length];
      go(next.href, next.querySelector("span").textContent + " queue", ".queues [aria-current]");
    }
    // snooze opens Snooze… with the focus on the chosen time, or closes
    // it with the focus on its summary.
    function snooze() {
      if (!layout) { return; }
      var d = document.querySelector("details.snooze");
      if (!d) { say("Nothing to snooze: the conversation is snoozed or resolved"); return; }
      d.open = !d.open;
      if (d.open) {
        d.querySelector("input[name=until]:checked").focus();
      } else {
        d.querySelector("summary").focus();
      }
    }
    // attach opens the reply's file chooser.
    function attach() {
      var files = document.getElementById("reply-files");
      if (!layout || !files) { return; }
      files.focus();
      files.click();
    }
    // markUnread is the Mark as unread button: the conversation is unread
    // again and the list it was opened from opens.
    function markUnread() {
      if (!layout) { return; }
      if (!unreadForm) { say("Nothing to mark as unread here"); return; }
      unreadForm.requestSubmit();
    }
    // canned is the Canned responses button: the list opens at the caret
    // of the reply box (at the end of the draft when the focus is
    // elsewhere), or closes, the focus in the box either way.
    function canned() {
      var button = document.getElementById("canned-open");
      if (!layout) { return; }
      if (!button || button.hidden) { say("No canned responses here: the reply box is not on this page"); return; }
      button.click();
    }

    var isAdmin = !!navLink("/settings/inboxes");
    var table = [
      { group: "Anywhere", keys: ["?"], what: "Show these shortcuts (outside a text field)" },
      { group: "Anywhere", keys: [modName, "/"], mod: "/", field: true, what: "Show these shortcuts", run: open },
      { group: "Anywhere", keys: [altName, "C"], alt: "c", what: "Go to the conversation list", run: function () {
        if (rows) { var links = rowLinks(); (links[0] || document.getElementById("main")).focus(); return; }
        leave(listURL());
      } },
      { group: "Anywhere", keys: [altName, "J"], alt: "j", what: "Previous conversation: the row above in the list (a contact on the contacts), or open the one before", run: function () { step(-1); } },
      { group: "Anywhere", keys: [altName, "K"], alt: "k", what: "Next conversation: the row below in the list (a contact on the contacts), or open the one after", run: function () { step(1); } },
      { group: "Anywhere", keys: [altName, "V"], alt: "v", what: "Go to the contacts", run: function () { goTo("/contacts"); } },
      { group: "Anywhere", keys: [altName, "R"], alt: "r", what: "Go to the reports", when: isAdmin, run: function () { goTo("/reports/bots"); } },
      { group: "Anywhere", keys: [altName, "S"], alt: "s", what: isAdmin ? "Go to the settings (inboxes)" : "Go to the settings (canned responses)",
        run: function () { goTo(isAdmin ? "/settings/inboxes" : "/settings/canned_responses"); } },
      { group: "On the conversation list", keys: [altName, "N"], alt: "n", what: "Next queue (after the last, the first)", run: nextQueue },
      { group: "Here", keys: ["Escape"], what: "Close this list" },
      { group: "In a conversation", keys: [altName, "L"], alt: "l", field: "reply", what: "Write a reply (to the reply box, reply mode)", run: function () { replyMode(false); } },
      { group: "In a conversation", keys: [altName, "P"], alt: "p", field: "reply", what: "Private note on or off (to the reply box)", run: function () {
        var noteBox = document.getElementById("private-note");
        if (noteBox) { replyMode(!noteBox.checked); }
      } },
      { group: "In a conversation", keys: [altName, "T"], alt: "t", target: 'form[action$="/take_over"] button', what: "Take over the conversation", run: function () { act("/take_over", "Nothing to take over: the conversation is yours or resolved"); } },
      { group: "In a conversation", keys: [altName, "E"], alt: "e", target: 'form[data-action][action$="/resolve"] button', what: "Resolve the conversation", run: function () { act("/resolve", "The conversation is resolved already"); } },
      { group: "In a conversation", keys: [modName, altName, "E"], modAlt: "e", target: "form[data-resolve-next] button", what: "Resolve, and open the next conversation of the list", run: resolveAndNext },
      { group: "In a conversation", keys: [altName, "M"], alt: "m", field: "reply", target: "details.snooze summary", what: "Snooze… open or closed", run: snooze },
      { group: "In a conversation", keys: [modName, altName, "A"], modAlt: "a", field: "reply", target: "#reply-files", what: "Attach a file to the reply", run: attach },
      { group: "In a conversation", keys: [altName, "O"], alt: "o", target: "#details-toggle", what: "Hide or show the details (Manage, Contact)", run: toggleDetails },
      { group: "In a conversation", keys: [altName, "U"], alt: "u", target: "form[data-unread] button", what: "Mark as unread, and go back to the list", run: markUnread },
      { group: "In a conversation", keys: [altName, "Q"], alt: "q", field: "reply", target: "#canned-open", what: "Canned responses: open the list at the reply's caret, or close it", run: canned },
      { group: "In a conversation", keys: ["Escape"], what: "Close Snooze… or Hand back…" },
      { group: "In the reply box", keys: ["Enter"], what: "Send" },
      { group: "In the reply box", keys: [modName, "Enter"], what: "Send" },
      { group: "In the reply box", keys: ["Shift", "Enter"], what: "New line" },
      { group: "In the reply box", keys: ["/"], what: "Canned responses, at the start of the box" },
      { group: "In the reply box", keys: ["Up", "Down"], join: " / ", what: "Choose a canned response" },
      { group: "In the reply box", keys: ["Enter", "Tab"], join: " / ", what: "Insert the chosen canned response" },
      { group: "In the reply box", keys: ["Escape"], what: "Close the canned responses" }
    ].filter(function (s) { return s.when !== false; });

    // The buttons and fields a key works say so to assistive technology,
    // in ARIA's names for the keys (Meta is Cmd).
    table.forEach(function (s) {
      var el = s.target && document.querySelector(s.target);
      if (!el) { return; }
      var mods = s.modAlt ? [mac ? "Meta" : "Control", "Alt"] : ["Alt"];
      el.setAttribute("aria-keyshortcuts", mods.concat((s.alt || s.modAlt).toUpperCase()).join("+"));
    });

    // The dialog lists the table, as text.
    var list = document.getElementById("shortcuts-list");
    var groups = {};
    table.forEach(function (s) {
      if (!groups[s.group]) {
        var section = document.createElement("section");
        var h = document.createElement("h3");
        h.textContent = s.group;
        var dl = document.createElement("dl");
        section.appendChild(h);
        section.appendChild(dl);
        list.appendChild(section);
        groups[s.group] = dl;
      }
      var dt = document.createElement("dt");
      s.keys.forEach(function (k, i) {
        if (i) { dt.appendChild(document.createTextNode(s.join || " + ")); }
        var kbd = document.createElement("kbd");
        kbd.textContent = k;
        dt.appendChild(kbd);
      });
      var dd = document.createElement("dd");
      dd.textContent = s.what;
      groups[s.group].appendChild(dt);
      groups[s.group].appendChild(dd);
    });
    var back = null;
    function open() {
      if (dialog.open) { return; }
      back = document.activeElement;
      dialog.showModal();
    }
    dialog.addEventListener("close", function () {
      if (back && back.isConnected && back !== document.body) { back.focus(); } else { document.getElementById("main").focus(); }
      back = null;
    });
    if (opener) {
      opener.hidden = false;
      opener.addEventListener("click", open);
    }

    // typing is whether the element takes text: keys typed there are its.
    function typing(el) {
      if (!el) { return false; }
      if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") { return true; }
      return el.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset|file|range|color|image)$/.test(el.type);
    }
    // letter is the letter pressed with Alt: the key's, or, where Alt
    // makes another character of it (Option on a Mac), the physical key's.
    function letter(e) {
      if (/^[a-z]$/i.test(e.key)) { return e.key.toLowerCase(); }
      var m = /^Key([A-Z])$/.exec(e.code || "");
      return m ? m[1].toLowerCase() : "";
    }
    document.addEventListener("keydown", function (e) {
      if (e.defaultPrevented || e.isComposing || dialog.open) { return; }
      var target = e.target;
      var inField = typing(target);
      // AltGr (Ctrl+Alt on Windows) types characters: never a shortcut.
      var altGr = e.getModifierState && e.getModifierState("AltGraph");
      if (e.key === "?" && !e.ctrlKey && !e.metaKey && !e.altKey && !inField) {
        e.preventDefault();
        open();
        return;
      }
      // The platform's command key: Cmd on a Mac, Ctrl elsewhere.
      var cmd = mac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
      var s = null;
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key === "/") {
        s = table.filter(function (t) { return t.mod === "/"; })[0];
      } else if (cmd && e.altKey && !e.shiftKey && !altGr) {
        var l2 = letter(e);
        s = table.filter(function (t) { return t.modAlt === l2 && t.run; })[0] || null;
      } else if (e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey && !altGr) {
        var l = letter(e);
        s = table.filter(function (t) { return t.alt === l && t.run; })[0] || null;
      }
      if (!s) { return; }
      if (inField && !(s.field === true || (s.field === "reply" && target === box))) { return; }
      e.preventDefault();
      s.run();
    });
    // Ctrl or Cmd with Enter sends from the reply box, the canned
    // responses' list open or not (Enter alone there picks one).
    if (box) {
      box.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.isComposing) {
          e.preventDefault();
          e.stopImmediatePropagation();
          sending = true;
          document.getElementById("reply").requestSubmit();
        }
      }, true);
    }
  }
  shortcuts();
  arrived();

  window.addEventListener("online", function () { failures = 0; });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { pollCounts().catch(function () {}); }
  });
})();

// --- Bulk actions on a queue's list ---------------------------------------
// Each row's box ticks a conversation for the bulk bar's form (the boxes
// belong to it by their form attribute, so the form works without this
// script). The script adds Select all, keeps what is ticked across the
// list's live refreshes (a conversation gone from the list is no longer
// ticked), keeps the bar's count ("3 selected", announced) and its actions
// off while nothing is ticked, and puts the focus on what the last bulk
// action did.
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  var rows = document.getElementById("rows");
  if (!form || !rows) { return; }
  var actions = document.getElementById("bulk-actions");
  var count = document.getElementById("bulk-count");
  var chosen = {}; // by display id

  function boxes() { return rows.querySelectorAll('input[name="ids"]'); }
  function sync() {
    var all = boxes(), n = 0, here = {};
    all.forEach(function (b) {
      here[b.value] = true;
      b.checked = !!chosen[b.value];
      var tr = b.closest("tr");
      if (tr) { tr.classList.toggle("selected", b.checked); }
      if (b.checked) { n++; }
    });
    Object.keys(chosen).forEach(function (id) { if (!here[id]) { delete chosen[id]; } });
    var selectAll = document.getElementById("select-all");
    if (selectAll) {
      selectAll.hidden = false;
      selectAll.checked = n > 0 && n === all.length;
      selectAll.indeterminate = n > 0 && n < all.length;
    }
    var text = n === 0 ? "None selected" : n + " selected";
    if (count.textContent !== text) { count.textContent = text; }
    actions.disabled = n === 0;
  }

  // Boxes the browser ticked again (back to the page) stay ticked.
  boxes().forEach(function (b) { if (b.checked) { chosen[b.value] = true; } });
  rows.addEventListener("change", function (e) {
    var t = e.target;
    if (t.id === "select-all") {
      boxes().forEach(function (b) { if (t.checked) { chosen[b.value] = true; } else { delete chosen[b.value]; } });
    } else if (t.name === "ids") {
      if (t.checked) { chosen[t.value] = true; } else { delete chosen[t.value]; }
    } else {
      return;
    }
    sync();
  });
  new MutationObserver(sync).observe(rows, { childList: true });
  sync();

  // The bar stays at the top of the window as the list scrolls (not on a
  // phone): what the keyboard focuses scrolls into view below it, not
  // under it.
  function clearOfBar() {
    var sticky = getComputedStyle(form).position === "sticky";
    document.documentElement.style.scrollPaddingTop = sticky ? (form.offsetHeight + 8) + "px" : "";
  }
  if ("ResizeObserver" in window) { new ResizeObserver(clearOfBar).observe(form); }
  clearOfBar();

  var result = document.getElementById("bulk-result");
  if (result) { result.focus(); }
})();
