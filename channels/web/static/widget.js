/*
 * Switchboard web chat widget. One tag on any page:
 *
 *   <script src="https://support.example.com/widget.js" async
 *           data-title="Acme support" data-greeting="Hi! Ask us anything."
 *           data-color="#0b6e4f"></script>
 *
 * data-server overrides the server base URL (default: the origin this script came from).
 * A page with a Content-Security-Policy that allows no inline styles gives the tag a
 * nonce (<script nonce="..." src=...>): the widget puts the same nonce on its <style>.
 * Plain JS, no build step, no dependencies. Everything lives in a Shadow DOM, so the
 * host page's CSS cannot reach in and ours cannot leak out.
 *
 * Protocol: see `_WidgetSocket` in channels/web/routes.py. In short: POST /sessions once
 * for a signed token; then a WebSocket that starts with {type: hello, token, after} and
 * gets every stored message with seq > after, then live ones. Each sent message carries a
 * client_message_id; the server dedupes on it, so a message is kept in a persisted pending
 * queue and resent after every reconnect until it is acked (or seen in a replay).
 *
 * What survives a page reload (localStorage, one key per server): the token, the last
 * 200 messages, the pending queue and `after`, the highest seq up to which every message
 * has been seen. A reload renders the cache at once and replays only what is missing.
 *
 * For tests and integrators: window.SwitchboardWidget = {open(), close(), renderMarkdown(text),
 * state, socket}; renderMarkdown returns a DocumentFragment.
 */
(function () {
  "use strict";

  if (window.SwitchboardWidget) return; // the tag was included twice

  var script =
    document.currentScript || document.querySelector('script[src*="widget.js"]');
  var config = (script && script.dataset) || {};
  var scriptOrigin = script && script.src ? new URL(script.src).origin : location.origin;
  var SERVER = (config.server || scriptOrigin).replace(/\/+$/, "");
  var WS_URL = SERVER.replace(/^http/, "ws") + "/api/v1/webchat/ws";
  var TITLE = config.title || "Chat with us";
  var GREETING = config.greeting || "";
  var COLOR = /^#[0-9a-fA-F]{3,8}$/.test(config.color || "") ? config.color : "#2457d6";

  // A host site that signed its user in passes their email and its HMAC (see README,
  // "Identity verification"); each identity keeps its own stored conversation.
  var IDENTIFIER = config.identifier || "";
  var IDENTIFIER_HASH = config.identifierHash || "";
  var STORE_KEY = "switchboard:" + SERVER + (IDENTIFIER ? ":" + IDENTIFIER : "");
  var OPEN_KEY = STORE_KEY + ":open";
  var CACHE_LIMIT = 200;
  var REPLAY_PAGE = 500; // the server's page size for a replay
  var BACKOFF_MAX_MS = 5000;
  // The longest message the server takes (WEBCHAT__MAX_TEXT_LENGTH), written in by the
  // route that serves this script (widget_router, channels/web/routes.py); no limit on
  // the textbox when the file is read as it is in the repository.
  var MAX_TEXT_LENGTH = parseInt("{max_text_length}", 10);
  var PING_EVERY_MS = 25000;
  var SILENCE_LIMIT_MS = 60000;
  var CONNECT_TIMEOUT_MS = 10000;

  // ---------------------------------------------------------------- storage

  var memoryStore = {};
  function readJSON(storage, key, fallback) {
    try {
      var raw = storage ? storage.getItem(key) : memoryStore[key];
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }
  function writeJSON(storage, key, value) {
    var raw = JSON.stringify(value);
    try {
      if (storage) storage.setItem(key, raw);
      else memoryStore[key] = raw;
    } catch (e) {
      memoryStore[key] = raw; // private mode or quota: keep it for this page at least
    }
  }
  function storageOrNull(name) {
    try {
      var s = window[name];
      s.getItem("x");
      return s;
    } catch (e) {
      return null;
    }
  }
  var local = storageOrNull("localStorage");
  var sessionStore = storageOrNull("sessionStorage");

  // Persisted state: {token, conversationId, after, messages: [...], pending: [...]}
  var saved = readJSON(local, STORE_KEY, {});
  var state = {
    token: saved.token || null,
    conversationId: saved.conversationId || null,
    after: saved.after || 0,
    messages: Array.isArray(saved.messages) ? saved.messages : [],
    pending: Array.isArray(saved.pending) ? saved.pending : [],
  };
  function save() {
    writeJSON(local, STORE_KEY, {
      token: state.token,
      conversationId: state.conversationId,
      after: state.after,
      messages: state.messages
        .sort(function (a, b) {
          return a.seq - b.seq;
        })
        .slice(-CACHE_LIMIT),
      pending: state.pending,
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) {
      try {
        return crypto.randomUUID(); // only in secure contexts
      } catch (e) {
        /* fall through */
      }
    }
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
  }

  // ---------------------------------------------------------------- DOM

  var STYLE = [
    ":host { all: initial; }",
    ".root { --sb-color: " + COLOR + "; position: fixed; right: 20px; bottom: 20px;",
    "  z-index: 2147483000; font: 15px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto,",
    "  'Helvetica Neue', Arial, sans-serif; color: #1d2330; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    "button { font: inherit; cursor: pointer; }",
    ".bubble { position: relative; width: 60px; height: 60px; border-radius: 50%; border: 0;",
    "  background: var(--sb-color); color: #fff; display: grid; place-items: center;",
    "  box-shadow: 0 6px 20px rgba(0,0,0,.25); margin-left: auto; transition: transform .15s; }",
    ".bubble:hover { transform: scale(1.06); }",
    ".bubble:focus-visible, .send:focus-visible, .close:focus-visible {",
    "  outline: 3px solid #ffbf47; outline-offset: 2px; }",
    ".bubble svg { width: 28px; height: 28px; }",
    ".badge { position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px;",
    "  padding: 0 6px; border-radius: 10px; background: #d92d20; color: #fff; font-size: 12px;",
    "  font-weight: 600; line-height: 20px; text-align: center; }",
    ".panel { width: min(370px, calc(100vw - 40px)); height: min(560px, calc(100vh - 110px));",
    "  margin-bottom: 14px; background: #fff; border-radius: 14px; overflow: hidden;",
    "  display: flex; flex-direction: column; box-shadow: 0 12px 40px rgba(0,0,0,.22); }",
    "header { background: var(--sb-color); color: #fff; padding: 14px 16px;",
    "  display: flex; align-items: center; gap: 12px; }",
    ".heading { flex: 1; min-width: 0; }",
    "h2 { margin: 0; font-size: 16px; font-weight: 600; }",
    ".status { margin: 2px 0 0; font-size: 12px; opacity: .9; }",
    ".status::before { content: ''; display: inline-block; width: 8px; height: 8px;",
    "  border-radius: 50%; margin-right: 6px; background: #9aa4b2; vertical-align: 0; }",
    ".status[data-state=online]::before { background: #3ddc84; }",
    // Outside business hours the bot answers, people do not: a hollow dot.
    ".status[data-state=online][data-people=away]::before { background: transparent;",
    "  box-shadow: inset 0 0 0 2px #3ddc84; }",
    ".status[data-state=connecting]::before { background: #ffbf47; }",
    ".status[data-state=offline]::before { background: #ff6b6b; }",
    ".close { border: 0; background: transparent; color: #fff; width: 32px; height: 32px;",
    "  border-radius: 8px; display: grid; place-items: center; }",
    ".close:hover { background: rgba(255,255,255,.18); }",
    ".close svg { width: 18px; height: 18px; }",
    ".log { flex: 1; overflow-y: auto; padding: 16px 14px; background: #f5f7fa;",
    "  display: flex; flex-direction: column; gap: 8px; }",
    ".msg { max-width: 82%; display: flex; flex-direction: column; }",
    ".msg .text { padding: 9px 13px; border-radius: 16px; white-space: pre-wrap;",
    "  overflow-wrap: anywhere; }",
    ".msg .text.md { white-space: normal; }",
    ".md p, .md ul { margin: 0; }",
    ".md p + p, .md p + ul, .md ul + p { margin-top: 8px; }",
    ".md ul { padding-left: 20px; }",
    ".md code { font: 13px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;",
    "  background: #eef1f5; border-radius: 4px; padding: 1px 4px; }",
    ".md a { color: #1f4fbf; text-decoration: underline; text-underline-offset: 2px; }",
    ".md a:hover { color: #163a8c; }",
    ".md a:focus-visible { outline: 2px solid #ffbf47; outline-offset: 1px; }",
    ".msg.theirs { align-self: flex-start; }",
    ".msg.theirs .text { background: #fff; border: 1px solid #e3e7ee;",
    "  border-bottom-left-radius: 4px; }",
    ".msg.mine { align-self: flex-end; align-items: flex-end; }",
    ".msg.mine .text { background: var(--sb-color); color: #fff;",
    "  border-bottom-right-radius: 4px; }",
    ".msg.system { align-self: center; max-width: 92%; }",
    ".msg.system .text { background: transparent; color: #5b6475; font-size: 13px;",
    "  text-align: center; padding: 2px 8px; }",
    ".msg .who { font-size: 12px; color: #5b6475; margin: 0 0 2px 4px; }",
    ".msg .meta { font-size: 11px; color: #6b7385; margin: 2px 4px 0; }",
    ".msg .choices { display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0 0 2px; }",
    ".msg .choices button { font: inherit; font-size: 13px; padding: 5px 11px; cursor: pointer;",
    "  border: 1px solid var(--sb-color); color: var(--sb-color); background: #fff;",
    "  border-radius: 14px; }",
    ".msg:not(:last-child) .choices { display: none; }",
    ".msg .choices button .n { font-weight: 600; }",
    ".msg:last-child .text.listed, .msg:not(:last-child) .text.unlisted { display: none; }",
    ".msg[data-status=pending] .text { opacity: .65; }",
    ".msg[data-status=failed] .text { background: #fff; color: #1d2330;",
    "  border: 1px solid #d92d20; }",
    ".msg[data-status=failed] .meta { color: #b42318; }",
    ".msg[data-status=failed] .text { max-height: 7.2em; overflow: hidden; }",
    ".error { margin: 0; padding: 8px 14px; background: #fef3f2; color: #b42318; font-size: 13px;",
    "  border-top: 1px solid #fecdca; }",
    "form { display: flex; align-items: flex-end; gap: 8px; padding: 10px;",
    "  border-top: 1px solid #e3e7ee; }",
    "textarea { flex: 1; resize: none; border: 1px solid #cfd5df; border-radius: 10px;",
    "  padding: 9px 11px; font: inherit; color: inherit; max-height: 120px; min-height: 40px; }",
    "textarea:focus { outline: 2px solid var(--sb-color); outline-offset: -1px;",
    "  border-color: transparent; }",
    ".send { width: 40px; height: 40px; border: 0; border-radius: 10px;",
    "  background: var(--sb-color); color: #fff; display: grid; place-items: center; flex: none; }",
    ".send svg { width: 20px; height: 20px; }",
    ".powered { text-align: center; font-size: 11px; color: #8a93a3; padding: 0 0 8px; }",
    "@media (prefers-reduced-motion: reduce) { .bubble { transition: none; } }",
    // On a phone the open chat fills the screen; its header's close button closes it.
    "@media (max-width: 480px) {",
    "  .root.open { top: 0; right: 0; bottom: 0; left: 0; }",
    "  .root.open .panel { width: 100%; height: 100%; margin: 0; border-radius: 0;",
    "    box-shadow: none; }",
    "  .root.open .bubble { display: none; } }",
  ].join("\n");

  var ICON_CHAT =
    '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ' +
    'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 ' +
    '8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z"/></svg>';
  var ICON_CLOSE =
    '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" ' +
    'stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';
  var ICON_SEND =
    '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ' +
    'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M22 2 11 ' +
    '13"/><path d="M22 2 15 22l-4-9-9-4 20-7z"/></svg>';

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text != null) node.textContent = text;
    return node;
  }

  var host = el("div", { id: "switchboard-widget" });
  var shadow = host.attachShadow({ mode: "open" });
  var style = el("style");
  if (script && script.nonce) style.nonce = script.nonce; // the host page's CSP nonce
  style.textContent = STYLE;
  var root = el("div", { class: "root" });

  var panel = el("section", {
    class: "panel",
    id: "sb-panel",
    role: "dialog",
    "aria-label": TITLE,
  });
  panel.hidden = true;
  var header = el("header");
  var heading = el("div", { class: "heading" });
  heading.appendChild(el("h2", {}, TITLE));
  var statusLine = el("p", { class: "status", "data-state": "closed" }, "");
  heading.appendChild(statusLine);
  var closeButton = el("button", { type: "button", class: "close", "aria-label": "Close chat" });
  closeButton.innerHTML = ICON_CLOSE; // static markup, no message text
  header.appendChild(heading);
  header.appendChild(closeButton);

  var log = el("div", {
    class: "log",
    role: "log",
    "aria-live": "polite",
    "aria-label": "Conversation",
    tabindex: "0",
  });
  var errorLine = el("p", { class: "error", role: "alert" });
  errorLine.hidden = true;
  var form = el("form", { class: "composer" });
  var input = el("textarea", {
    rows: "1",
    placeholder: "Type a message…",
    "aria-label": "Message",
    autocomplete: "off",
  });
  if (MAX_TEXT_LENGTH > 0) input.maxLength = MAX_TEXT_LENGTH;
  var sendButton = el("button", { type: "submit", class: "send", "aria-label": "Send message" });
  sendButton.innerHTML = ICON_SEND;
  form.appendChild(input);
  form.appendChild(sendButton);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(errorLine);
  panel.appendChild(form);
  panel.appendChild(el("div", { class: "powered" }, "Powered by Switchboard"));

  var bubble = el("button", {
    type: "button",
    class: "bubble",
    "aria-label": "Open chat: " + TITLE,
    "aria-expanded": "false",
    "aria-controls": "sb-panel",
  });
  bubble.innerHTML = ICON_CHAT;
  var badge = el("span", { class: "badge", "aria-hidden": "true" });
  badge.hidden = true;
  bubble.appendChild(badge);

  root.appendChild(panel);
  root.appendChild(bubble);
  shadow.appendChild(style);
  shadow.appendChild(root);

  // ---------------------------------------------------------------- rendering

  var bySeq = {}; // seq -> message element
  var pendingEls = {}; // client_message_id -> element of a message not yet acked
  var unread = 0;

  function formatTime(iso) {
    var date = iso ? new Date(iso) : new Date();
    return isNaN(date) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // Bot and agent replies are short Markdown (knowledge/rendering.py): paragraphs, line
  // breaks, "- " lists, **bold**, _italic_ / *italic*, `code`, [label](url) links and
  // bare http(s) URLs, which become links too.
  // Built from DOM nodes and text nodes only, so message text is never parsed as HTML;
  // a link is made only for an http(s) URL, anything else shows its label as text.
  var INLINE = new RegExp(
    [
      "`([^`]+)`", // `code`
      "\\*\\*(\\S(?:.*?\\S)?)\\*\\*", // **bold**
      "\\[([^\\]]+)\\]\\(((?:[^\\s()]|\\([^\\s()]*\\))+)\\)", // [label](url), url may hold (x)
      "([*_])(\\S(?:.*?\\S)?)\\5(?![\\w*])", // _italic_ or *italic*
      // a bare http(s) URL (a tracking link), without trailing punctuation
      "(https?:\\/\\/[^\\s<>\"]*[^\\s<>\".,;:!?'()\\[\\]])",
    ].join("|")
  );

  function renderInline(text, parent) {
    var pattern = new RegExp(INLINE.source, "g"); // one per call: this recurses
    var done = 0;
    var match;
    while ((match = pattern.exec(text))) {
      if (match[5] && /[\w*]/.test(text.charAt(match.index - 1))) {
        pattern.lastIndex = match.index + 1; // snake_case or a stray *: not emphasis
        continue;
      }
      parent.appendChild(document.createTextNode(text.slice(done, match.index)));
      done = pattern.lastIndex;
      if (match[1]) {
        parent.appendChild(el("code", {}, match[1]));
      } else if (match[3] && /^https?:\/\//i.test(match[4])) {
        var link = el("a", { href: match[4], target: "_blank", rel: "noopener noreferrer" });
        renderInline(match[3], parent.appendChild(link));
      } else if (match[3]) {
        renderInline(match[3], parent); // not an http(s) link: the label alone, as text
      } else if (match[7]) {
        parent.appendChild(
          el("a", { href: match[7], target: "_blank", rel: "noopener noreferrer" }, match[7])
        );
      } else {
        renderInline(match[2] || match[6], parent.appendChild(el(match[2] ? "strong" : "em")));
      }
    }
    parent.appendChild(document.createTextNode(text.slice(done)));
  }

  function renderMarkdown(text) {
    var fragment = document.createDocumentFragment();
    String(text == null ? "" : text)
      .replace(/\r\n?/g, "\n")
      .trim()
      .split(/\n[ \t]*\n\s*/)
      .forEach(function (block) {
        if (!block) return;
        var paragraph = null;
        var list = null;
        block.split("\n").forEach(function (line) {
          var item = /^\s*[-*]\s+(.*)$/.exec(line);
          if (item) {
            list = list || fragment.appendChild(el("ul"));
            paragraph = null;
            renderInline(item[1], list.appendChild(el("li")));
          } else {
            list = null;
            if (paragraph) paragraph.appendChild(el("br"));
            else paragraph = fragment.appendChild(el("p"));
            renderInline(line.trim(), paragraph);
          }
        });
      });
    return fragment;
  }

  // `text` without the lines that number `choices` ("1. Warranty"), or null when the
  // text does not list every choice that way.
  function withoutListedChoices(text, choices) {
    var wanted = Object.create(null);
    choices.forEach(function (choice) {
      wanted[String(choice.reply) + ". " + String(choice.label)] = true;
    });
    var kept = [];
    var found = 0;
    String(text == null ? "" : text)
      .replace(/\r\n?/g, "\n")
      .split("\n")
      .forEach(function (line) {
        if (wanted[line.trim()] === true) found += 1;
        else kept.push(line);
      });
    return found === choices.length ? kept.join("\n") : null;
  }

  function messageElement(message, status) {
    var mine = message.author === "customer";
    var kind = mine ? "mine" : message.author === "system" ? "system" : "theirs";
    var node = el("div", { class: "msg " + kind, "data-author": message.author || "bot" });
    if (message.author === "agent") node.appendChild(el("div", { class: "who" }, "Support team"));
    var text;
    var offered = !mine && message.choices && message.choices.length ? message.choices : null;
    if (message.author === "bot" || message.author === "agent") {
      text = el("div", { class: "text md" });
      text.appendChild(renderMarkdown(message.text));
    } else {
      text = el("div", { class: "text" }, message.text); // textContent: never HTML
    }
    text.title = formatTime(message.created_at);
    node.appendChild(text);
    var unlisted = offered && withoutListedChoices(message.text, offered);
    var shortened = typeof unlisted === "string" && text.classList.contains("md");
    if (shortened) {
      // The text lists the choices as numbered lines for SMS and mail; while the buttons
      // show (the latest message) the lines would say the same twice, so a copy of the
      // text without them is shown instead. Once the buttons go, the full text returns.
      text.classList.add("listed");
      var short = el("div", { class: "text md unlisted" });
      short.appendChild(renderMarkdown(unlisted));
      short.title = text.title;
      node.appendChild(short);
    }
    if (offered) {
      // Quick replies ("which did you mean?", a survey's 1 to 5): a tap sends the reply,
      // as typing it would.
      var choices = el("div", { class: "choices" });
      offered.forEach(function (choice) {
        var button = el("button", { type: "button" });
        if (shortened) {
          // The lines it stands for are hidden: the number a customer could type is here.
          button.appendChild(el("span", { class: "n" }, String(choice.reply)));
          button.appendChild(document.createTextNode(" "));
        }
        button.appendChild(document.createTextNode(String(choice.label)));
        button.addEventListener("click", function () {
          if (choices.parentNode) choices.parentNode.removeChild(choices);
          sendText(String(choice.reply));
        });
        choices.appendChild(button);
      });
      node.appendChild(choices);
    }
    node.appendChild(el("div", { class: "meta" }));
    setStatus(node, status);
    return node;
  }

  function setStatus(node, status, detail) {
    node.setAttribute("data-status", status);
    var meta = node.querySelector(".meta");
    var note = { pending: "Sending…", failed: "Not sent: " + (detail || "") }[status];
    meta.textContent = note || "";
    meta.hidden = !meta.textContent;
  }

  function atBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  }
  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  // Messages with a seq are kept in seq order; pending ones stay below them all.
  function placeBySeq(node, seq) {
    node.setAttribute("data-seq", String(seq));
    var children = log.children;
    for (var i = 0; i < children.length; i++) {
      var child = children[i];
      var childSeq = child.getAttribute("data-seq");
      var childPending = child.getAttribute("data-status") === "pending";
      if ((childSeq !== null && Number(childSeq) > seq) || (childSeq === null && childPending)) {
        log.insertBefore(node, child);
        return;
      }
    }
    log.appendChild(node);
  }

  function renderStored(message) {
    var stick = atBottom();
    var node = bySeq[message.seq];
    var id = message.client_message_id;
    if (!node && id && pendingEls[id]) {
      node = pendingEls[id]; // our own pending message, now known by its seq
      node.setAttribute("data-client-message-id", id);
      setStatus(node, "sent");
    }
    if (id && pendingEls[id]) {
      if (pendingEls[id] !== node) log.removeChild(pendingEls[id]); // known twice: keep one
      delete pendingEls[id];
    }
    if (!node) node = messageElement(message, "sent");
    if (id) node.setAttribute("data-client-message-id", id);
    bySeq[message.seq] = node;
    placeBySeq(node, message.seq);
    if (stick) scrollDown();
  }

  function renderPending(item) {
    var node = messageElement(
      { author: "customer", text: item.text, created_at: item.created_at },
      "pending"
    );
    node.setAttribute("data-client-message-id", item.client_message_id);
    pendingEls[item.client_message_id] = node;
    log.appendChild(node);
    scrollDown();
  }

  function showError(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function setBadge(count) {
    unread = count;
    badge.textContent = String(count);
    badge.hidden = count === 0;
    var verb = panel.hidden ? "Open chat: " : "Close chat: ";
    bubble.setAttribute("aria-label", verb + TITLE + (count ? " (" + count + " new)" : ""));
  }

  function clearLog() {
    log.textContent = "";
    bySeq = {};
    pendingEls = {};
    if (GREETING) log.appendChild(messageElement({ author: "bot", text: GREETING }, "local"));
  }

  function renderAll() {
    clearLog();
    state.messages
      .slice()
      .sort(function (a, b) {
        return a.seq - b.seq;
      })
      .forEach(renderStored);
    state.pending.forEach(renderPending);
  }

  // ---------------------------------------------------------------- message state

  // `after` only advances over seqs with nothing missing below them, so a reply that was
  // pushed while the socket was down is still fetched by the next replay.
  function advanceAfter() {
    while (bySeq[state.after + 1]) state.after += 1;
  }

  var gapTimer = null;
  function watchForGap() {
    var highest = 0;
    Object.keys(bySeq).forEach(function (s) {
      highest = Math.max(highest, Number(s));
    });
    if (highest <= state.after || gapTimer) return;
    // A hole below a seq we have seen: normally a push still on its way. If it is still
    // there in a moment (a message pushed to another tab, say), read it over HTTP.
    gapTimer = setTimeout(function () {
      gapTimer = null;
      if (!bySeq[state.after + 1]) catchUp();
    }, 2000);
  }

  function addStored(message) {
    if (typeof message.seq !== "number") return;
    if (message.conversation_id && state.conversationId !== message.conversation_id) {
      if (state.conversationId) return; // a stale frame from another conversation
      state.conversationId = message.conversation_id;
    }
    var known = !!bySeq[message.seq];
    var id = message.client_message_id;
    if (id) {
      state.pending = state.pending.filter(function (p) {
        return p.client_message_id !== id;
      });
    }
    if (!known) {
      state.messages.push({
        seq: message.seq,
        direction: message.direction,
        author: message.author,
        text: message.text,
        created_at: message.created_at,
        client_message_id: id || null,
        choices: message.choices || null,
      });
      if (state.messages.length > CACHE_LIMIT * 2) {
        state.messages = state.messages.slice(-CACHE_LIMIT);
      }
    }
    renderStored(message);
    advanceAfter();
    save();
    watchForGap();
    return !known;
  }

  function sendText(text) {
    var item = { client_message_id: newId(), text: text, created_at: new Date().toISOString() };
    state.pending.push(item);
    save();
    renderPending(item);
    showError("");
    if (ready) transmit(item);
    else connect();
  }

  function transmit(item) {
    socketSend({ type: "message", client_message_id: item.client_message_id, text: item.text });
  }

  // Too many messages too fast: the server did not store this one. It stays pending and
  // goes again (same id) once the server says it may.
  function sendLater(id, seconds) {
    var wait = Math.max(1, Number(seconds) || 1);
    showError("Sending too fast: your message will go in " + Math.ceil(wait) + " s.");
    setTimeout(function () {
      var item = state.pending.filter(function (p) {
        return p.client_message_id === id;
      })[0];
      if (item && ready) {
        showError("");
        transmit(item);
      }
    }, wait * 1000);
  }

  // The server refused the message (too long, or not text it takes): it is not stored,
  // and its text goes back into an empty textbox, to be edited and sent again.
  function dropPending(id, reason) {
    var refused = state.pending.filter(function (p) {
      return p.client_message_id === id;
    })[0];
    if (refused && !input.value) {
      input.value = refused.text;
      autosize();
    }
    state.pending = state.pending.filter(function (p) {
      return p.client_message_id !== id;
    });
    save();
    var node = pendingEls[id];
    delete pendingEls[id];
    if (node) setStatus(node, "failed", reason);
    showError(reason ? "Your message was not sent: " + reason + "." : "");
  }

  // ---------------------------------------------------------------- connection

  var socket = null;
  var ready = false;
  var connState = "closed"; // closed | connecting | online | offline
  var attempt = 0;
  var retryTimer = null;
  var pingTimer = null;
  var lastFrameAt = 0;
  var backlogCount = 0;
  var sawFirstPong = false;
  var helloAfter = 0;
  var creatingSession = null;

  // Whether people answer now (GET /availability); null until known: "Online".
  var people = null;

  function onlineLabel() {
    if (!people || people.people_available) return "Online";
    return people.people_back
      ? "Bot online \u00b7 people back " + people.people_back + zoneSuffix(people.timezone)
      : "Bot online \u00b7 people away";
  }

  // " EST" for "America/New_York": the hour is the support team's, which need not be
  // the visitor's. The browser's own name for the zone; the IANA name where it has none.
  function zoneSuffix(timezone) {
    if (!timezone) return "";
    try {
      var parts = new Intl.DateTimeFormat("en-US", {
        timeZone: timezone,
        timeZoneName: "short",
      }).formatToParts(new Date());
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === "timeZoneName") return " " + parts[i].value;
      }
    } catch (error) {
      // an old browser without the zone: its IANA name below
    }
    return " " + timezone;
  }

  function loadAvailability() {
    fetch(SERVER + "/api/v1/webchat/availability")
      .then(function (response) {
        if (!response.ok) throw new Error("availability: HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        people = body;
        statusLine.setAttribute("data-people", body.people_available ? "in" : "away");
        if (connState === "online") statusLine.textContent = onlineLabel();
      })
      .catch(function () {}); // unknown hours: the plain "Online" stays
  }

  function setConnState(next, detail) {
    connState = next;
    statusLine.setAttribute("data-state", next);
    statusLine.textContent =
      next === "online"
        ? onlineLabel()
        : next === "connecting"
        ? "Connecting…"
        : next === "offline"
        ? "Offline" + (detail ? " – " + detail : "")
        : "";
    host.setAttribute("data-state", next);
  }

  function socketSend(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function startSession() {
    if (!creatingSession) {
      creatingSession = fetch(SERVER + "/api/v1/webchat/sessions", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: IDENTIFIER
          ? JSON.stringify({ identifier: IDENTIFIER, identifier_hash: IDENTIFIER_HASH })
          : "{}",
      })
        .then(function (response) {
          if (!response.ok) throw new Error("session: HTTP " + response.status);
          return response.json();
        })
        .then(function (body) {
          state.token = body.token;
          save();
          return body.token;
        })
        .finally(function () {
          creatingSession = null;
        });
    }
    return creatingSession;
  }

  function connect() {
    if (socket || retryTimer || creatingSession) return;
    setConnState("connecting");
    var tokenReady = state.token ? Promise.resolve(state.token) : startSession();
    tokenReady.then(openSocket, function () {
      scheduleReconnect();
    });
  }

  function openSocket(token) {
    if (socket) return;
    ready = false;
    backlogCount = 0;
    sawFirstPong = false;
    var ws;
    try {
      ws = new WebSocket(WS_URL);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    var opened = setTimeout(function () {
      if (!ready) ws.close(); // no ready in time: try again
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = function () {
      lastFrameAt = Date.now();
      helloAfter = state.after;
      ws.send(JSON.stringify({ type: "hello", token: token, after: helloAfter }));
    };
    ws.onmessage = function (event) {
      if (ws !== socket) return;
      lastFrameAt = Date.now();
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame.type === "ready") {
        clearTimeout(opened);
        onReady(frame);
      } else {
        onFrame(frame);
      }
    };
    ws.onclose = function (event) {
      clearTimeout(opened);
      if (ws !== socket) return;
      socket = null;
      ready = false;
      clearInterval(pingTimer);
      if (event.code === 4401) {
        // Token expired or signed with another key: a new session, a fresh conversation.
        // Unsent messages are kept and go out in the new session.
        state.token = null;
        state.conversationId = null;
        state.after = 0;
        state.messages = [];
        save();
        renderAll();
        attempt = 0;
        connect();
      } else if (event.code === 4409) {
        attempt = 0;
        connect(); // the server wants us to reconnect and replay
      } else {
        scheduleReconnect();
      }
    };
  }

  function onReady(frame) {
    if (state.conversationId && frame.conversation_id !== state.conversationId) {
      // The server knows another conversation than our cache (a new database, say):
      // forget the cache, and replay from the start unless this replay was one.
      state.conversationId = frame.conversation_id || null;
      state.after = 0;
      state.messages = [];
      save();
      renderAll();
      if (frame.conversation_id && helloAfter > 0) {
        attempt = 0;
        socket.close(4000, "replay from the start");
        return;
      }
    }
    if (frame.conversation_id) state.conversationId = frame.conversation_id;
    ready = true;
    attempt = 0;
    setConnState("online");
    showError("");
    // Still-pending messages go again; the server dedupes on client_message_id.
    state.pending.forEach(transmit);
    // The server sends the whole backlog before it reads our frames, so this pong marks
    // the end of the replay (see onFrame).
    socketSend({ type: "ping" });
    clearInterval(pingTimer);
    pingTimer = setInterval(function () {
      if (Date.now() - lastFrameAt > SILENCE_LIMIT_MS && socket) socket.close();
      else socketSend({ type: "ping" });
    }, PING_EVERY_MS);
  }

  function onFrame(frame) {
    if (frame.type === "message") {
      if (!sawFirstPong) backlogCount += 1;
      var fresh = addStored(frame);
      // Count what is new to the visitor (not a first full replay) while they look away.
      var news = fresh && frame.author !== "customer" && (sawFirstPong || helloAfter > 0);
      if (news && panel.hidden) {
        setBadge(unread + 1);
      }
    } else if (frame.type === "ack") {
      var item = state.pending.filter(function (p) {
        return p.client_message_id === frame.client_message_id;
      })[0];
      if (item) {
        addStored({
          conversation_id: frame.conversation_id,
          seq: frame.seq,
          direction: "in",
          author: "customer",
          text: item.text,
          created_at: item.created_at,
          client_message_id: item.client_message_id,
        });
      }
    } else if (frame.type === "pong") {
      if (!sawFirstPong) {
        sawFirstPong = true;
        if (backlogCount >= REPLAY_PAGE) catchUp(); // the replay may have been cut short
      }
    } else if (frame.type === "error") {
      if (frame.client_message_id && (frame.status === 413 || frame.status === 422)) {
        dropPending(frame.client_message_id, frame.reason);
      } else if (frame.client_message_id && frame.status === 429) {
        sendLater(frame.client_message_id, frame.retry_after);
      } else if (window.console) {
        console.warn("Switchboard:", frame.reason || frame);
      }
    }
  }

  // Read what is missing over HTTP, page by page (after a cut-short replay or a gap).
  var catchingUp = false;
  function catchUp() {
    if (catchingUp || !state.token) return;
    catchingUp = true;
    function page() {
      return fetch(SERVER + "/api/v1/webchat/messages?after=" + state.after, {
        headers: { Authorization: "Bearer " + state.token },
      })
        .then(function (response) {
          if (!response.ok) throw new Error("messages: HTTP " + response.status);
          return response.json();
        })
        .then(function (body) {
          var messages = body.messages || [];
          var highest = state.after;
          messages.forEach(function (m) {
            addStored(m);
            highest = Math.max(highest, m.seq);
          });
          // Everything up to the last seq the server listed is now known, holes or not.
          if (highest > state.after) {
            state.after = highest;
            save();
          }
          if (messages.length >= REPLAY_PAGE) return page();
        });
    }
    page()
      .catch(function () {
        /* the next reconnect replays */
      })
      .finally(function () {
        catchingUp = false;
      });
  }

  function scheduleReconnect() {
    if (retryTimer) return;
    var base = Math.min(BACKOFF_MAX_MS, 500 * Math.pow(2, attempt));
    var delay = Math.round(base / 2 + (Math.random() * base) / 2); // jitter
    attempt += 1;
    setConnState("offline", "retrying in " + Math.ceil(delay / 1000) + " s");
    retryTimer = setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay);
  }

  function reconnectNow() {
    if (socket || creatingSession || connState === "closed") return;
    clearTimeout(retryTimer);
    retryTimer = null;
    attempt = 0;
    connect();
  }
  window.addEventListener("online", reconnectNow);

  // ---------------------------------------------------------------- panel

  function open() {
    if (!panel.hidden) return;
    panel.hidden = false;
    root.classList.add("open");
    loadAvailability(); // hours pass while a page stays open: ask at every opening
    bubble.setAttribute("aria-expanded", "true");
    writeJSON(sessionStore, OPEN_KEY, true);
    setBadge(0);
    scrollDown();
    input.focus();
    connect();
  }

  function close() {
    if (panel.hidden) return;
    panel.hidden = true;
    root.classList.remove("open");
    bubble.setAttribute("aria-expanded", "false");
    setBadge(0);
    writeJSON(sessionStore, OPEN_KEY, false);
    bubble.focus();
  }

  bubble.addEventListener("click", function () {
    if (panel.hidden) open();
    else close();
  });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") close();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    autosize();
    sendText(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
  }
  input.addEventListener("input", autosize);

  // ---------------------------------------------------------------- start

  function mount() {
    document.body.appendChild(host);
    renderAll();
    if (readJSON(sessionStore, OPEN_KEY, false)) open();
    // A visitor who has chatted before reconnects at once, so replies reach them (and
    // the unread badge) even with the panel closed. Newcomers cost the server nothing
    // until they open the chat.
    else if (state.token) connect();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.SwitchboardWidget = {
    open: open,
    close: close,
    renderMarkdown: renderMarkdown,
    get state() {
      return connState;
    },
    get socket() {
      return socket;
    },
  };
})();
