/* Baton website widget loader: Chatwoot's sdk.js contract (window.chatwootSDK.run,
   window.chatwootSettings, window.$chatwoot, chatwoot:* events, cw_* cookies). */
(function () {
  'use strict';
  if (window.chatwootSDK && window.chatwootSDK.baton) return;
  var PREFIX = 'chatwoot-widget:';
  var doc = document;

  function getCookie(name) {
    var parts = doc.cookie ? doc.cookie.split('; ') : [];
    for (var i = 0; i < parts.length; i++) {
      var j = parts[i].indexOf('=');
      if (parts[i].slice(0, j) === name) {
        try { return decodeURIComponent(parts[i].slice(j + 1)); } catch (e) { return ''; }
      }
    }
    return '';
  }
  function setCookie(name, value, days, domain) {
    var c = name + '=' + encodeURIComponent(value) + '; path=/; SameSite=Lax';
    if (days) c += '; expires=' + new Date(Date.now() + days * 864e5).toUTCString();
    if (domain) c += '; domain=' + domain;
    if (location.protocol === 'https:') c += '; Secure';
    doc.cookie = c;
  }
  function removeCookie(name, domain) {
    doc.cookie = name + '=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT';
    if (domain) doc.cookie = name + '=; path=/; domain=' + domain + '; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  }
  // A 53-bit string hash: cw_user_<token> only marks "this user was sent".
  function hash(s) {
    var h1 = 0xdeadbeef, h2 = 0x41c6ce57;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16);
  }
  function emit(name, detail) {
    window.dispatchEvent(new CustomEvent(name, { detail: detail === undefined ? null : detail }));
  }

  var CSS =
    '.woot-widget-holder{position:fixed;z-index:2147483000;bottom:104px;width:400px;height:calc(100% - 124px);max-height:640px;' +
    'border-radius:16px;overflow:hidden;box-shadow:0 8px 32px rgba(0,0,0,.2);background:#fff;opacity:1;transition:opacity .2s,transform .2s}' +
    '.woot-widget-holder iframe{width:100%;height:100%;border:0;display:block}' +
    '.woot-elements--right{right:20px}.woot-elements--left{left:20px}' +
    '.woot-widget-holder.woot--hide{visibility:hidden;opacity:0;transform:translateY(16px);pointer-events:none}' +
    '.woot-widget-holder.woot-widget--without-bubble{bottom:20px}' +
    '.woot--bubble-holder .woot-widget-bubble{position:fixed;z-index:2147483000;bottom:20px;width:64px;height:64px;border-radius:32px;' +
    'border:0;cursor:pointer;display:flex;align-items:center;justify-content:center;color:#fff;box-shadow:0 4px 16px rgba(0,0,0,.25);padding:0}' +
    '.woot--bubble-holder .woot-widget-bubble:focus-visible{outline:3px solid #1a1a1a;outline-offset:3px;box-shadow:0 0 0 6px #fff}' +
    '.woot--bubble-holder .woot-widget-bubble svg{width:28px;height:28px;fill:currentColor}' +
    '.woot--bubble-holder .woot-widget--expanded{width:auto;padding:0 20px 0 16px;gap:8px;font:600 15px/1 system-ui,sans-serif}' +
    '.woot--bubble-holder .woot--hide,.woot--bubble-holder.woot-hidden{display:none}' +
    '.woot--bubble-holder .woot--unread{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;' +
    'background:#b00020;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center;padding:0 5px;box-sizing:border-box}' +
    // On a phone the open window fills the screen: the close bubble would
    // sit on its message box, so the window's own Close button serves.
    '@media (max-width:667px){.woot-widget-holder{inset:0;width:100%;height:100%;max-height:none;border-radius:0}' +
    '.woot--bubble-holder .woot-widget-bubble.woot--close{display:none}}' +
    '@media (prefers-reduced-motion:reduce){.woot-widget-holder{transition:none}}';
  var ICON_CHAT = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 22l4.3-2.3c1 .3 2 .4 3.1.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3z"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z"/></svg>';

  function run(opts) {
    if (window.$chatwoot) return;
    opts = opts || {};
    var s = window.chatwootSettings || {};
    var baseUrl = String(opts.baseUrl || '').replace(/\/+$/, '');
    var token = String(opts.websiteToken || '');
    var locale = s.useBrowserLanguage ? (navigator.language || 'en').replace('-', '_') : s.locale;
    var cw = window.$chatwoot = {
      baseUrl: baseUrl, baseDomain: s.baseDomain, websiteToken: token, hasLoaded: false, isOpen: false,
      hideMessageBubble: !!s.hideMessageBubble, position: s.position === 'left' ? 'left' : 'right',
      locale: locale, useBrowserLanguage: !!s.useBrowserLanguage, type: s.type === 'expanded_bubble' ? 'expanded_bubble' : 'standard',
      launcherTitle: s.launcherTitle || '', showPopoutButton: !!s.showPopoutButton,
      showUnreadMessagesDialog: s.showUnreadMessagesDialog !== false, widgetStyle: s.widgetStyle === 'flat' ? 'flat' : 'standard',
      resetTriggered: false, darkMode: scheme(s.darkMode), welcomeTitle: s.welcomeTitle || '',
      welcomeDescription: s.welcomeDescription || '', availableMessage: s.availableMessage || '',
      unavailableMessage: s.unavailableMessage || '', enableFileUpload: s.enableFileUpload !== false,
      enableEmojiPicker: s.enableEmojiPicker !== false, enableEndConversation: s.enableEndConversation !== false
    };
    var userCookie = 'cw_user_' + token;
    var labels = { open: 'Open chat', close: 'Close chat', title: 'Chat with us' };
    var holder, frame, bubbles, openBtn, closeBtn, badge, style, unread = 0, pendingUser = null, audio = null, interacted = false;

    function scheme(m) { return m === 'dark' || m === 'auto' ? m : 'light'; }
    function post(event, fields) {
      if (!frame || !frame.contentWindow) return;
      var msg = { event: event };
      for (var k in fields) msg[k] = fields[k];
      frame.contentWindow.postMessage(PREFIX + JSON.stringify(msg), '*');
    }
    function widgetURL(extra) {
      var u = baseUrl + '/widget?website_token=' + encodeURIComponent(token);
      var conv = getCookie('cw_conversation');
      if (conv) u += '&cw_conversation=' + encodeURIComponent(conv);
      return u + (extra || '');
    }

    style = doc.createElement('style');
    style.id = 'cw-widget-styles';
    style.setAttribute('data-turbo-permanent', '');
    style.textContent = CSS;
    doc.head.appendChild(style);

    holder = doc.createElement('div');
    holder.id = 'cw-widget-holder';
    holder.setAttribute('data-turbo-permanent', '');
    holder.className = 'woot-widget-holder woot--hide woot-elements--' + cw.position +
      (cw.hideMessageBubble ? ' woot-widget--without-bubble' : '') + (cw.widgetStyle === 'flat' ? ' woot-widget-holder--flat' : '');
    frame = doc.createElement('iframe');
    frame.id = 'chatwoot_live_chat_widget';
    frame.title = labels.title;
    frame.setAttribute('allow', 'camera;microphone;fullscreen;display-capture;picture-in-picture;clipboard-write;');
    frame.src = widgetURL(locale ? '&locale=' + encodeURIComponent(locale) : '');
    holder.appendChild(frame);
    doc.body.appendChild(holder);

    function setOpen(open) {
      if (open === cw.isOpen) return;
      cw.isOpen = open;
      holder.classList.toggle('woot--hide', !open);
      if (openBtn) {
        openBtn.classList.toggle('woot--hide', open);
        closeBtn.classList.toggle('woot--hide', !open);
        openBtn.setAttribute('aria-expanded', String(open));
        closeBtn.setAttribute('aria-expanded', String(open));
      }
      post('toggle-open', { isOpen: open });
      if (open) {
        unread = 0;
        showUnread();
        post('push-event', { eventName: 'webwidget.triggered' });
        // Focus moves into the widget, which puts it on its message box.
        frame.focus({ preventScroll: true });
      } else if (openBtn && (holder.contains(doc.activeElement) || doc.activeElement === closeBtn)) {
        openBtn.focus({ preventScroll: true });
      }
      emit(open ? 'chatwoot:opened' : 'chatwoot:closed');
    }
    function showUnread() {
      if (!badge) return;
      badge.textContent = unread > 99 ? '99+' : String(unread);
      badge.hidden = unread === 0;
      openBtn.setAttribute('aria-label', labels.open + (unread ? ' (' + unread + ')' : ''));
    }
    function makeBubble(color) {
      bubbles = doc.createElement('div');
      bubbles.id = 'cw-bubble-holder';
      bubbles.setAttribute('data-turbo-permanent', '');
      bubbles.className = 'woot--bubble-holder' + (cw.hideMessageBubble ? ' woot-hidden' : '');
      var expanded = cw.type === 'expanded_bubble';
      openBtn = doc.createElement('button');
      openBtn.type = 'button';
      openBtn.className = 'woot-widget-bubble woot-elements--' + cw.position + (expanded ? ' woot-widget--expanded' : '') +
        (cw.widgetStyle === 'flat' ? ' woot-widget-bubble--flat' : '');
      openBtn.innerHTML = ICON_CHAT;
      if (expanded) {
        var t = doc.createElement('span');
        t.className = 'woot-widget-bubble-label';
        t.textContent = cw.launcherTitle || labels.title;
        openBtn.appendChild(t);
      }
      badge = doc.createElement('span');
      badge.className = 'woot--unread';
      badge.hidden = true;
      badge.setAttribute('aria-hidden', 'true');
      openBtn.appendChild(badge);
      closeBtn = doc.createElement('button');
      closeBtn.type = 'button';
      closeBtn.className = 'woot-widget-bubble woot--close woot--hide woot-elements--' + cw.position;
      closeBtn.innerHTML = ICON_CLOSE;
      [openBtn, closeBtn].forEach(function (b) {
        b.style.background = color || '#1f6feb';
        b.setAttribute('aria-controls', 'cw-widget-holder');
        b.setAttribute('aria-expanded', 'false');
        b.addEventListener('click', function () { setOpen(!cw.isOpen); });
        bubbles.appendChild(b);
      });
      openBtn.setAttribute('aria-label', labels.open);
      closeBtn.setAttribute('aria-label', labels.close);
      doc.body.appendChild(bubbles);
    }
    function ding() {
      if (!interacted) return;
      try {
        audio = audio || new (window.AudioContext || window.webkitAudioContext)();
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880;
        g.gain.setValueAtTime(0.08, audio.currentTime);
        g.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.3);
        o.connect(g); g.connect(audio.destination);
        o.start(); o.stop(audio.currentTime + 0.3);
      } catch (e) { /* no sound, no harm */ }
    }
    ['pointerdown', 'keydown'].forEach(function (n) {
      window.addEventListener(n, function () { interacted = true; }, { once: true, capture: true });
    });

    var lastURL = location.href;
    function urlChanged() {
      if (location.href === lastURL) return;
      lastURL = location.href;
      post('change-url', { referrerURL: location.href, referrerHost: location.host });
    }

    var handlers = {
      loaded: function (m) {
        var cfg = m.config || {};
        if (cfg.authToken) setCookie('cw_conversation', cfg.authToken, 365, cw.baseDomain);
        var ch = cfg.channelConfig || {};
        if (ch.labels) for (var k in ch.labels) labels[k] = ch.labels[k];
        frame.title = labels.title;
        post('config-set', {
          locale: cw.locale, position: cw.position, hideMessageBubble: cw.hideMessageBubble, showPopoutButton: cw.showPopoutButton,
          widgetStyle: cw.widgetStyle, darkMode: cw.darkMode, showUnreadMessagesDialog: cw.showUnreadMessagesDialog,
          welcomeTitle: cw.welcomeTitle, welcomeDescription: cw.welcomeDescription, availableMessage: cw.availableMessage,
          unavailableMessage: cw.unavailableMessage, enableFileUpload: cw.enableFileUpload,
          enableEmojiPicker: cw.enableEmojiPicker, enableEndConversation: cw.enableEndConversation
        });
        if (!bubbles) makeBubble(ch.widgetColor);
        post('change-url', { referrerURL: location.href, referrerHost: location.host });
        post('toggle-open', { isOpen: cw.isOpen });
        if (pendingUser) post('set-user', pendingUser);
        var first = !cw.hasLoaded;
        cw.hasLoaded = true;
        frame.style.visibility = '';
        if (first && !cw.resetTriggered) emit('chatwoot:ready');
      },
      setBubbleLabel: function (m) {
        var l = bubbles && bubbles.querySelector('.woot-widget-bubble-label');
        if (l && !cw.launcherTitle) l.textContent = m.label;
      },
      setLabels: function (m) {
        for (var k in m.labels) labels[k] = m.labels[k];
        frame.title = labels.title;
        if (closeBtn) closeBtn.setAttribute('aria-label', labels.close);
        showUnread();
      },
      setAuthCookie: function (m) { if (m.data && m.data.widgetAuthToken) setCookie('cw_conversation', m.data.widgetAuthToken, 365, cw.baseDomain); },
      error: function (m) {
        if (m.errorType === 'SET_USER_ERROR') removeCookie(userCookie, cw.baseDomain);
        emit('chatwoot:error', m.data || {});
      },
      onEvent: function (m) { if (/^chatwoot:/.test(m.eventIdentifier)) emit(m.eventIdentifier, m.data); },
      postback: function (m) { emit('chatwoot:postback', m); },
      toggleBubble: function () { setOpen(!cw.isOpen); },
      closeWindow: function () { setOpen(false); },
      handleNotificationDot: function (m) {
        unread = cw.isOpen ? 0 : Math.max(0, m.unreadMessageCount | 0);
        showUnread();
      },
      playAudio: ding,
      popoutChatWindow: function () { cw.popoutChatWindow(); }
    };
    window.addEventListener('message', function (e) {
      if (e.source !== frame.contentWindow || typeof e.data !== 'string' || e.data.indexOf(PREFIX) !== 0) return;
      var m;
      try { m = JSON.parse(e.data.slice(PREFIX.length)); } catch (err) { return; }
      var f = m && handlers[m.event];
      if (f) f(m);
    });

    // Turbo, Turbolinks and Astro swap <body>: carry the widget over.
    function keep(e) {
      if (e && e.detail && e.detail.renderMethod === 'morph') return;
      var body = e && e.detail && e.detail.newBody;
      var target = body || (e && e.newDocument && e.newDocument.body);
      if (!target) return;
      [style, holder, bubbles].forEach(function (el) {
        if (el && !target.contains(el)) (el === style ? (e.newDocument ? e.newDocument.head : doc.head) : target).appendChild(el);
      });
    }
    doc.addEventListener('turbo:before-render', keep);
    doc.addEventListener('turbolinks:before-render', function (e) { keep({ detail: { newBody: e.data && e.data.newBody } }); });
    doc.addEventListener('astro:before-swap', keep);
    // SPA navigation: tell the widget the page changed.
    window.addEventListener('popstate', urlChanged);
    new MutationObserver(urlChanged).observe(doc.body, { childList: true, subtree: true });
    // A body replaced some other way: put the widget back.
    new MutationObserver(function () {
      if (!doc.body.contains(holder)) doc.body.appendChild(holder);
      if (bubbles && !doc.body.contains(bubbles)) doc.body.appendChild(bubbles);
    }).observe(doc.documentElement, { childList: true });

    function needKey(o, what) {
      if (!o || typeof o !== 'object' || !Object.keys(o).length) throw new Error(what + ' must be an object with at least one key');
    }
    function needString(v, what) {
      if (!v) throw new Error(what + ' must not be empty');
    }
    cw.toggle = function (state) { setOpen(state === 'open' ? true : state === 'close' ? false : !cw.isOpen); };
    cw.toggleBubbleVisibility = function (v) {
      var hide = v === 'hide' ? true : v === 'show' ? false : !cw.hideMessageBubble;
      cw.hideMessageBubble = hide;
      if (bubbles) bubbles.classList.toggle('woot-hidden', hide);
      holder.classList.toggle('woot-widget--without-bubble', hide);
      post('sdk-set-bubble-visibility', { hideMessageBubble: hide });
    };
    cw.popoutChatWindow = function () {
      setOpen(false);
      window.open(widgetURL('&locale=' + encodeURIComponent(cw.locale || 'en')), 'webwidget_session_' + token,
        'resizable=off,width=400,height=600');
    };
    cw.setUser = function (identifier, user) {
      if (typeof identifier !== 'string' && typeof identifier !== 'number') throw new Error('Identifier should be a string or a number');
      if (!user || !(user.email || user.name || user.avatar_url)) throw new Error('User object should have one of the keys [avatar_url, email, name]');
      var mark = hash(['avatar_url', user.avatar_url || '', 'email', user.email || '', 'name', user.name || '',
        'identifier_hash', user.identifier_hash || '', 'identifier', identifier].join(''));
      if (getCookie(userCookie) === mark) return;
      cw.identifier = identifier;
      cw.user = user;
      pendingUser = { identifier: identifier, user: user };
      if (cw.hasLoaded) post('set-user', pendingUser);
      setCookie(userCookie, mark, 365, cw.baseDomain);
    };
    cw.setCustomAttributes = function (a) { needKey(a, 'Custom attributes'); post('set-custom-attributes', { customAttributes: a }); };
    cw.deleteCustomAttribute = function (k) { needString(k, 'Custom attribute'); post('delete-custom-attribute', { customAttribute: k }); };
    cw.setConversationCustomAttributes = function (a) {
      needKey(a, 'Custom attributes');
      post('set-conversation-custom-attributes', { customAttributes: a });
    };
    cw.deleteConversationCustomAttribute = function (k) {
      needString(k, 'Custom attribute');
      post('delete-conversation-custom-attribute', { customAttribute: k });
    };
    cw.setLabel = function (l) { post('set-label', { label: l }); };
    cw.removeLabel = function (l) { post('remove-label', { label: l }); };
    cw.setLocale = function (l) { cw.locale = l || 'en'; post('set-locale', { locale: cw.locale }); };
    cw.setColorScheme = function (m) { cw.darkMode = scheme(m); post('set-color-scheme', { darkMode: cw.darkMode }); };
    cw.reset = function () {
      if (cw.isOpen) setOpen(false);
      removeCookie('cw_conversation', cw.baseDomain);
      removeCookie(userCookie, cw.baseDomain);
      pendingUser = null;
      delete cw.user;
      delete cw.identifier;
      cw.resetTriggered = true;
      frame.src = widgetURL();
    };
  }

  window.chatwootSDK = { run: run, baton: true };
})();
