// The staff dashboard: signs in once (a session cookie), then draws every chart and
// table from the JSON API with Plotly. Each table has a CSV download of the same rows,
// with the API's own values (cents, seconds), so the file can be checked against it.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const DAY_MS = 86400000;
  const PLOT_CONFIG = { displaylogo: false, responsive: true };
  const LAYOUT = { margin: { l: 60, r: 20, t: 40, b: 50 }, font: { size: 12 } };
  let who = null;

  // ---- the API ---------------------------------------------------------------------
  async function api(path, params, options) {
    const query = params ? "?" + new URLSearchParams(params).toString() : "";
    const response = await fetch(path + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      ...(options || {}),
    });
    let body = null;
    try { body = await response.json(); } catch (_) { body = null; }
    return { status: response.status, body };
  }

  function filterParams() {
    const params = { from: $("from").value, to: $("to").value };
    if ($("channel").value) params.channel = $("channel").value;
    return params;
  }

  // ---- formatting ------------------------------------------------------------------
  const money = (cents) => cents === null || cents === undefined ? "–"
    : (cents / 100).toLocaleString("en-US", { maximumFractionDigits: 0 });
  // The currency of the customer figures' amounts: those of the purchases on file, as the
  // API names them (`currencies`). There is no currency setting, and no exchange rates
  // are kept: several currencies are added together as stored, so the unit names them
  // all ("EUR+USD") and the section's note says the amounts are a mix.
  const unitOf = (currencies) => (currencies || []).join("+");
  function currencyNote(currencies) {
    if (!currencies || !currencies.length) return "";
    if (currencies.length === 1) return "Amounts in " + currencies[0] + ".";
    return "Amounts add up orders in " + currencies.slice(0, -1).join(", ") + " and " + currencies[currencies.length - 1]
      + " as they are stored, with no exchange rate: a mix, not a sum in any one currency.";
  }
  const percent = (rate) => rate === null || rate === undefined ? "–" : (100 * rate).toFixed(1) + " %";
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 90) return Math.round(seconds) + " s";
    if (seconds < 5400) return Math.round(seconds / 60) + " min";
    if (seconds < 172800) return (seconds / 3600).toFixed(1) + " h";
    return (seconds / 86400).toFixed(1) + " d";
  }
  const text = (value) => value === null || value === undefined ? "" : String(value);
  // A moment to the minute, in UTC like the API's ranges ("2026-11-29 10:28 UTC"); the
  // CSV keeps the API's full ISO time.
  const when = (iso) => iso ? new Date(iso).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "";

  // ---- tables and their CSV --------------------------------------------------------
  // columns: [{key, label, value: row => raw value, show?: row => text, number?: bool}];
  // the CSV's header row is the keys (the API's own field names), the table's the labels.
  function csvOf(columns, rows) {
    const cell = (v) => {
      const s = Array.isArray(v) ? v.join("; ") : text(v);
      return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    const lines = [columns.map((c) => cell(c.key)).join(",")];
    for (const row of rows) lines.push(columns.map((c) => cell(c.value(row))).join(","));
    return lines.join("\r\n") + "\r\n";
  }

  function download(name, body) {
    const url = URL.createObjectURL(new Blob([body], { type: "text/csv" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // recent ({rows, unit}, optional): show only the last `rows` rows, with a button for the
  // rest (the CSV has every row either way); `unit` names them ("days with activity").
  function table(container, title, columns, rows, csvName, emptyText, recent) {
    container.replaceChildren();
    const heading = document.createElement("h3");
    heading.textContent = title;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Download CSV";
    button.className = "csv";
    button.setAttribute("aria-label", "Download CSV: " + title);
    button.addEventListener("click", () => download(csvName, csvOf(columns, rows)));
    heading.appendChild(button);
    container.appendChild(heading);
    if (!rows.length) {
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = emptyText || "Nothing in this range.";
      container.appendChild(empty);
      return;
    }
    const grid = document.createElement("table");
    grid.setAttribute("aria-label", title);
    const head = grid.createTHead().insertRow();
    for (const c of columns) {
      const th = document.createElement("th");
      th.textContent = c.label;
      if (c.number) th.className = "number";
      head.appendChild(th);
    }
    const body = grid.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const c of columns) {
        const td = tr.insertCell();
        const shown = c.show ? c.show(row) : text(c.value(row));
        // A customer column opens that customer in the Customer section; a column with
        // `opens` calls that with what `open` names instead (a handoff's id).
        const target = c.open ? c.open(row) : null;
        if (target) {
          const open = document.createElement("button");
          open.type = "button";
          open.className = "link";
          open.textContent = shown;
          if (c.openLabel) open.setAttribute("aria-label", c.openLabel(row));
          open.addEventListener("click", () => (c.opens || openCustomer)(target));
          td.appendChild(open);
        } else {
          td.textContent = shown;
        }
        if (c.number) td.className = "number";
        if (c.cell) td.className = c.cell;
      }
    }
    if (recent && rows.length > recent.rows) shortened(container, body, recent);
    container.appendChild(grid);
  }

  // Hides all but the last `recent.rows` rows of a table body, under a note that says so
  // and a button that shows them all (and back).
  function shortened(container, body, recent) {
    const all = [...body.rows];
    const note = document.createElement("p");
    note.className = "note shortened";
    const said = document.createElement("span");
    const toggle = document.createElement("button");
    toggle.type = "button";
    const show = (everything) => {
      all.forEach((tr, n) => { tr.hidden = !everything && n < all.length - recent.rows; });
      said.textContent = everything ? "All " + all.length + " " + recent.unit + ". "
        : "The last " + recent.rows + " of " + all.length + " " + recent.unit + ". ";
      toggle.textContent = everything ? "Show the last " + recent.rows : "Show all " + all.length;
      toggle.setAttribute("aria-expanded", String(everything));
    };
    toggle.addEventListener("click", () => show(toggle.getAttribute("aria-expanded") !== "true"));
    note.append(said, toggle);
    container.appendChild(note);
    show(false);
  }

  function tiles(container, items) {
    container.replaceChildren();
    for (const item of items) {
      const tile = document.createElement("div");
      tile.className = "tile";
      for (const [cls, value] of [["figure", item.figure], ["label", item.label], ["definition", item.definition]]) {
        if (!value) continue;
        const part = document.createElement("div");
        part.className = cls;
        part.textContent = value;
        tile.appendChild(part);
      }
      container.appendChild(tile);
    }
  }

  // Plotly does not wrap a title or make room for long tick labels by itself: each axis
  // gets automargin (the plot shrinks instead of its labels overlapping the axis title or
  // leaving the box), and titles are kept short enough for the narrowest grid column
  // (420 px, staff.css), which the browser test checks at 1400 px.
  //
  // `empty` ("No handoffs in this range.") is said, under the chart's title, in place of
  // a chart whose traces hold nothing but zeros and gaps: empty axes read as a fault.
  function plot(id, traces, layout, empty) {
    const element = $(id);
    const values = (t) => (t.type === "heatmap" ? t.z.flat() : t.orientation === "h" ? t.x : t.y) || [];
    if (empty && !traces.some((t) => values(t).some((v) => v))) {
      Plotly.purge(element);
      const title = document.createElement("h4");
      title.textContent = layout.title.text;
      const said = document.createElement("p");
      said.className = "empty";
      said.textContent = empty;
      const box = document.createElement("div");
      box.className = "chart-empty";
      box.append(title, said);
      element.replaceChildren(box);
      return Promise.resolve();
    }
    element.querySelector(":scope > .chart-empty")?.remove();
    const axes = {};
    for (const axis of ["xaxis", "yaxis"]) axes[axis] = { automargin: true, ...(layout[axis] || {}) };
    return Plotly.react(element, traces, { ...LAYOUT, ...layout, ...axes }, PLOT_CONFIG);
  }

  // An axis of counts (care cycles, customers): whole-number ticks from 0. Plotly's own
  // ticks on a range of a few would mark 0.5 of a cycle.
  const countAxis = (counts, axis) => ({
    ...axis, rangemode: "tozero", tickformat: ",d", ...(Math.max(0, ...counts) <= 5 ? { dtick: 1 } : {}),
  });

  // ---- handoff queue ---------------------------------------------------------------
  const CHANNEL_NAMES = { web: "web chat", sms: "SMS", email: "email" };
  const channelOf = (h) => CHANNEL_NAMES[h.channel] || h.channel;
  // A customer who gave no name (a web chat visitor who did not say one; the API's name
  // is null) is still someone an agent must find: said to be anonymous, with the customer
  // id the staff API finds them by. The channel they came by is the next column, in
  // words ("web chat"). The CSV keeps the API's values: an empty name, "web".
  const customerOf = (h) => h.customer.name || "Anonymous visitor (customer #" + h.customer.id + ")";
  const HANDOFF_COLUMNS = [
    { key: "id", label: "Handoff", value: (h) => h.id, show: (h) => "#" + h.id, open: (h) => h.id, opens: openHandoff, openLabel: (h) => "Open handoff #" + h.id },
    { key: "customer", label: "Customer", value: (h) => h.customer && h.customer.name, show: customerOf, open: (h) => h.customer && h.customer.id },
    { key: "channel", label: "Channel", value: (h) => h.channel, show: channelOf },
    { key: "reason", label: "Reason", value: (h) => h.reason },
    { key: "owner", label: "Owner", value: (h) => h.owner && h.owner.name },
    { key: "age_seconds", label: "Waiting for", value: (h) => h.age_seconds, show: (h) => duration(h.age_seconds), number: true },
    { key: "opened_at", label: "Opened", value: (h) => h.opened_at, show: (h) => when(h.opened_at) },
  ];

  async function drawHandoffs() {
    for (const state of ["waiting", "claimed"]) {
      const { status, body } = await api("/api/v1/handoffs", { state, limit: 200 });
      const container = $("handoffs-" + state);
      if (status !== 200) { container.textContent = "Could not load the queue (" + status + ")."; continue; }
      const rows = body.handoffs.slice().sort((a, b) => b.age_seconds - a.age_seconds);
      const title = (state === "waiting" ? "Waiting for a person" : "Claimed") + " (" + rows.length + ")";
      table(container, title, HANDOFF_COLUMNS, rows, "handoffs-" + state + ".csv", "None right now.");
    }
  }

  // ---- one handoff: its conversation, claim, reply, resolve ------------------------
  // Opened from its number in the queue. GET /api/v1/handoffs/{id} (the context packet:
  // the conversation's last 10 messages, with the handoff's status and owner) is read
  // again every DESK_POLL_MS while it is open, so the customer's new messages appear; the
  // messages shown before stay, so the view keeps the conversation as it grows.
  // Claiming, replying and closing are POSTs, which the session cookie does not open
  // (bot/api/staff_sessions.py): they take the agent's token, asked once and kept in
  // `desk` (this page's memory, never the browser's storage) until sign-out or the page
  // is left. The staff API has no idempotency key for replies: one request at a time,
  // every button disabled until its answer is in, is what keeps a double click to one.
  const DESK_POLL_MS = 3000;
  const AUTHORS = { customer: "Customer", bot: "Bot", agent: "Agent", system: "Switchboard" };

  // What the bot and agents wrote is Markdown (the widget and email show it formatted);
  // here it is read as plain text: a link as "label (address)", no ** or ` marks. A
  // customer's words are shown as they wrote them.
  function readable(m) {
    if (m.author === "customer") return m.text;
    return String(m.text)
      .replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, "$1 ($2)")
      .replace(/\*\*([^*\n]+)\*\*/g, "$1")
      // _emphasis_ and *emphasis* (a knowledge answer's "_Source: ..._"), only where the
      // marks stand at a word's edges, touching it, so an order_id, 2*3*4 or 2 * 3 keeps
      // its characters.
      .replace(/(^|[\s(])([_*])([^\s_*](?:[^_*\n]*[^\s_*])?)\2(?=$|[\s).,!?:;])/gm, "$1$3")
      .replace(/`([^`\n]+)`/g, "$1");
  }
  const HANDOFF_ENDED = { resolved: "resolved", returned_to_bot: "back with the bot", closed: "closed", superseded: "a duplicate of another handoff" };
  const desk = { id: null, packet: null, shown: new Map(), timer: null, reads: 0, busy: false, token: null, reply: null };
  const reason = (body, status) => (body && body.error) || "error " + status;
  // Sets a text only when it changes: a status region says it again on every write.
  const say = (element, words) => { if (element.textContent !== words) element.textContent = words; };

  async function openHandoff(id) {
    closeHandoff();
    desk.id = id;
    $("handoff-title").textContent = "Handoff #" + id;
    $("handoff-about").textContent = "";
    $("handoff-holder").textContent = "";
    $("handoff-desk").hidden = false;
    $("handoff-title").focus();
    await readHandoff();
    if (desk.id === id && desk.timer === null) desk.timer = setInterval(readHandoff, DESK_POLL_MS);
  }

  function closeHandoff() {
    clearInterval(desk.timer);
    Object.assign(desk, { id: null, packet: null, shown: new Map(), timer: null, reads: desk.reads + 1 });
    $("handoff-desk").hidden = true;
    $("handoff-messages").replaceChildren();
    $("handoff-text").value = "";
    for (const id of ["handoff-error", "handoff-status"]) $(id).textContent = "";
  }

  async function readHandoff() {
    const id = desk.id;
    const mine = ++desk.reads;
    const { status, body } = await api("/api/v1/handoffs/" + id);
    if (mine !== desk.reads || id !== desk.id) return;  // closed, another opened, or read again since
    if (status !== 200) {
      say($("handoff-error"), "Could not read handoff #" + id + ": " + reason(body, status));
      return;
    }
    desk.packet = body;
    showConversation(body.last_messages);
    showHandoffState(body);
  }

  // Appends the messages not shown yet, as text; a message shown before gets its
  // "not delivered" reason if delivery gave up on it since.
  function showConversation(messages) {
    for (const m of messages) {
      const key = m.created_at + "\n" + m.author + "\n" + m.text;
      let item = desk.shown.get(key);
      if (!item) {
        item = document.createElement("li");
        item.dataset.author = m.author;
        const by = document.createElement("span");
        by.className = "said-by";
        by.textContent = (AUTHORS[m.author] || m.author) + ", " + when(m.created_at);
        const said = document.createElement("p");
        said.className = "said";
        said.textContent = readable(m);
        item.append(by, said);
        if (m.files && m.files.length) {
          const files = document.createElement("p");
          files.className = "note";
          files.textContent = "Sent with it: " + m.files.map((f) => f.label).join(", ");
          item.appendChild(files);
        }
        const undelivered = document.createElement("p");
        undelivered.className = "error undelivered";
        item.appendChild(undelivered);
        $("handoff-messages").appendChild(item);
        desk.shown.set(key, item);
      }
      say(item.querySelector(".undelivered"), m.not_delivered || "");
    }
  }

  function showHandoffState(p) {
    const active = p.status === "queued" || p.status === "claimed";
    const mine = Boolean(p.owner && who && p.owner.id === who.id);
    const customer = p.customer_name || "Anonymous visitor (customer #" + p.customer_id + ")";
    say($("handoff-title"), "Handoff #" + p.handoff_id + ": " + customer);
    say($("handoff-about"), [CHANNEL_NAMES[p.channel] || p.channel, "reason: " + p.reason.replace(/_/g, " "), p.summary].filter(Boolean).join(" · "));
    say($("handoff-holder"), !active ? "This handoff is " + (HANDOFF_ENDED[p.status] || p.status) + ": nothing more to do here."
      : mine ? "You have claimed it: your replies go to the customer by " + (CHANNEL_NAMES[p.channel] || p.channel) + "."
      : p.owner ? "Claimed by " + p.owner.name + ": only they can reply."
      : "Waiting for a person: claim it to reply.");
    $("handoff-claim").hidden = !(active && !p.owner);
    $("handoff-resolve").hidden = !(active && mine);
    $("handoff-return").hidden = !(active && mine);
    $("handoff-reply-form").hidden = !(active && mine);
    $("handoff-token-form").hidden = desk.token !== null || !(active && (mine || !p.owner));
  }

  function setBusy(busy) {
    desk.busy = busy;
    $("handoff-desk").setAttribute("aria-busy", String(busy));
    for (const button of $("handoff-desk").querySelectorAll("button")) {
      if (button.id !== "handoff-close") button.disabled = busy;
    }
  }

  // POSTs `path` of the open handoff with the agent's token; true when it was done. A
  // refusal's reason (403, 409, 422) is shown as the API words it. Afterwards the
  // handoff and the queue are read again, and the focus goes to `next` (done) or back
  // to the button pressed (refused), when it is still shown.
  async function act(path, body, pressed, next, extraHeaders) {
    if (desk.busy || desk.id === null) return false;
    if (desk.token === null) {
      $("handoff-error").textContent = "Your token is needed for this (the session cookie only reads).";
      $("handoff-token").focus();
      return false;
    }
    const id = desk.id;
    setBusy(true);
    $("handoff-error").textContent = "";
    $("handoff-status").textContent = "";
    let done = false;
    try {
      const { status, body: answer } = await api("/api/v1/handoffs/" + id + path, null, {
        method: "POST",
        headers: { Authorization: "Bearer " + desk.token, Accept: "application/json", "Content-Type": "application/json", ...(extraHeaders || {}) },
        body: JSON.stringify(body || {}),
      });
      done = status >= 200 && status < 300;
      if (status === 401) desk.token = null;  // a token replaced since: asked again
      if (!done && id === desk.id) $("handoff-error").textContent = "Refused (" + status + "): " + reason(answer, status);
    } catch (problem) {
      $("handoff-error").textContent = "No answer from the server (" + problem.message + "): read the conversation before sending again.";
    } finally {
      setBusy(false);
    }
    if (id === desk.id) await readHandoff();
    drawHandoffs();
    const focus = done ? next : pressed;
    if (focus && focus.offsetParent) focus.focus();
    return done;
  }

  async function useToken(event) {
    event.preventDefault();
    const token = $("handoff-token").value.trim();
    $("handoff-token").value = "";
    const error = $("handoff-error");
    error.textContent = "";
    // Whose token it is (GET /api/v1/staff-session answers for the bearer token): a
    // colleague's would claim and reply in their name.
    const { status, body } = await api("/api/v1/staff-session", null, { headers: { Authorization: "Bearer " + token, Accept: "application/json" } });
    if (status !== 200) {
      error.textContent = "That token was refused: " + reason(body, status);
    } else if (!who || body.id !== who.id) {
      error.textContent = "That is " + body.name + "'s token, not yours: sign in as them to answer as them.";
    } else {
      desk.token = token;
      $("handoff-status").textContent = "Token accepted for this page.";
      if (desk.packet) showHandoffState(desk.packet);
      const next = [$("handoff-claim"), $("handoff-text")].find((e) => e.offsetParent);
      if (next) next.focus();
    }
  }

  // getRandomValues, not randomUUID: the page may be served over plain http on a LAN,
  // where randomUUID does not exist.
  function requestKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function answerHandoff(event) {
    event.preventDefault();
    const note = Boolean(event.submitter && event.submitter.value === "note");
    const text = $("handoff-text").value;
    if (!text.trim()) {
      $("handoff-error").textContent = "Write the message first.";
      return;
    }
    const pressed = event.submitter || $("handoff-send");
    // One Idempotency-Key per message: sent again after no answer from the server, the
    // same text keeps its key, so a reply that did arrive is not sent twice.
    const same = desk.reply && desk.reply.id === desk.id && desk.reply.text === text && desk.reply.note === note;
    if (!same) desk.reply = { id: desk.id, text, note, key: requestKey() };
    if (await act("/replies", { text, note }, pressed, $("handoff-text"), { "Idempotency-Key": desk.reply.key })) {
      desk.reply = null;
      if ($("handoff-text").value === text) $("handoff-text").value = "";
      $("handoff-status").textContent = note ? "Note added to the handoff's ticket (not sent to the customer)." : "Sent to the customer.";
    }
  }

  // ---- one customer: details, history, export and erasure -------------------------
  // Found by email or phone (GET /api/v1/customers), or opened from a customer's name in
  // a table. The history is GET /customers/{id}/interactions, oldest first, paged on to
  // the newest (at most HISTORY_PAGES pages); the table shows the latest messages.
  const HISTORY_PAGE = 1000;
  const HISTORY_PAGES = 5;
  let shownCustomer = null;
  // Each lookup takes a number; an answer to an older one that comes back later (a
  // slow summary or history) is dropped instead of showing a customer no longer asked
  // for over the newer result.
  let lookups = 0;

  // An email by its "@", a phone number by its digits (and no letters), a web chat
  // session by its "ws_" (an anonymous visitor has nothing else), else a name: a
  // support lead types "Grace Hopper" as often as an address.
  function searchedBy(query) {
    if (query.includes("@")) return { email: query };
    if (/^ws_[0-9a-f]+$/i.test(query)) return { web_session: query };
    if (/\d/.test(query) && !/[a-z]/i.test(query)) return { phone: query };
    return { name: query };
  }

  async function findCustomer(event) {
    event.preventDefault();
    const mine = ++lookups;
    const query = $("customer-query").value.trim();
    const status = $("customer-status");
    $("customer-matches").replaceChildren();
    const { status: code, body } = await api("/api/v1/customers", searchedBy(query));
    if (mine !== lookups) return;
    if (code !== 200) {
      status.textContent = "Could not search: " + ((body && body.error) || code);
      return;
    }
    const found = body.customers;
    if (!found.length) {
      $("customer-found").hidden = true;
      status.textContent = "No customer matches " + query + ".";
      return;
    }
    if (found.length === 1) return showCustomer(found[0]);
    status.textContent = found.length + " customers match " + query + ":";
    for (const customer of found) {
      const pick = document.createElement("button");
      pick.type = "button";
      pick.textContent = (customer.name || "no name") + " (customer #" + customer.id + ")";
      pick.addEventListener("click", () => showCustomer(customer));
      $("customer-matches").appendChild(pick);
    }
  }

  async function openCustomer(id) {
    const mine = ++lookups;
    const { status, body } = await api("/api/v1/customers/" + id);
    if (mine !== lookups) return;
    $("customer-matches").replaceChildren();
    if (status !== 200) {
      $("customer-found").hidden = true;
      $("customer-status").textContent = "Could not open customer #" + id + ": " + ((body && body.error) || status);
    } else {
      await showCustomer(body);
    }
    $("customer").scrollIntoView();
  }

  // For sales and admins (the roles GET /customers/{id}/summary serves): what they have
  // spent (one figure per currency, as the account summary keeps them), their tickets,
  // their open leads with the chance of winning each, and whether they are at risk.
  async function accountTiles(id) {
    if (!who || !["sales", "admin"].includes(who.role)) return [];
    const { status, body } = await api("/api/v1/customers/" + id + "/summary");
    if (status !== 200) return [{ figure: "–", label: "account summary could not be loaded (" + ((body && body.error) || status) + ")" }];
    const spent = body.lifetime_value.map((v) => money(v.total_cents) + " " + v.currency).join(" + ") || "0";
    const last = body.last_purchase ? "; last " + when(body.last_purchase.placed_at) : "";
    const found = [
      { figure: spent, label: "spent so far, " + body.order_count + (body.order_count === 1 ? " order" : " orders") + last },
      { figure: String(body.open_tickets_total), label: "open tickets" },
    ];
    for (const lead of body.open_leads) {
      const chance = lead.win_probability === null ? "not scored yet" : percent(lead.win_probability);
      found.push({ figure: chance, label: "open lead (" + lead.status + ", " + (lead.owner_name || "no owner") + "): chance of winning", definition: lead.top_factors.map(factorText).join("; ") });
    }
    if (body.at_risk) found.push({ figure: "at risk", label: body.risk_reasons.join("; ") });
    return found;
  }

  async function history(id) {
    const rows = [];
    for (let page = 0, after = 0; page < HISTORY_PAGES; page += 1) {
      const { status, body } = await api("/api/v1/customers/" + id + "/interactions", { after_id: after, limit: HISTORY_PAGE });
      if (status !== 200) throw new Error((body && body.error) || "error " + status);
      rows.push(...body.interactions);
      if (body.interactions.length < HISTORY_PAGE) return { rows, complete: true };
      after = body.interactions[body.interactions.length - 1].id;
    }
    return { rows, complete: false };
  }

  async function showCustomer(customer) {
    const mine = ++lookups;
    shownCustomer = customer;
    $("customer-matches").replaceChildren();
    $("privacy-status").textContent = "";
    const name = customer.name || "Anonymous";
    $("customer-status").textContent = name + ", customer #" + customer.id + (customer.pending ? " (a pending contact nobody vouched for yet)" : "") + ".";
    const addresses = customer.identities.map((i) => (CHANNEL_NAMES[i.channel] || i.channel) + ": " + i.address + (i.verified ? "" : " (unverified)"));
    const account = await accountTiles(customer.id);
    if (mine !== lookups) return;
    tiles($("customer-tiles"), [
      { figure: name, label: addresses.join(" · ") || "no address on file" },
      { figure: customer.lifecycle_stage, label: "lifecycle stage" },
      { figure: when(customer.created_at), label: "on file since" },
      ...account,
    ]);
    $("customer-found").hidden = false;
    $("customer-privacy").hidden = !who || who.role !== "admin";
    let found;
    try {
      found = await history(customer.id);
      if (mine !== lookups) return;
    } catch (problem) {
      if (mine !== lookups) return;
      $("customer-history").textContent = "Their history could not be loaded: " + problem.message;
      return;
    }
    const title = "History (" + found.rows.length + (found.complete ? "" : ", the first") + " messages, oldest first)";
    table($("customer-history"), title, [
      { key: "created_at", label: "When", value: (m) => m.created_at, show: (m) => when(m.created_at) },
      { key: "channel", label: "Channel", value: (m) => m.channel, show: (m) => CHANNEL_NAMES[m.channel] || m.channel },
      { key: "author", label: "From", value: (m) => m.author },
      { key: "text", label: "Message", value: (m) => m.text, show: readable, cell: "message" },
      { key: "intent", label: "Intent", value: (m) => m.intent, show: (m) => m.intent ? m.intent + " (" + percent(m.confidence) + ")" : "" },
      { key: "conversation_id", label: "Conversation", value: (m) => m.conversation_id, number: true },
    ], found.rows, "customer-" + customer.id + "-history.csv", "No messages.", { rows: 20, unit: "messages" });
  }

  // Export and erasure are POSTs, which the session cookie does not open
  // (bot/api/staff_sessions.py): the admin's token goes in the Authorization header of
  // that one request and the field is cleared, as at sign-in.
  async function privacyRequest(event) {
    event.preventDefault();
    const customer = shownCustomer;
    const action = event.submitter ? event.submitter.value : "export";
    const status = $("privacy-status");
    const token = $("privacy-token").value.trim();
    const name = customer.name || "customer #" + customer.id;
    if (action === "erase" && !window.confirm("Erase " + name + " (customer #" + customer.id + ") everywhere Switchboard put their data? This cannot be undone.")) {
      status.textContent = "Not erased.";
      return;
    }
    $("privacy-token").value = "";
    const response = await fetch("/api/v1/customers/" + customer.id + "/" + action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Authorization: "Bearer " + token, Accept: "application/json, application/zip" },
    });
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (_) { body = null; }
      status.textContent = (action === "erase" ? "Not erased: " : "Not exported: ") + ((body && body.error) || response.status);
      return;
    }
    if (action === "export") {
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = "customer-" + customer.id + "-export.zip";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      status.textContent = "Exported " + name + ": customer-" + customer.id + "-export.zip (customer.json and its JSON Schema).";
      return;
    }
    await followErasure(await response.json(), name);
  }

  // The erasure runs in the background (its steps retried for days if a provider is
  // down): its state is read until it is no longer running, then its counts are shown.
  async function followErasure(erasure, name) {
    const status = $("privacy-status");
    for (let tries = 0; erasure.status === "running" && tries < 30; tries += 1) {
      status.textContent = "Erasing " + name + ": erasure #" + erasure.id + " is running.";
      await new Promise((done) => setTimeout(done, 1000));
      const { status: code, body } = await api("/api/v1/erasures/" + erasure.id);
      if (code !== 200) break;
      erasure = body;
    }
    const steps = erasure.steps.map((step) => step.name + ": " + step.status).join(", ");
    status.textContent = erasure.status === "running"
      ? "Erasure #" + erasure.id + " of " + name + " is still running (" + steps + "); GET /api/v1/erasures/" + erasure.id + " or `switchboard privacy erasure " + erasure.id + "` follows it."
      : "Erasure #" + erasure.id + " of " + name + ": " + erasure.status + " (" + steps + ").";
    if (erasure.status !== "running") {
      const { status: code, body } = await api("/api/v1/customers/" + erasure.customer_id);
      if (code === 200) {
        const kept = status.textContent;
        await showCustomer(body);
        status.textContent = kept;
      }
    }
  }

  // ---- support ---------------------------------------------------------------------
  // Each section of the report is its own request, all at once: a chart's figures do not
  // wait for the slowest part (the whole report is still GET /api/v1/reports/support).
  const SUPPORT_SECTIONS = ["conversations", "response-times", "agents", "satisfaction", "knowledge"];

  async function supportReport(params) {
    const answers = await Promise.all(SUPPORT_SECTIONS.map((name) => api("/api/v1/reports/support/" + name, params)));
    const failed = answers.find((answer) => answer.status !== 200);
    if (failed) return failed;
    return { status: 200, body: Object.assign({}, ...answers.map((answer) => answer.body)) };
  }

  // A support report covers at most MAX_DAYS days (bot/api/support_reports.py, which the
  // page is given in the section's data-max-days): a longer range, such as the "2 years"
  // preset, is read as its last MAX_DAYS days, and the section says so.
  // Decided: not a higher limit. Each of the five requests reads every care cycle in the
  // range and the events of the conversations agents replied in; the customer and lead
  // charts read the whole range, their figures being precomputed by the refit.
  function supportRange(params) {
    const maxDays = Number($("support").dataset.maxDays);
    const first = new Date(params.from + "T00:00:00Z");
    const last = new Date(params.to + "T00:00:00Z");
    if ((last - first) / DAY_MS + 1 <= maxDays) return { params, shortened: "" };
    const from = new Date(last.getTime() - (maxDays - 1) * DAY_MS).toISOString().slice(0, 10);
    return {
      params: { ...params, from },
      shortened: "Only the last " + maxDays + " days of the range, " + from + " to " + params.to
        + ": a support report covers at most " + maxDays + " days. ",
    };
  }

  async function drawSupport(asked) {
    const { params, shortened } = supportRange(asked);
    const { status, body } = await supportReport(params);
    const note = $("support-status");
    if (status === 404) {
      $("support-body").hidden = true;
      note.textContent = "Support reports are not available on this server.";
      return;
    }
    if (status !== 200) {
      $("support-body").hidden = true;
      note.textContent = "Support reports could not be loaded: " + ((body && body.error) || status);
      return;
    }
    // The report counts care cycles, not conversations: a conversation reopened after its
    // resolution is new work and counts again (the demo's 419 conversations are 439).
    note.textContent = shortened + "Care cycles started in the range: a conversation from its opening (or reopening) to its resolution, so a reopened conversation counts again. Definitions: analytics/README.md, \"Support reports\".";
    $("support-body").hidden = false;
    const r = body;
    tiles($("support-tiles"), [
      { figure: percent(r.bot_resolution.rate), label: "bot resolution (" + r.bot_resolution.resolved_by_bot + " of " + r.bot_resolution.denominator + ")", definition: r.bot_resolution.definition },
      { figure: percent(r.handoff.rate), label: "handoff rate (" + r.handoff.handoffs + " of " + r.handoff.denominator + ")", definition: r.handoff.definition },
      { figure: duration(r.first_response.clock.p50_seconds), label: "first response, median (p90 " + duration(r.first_response.clock.p90_seconds) + "); business hours " + duration(r.first_response.business.p50_seconds) },
      // The bot's cycles end at its last answer, not at its idle timer's resolution an hour later (analytics/support/cycles.py).
      { figure: duration(r.resolution_time.clock.p50_seconds), label: "time to resolution, median (p90 " + duration(r.resolution_time.clock.p90_seconds) + "); the bot's, to its answer, " + duration(r.resolution_time.by_resolver.bot.clock.p50_seconds) + "; people's " + duration(r.resolution_time.by_resolver.person.clock.p50_seconds) + "; business hours " + duration(r.resolution_time.business.p50_seconds), definition: r.resolution_time.definition },
      // The score is a share (ratings of 4 or 5 out of 5), so it is shown as a percent.
      { figure: percent(r.satisfaction.score), label: "satisfied: rated 4 or 5 of 5 (" + r.satisfaction.responses + " answers, " + percent(r.satisfaction.response_rate) + " of " + r.satisfaction.asked + " surveys asked)" },
      { figure: String(r.knowledge.answered), label: "questions answered from the help centre; " + r.knowledge.fallen_back + " fell back" },
    ]);
    const days = r.conversations_over_time.map((d) => d.day);
    // Lines without markers and the legend below: a year of days stays readable.
    const series = (key, name) => ({ x: days, y: r.conversations_over_time.map((d) => d[key]), name, type: "scatter", mode: "lines", line: { width: 1.5 } });
    const daily = r.conversations_over_time.flatMap((d) => [d.opened, d.resolved, d.resolved_by_bot, d.handed_off]);
    await plot("chart-conversations", [series("opened", "opened"), series("resolved", "resolved"), series("resolved_by_bot", "resolved by the bot"), series("handed_off", "handed off")], { title: { text: "Conversations by day" }, legend: { orientation: "h", y: -0.2 }, yaxis: countAxis(daily, { title: { text: "care cycles" } }) }, "No conversations in this range.");
    const byChannel = r.conversations_by_channel.map((c) => c.conversations);
    await plot("chart-channels", [{ type: "bar", x: r.conversations_by_channel.map((c) => c.channel), y: byChannel }], { title: { text: "Conversations by channel" }, yaxis: countAxis(byChannel, { title: { text: "care cycles" } }) }, "No conversations in this range.");
    const histogram = (cycles, title, id, empty) => plot(id, [{ type: "bar", x: cycles.histogram.map((b) => b.bucket), y: cycles.histogram.map((b) => b.cycles) }], { title: { text: title + " (" + cycles.cycles + " care cycles)" }, xaxis: { tickangle: -30 }, yaxis: countAxis(cycles.histogram.map((b) => b.cycles), { title: { text: "cycles" } }) }, empty);
    await histogram(r.first_response, "First response time", "chart-first-response", "No replies from a person in this range.");
    await histogram(r.resolution_time, "Resolution time", "chart-resolution", "No resolved conversations in this range.");
    const reasons = r.handoff.reasons || [];
    await plot("chart-handoff-reasons", [{ type: "bar", orientation: "h", y: reasons.map((x) => x.reason.replace(/_/g, " ")), x: reasons.map((x) => x.count) }], { title: { text: "Handoff reasons" }, xaxis: countAxis(reasons.map((x) => x.count)), margin: { ...LAYOUT.margin, l: 160 } }, "No handoffs in this range.");
    const trend = r.satisfaction.trend || [];
    await plot("chart-satisfaction", [
      { type: "scatter", mode: "lines+markers", x: trend.map((w) => w.week), y: trend.map((w) => w.score), name: "score" },
      { type: "bar", x: trend.map((w) => w.week), y: trend.map((w) => w.responses), name: "answers", yaxis: "y2", opacity: 0.3 },
    ], { title: { text: "Satisfied by week (share rating 4 or 5)" }, yaxis: { tickformat: ".0%", range: [0, 1.05] }, yaxis2: countAxis(trend.map((w) => w.responses), { overlaying: "y", side: "right", title: { text: "answers" } }), legend: { orientation: "h", y: -0.2 }, margin: { ...LAYOUT.margin, r: 70 } }, "No survey answers in this range.");
    table($("table-unanswered"), "Top unanswered questions", [
      { key: "question", label: "Question", value: (q) => q.question },
      { key: "count", label: "Times asked", value: (q) => q.count, number: true },
      // The customers' own words, one a line, as text (the table sets textContent).
      { key: "examples", label: "As customers wrote it", value: (q) => q.examples, show: (q) => (q.examples || []).map((e) => "“" + e + "”").join("\n"), cell: "message" },
    ], r.knowledge.top_unanswered || [], "unanswered-questions.csv");
    // Common topics customers asked about that the help centre never covers: the
    // articles worth writing (`switchboard kb gaps` lists every such topic).
    table($("table-not-covered"), "Asked about, not in the help centre", [
      { key: "topic", label: "Topic", value: (t) => t.topic },
      { key: "count", label: "Questions", value: (t) => t.count, number: true },
    ], r.knowledge.not_covered || [], "not-covered-topics.csv");
    await drawUnhappy(params);
    table($("table-agents"), "Agents", [
      { key: "agent", label: "Agent", value: (a) => a.agent },
      { key: "conversations", label: "Conversations", value: (a) => a.conversations, number: true },
      { key: "replies", label: "Replies", value: (a) => a.replies, number: true },
      { key: "median_reply_seconds", label: "Median reply", value: (a) => a.median_reply_seconds, show: (a) => duration(a.median_reply_seconds), number: true },
    ], r.agents || [], "agents.csv");
    // The chart has every day of the range; the table and its CSV only the days on which
    // something happened, so a year's range is not a page of zero rows. Of those the table
    // shows the last two weeks' worth until asked for all (a year of busy days was some
    // 11,000 px of page); the CSV has them all.
    const busyDays = r.conversations_over_time.filter((d) => d.opened || d.resolved || d.resolved_by_bot || d.handed_off);
    table($("table-over-time"), "Conversations by day (days with activity)", [
      { key: "day", label: "Day", value: (d) => d.day },
      { key: "opened", label: "Opened", value: (d) => d.opened, number: true },
      { key: "resolved", label: "Resolved", value: (d) => d.resolved, number: true },
      { key: "resolved_by_bot", label: "Resolved by the bot", value: (d) => d.resolved_by_bot, number: true },
      { key: "handed_off", label: "Handed off", value: (d) => d.handed_off, number: true },
    ], busyDays, "conversations-by-day.csv", "No conversations in the range.", { rows: 14, unit: "days with activity" });
  }

  // The words behind the satisfaction score: the latest answers rated 1 or 2 in the
  // range, with the customer's comment (GET /api/v1/surveys, the same filters; each
  // customer shown is an audited read, so only these few are fetched).
  const UNHAPPY = 20;
  async function drawUnhappy(params) {
    const { status, body } = await api("/api/v1/surveys", { ...params, max_score: 2, limit: UNHAPPY });
    const title = "Unhappy survey answers (rated 1 or 2, the latest " + UNHAPPY + ")";
    if (status !== 200) { $("table-unhappy").textContent = title + ": could not be loaded (" + status + ")."; return; }
    table($("table-unhappy"), title, [
      { key: "answered_at", label: "Answered", value: (s) => s.answered_at, show: (s) => when(s.answered_at) },
      { key: "score", label: "Rating", value: (s) => s.score, number: true },
      { key: "comment", label: "Comment", value: (s) => s.comment },
      { key: "customer_id", label: "Customer", value: (s) => s.customer.id, show: (s) => s.customer.name || "customer #" + s.customer.id, open: (s) => s.customer.id },
      { key: "channel", label: "Channel", value: (s) => s.channel, show: (s) => CHANNEL_NAMES[s.channel] || s.channel },
      { key: "resolved_by", label: "Resolved by", value: (s) => s.staff ? s.staff.name : s.resolved_by, show: (s) => s.staff ? s.staff.name : s.resolved_by === "bot" ? "the bot" : "an agent" },
    ], body.surveys, "unhappy-survey-answers.csv", "No rating of 1 or 2 in the range.");
  }

  // ---- customers -------------------------------------------------------------------
  async function drawCustomers(params) {
    const [rfm, value, segments] = await Promise.all([
      api("/api/v1/analytics/rfm", params),
      api("/api/v1/analytics/lifetime-value", params),
      api("/api/v1/analytics/segments", params),
    ]);
    for (const answer of [rfm, value, segments]) {
      if (answer.status !== 200) throw new Error((answer.body && answer.body.error) || "error " + answer.status);
    }
    $("computed-at").textContent = rfm.body.computed_at || "never: run switchboard analytics refit";
    const unit = unitOf(value.body.currencies);
    const inUnit = unit ? " (" + unit + ")" : "";
    const amount = (cents) => cents === null || !unit ? money(cents) : money(cents) + " " + unit;
    $("currency-note").textContent = currencyNote(value.body.currencies);
    const cells = rfm.body.cells;
    const z = [1, 2, 3, 4, 5].map((f) => [1, 2, 3, 4, 5].map((r) => cells.find((c) => c.recency_score === r && c.frequency_score === f).customers));
    await plot("chart-rfm", [{
      type: "heatmap", x: [1, 2, 3, 4, 5], y: [1, 2, 3, 4, 5], z, colorscale: "Blues", reversescale: true,
      text: z.map((row) => row.map(String)), texttemplate: "%{text}", hovertemplate: "R %{x}, F %{y}: %{z} customers<extra></extra>",
    }], { title: { text: "RFM grid (customers)" }, xaxis: { title: { text: "recency score (5: most recent)" }, dtick: 1 }, yaxis: { title: { text: "frequency score (5: most often)" }, dtick: 1 } }, "No customers bought in this range.");
    table($("table-rfm"), "RFM grid", [
      { key: "recency_score", label: "Recency score", value: (c) => c.recency_score, number: true },
      { key: "frequency_score", label: "Frequency score", value: (c) => c.frequency_score, number: true },
      { key: "customers", label: "Customers", value: (c) => c.customers, number: true },
      { key: "spend_cents", label: "Lifetime spend" + inUnit, value: (c) => c.spend_cents, show: (c) => money(c.spend_cents), number: true },
    ], cells.filter((c) => c.customers > 0), "rfm-grid.csv");

    const v = value.body;
    // The period is the last refit's horizon (52 weeks unless refitted with another).
    const ahead = v.horizon_weeks ? "next " + v.horizon_weeks + " weeks" : "";
    const label = (b) => money(b.low_cents) + (b.high_cents === null ? "+" : "–" + money(b.high_cents));
    await plot("chart-value", [{ type: "bar", x: v.buckets.map(label), y: v.buckets.map((b) => b.customers) }],
      { title: { text: "Predicted lifetime value" + (ahead ? " (" + ahead + ")" : "") }, xaxis: { title: { text: "value" + inUnit } }, yaxis: countAxis(v.buckets.map((b) => b.customers), { title: { text: "customers" } }) }, "No customers with a predicted value in this range.");
    tiles($("value-tiles"), [
      { figure: String(v.customers), label: "customers with a predicted value" },
      // Said as predicted, with its period: beside the tables' "Lifetime spend" (and
      // Slack's, spent so far) a bare "lifetime value" reads as money already spent.
      { figure: amount(v.median_cents), label: "median predicted value" + (ahead ? ", " + ahead : "") },
      { figure: amount(v.p90_cents), label: "90th percentile of predicted value" },
      { figure: amount(v.total_cents), label: "total predicted value" + (ahead ? ", " + ahead : "") },
    ]);
    table($("table-value"), "Lifetime value distribution", [
      { key: "low_cents", label: "From" + inUnit, value: (b) => b.low_cents, show: (b) => money(b.low_cents), number: true },
      { key: "high_cents", label: "To" + inUnit, value: (b) => b.high_cents, show: (b) => b.high_cents === null ? "and above" : money(b.high_cents), number: true },
      { key: "customers", label: "Customers", value: (b) => b.customers, number: true },
    ], v.buckets, "lifetime-value.csv");

    const s = segments.body.segments;
    await plot("chart-segments", [{ type: "bar", x: s.map((x) => x.segment), y: s.map((x) => x.customers), marker: { color: ["#2f6fde", "#38a169", "#dd6b20", "#718096"] } }],
      { title: { text: "Segment sizes" }, yaxis: countAxis(s.map((x) => x.customers), { title: { text: "customers" } }) }, "No customers in this range.");
    table($("table-segments"), "Segments", [
      { key: "segment", label: "Segment", value: (x) => x.segment },
      { key: "customers", label: "Customers", value: (x) => x.customers, number: true },
      { key: "spend_cents", label: "Lifetime spend" + inUnit, value: (x) => x.spend_cents, show: (x) => money(x.spend_cents), number: true },
      { key: "meaning", label: "Meaning (silent: the stage at_risk or lapsed at the refit)", value: (x) => x.meaning },
    ], s, "segments.csv");
  }

  // ---- leads -----------------------------------------------------------------------
  const factorText = (f) => f.field + " = " + f.value + " (×" + f.odds_ratio + ")";

  async function drawLeads(params) {
    const { status, body } = await api("/api/v1/analytics/lead-scores", params);
    if (status !== 200) throw new Error((body && body.error) || "error " + status);
    $("leads-scored-at").textContent = body.computed_at || "never: run switchboard analytics refit";
    const owners = body.owners;
    const name = (o) => o.owner ? o.owner.name : "nobody";
    await plot("chart-owners", [
      { type: "bar", orientation: "h", y: owners.map(name), x: owners.map((o) => o.expected_wins), name: "expected wins" },
      { type: "bar", orientation: "h", y: owners.map(name), x: owners.map((o) => o.leads), name: "open leads" },
    ], { title: { text: "Lead scores by owner" }, barmode: "group", margin: { ...LAYOUT.margin, l: 130 } });
    table($("table-owners"), "Owners", [
      { key: "owner", label: "Owner", value: name },
      { key: "leads", label: "Open leads", value: (o) => o.leads, number: true },
      { key: "scored", label: "Scored", value: (o) => o.scored, number: true },
      { key: "expected_wins", label: "Expected wins", value: (o) => o.expected_wins, number: true },
      { key: "mean_probability", label: "Mean probability", value: (o) => o.mean_probability, show: (o) => percent(o.mean_probability), number: true },
    ], owners, "lead-owners.csv");
    table($("table-leads"), "Leads to call first", [
      { key: "probability", label: "Probability", value: (l) => l.probability, show: (l) => l.probability === null ? "not scored yet" : percent(l.probability), number: true },
      { key: "customer", label: "Customer", value: (l) => l.customer.name, open: (l) => l.customer.id },
      { key: "email", label: "Email", value: (l) => l.customer.email },
      { key: "company", label: "Company", value: (l) => l.company },
      { key: "owner", label: "Owner", value: (l) => l.owner && l.owner.name },
      { key: "status", label: "Status", value: (l) => l.status },
      { key: "source_channel", label: "Came by", value: (l) => l.source_channel },
      { key: "factors", label: "Top factors", value: (l) => l.factors.map(factorText), show: (l) => l.factors.map(factorText).join("; ") },
      { key: "created_at", label: "Opened", value: (l) => l.created_at, show: (l) => when(l.created_at) },
    ], body.leads, "leads.csv");
  }

  // ---- retention (admins) ---------------------------------------------------------
  // One row per kind the retention job removes: its limit from the policy, what the last
  // run here removed and what a run would remove now (GET /api/v1/retention).
  const RETENTION_KINDS = [
    { kind: "conversations", policy: "conversations_months", what: "Resolved conversations (their texts)" },
    { kind: "closed_tickets", policy: "closed_tickets_months", what: "Closed tickets" },
    { kind: "attachments", policy: "attachments_months", what: "Attachments" },
  ];
  const keptFor = (months) => months ? months + (months === 1 ? " month" : " months") : "kept forever";

  async function drawRetention() {
    const { status, body } = await api("/api/v1/retention");
    const note = $("retention-status");
    if (status !== 200) {
      $("table-retention").replaceChildren();
      note.textContent = "Retention could not be loaded: " + ((body && body.error) || status);
      return;
    }
    const policy = body.policy;
    const on = RETENTION_KINDS.some((k) => policy[k.policy]);
    const last = body.last_run;
    note.textContent = !on ? "Off: no limit is set, so everything is kept forever."
      : "Runs every " + policy.every_hours + " hours. " + (last ? "Last run: " + last.finished_at + "." : "No run on this server since it started.");
    const rows = RETENTION_KINDS.map((k) => ({
      ...k,
      months: policy[k.policy],
      last: last ? last.removed[k.kind] : null,
      due: body.due_now[k.kind],
    }));
    table($("table-retention"), "Retention policy", [
      { key: "kind", label: "What", value: (r) => r.kind, show: (r) => r.what },
      { key: "months", label: "Kept for", value: (r) => r.months, show: (r) => keptFor(r.months) },
      { key: "last_run_removed", label: "Removed by the last run", value: (r) => r.last, show: (r) => r.last === null ? "–" : String(r.last), number: true },
      { key: "due_now", label: "Due now", value: (r) => r.due, number: true },
    ], rows, "retention.csv");
  }

  // ---- the page --------------------------------------------------------------------
  const visible = (section) => who && section.dataset.roles.split(" ").includes(who.role);

  async function refresh() {
    const error = $("filter-error");
    error.textContent = "";
    if (!$("from").value || !$("to").value || $("from").value > $("to").value) {
      error.textContent = "Pick a range whose first day is not after its last.";
      return;
    }
    // The filters are read once, here: a drawer reads them after waiting for its first
    // answers, when they may have changed into a range refused above.
    const params = filterParams();
    const drawers = { handoffs: drawHandoffs, support: drawSupport, customers: drawCustomers, leads: drawLeads, retention: drawRetention };
    document.body.dataset.loading = "true";
    const runs = Object.entries(drawers)
      .filter(([id]) => visible($(id)))
      .map(([id, draw]) => draw(params).catch((problem) => { error.textContent = id + ": " + problem.message; }));
    await Promise.all(runs);
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
    delete document.body.dataset.loading;
  }

  function setRange(days) {
    const today = new Date();
    $("to").value = today.toISOString().slice(0, 10);
    $("from").value = new Date(today.getTime() - (days - 1) * DAY_MS).toISOString().slice(0, 10);
  }

  function showSignedIn(member) {
    who = member;
    $("who-name").textContent = member.name;
    $("who-role").textContent = member.role;
    $("who").hidden = false;
    $("sign-in").hidden = true;
    for (const section of document.querySelectorAll("section.panel")) section.hidden = !visible(section);
    // A role with no section (marketing) would otherwise see filters over an empty page; the
    // shop role cannot sign in (POST /api/v1/staff-session refuses it).
    const shown = [...document.querySelectorAll("section.panel")].some(visible);
    $("nothing-shown-role").textContent = member.role;
    $("nothing-shown").hidden = shown;
    $("filters").hidden = !shown;
    return refresh();
  }

  function showSignIn(message) {
    who = null;
    $("who").hidden = true;
    $("filters").hidden = true;
    for (const section of document.querySelectorAll("section.panel")) section.hidden = true;
    $("nothing-shown").hidden = true;
    // Nothing of the last customer looked at stays in the page for the next person, nor
    // the handoff open or the token given to answer it.
    closeHandoff();
    desk.token = null;
    shownCustomer = null;
    lookups += 1;  // and no lookup still under way shows one
    $("customer-found").hidden = true;
    $("customer-history").replaceChildren();
    $("customer-status").textContent = "";
    $("sign-in").hidden = false;
    $("sign-in-error").textContent = message || "";
  }

  async function start() {
    setRange(365);
    $("sign-in-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const { status, body } = await api("/api/v1/staff-session", null, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ token: $("token").value.trim() }),
      });
      $("token").value = "";
      if (status === 200) await showSignedIn(body);
      else showSignIn((body && body.error) || "Sign-in failed (" + status + ").");
    });
    $("sign-out").addEventListener("click", async () => {
      await api("/api/v1/staff-session", null, { method: "DELETE" });
      showSignIn("Signed out.");
    });
    for (const input of ["from", "to", "channel"]) $(input).addEventListener("change", refresh);
    for (const preset of document.querySelectorAll(".presets button")) {
      preset.addEventListener("click", () => { setRange(Number(preset.dataset.days)); refresh(); });
    }
    $("handoffs-refresh").addEventListener("click", drawHandoffs);
    $("handoff-token-form").addEventListener("submit", useToken);
    $("handoff-reply-form").addEventListener("submit", answerHandoff);
    $("handoff-claim").addEventListener("click", (event) => act("/claim", null, event.currentTarget, $("handoff-text")));
    $("handoff-resolve").addEventListener("click", (event) => act("/resolve", null, event.currentTarget, $("handoff-title")));
    $("handoff-return").addEventListener("click", (event) => act("/return-to-bot", null, event.currentTarget, $("handoff-title")));
    $("handoff-close").addEventListener("click", () => { closeHandoff(); $("handoffs-title").focus(); });
    $("customer-form").addEventListener("submit", findCustomer);
    $("privacy-form").addEventListener("submit", privacyRequest);
    // 204: nobody is signed in in this browser (no error in the console); 401: a session
    // that has ended, whose reason the sign-in form shows.
    const { status, body } = await api("/api/v1/staff-session");
    if (status === 200) await showSignedIn(body);
    else showSignIn(status === 204 ? "" : (body && body.error) || "Could not check the sign-in (" + status + ").");
  }

  start();
})();
