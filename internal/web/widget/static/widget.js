/* Baton website widget: the page inside the loader's iframe (or a popout window).
   Talks to /api/v1/widget/* with the widget token, to the host page by postMessage,
   and listens on /cable when the server has it (polling until then). */
(function () {
  'use strict';
  var PREFIX = 'chatwoot-widget:';
  var query = new URLSearchParams(location.search);
  var websiteToken = query.get('website_token') || '';
  var token = query.get('cw_conversation') || '';
  var inFrame = window.parent !== window;
  var i18n = JSON.parse(document.getElementById('cw-i18n').textContent);
  var T = i18n.catalog, lang = i18n.lang;
  var POLL_MS = 2500, TYPING_IDLE_MS = 4000, TYPING_EXPIRY_MS = 30000, MAX_FILE_MB = 40;

  var st = {
    cfg: {}, contact: {}, conv: null, msgs: new Map(), open: !inFrame, unread: 0, loaded: false,
    sound: localStorage.getItem('cw-sound') !== 'off', typingOut: false, typingTimer: 0,
    typingIn: null, newConversation: false, live: false, offline: false, referer: document.referrer || '', busy: {}, listHeight: 0
  };

  function t(key, vars) {
    var s = T[key] || key;
    for (var k in vars) s = s.split('{' + k + '}').join(vars[k]);
    return s;
  }
  function h(tag, attrs) {
    var el = document.createElement(tag);
    for (var k in attrs) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k === 'html') el.innerHTML = v;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return el;
  }
  function toParent(event, fields) {
    if (!inFrame) return;
    var m = { event: event };
    for (var k in fields) m[k] = fields[k];
    window.parent.postMessage(PREFIX + JSON.stringify(m), '*');
  }

  /* ---------- API ---------- */
  function api(method, path, body, params) {
    var url = '/api/v1/widget' + path + '?website_token=' + encodeURIComponent(websiteToken) + '&locale=' + lang + (params || '');
    var opts = { method: method, headers: { 'X-Auth-Token': token } };
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers['Content-Type'] = 'application/json'; }
    return fetch(url, opts).then(function (r) {
      // A gateway's 502–504 means the server is away, as a failed fetch does.
      setOnline(r.status < 502 || r.status > 504);
      return r.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        if (!r.ok) { var err = new Error('HTTP ' + r.status); err.status = r.status; err.body = data; throw err; }
        return data;
      });
    }, function (e) { setOnline(false); throw e; });
  }
  // setOnline records whether the server answers. While it does not, the
  // header says the widget is reconnecting (html[data-offline]); polling
  // goes on, and the first answer puts things back.
  function setOnline(up) {
    if (st.offline === !up) return;
    st.offline = !up;
    document.documentElement.toggleAttribute('data-offline', st.offline);
    if (ui.alert && up && ui.alert.textContent === t('offline')) clearError();
    renderState();
  }

  /* ---------- safe Markdown: text is escaped first, then a few marks become tags ---------- */
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function link(url, text) { return '<a href="' + url + '" target="_blank" rel="noopener noreferrer nofollow">' + text + '</a>'; }
  function inline(s) {
    var keep = [];
    function hold(x) { keep.push(x); return '\u0000' + (keep.length - 1) + '\u0000'; }
    s = s.replace(/`([^`]+)`/g, function (m, c) { return hold('<code>' + c + '</code>'); });
    // A link's address holds no placeholder (code is not an address); its text may.
    s = s.replace(/\[([^\]]+)\]\(((?:https?:\/\/|mailto:)[^\s)\u0000]+)\)/g, function (m, txt, u) { return hold(link(u, txt)); });
    // A bare address ends before trailing punctuation, but not inside an
    // escaped & (&amp;), which the text was escaped into.
    s = s.replace(/(^|[\s(])(https?:\/\/(?:&amp;|[^\s<&\u0000])+)/g, function (m, pre, u) {
      var end = u.length;
      while (end > 0 && '.,;:!?)'.indexOf(u[end - 1]) >= 0 && !(u[end - 1] === ';' && /&amp;$/.test(u.slice(0, end)))) end--;
      return pre + hold(link(u.slice(0, end), u.slice(0, end))) + u.slice(end);
    });
    s = s.replace(/\*\*(\S(?:[^*]*\S)?)\*\*/g, '<strong>$1</strong>').replace(/__(\S(?:[^_]*\S)?)__/g, '<strong>$1</strong>');
    s = s.replace(/(^|[^\w*])\*(\S(?:[^*]*\S)?)\*(?!\w)/g, '$1<em>$2</em>').replace(/(^|[^\w_])_(\S(?:[^_]*\S)?)_(?!\w)/g, '$1<em>$2</em>');
    s = s.replace(/~~(\S(?:[^~]*\S)?)~~/g, '<del>$1</del>');
    // Held marks may hold others (code in a link's text): restore until none is left.
    for (var n = 0; n <= keep.length && s.indexOf('\u0000') >= 0; n++) {
      s = s.replace(/\u0000(\d+)\u0000/g, function (m, i) { return keep[+i]; });
    }
    return s;
  }
  function markdown(src) {
    var lines = esc(src || '').split(/\r?\n/), out = [], para = [], list = null;
    function flushPara() { if (para.length) { out.push('<p>' + para.map(inline).join('<br>') + '</p>'); para = []; } }
    function flushList() { if (list) { out.push('<' + list.tag + '>' + list.items.map(function (x) { return '<li>' + inline(x) + '</li>'; }).join('') + '</' + list.tag + '>'); list = null; } }
    lines.forEach(function (line) {
      var ul = /^\s*[-*+]\s+(.*)$/.exec(line), ol = /^\s*\d+[.)]\s+(.*)$/.exec(line);
      if (ul || ol) {
        flushPara();
        var tag = ul ? 'ul' : 'ol';
        if (list && list.tag !== tag) flushList();
        list = list || { tag: tag, items: [] };
        list.items.push((ul || ol)[1]);
      } else if (!line.trim()) { flushPara(); flushList(); } else { flushList(); para.push(line); }
    });
    flushPara(); flushList();
    return out.join('');
  }

  /* ---------- the page ---------- */
  var ui = {};
  function iconButton(cls, label, icon, onclick) {
    return h('button', { type: 'button', 'class': 'cw-icon ' + cls, 'aria-label': label, title: label, onclick: onclick, html: icon });
  }
  var ICONS = {
    close: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z"/></svg>',
    send: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 20.5 21 12 3 3.5v6.6L15 12 3 13.9z"/></svg>',
    clip: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"/></svg>',
    bell: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11a6 6 0 0 0-5-5.9V4a1 1 0 0 0-2 0v1.1A6 6 0 0 0 6 11v5l-2 2v1h16v-1z"/></svg>',
    popout: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M14 3h7v7h-2V6.4l-9.3 9.3-1.4-1.4L17.6 5H14zM5 5h6v2H5v12h12v-6h2v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z"/></svg>'
  };

  function build() {
    var app = document.getElementById('app');
    ui.title = h('h1', { id: 'cw-title', 'class': 'cw-title' });
    ui.state = h('p', { id: 'cw-state', 'class': 'cw-state', role: 'status' });
    ui.sound = iconButton('cw-sound', '', ICONS.bell, function () {
      st.sound = !st.sound;
      localStorage.setItem('cw-sound', st.sound ? 'on' : 'off');
      texts();
    });
    ui.popout = iconButton('cw-popout', t('popout'), ICONS.popout, function () { toParent('popoutChatWindow'); });
    ui.close = iconButton('cw-close', t('closeWindow'), ICONS.close, function () { toParent('closeWindow'); });
    ui.human = h('button', { type: 'button', 'class': 'cw-human', hidden: true, onclick: requestHuman });
    ui.end = h('button', { type: 'button', 'class': 'cw-link', hidden: true, onclick: endConversation });
    ui.header = h('header', { 'class': 'cw-header' },
      h('div', { 'class': 'cw-head-text' }, ui.title, ui.state),
      h('div', { 'class': 'cw-head-actions' }, ui.sound, inFrame ? ui.popout : null, inFrame ? ui.close : null));
    ui.bar = h('div', { 'class': 'cw-bar' }, ui.human, ui.end);
    ui.list = h('div', { id: 'cw-messages', 'class': 'cw-messages', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0' });
    // The list stays at its newest message when it shrinks (the bar or a
    // notice shows after the messages), unless the visitor had scrolled up:
    // whether it was at its end is judged by the height it had before.
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        var atEnd = ui.list.scrollHeight - st.listHeight - ui.list.scrollTop < 40;
        st.listHeight = ui.list.clientHeight;
        if (atEnd) scrollDown();
      }).observe(ui.list);
    }
    ui.typing = h('div', { 'class': 'cw-typing', 'aria-live': 'polite' });
    ui.notice = h('div', { 'class': 'cw-notice', hidden: true, 'aria-live': 'polite' });
    // Errors go here, read out as they come.
    ui.alert = h('p', { id: 'cw-alert', 'class': 'cw-alert', role: 'alert' });
    ui.input = h('textarea', { id: 'cw-input', rows: '1', maxlength: '10000', 'aria-label': '', oninput: onType, onkeydown: onKey });
    ui.inputLabel = h('label', { 'for': 'cw-input', 'class': 'cw-sr' });
    // The file types the server takes, when the page says (a hint: it checks each file).
    ui.file = h('input', { type: 'file', 'class': 'cw-sr', tabindex: '-1', 'aria-hidden': 'true',
      accept: document.body.getAttribute('data-accept') || null, onchange: onFile });
    ui.attach = iconButton('cw-attach', t('attach'), ICONS.clip, function () { ui.file.click(); });
    ui.send = h('button', { type: 'submit', 'class': 'cw-send', html: ICONS.send });
    ui.form = h('form', { 'class': 'cw-composer', onsubmit: onSend }, ui.inputLabel, ui.input, ui.file, ui.attach, ui.send);
    ui.prechat = h('section', { 'class': 'cw-prechat', hidden: true, 'aria-labelledby': 'cw-pc-title' });
    ui.main = h('main', { 'class': 'cw-app' }, ui.header, ui.bar, ui.prechat, ui.list, ui.typing, ui.notice, ui.alert, ui.form);
    app.appendChild(ui.main);
    texts();
  }

  function texts() {
    document.documentElement.lang = lang;
    document.documentElement.dir = /^(ar|he|fa|ur)$/.test(lang) ? 'rtl' : 'ltr';
    ui.title.textContent = st.cfg.website_name || t('title');
    ui.input.placeholder = t('placeholder');
    ui.input.setAttribute('aria-label', t('placeholder'));
    ui.inputLabel.textContent = t('placeholder');
    ui.send.setAttribute('aria-label', t('send'));
    ui.send.title = t('send');
    ui.attach.setAttribute('aria-label', t('attach'));
    ui.sound.setAttribute('aria-label', st.sound ? t('soundOn') : t('soundOff'));
    ui.sound.setAttribute('aria-pressed', String(st.sound));
    ui.sound.title = ui.sound.getAttribute('aria-label');
    ui.popout.setAttribute('aria-label', t('popout'));
    ui.close.setAttribute('aria-label', t('closeWindow'));
    ui.list.setAttribute('aria-label', t('messages'));
    ui.human.textContent = t('talkToPerson');
    ui.end.textContent = t('endConversation');
    toParent('setLabels', { labels: { open: t('open'), close: t('close'), title: t('title') } });
    renderState();
    if (!ui.prechat.hidden) renderPreChat();
    renderAll();
  }

  function setTheme(mode) {
    document.documentElement.setAttribute('data-theme', mode === 'dark' || mode === 'auto' ? mode : 'light');
  }
  // The widget colour, and a text colour on it that keeps 4.5:1 contrast.
  function setColor(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex || '');
    var c = m ? '#' + m[1] : '#1f6feb';
    var n = parseInt(c.slice(1), 16), rgb = [n >> 16 & 255, n >> 8 & 255, n & 255].map(function (v) {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    var L = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    var onWhite = 1.05 / (L + 0.05), onBlack = (L + 0.05) / 0.05;
    var root = document.documentElement.style;
    root.setProperty('--cw-color', c);
    root.setProperty('--cw-on-color', onWhite >= 4.5 || onWhite > onBlack ? '#fff' : '#111');
    // A colour too light for white text darkens into an accent for text and borders.
    root.setProperty('--cw-accent', onWhite >= 4.5 ? c : '#1d4ed8');
  }

  function loadCatalog(l) {
    l = (l || 'en').toLowerCase().split(/[_-]/)[0];
    var url = i18n.catalogs[l];
    if (!url || l === lang) return Promise.resolve();
    return fetch(url).then(function (r) { return r.json(); }).then(function (c) { T = c; lang = l; texts(); });
  }

  /* ---------- messages ---------- */
  function fmtTime(sec) {
    try { return new Date(sec * 1000).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' }); } catch (e) { return ''; }
  }
  function senderName(m) {
    var s = m.sender;
    if (!s) return st.cfg.website_name || t('someone');
    return s.available_name || s.name || (s.type === 'agent_bot' ? t('bot') : t('someone'));
  }
  function avatar(m) {
    var s = m.sender || {}, url = s.avatar_url || s.thumbnail;
    if (url) return h('img', { 'class': 'cw-avatar', src: url, alt: '' });
    return h('span', { 'class': 'cw-avatar cw-avatar--' + (s.type === 'agent_bot' ? 'bot' : 'user'), 'aria-hidden': 'true', text: senderName(m).charAt(0).toUpperCase() });
  }
  function attachments(m) {
    if (!m.attachments || !m.attachments.length) return null;
    return h.apply(null, ['div', { 'class': 'cw-files' }].concat(m.attachments.map(function (a) {
      // Baton names the file; Chatwoot's data_url ends with the name.
      var name = a.file_name || (a.data_url || '').split('/').pop().split('?')[0] || t('file');
      if (!a.file_name) { try { name = decodeURIComponent(name); } catch (e) { /* keep it */ } }
      if (a.file_type === 'image') {
        return h('a', { href: a.data_url, target: '_blank', rel: 'noopener' }, h('img', { src: a.thumb_url || a.data_url, alt: t('image') + ': ' + name, loading: 'lazy' }));
      }
      return h('a', { 'class': 'cw-file', href: a.data_url, target: '_blank', rel: 'noopener', download: name }, name);
    })));
  }
  function attrs(m) { return m.content_attributes || {}; }
  function answered(m) {
    var a = attrs(m);
    if (m.content_type === 'input_email') return !!a.submitted_email;
    if (m.content_type === 'input_csat') return !!(a.submitted_values && a.submitted_values.csat_survey_response && a.submitted_values.csat_survey_response.rating);
    return a.submitted_values !== undefined && a.submitted_values !== null &&
      !(Array.isArray(a.submitted_values) && !a.submitted_values.length);
  }

  function answer(m, body) {
    if (st.busy[m.id]) return Promise.resolve();
    st.busy[m.id] = true;
    return api('PATCH', '/messages/' + m.id, body).then(function (upd) {
      clearError();
      if (upd && upd.id) upsert(upd, false);
    }).catch(function (e) { showError(e); throw e; }).finally(function () { delete st.busy[m.id]; });
  }

  function answerBubble(text) {
    return h('div', { 'class': 'cw-answer' }, h('span', { 'class': 'cw-sr', text: t('answered') + ': ' }), text);
  }

  // botClosed reports whether a bot's menu is closed: its conversation is
  // with people now (not pending), where a choice would go to nobody who
  // acts on it. A conversation handed back to the bot opens it again.
  function botClosed(m) {
    return !!(m.sender && m.sender.type === 'agent_bot' && st.conv && st.conv.status && st.conv.status !== 'pending');
  }

  function interactive(m) {
    var a = attrs(m), type = m.content_type, done = answered(m), closed = botClosed(m);
    if (type === 'input_select') {
      if (done) return null;
      return h.apply(null, ['div', { 'class': 'cw-options', role: 'group', 'aria-label': m.content || '' }].concat((a.items || []).map(function (it) {
        return h('button', { type: 'button', 'class': 'cw-option', text: it.title || it.value, disabled: closed || undefined, onclick: function () {
          answer(m, { contact: {}, message: { submitted_values: [{ title: it.title, value: it.value }] } });
        } });
      })));
    }
    if (type === 'cards') {
      return h.apply(null, ['div', { 'class': 'cw-cards' }].concat((a.items || []).map(function (c) {
        var actions = (c.actions || []).map(function (b) {
          if (b.type === 'link') return h('a', { 'class': 'cw-card-btn', href: b.uri, target: '_blank', rel: 'noopener noreferrer', text: b.text });
          return h('button', { type: 'button', 'class': 'cw-card-btn', text: b.text, disabled: closed || undefined, onclick: function () {
            toParent('postback', { data: { payload: b.payload } });
          } });
        });
        return h('div', { 'class': 'cw-card' },
          c.media_url ? h('img', { src: c.media_url, alt: c.title || '', loading: 'lazy' }) : null,
          h('div', { 'class': 'cw-card-body' }, c.title ? h('h2', { text: c.title }) : null, c.description ? h('p', { text: c.description }) : null),
          actions.length ? h.apply(null, ['div', { 'class': 'cw-card-actions' }].concat(actions)) : null);
      })));
    }
    if (type === 'article') {
      return h.apply(null, ['ul', { 'class': 'cw-articles' }].concat((a.items || []).map(function (it) {
        return h('li', null, h('a', { href: it.link, target: '_blank', rel: 'noopener noreferrer' }, h('strong', { text: it.title || it.link })),
          it.description ? h('p', { text: String(it.description).slice(0, 140) }) : null);
      })));
    }
    if (type === 'form') return done ? null : form(m, a);
    if (type === 'input_email') {
      if (done) return null;
      return emailForm(function (email) { return answer(m, { contact: { email: email }, message: {} }); });
    }
    if (type === 'input_csat') return csat(m, a, done);
    return null;
  }

  // answerOf is the visitor's answer to a bot's question, as lines of text,
  // or null while unanswered (and for the survey, which shows its own).
  function answerOf(m) {
    var a = attrs(m), type = m.content_type;
    if (!answered(m)) return null;
    if (type === 'input_select') return [(a.submitted_values || []).map(function (v) { return v.title || v.value; }).join(', ')];
    if (type === 'form') return (a.submitted_values || []).map(function (v) { return String(v.value); });
    if (type === 'input_email') return [a.submitted_email];
    return null;
  }

  var uid = 0;
  function field(labelText, input, errId) {
    return h('div', { 'class': 'cw-field' }, h('label', { 'for': input.id, text: labelText }), input,
      h('p', { id: errId, 'class': 'cw-error', 'aria-live': 'polite' }));
  }
  function matches(p, v) {
    try { return new RegExp('^(?:' + p + ')$').test(v); } catch (e) { return true; }
  }
  function validate(input, err) {
    var msg = '';
    var v = input.type === 'checkbox' ? (input.checked ? 'true' : '') : input.value.trim();
    if (input.required && !v) msg = t('required');
    else if (v && input.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) msg = t('emailInvalid');
    else if (v && input.getAttribute('data-pattern') && !matches(input.getAttribute('data-pattern'), v)) msg = input.getAttribute('data-pattern-error') || t('invalid');
    err.textContent = msg;
    input.setAttribute('aria-invalid', msg ? 'true' : 'false');
    return !msg;
  }
  function form(m, a) {
    var inputs = [];
    var fields = (a.items || []).map(function (it) {
      var id = 'cw-f' + (++uid), errId = id + '-err', input;
      if (it.type === 'select') {
        input = h.apply(null, ['select', { id: id, name: it.name }].concat((it.options || []).map(function (o) {
          return h('option', { value: o.value, text: o.label, selected: o.value === it.default });
        })));
      } else if (it.type === 'text_area') {
        input = h('textarea', { id: id, name: it.name, placeholder: it.placeholder, rows: '3' });
        input.value = it.default || '';
      } else {
        input = h('input', { id: id, name: it.name, type: it.type === 'email' ? 'email' : 'text', placeholder: it.placeholder, value: it.default });
        if (it.pattern) { input.setAttribute('data-pattern', it.pattern); input.setAttribute('data-pattern-error', it.pattern_error || ''); }
      }
      input.required = true;
      input.setAttribute('aria-describedby', errId);
      inputs.push({ input: input, name: it.name, err: null });
      var f = field(it.label || it.name, input, errId);
      inputs[inputs.length - 1].err = f.querySelector('.cw-error');
      return f;
    });
    var submit = h('button', { type: 'submit', 'class': 'cw-primary', text: a.button_label || t('submit') });
    return h.apply(null, ['form', { 'class': 'cw-form', novalidate: true, onsubmit: function (e) {
      e.preventDefault();
      var ok = true, first = null;
      inputs.forEach(function (x) { if (!validate(x.input, x.err)) { ok = false; first = first || x.input; } });
      if (!ok) { first.focus(); return; }
      answer(m, { contact: {}, message: { submitted_values: inputs.map(function (x) { return { name: x.name, value: x.input.value.trim() }; }) } });
    } }].concat(fields, [submit]));
  }
  function emailForm(onEmail) {
    var id = 'cw-f' + (++uid), errId = id + '-err';
    var input = h('input', { id: id, type: 'email', autocomplete: 'email', required: true, 'aria-describedby': errId });
    var f = field(t('emailLabel'), input, errId);
    return h('form', { 'class': 'cw-form cw-form--inline', novalidate: true, onsubmit: function (e) {
      e.preventDefault();
      if (!validate(input, f.querySelector('.cw-error'))) { input.focus(); return; }
      onEmail(input.value.trim());
    } }, f, h('button', { type: 'submit', 'class': 'cw-primary', text: t('submit') }));
  }
  /* ---------- the pre-chat form (Chatwoot's pre_chat_form_options) ---------- */
  function knows(c, name) {
    var email = !!(c.email || c.has_email), phone = !!(c.phone_number || c.has_phone_number);
    if (name === 'emailAddress') return email;
    if (name === 'phoneNumber') return phone;
    if (name === 'fullName') return !!c.identifier || email || phone;
    return false;
  }
  // The fields to ask: those enabled, less the standard ones the contact has.
  function preChatFields() {
    var o = st.cfg.pre_chat_form_options || {};
    return (o.pre_chat_fields || []).filter(function (f) {
      return f.enabled && !(f.field_type === 'standard' && knows(st.contact, f.name));
    });
  }
  function wantsPreChat() {
    return !!st.cfg.pre_chat_form_enabled && (!st.conv || st.newConversation) && preChatFields().length > 0;
  }
  var PATTERNS = { phone: ['\\+[1-9][0-9]{1,14}', 'phoneInvalid'], number: ['-?[0-9]+([.][0-9]+)?', 'numberInvalid'], link: ['https?://\\S+', 'linkInvalid'] };
  /* A field's label as the inbox names it; a field without one (the server
     keeps its key as its label then) is named in the visitor's language when
     it is one of Chatwoot's standard fields, and in words made of its key
     otherwise (order_number: "Order number"). */
  var standardLabels = { emailAddress: 'emailLabel', fullName: 'name', phoneNumber: 'phone' };
  function fieldLabel(f) {
    var l = String(f.label || '').trim();
    if (l && l !== f.name) return l;
    if (standardLabels[f.name]) return t(standardLabels[f.name]);
    var words = f.name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_\-.]+/g, ' ').trim().toLowerCase();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function preChatInput(f, id) {
    var type = f.name === 'phoneNumber' ? 'phone' : f.name === 'emailAddress' ? 'email' : f.type, input;
    if (type === 'list') {
      input = h.apply(null, ['select', { id: id, name: f.name }, h('option', { value: '', text: f.placeholder || t('choose') })].concat((f.values || []).map(function (v) {
        return h('option', { value: v, text: v });
      })));
    } else {
      var html = { email: 'email', phone: 'tel', date: 'date', link: 'url', checkbox: 'checkbox' }[type] || 'text';
      input = h('input', { id: id, name: f.name, type: html, placeholder: f.placeholder,
        inputmode: type === 'number' ? 'decimal' : null,
        autocomplete: { emailAddress: 'email', fullName: 'name', phoneNumber: 'tel' }[f.name] || 'off' });
      var p = PATTERNS[type] || (f.regex_pattern ? [f.regex_pattern] : null);
      if (p) { input.setAttribute('data-pattern', p[0]); input.setAttribute('data-pattern-error', p[1] ? t(p[1]) : f.regex_cue || ''); }
    }
    input.required = !!f.required;
    return input;
  }
  // renderPreChat shows the pre-chat form when it is asked, or hides it.
  // Focus in the open widget that the change would lose (in the form it
  // rebuilds, on the message box it hides, or nowhere yet: a visitor who
  // opened the widget while it was still loading) goes to the first field.
  function renderPreChat() {
    var a = document.activeElement;
    var lost = st.open && document.hasFocus() && (ui.prechat.contains(a) || a === ui.input || a === document.body);
    buildPreChat();
    if (lost) focusFirst();
  }
  function buildPreChat() {
    var on = wantsPreChat();
    ui.main.classList.toggle('cw-prechat-on', on);
    ui.prechat.hidden = !on;
    ui.prechat.textContent = '';
    if (!on) return;
    var o = st.cfg.pre_chat_form_options || {}, inputs = [];
    var fields = preChatFields().map(function (f) {
      var id = 'cw-pc-' + f.name.replace(/[^A-Za-z0-9_-]/g, '_'), errId = id + '-err', input = preChatInput(f, id);
      input.setAttribute('aria-describedby', errId);
      var err = h('p', { id: errId, 'class': 'cw-error', 'aria-live': 'polite' });
      var label = h('label', { 'for': id, text: fieldLabel(f) + (f.required ? '' : ' ' + t('optional')) });
      inputs.push({ f: f, input: input, err: err });
      return input.type === 'checkbox' ? h('div', { 'class': 'cw-field cw-field--check' }, input, label, err) : h('div', { 'class': 'cw-field' }, label, input, err);
    });
    var msg = h('textarea', { id: 'cw-pc-message', name: 'message', rows: '3', maxlength: '10000', required: true, 'aria-describedby': 'cw-pc-message-err' });
    var msgErr = h('p', { id: 'cw-pc-message-err', 'class': 'cw-error', 'aria-live': 'polite' });
    inputs.push({ f: null, input: msg, err: msgErr });
    var alert = h('p', { 'class': 'cw-error', role: 'alert' });
    var submit = h('button', { type: 'submit', 'class': 'cw-primary', text: t('start') });
    ui.prechat.appendChild(h('h2', { id: 'cw-pc-title', 'class': 'cw-pc-title', text: t('preChatTitle') }));
    if (o.pre_chat_message) ui.prechat.appendChild(h('p', { 'class': 'cw-pc-intro', text: o.pre_chat_message }));
    ui.prechat.appendChild(h.apply(null, ['form', { 'class': 'cw-form', novalidate: true, 'aria-labelledby': 'cw-pc-title', onsubmit: function (e) {
      e.preventDefault();
      alert.textContent = '';
      var first = null;
      inputs.forEach(function (x) { if (!validate(x.input, x.err) && !first) first = x.input; });
      if (first) { first.focus(); return; }
      var body = { contact: { custom_attributes: {} }, custom_attributes: {}, message: null };
      inputs.forEach(function (x) {
        var f = x.f, v = x.input.type === 'checkbox' ? x.input.checked : x.input.value.trim();
        if (!f || v === '') return;
        if (f.field_type === 'standard') body.contact[{ emailAddress: 'email', fullName: 'name', phoneNumber: 'phone_number' }[f.name]] = v;
        else if (f.field_type === 'contact_attribute') body.contact.custom_attributes[f.name] = v;
        else body.custom_attributes[f.name] = v;
      });
      body.message = visitMessage(msg.value.trim());
      submit.disabled = true;
      startConversation(body).then(function () {
        if (body.contact.email) st.contact.email = body.contact.email;
        if (body.contact.phone_number) st.contact.phone_number = body.contact.phone_number;
        renderPreChat();
        ui.input.focus();
      }).catch(function (e) {
        var b = e.body || {}, at = (b.attributes || [])[0], x = inputs.filter(function (x) { return x.f && x.f.name === at; })[0];
        if (x) { x.err.textContent = b.message || t('invalid'); x.input.setAttribute('aria-invalid', 'true'); x.input.focus(); }
        else alert.textContent = b.message || t('error');
      }).finally(function () { submit.disabled = false; });
    } }].concat(fields, [h('div', { 'class': 'cw-field' }, h('label', { 'for': 'cw-pc-message', text: t('messageLabel') }), msg, msgErr), alert, submit])));
  }

  function csat(m, a, done) {
    var resp = (a.submitted_values && a.submitted_values.csat_survey_response) || {};
    var rating = resp.rating || 0, box = h('div', { 'class': 'cw-csat' });
    // The question is said here only (its bubble is left out); once the
    // comment is in, the thanks takes the focus from the form it replaces.
    box.appendChild(h('p', { 'class': 'cw-csat-title', text: done ? t('csatDone') : (m.content || t('csatTitle')),
      tabindex: resp.feedback_message ? '-1' : null, 'data-refocus': resp.feedback_message ? '' : null }));
    var faces = ['😞', '😕', '😐', '😊', '😀'];
    var row = h('div', { 'class': 'cw-rating', role: 'group', 'aria-label': t('csatTitle') });
    // The rating can change (the server takes it for CSATWindow); a comment stays.
    faces.forEach(function (f, i) {
      var n = i + 1;
      row.appendChild(h('button', { type: 'button', 'class': 'cw-rate', 'aria-label': t('rating', { n: n }), 'aria-pressed': String(rating === n),
        'data-key': 'rate-' + n, text: a.display_type === 'star' ? '★' : f, onclick: function () {
          if (n === rating) return;
          answer(m, { contact: {}, message: { submitted_values: { csat_survey_response: { rating: n, feedback_message: resp.feedback_message || '' } } } });
        } }));
    });
    box.appendChild(row);
    if (done && !resp.feedback_message) {
      var id = 'cw-f' + (++uid);
      var ta = h('textarea', { id: id, rows: '2' });
      box.appendChild(h('form', { 'class': 'cw-form', onsubmit: function (e) {
        e.preventDefault();
        if (!ta.value.trim()) return;
        answer(m, { contact: {}, message: { submitted_values: { csat_survey_response: { rating: rating, feedback_message: ta.value.trim() } } } });
      } }, h('label', { 'for': id, text: t('csatComment') }), ta, h('button', { type: 'submit', 'class': 'cw-primary', text: t('submit') })));
    } else if (resp.feedback_message) {
      box.appendChild(answerBubble(resp.feedback_message));
    }
    return box;
  }

  function renderMessage(m) {
    var mine = m.message_type === 0;
    var el = h('div', { 'class': 'cw-msg ' + (mine ? 'cw-msg--mine' : 'cw-msg--theirs') + ' cw-type-' + (m.content_type || 'text'), 'data-id': m.id });
    var who = mine ? t('you') : senderName(m);
    if (!mine) el.appendChild(avatar(m));
    var body = h('div', { 'class': 'cw-msg-body' });
    body.appendChild(h('div', { 'class': 'cw-meta' }, h('span', { 'class': mine ? 'cw-sr' : 'cw-who', text: who }),
      h('time', { datetime: new Date(m.created_at * 1000).toISOString(), text: fmtTime(m.created_at) })));
    var hideBubble = !m.content || m.content_type === 'input_csat';
    if (!hideBubble) body.appendChild(h('div', { 'class': 'cw-bubble', dir: 'auto', html: markdown(m.content) }));
    var files = attachments(m);
    if (files) body.appendChild(files);
    if (!mine) {
      var x = interactive(m);
      if (x) body.appendChild(x);
    }
    el.appendChild(body);
    // The visitor's answer to a question is theirs: a message of their
    // side after the question, not a part of the bot's.
    var said = mine ? null : answerOf(m), entry = h('div', { 'class': 'cw-entry', 'data-entry': m.id }, el);
    if (said) {
      entry.appendChild(h('div', { 'class': 'cw-msg cw-msg--mine cw-msg--answer' }, h('div', { 'class': 'cw-msg-body' },
        h('div', { 'class': 'cw-meta' }, h('span', { 'class': 'cw-sr', text: t('you') })),
        h.apply(null, ['div', { 'class': 'cw-bubble cw-answer-text', dir: 'auto' }, h('span', { 'class': 'cw-sr', text: t('answered') + ': ' })].concat(
          said.map(function (line) { return h('p', null, line); }))))));
    }
    return entry;
  }

  function sorted() {
    return Array.from(st.msgs.values()).sort(function (a, b) { return a.id - b.id; });
  }
  function lastId() {
    var max = 0;
    st.msgs.forEach(function (m, id) { if (typeof id === 'number' && id > max) max = id; });
    return max;
  }
  function renderAll() {
    if (!ui.list) return;
    var focusedId = document.activeElement && document.activeElement.closest && document.activeElement.closest('.cw-entry');
    focusedId = focusedId && focusedId.getAttribute('data-entry');
    ui.list.textContent = '';
    sorted().forEach(function (m) { ui.list.appendChild(renderMessage(m)); });
    scrollDown();
    if (focusedId) {
      var again = ui.list.querySelector('[data-entry="' + focusedId + '"] button, [data-entry="' + focusedId + '"] input');
      if (again) again.focus();
    }
  }
  function scrollDown() { ui.list.scrollTop = ui.list.scrollHeight; }

  // upsert adds or replaces a message; fresh is true for one that just arrived.
  function upsert(m, fresh) {
    if (!m || m.private || m.message_type === 2) return;
    if (st.conv && m.conversation_id && st.conv.id && m.conversation_id !== st.conv.id && !st.newConversation) {
      refreshConversation();
    }
    var old = st.msgs.get(m.id);
    st.msgs.set(m.id, m);
    var el = renderMessage(m), prev = ui.list.querySelector('.cw-entry[data-entry="' + m.id + '"]');
    if (prev) {
      // Focus in a message that changed goes to the same control again (by
      // its data-key), else to what the message marks (data-refocus), else
      // to its first control, else to the message box.
      var a = document.activeElement, hadFocus = prev.contains(a), key = hadFocus && a.getAttribute('data-key');
      // A message that grows where it is (a survey's comment box, an answer
      // shown) keeps the list at its end if it was there.
      var atEnd = ui.list.scrollHeight - ui.list.clientHeight - ui.list.scrollTop < 40;
      prev.replaceWith(el);
      if (atEnd) scrollDown();
      if (hadFocus) {
        var f = (key && el.querySelector('[data-key="' + key + '"]')) || el.querySelector('[data-refocus]') ||
          el.querySelector('button:not([disabled]), input, textarea');
        (f || ui.input).focus();
      }
    } else {
      var after = null;
      ui.list.querySelectorAll('.cw-entry').forEach(function (x) { if (!after && +x.getAttribute('data-entry') > m.id) after = x; });
      ui.list.insertBefore(el, after);
      scrollDown();
    }
    // Who wrote last is who the header says the visitor talks to.
    if (m.message_type === 1 || m.content_type === 'input_email') renderState();
    if (!old && fresh && m.message_type !== 0) {
      if (st.typingIn && (!m.sender || st.typingIn.name === senderName(m))) typingIn(null);
      toParent('onEvent', { eventIdentifier: 'chatwoot:on-message', data: m });
      if (!st.open || document.hidden) {
        st.unread++;
        toParent('handleNotificationDot', { unreadMessageCount: st.unread });
        if (st.sound) toParent('playAudio');
      } else {
        markSeen();
      }
    }
  }

  /* ---------- conversation state and handoff ---------- */
  // lastSpeaker is the bot or person who wrote to the visitor last.
  function lastSpeaker() {
    var who = null;
    st.msgs.forEach(function (m) {
      var s = m.sender;
      if (m.message_type === 1 && s && (s.type === 'agent_bot' || s.type === 'user') && (!who || m.id > who.id)) who = { id: m.id, sender: s };
    });
    return who && who.sender;
  }
  function renderState() {
    if (!ui.state) return;
    var c = st.conv, who = lastSpeaker(), text = st.cfg.welcome_tagline || t('waiting', { time: t(st.cfg.reply_time || 'in_a_few_minutes') });
    var canHuman = false, ended = false, offline = false;
    // Outside the inbox's working hours (by the server's clock at load).
    var away = !!(st.cfg.working_hours_enabled && st.cfg.out_of_office);
    if (away) text = t('away');
    // A new conversation being started (after "Start a new conversation")
    // has the line of no conversation yet, not the ended one's.
    if (c && c.id && !st.newConversation) {
      if (c.status === 'resolved') { text = t('ended'); ended = true; }
      else if (c.assignee) text = t('withPerson', { name: c.assignee.name });
      else if (who && who.type === 'user') text = t('withPerson', { name: who.available_name || who.name });
      else if (c.status === 'pending') {
        text = t('withBot', { name: (c.agent_bot && c.agent_bot.name) || (who && who.name) || t('bot') });
        canHuman = st.cfg.customer_can_request_human !== false;
      } else if (away) text = t('away');
      else if (c.people_online === false) { text = t('nobody'); offline = true; }
      else text = t('waiting', { time: t(st.cfg.reply_time || 'in_a_few_minutes') });
    }
    if (st.offline) text = t('offline');
    ui.main.classList.toggle('cw-away', away);
    ui.main.classList.toggle('cw-offline', !!st.offline);
    ui.state.textContent = text;
    ui.human.hidden = !canHuman;
    ui.end.hidden = !(c && c.id) || st.newConversation || ended || st.cfg.enableEndConversation === false;
    // An inbox that takes messages after resolution keeps the message box:
    // a message reopens the conversation, as the server does.
    ui.main.classList.toggle('cw-ended', ended && !st.cfg.allow_messages_after_resolved);
    if (ended) {
      showNotice(t('ended'), h('button', { type: 'button', 'class': 'cw-primary', text: t('newConversation'), onclick: startNew }), 'ended' + lang);
    } else if (away) {
      // The out-of-office message, and an e-mail to reply to.
      var asks = !st.contact.has_email && !st.contact.email && !st.emailSaved && !emailAsked() && !(wantsPreChat() && preChatFields().some(function (f) { return f.name === 'emailAddress'; }));
      showNotice(st.cfg.out_of_office_message || t('awayNote'), asks ? emailForm(saveEmail) : st.emailSaved ? h('p', { text: t('emailSaved', { email: st.emailSaved }) }) : null,
        'away' + lang + asks + st.emailSaved);
      ui.notice.classList.add('cw-away-note');
    } else if ((offline || (c && c.status === 'open' && !c.assignee)) && !st.contact.has_email && !st.emailSaved && !emailAsked()) {
      showNotice(t('emailAsk'), emailForm(saveEmail), 'ask' + lang);
    } else if (st.emailSaved) {
      showNotice(t('emailSaved', { email: st.emailSaved }));
    } else {
      hideNotice();
    }
  }
  // emailAsked reports whether the transcript asks for the e-mail already
  // (an input_email not answered, such as the server's "Get notified by
  // email"): the notice then does not ask a second time.
  function emailAsked() {
    var asked = false;
    st.msgs.forEach(function (m) { asked = asked || (m.content_type === 'input_email' && !answered(m)); });
    return asked;
  }
  // A notice shown again with the same key is left as it is, so that a
  // refresh does not wipe what the visitor is typing into it.
  function showNotice(text, extra, key) {
    if (key && key === st.noticeKey && !ui.notice.hidden) return;
    st.noticeKey = key;
    ui.notice.textContent = '';
    ui.notice.classList.remove('cw-away-note');
    ui.notice.appendChild(h('p', { text: text }));
    if (extra) ui.notice.appendChild(extra);
    ui.notice.hidden = false;
  }
  // showError says what went wrong: a text, or a failed request's error. A
  // refusal the server explains (a file type it does not take, a file too
  // large) is shown in its words; anything else is "Something went wrong".
  function showError(e) {
    var b = e && e.body, msg = typeof e === 'string' ? e : e && !e.status && st.offline ? t('offline') : '';
    if (!msg && e && (e.status === 413 || e.status === 422) && b) msg = typeof b.message === 'string' && b.message || typeof b.error === 'string' && b.error || '';
    ui.alert.textContent = msg || t('error');
  }
  function clearError() { ui.alert.textContent = ''; }
  function hideNotice() { ui.notice.hidden = true; ui.notice.textContent = ''; st.noticeKey = ''; }
  function saveEmail(email) {
    return api('PATCH', '/contact', { email: email }).then(function (c) {
      st.contact = c || st.contact;
      st.emailSaved = email;
      renderState();
    }).catch(showError);
  }
  function requestHuman() {
    ui.human.disabled = true;
    api('POST', '/conversations/toggle_status', { status: 'open' }).then(function (c) { setConv(c); })
      .catch(function (e) { toParent('error', { errorType: 'TOGGLE_STATUS_ERROR', data: e.body || {} }); showError(e); })
      .finally(function () { ui.human.disabled = false; ui.input.focus(); });
  }
  function endConversation() {
    api('GET', '/conversations/toggle_status').then(function (c) { setConv(c); }).catch(showError);
  }
  function startNew() {
    st.newConversation = true;
    st.msgs.clear();
    renderAll();
    renderState();
    toParent('onEvent', { eventIdentifier: 'chatwoot:on-start-conversation', data: { hasConversation: true } });
    renderPreChat();
    focusFirst();
  }
  function focusFirst() {
    var x = wantsPreChat() && ui.prechat.querySelector('input, select, textarea');
    (x || ui.input).focus();
  }
  function setConv(c) {
    var before = st.conv && st.conv.id, was = st.conv && st.conv.status;
    st.conv = c && c.id ? c : null;
    if (st.conv && before && st.conv.id !== before) { st.msgs.clear(); renderAll(); fetchMessages(); }
    else if (st.conv && was !== st.conv.status) renderAll(); // the bot's menus close or open again
    renderState();
    if (ui.main.classList.contains('cw-prechat-on') && !wantsPreChat()) renderPreChat();
  }
  function refreshConversation() {
    return api('GET', '/conversations').then(setConv).catch(function () { /* next poll */ });
  }

  /* ---------- sending ---------- */
  function onKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); onSend(e); }
  }
  function onType() {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight, 120) + 'px';
    if (!st.conv || st.conv.status === 'resolved') return;
    if (!st.typingOut) { st.typingOut = true; api('POST', '/conversations/toggle_typing', { typing_status: 'on' }).catch(function () {}); }
    clearTimeout(st.typingTimer);
    st.typingTimer = setTimeout(typingOff, TYPING_IDLE_MS);
  }
  function typingOff() {
    clearTimeout(st.typingTimer);
    if (!st.typingOut) return;
    st.typingOut = false;
    api('POST', '/conversations/toggle_typing', { typing_status: 'off' }).catch(function () {});
  }
  // visit is what a message says of where and when the visitor writes
  // from, as Chatwoot's widget sends it, and beyond it the browser's time
  // zone (its IANA name), which Chatwoot's server ignores and Baton's
  // keeps with the conversation, so that agents see the visitor's local
  // time as their clock will be, summer or winter.
  function visit() {
    var zone = '';
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { /* the timestamp's offset serves */ }
    return { timestamp: new Date().toString(), referer_url: st.referer, timezone: zone };
  }
  function visitMessage(content) {
    var v = visit();
    return { content: content, timestamp: v.timestamp, referer_url: v.referer_url, timezone: v.timezone };
  }
  function onSend(e) {
    if (e) e.preventDefault();
    var text = ui.input.value.trim();
    if (!text) return;
    ui.input.value = '';
    onType();
    typingOff();
    var p;
    if (st.newConversation || (st.conv && st.conv.status === 'resolved' && !st.cfg.allow_messages_after_resolved)) {
      p = startConversation({ message: visitMessage(text) });
    } else {
      p = api('POST', '/messages', { message: visitMessage(text) }).then(function (m) {
        upsert(m, false);
        if (!st.conv || st.conv.id !== m.conversation_id) return refreshConversation();
      });
    }
    p.then(clearError, function (e) { ui.input.value = text; showError(e); });
  }
  function startConversation(body) {
    return api('POST', '/conversations', body).then(function (c) {
      st.newConversation = false;
      var ms = c.messages || [];
      delete c.messages;
      st.msgs.clear();
      setConv(c);
      renderAll();
      ms.forEach(function (m) { upsert(m, false); });
    });
  }
  function onFile() {
    var f = ui.file.files && ui.file.files[0];
    if (!f) return;
    if (f.size > MAX_FILE_MB * 1024 * 1024) { showError(t('fileTooLarge', { name: f.name, n: MAX_FILE_MB })); ui.file.value = ''; return; }
    var fd = new FormData();
    fd.append('message[attachments][]', f);
    var v = visit();
    fd.append('message[referer_url]', v.referer_url);
    fd.append('message[timestamp]', v.timestamp);
    if (v.timezone) fd.append('message[timezone]', v.timezone);
    api('POST', '/messages', fd).then(function (m) {
      clearError();
      upsert(m, false);
      if (!st.conv) refreshConversation();
    }).catch(showError).finally(function () { ui.file.value = ''; });
  }
  function markSeen() {
    if (st.conv && st.open && !document.hidden) api('POST', '/conversations/update_last_seen', {}).catch(function () {});
  }

  /* ---------- typing from the other side ---------- */
  function typingIn(who) {
    clearTimeout(st.typingExpiry);
    st.typingIn = who;
    ui.typing.textContent = '';
    if (!who) return;
    ui.typing.appendChild(h('span', { text: t('typing', { name: who.name }) }));
    ui.typing.appendChild(h('span', { 'class': 'cw-dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')));
    // A sender that never says "off" (a bot that died mid-answer) leaves no dots.
    st.typingExpiry = setTimeout(function () { typingIn(null); }, TYPING_EXPIRY_MS);
  }

  /* ---------- live updates: /cable when the server has it, polling otherwise ---------- */
  // GET /messages answers {payload: [messages], meta: {contact_last_seen_at}}.
  function page(r) { return (r && r.payload) || []; }
  function fetchMessages() {
    return api('GET', '/messages').then(function (r) {
      page(r).forEach(function (m) { st.msgs.set(m.id, m); });
      renderAll();
      renderState();
    });
  }
  function catchUp() {
    var after = lastId();
    return api('GET', '/messages', undefined, after ? '&after=' + after : '').then(function (r) {
      page(r).forEach(function (m) { upsert(m, true); });
    }).then(refreshConversation);
  }
  // While polling, answered questions and edits come with a full reload of
  // the latest page now and then.
  var polls = 0;
  function poll() {
    if (st.live || !st.loaded) return;
    var p = ++polls % 4 === 0 ? api('GET', '/messages').then(function (r) {
      page(r).forEach(function (m) {
        var old = st.msgs.get(m.id);
        if (!old || JSON.stringify(old) !== JSON.stringify(m)) upsert(m, !old);
      });
    }).then(refreshConversation) : catchUp();
    p.catch(function () {});
  }
  // html[data-live] while subscribed; data-cable-frames counts the events
  // that came over /cable and data-cable-resumes the refetches after a
  // reconnect (what people and tests can look at).
  var cable = { ws: null, tries: 0, lastPing: 0, had: false, frames: 0, resumes: 0 };
  function mark(k, n) { document.documentElement.setAttribute('data-cable-' + k, String(n)); }
  function connectCable() {
    if (!st.pubsub || !window.WebSocket) return;
    var ws;
    try { ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/cable', ['actioncable-v1-json', 'actioncable-unsupported']); } catch (e) { return; }
    cable.ws = ws;
    var ident = JSON.stringify({ channel: 'RoomChannel', pubsub_token: st.pubsub });
    ws.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      cable.lastPing = Date.now();
      if (f.type === 'welcome') ws.send(JSON.stringify({ command: 'subscribe', identifier: ident }));
      else if (f.type === 'confirm_subscription' && f.identifier === ident) {
        st.live = true;
        cable.tries = 0;
        // What was written between the last fetch and this subscription
        // came over no socket: fetch it (after a reconnect, and on the
        // first subscription too, which follows the page's first fetch).
        var resumed = cable.had;
        catchUp().then(function () { if (resumed) mark('resumes', ++cable.resumes); }).catch(function () {});
        cable.had = true;
        document.documentElement.setAttribute('data-live', '');
      } else if (f.message && f.identifier === ident) {
        mark('frames', ++cable.frames);
        onCable(f.message);
      }
    };
    ws.onclose = function () {
      if (cable.ws !== ws) return;
      st.live = false;
      document.documentElement.removeAttribute('data-live');
      cable.ws = null;
      poll();
      var wait = Math.min(30000, 1000 * Math.pow(2, cable.tries++));
      setTimeout(connectCable, wait);
    };
  }
  setInterval(function () {
    if (cable.ws && st.live && Date.now() - cable.lastPing > 10000) cable.ws.close();
  }, 3000);
  function onCable(msg) {
    var d = msg.data || {};
    switch (msg.event) {
      case 'message.created':
      case 'message.updated':
        if (!st.conv || d.conversation_id === st.conv.id || !st.conv.id) upsert(d, msg.event === 'message.created');
        if (msg.event === 'message.updated') toParent('onEvent', { eventIdentifier: 'chatwoot:on-message', data: d });
        break;
      case 'conversation.created':
      case 'conversation.status_changed':
      case 'conversation.updated':
      case 'assignee.changed':
        refreshConversation();
        break;
      case 'conversation.typing_on':
      case 'conversation.typing_off':
        if (d.is_private || (st.conv && d.conversation && d.conversation.id !== st.conv.id)) return;
        typingIn(msg.event === 'conversation.typing_on' ? { name: (d.user && (d.user.available_name || d.user.name)) || t('someone') } : null);
        break;
    }
  }

  /* ---------- the host page ---------- */
  function setUser(m) {
    var u = m.user || {}, ident = m.identifier !== undefined ? m.identifier : u.identifier;
    var body = { identifier: ident, identifier_hash: u.identifier_hash, email: u.email, name: u.name, avatar_url: u.avatar_url,
      phone_number: u.phone_number, custom_attributes: u.custom_attributes,
      additional_attributes: { company_name: u.company_name, city: u.city, description: u.description, country_code: u.country_code, social_profiles: u.social_profiles } };
    return api('PATCH', '/contact/set_user', body).then(function (c) {
      st.contact = c || st.contact;
      if (c && c.widget_auth_token) { token = c.widget_auth_token; toParent('setAuthCookie', { data: { widgetAuthToken: token } }); }
      renderState();
      if (!ui.prechat.contains(document.activeElement)) renderPreChat();
    }).catch(function (e) { toParent('error', { errorType: 'SET_USER_ERROR', data: e.body || {} }); });
  }
  function reportError(e) { toParent('error', { errorType: 'API_ERROR', data: (e && e.body) || {} }); }
  var fromParent = {
    'config-set': function (m) {
      setTheme(m.darkMode);
      st.cfg.enableEndConversation = m.enableEndConversation;
      if (m.enableFileUpload === false) ui.attach.hidden = true;
      if (m.locale) loadCatalog(m.locale);
      renderState();
    },
    'set-user': setUser,
    'set-custom-attributes': function (m) { api('PATCH', '/contact', { custom_attributes: m.customAttributes }).catch(reportError); },
    'delete-custom-attribute': function (m) { api('POST', '/contact/destroy_custom_attributes', { custom_attributes: [m.customAttribute] }).catch(reportError); },
    'set-conversation-custom-attributes': function (m) { api('POST', '/conversations/set_custom_attributes', { custom_attributes: m.customAttributes }).catch(reportError); },
    'delete-conversation-custom-attribute': function (m) { api('POST', '/conversations/destroy_custom_attributes', { custom_attribute: [m.customAttribute] }).catch(reportError); },
    'set-label': function (m) { api('POST', '/labels', { label: m.label }).catch(reportError); },
    'remove-label': function (m) { api('DELETE', '/labels/' + encodeURIComponent(m.label)).catch(reportError); },
    'set-locale': function (m) { loadCatalog(m.locale); },
    'set-color-scheme': function (m) { setTheme(m.darkMode); },
    'toggle-open': function (m) {
      st.open = !!m.isOpen;
      if (st.open) {
        st.unread = 0;
        toParent('handleNotificationDot', { unreadMessageCount: 0 });
        markSeen();
        scrollDown();
        setTimeout(focusFirst, 0);
      }
    },
    'push-event': function (m) {
      api('POST', '/events', { name: m.eventName, event_info: { initiated_at: { timestamp: new Date().toString() }, referer: st.referer } }).catch(function () {});
    },
    'change-url': function (m) { st.referer = m.referrerURL || st.referer; }
  };
  window.addEventListener('message', function (e) {
    if (typeof e.data !== 'string' || e.data.indexOf(PREFIX) !== 0) return;
    if (inFrame && e.source !== window.parent) return;
    var m;
    try { m = JSON.parse(e.data.slice(PREFIX.length)); } catch (err) { return; }
    var f = m && fromParent[m.event];
    if (f) f(m);
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && inFrame) toParent('closeWindow'); });
  document.addEventListener('visibilitychange', function () { if (!document.hidden) { poll(); markSeen(); } });

  /* ---------- start ---------- */
  function start() {
    build();
    setTheme(query.get('dark_mode') || 'light');
    if (query.get('locale')) loadCatalog(query.get('locale'));
    api('POST', '/config').then(function (r) {
      token = r.auth_token || token;
      st.cfg = Object.assign(st.cfg, r.website_channel_config || {});
      st.contact = r.contact || {};
      st.contact.has_email = !!st.contact.email;
      st.pubsub = st.contact.pubsub_token;
      setColor(st.cfg.widget_color);
      if (!query.get('locale') && !inFrame && st.cfg.locale) loadCatalog(st.cfg.locale);
      texts();
      toParent('loaded', { config: { authToken: token, channelConfig: { widgetColor: st.cfg.widget_color, websiteName: st.cfg.website_name,
        labels: { open: t('open'), close: t('close'), title: t('title') } } } });
      return Promise.all([fetchMessages(), refreshConversation()]);
    }).then(function () {
      renderPreChat();
      st.loaded = true;
      document.documentElement.setAttribute('data-ready', '');
      connectCable();
      setInterval(poll, POLL_MS);
    }).catch(function (e) {
      document.getElementById('app').textContent = '';
      document.getElementById('app').appendChild(h('p', { 'class': 'cw-fatal', role: 'alert', text: e.status === 404 ? t('notFound') : t('error') }));
      reportError(e);
    });
  }
  start();
})();
