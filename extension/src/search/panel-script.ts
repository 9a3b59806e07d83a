// The search panel's script, run in the webview: plain JS, every text through textContent (no innerHTML with data).
// Results come grouped by file (a header with the count, its hits below); each hit shows the lines that matched,
// dedented, and why it ranked once it has the focus. Enter opens at the matched line, Alt+Enter to the side.
import { dedentRows, expandTabs, highlightRanges, parseSnippet } from "./snippet-view.ts";

/** The webview's script: the snippet helpers (their own source), then the panel. */
export function panelScript(): string {
  // Named here: the bundle is minified, so a function's own name is not the one the script calls.
  const named: [string, (...args: never[]) => unknown][] = [["parseSnippet", parseSnippet], ["expandTabs", expandTabs], ["dedentRows", dedentRows], ["highlightRanges", highlightRanges]];
  const helpers = named.map(([name, f]) => `const ${name} = (${f.toString()});`).join("\n");
  return `(function () {\n${helpers}\n${PANEL}\n})();`;
}

// No `${` and no backquotes below: this is a String.raw template.
const PANEL = String.raw`
  const vscode = acquireVsCodeApi();
  const $ = (id) => document.getElementById(id);
  const form = $("search-form"), query = $("query"), list = $("results"), status = $("status"), conn = $("connection");
  const terms$ = $("searched"), bar = $("selection-bar"), filters = $("filters"), toggle = $("filters-toggle");
  const fields = { language: $("filter-language"), under: $("filter-under"), repo: $("filter-repo") };
  const SVG = "http://www.w3.org/2000/svg";
  let results = [], terms = [], tabSizes = [], focused = -1, anchor = -1, timer = undefined, lastSent = "";
  const selected = new Set();
  const saved = vscode.getState() || {};
  query.value = saved.query || "";
  for (const k in fields) fields[k].value = (saved.filters || {})[k] || "";
  if (saved.filtersOpen) { filters.hidden = false; toggle.setAttribute("aria-expanded", "true"); }

  function save() {
    const f = {}; for (const k in fields) f[k] = fields[k].value;
    vscode.setState({ query: query.value, filters: f, filtersOpen: !filters.hidden });
  }
  function setStatus(state, text) { status.dataset.state = state; status.textContent = text; }
  function setSearched(words) {
    terms$.textContent = "";
    terms$.hidden = !words.length;
    if (!words.length) return;
    terms$.appendChild(document.createTextNode("Searched for: "));
    words.forEach((w, i) => { if (i) terms$.appendChild(document.createTextNode(" ")); const c = document.createElement("code"); c.textContent = w; terms$.appendChild(c); });
  }
  const IDLE = "Type what you are looking for: a behaviour, an identifier, an error message.";
  function clearResults(state, text) {
    results = []; terms = []; selected.clear(); focused = -1; render(); setSearched([]);
    setStatus(state, text);
  }
  function send(force) {
    const q = query.value.trim();
    const f = {}; for (const k in fields) f[k] = fields[k].value.trim();
    const key = JSON.stringify([q, f]);
    save();
    if (!q) { clearResults("idle", IDLE); lastSent = ""; return; }
    if (!force && key === lastSent) return;
    lastSent = key;
    setStatus("searching", "Searching…");
    vscode.postMessage({ type: "search", query: q, language: f.language, under: f.under, repo: f.repo });
  }

  function icon(kind) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", "16"); svg.setAttribute("height", "16"); svg.setAttribute("viewBox", "0 0 16 16"); svg.setAttribute("aria-hidden", "true");
    const shape = (name, attrs) => { const e = document.createElementNS(SVG, name); for (const a in attrs) e.setAttribute(a, attrs[a]); svg.appendChild(e); };
    const line = { fill: "none", stroke: "currentColor", "stroke-width": "1" };
    if (kind === "side") { shape("rect", Object.assign({ x: "1.5", y: "2.5", width: "13", height: "11", rx: "1" }, line)); shape("path", Object.assign({ d: "M8 2.5v11" }, line)); }
    else if (kind === "chat") { shape("path", Object.assign({ d: "M2.5 3.5h11v7h-6l-3 2.5v-2.5h-2z" }, line)); shape("path", Object.assign({ d: "M8 5v4M6 7h4" }, line)); }
    else if (kind === "copy") { shape("rect", Object.assign({ x: "4.5", y: "4.5", width: "9", height: "10", rx: "1" }, line)); shape("path", Object.assign({ d: "M2.5 11.5v-9a1 1 0 0 1 1-1h7" }, line)); }
    else if (kind === "chevron") { shape("path", Object.assign({ d: "M5.5 4l4 4-4 4" }, line)); }
    return svg;
  }
  function button(cls, kind, title, onClick) {
    const b = document.createElement("button");
    b.type = "button"; b.className = "icon action " + cls; b.title = title; b.setAttribute("aria-label", title); b.tabIndex = -1;
    b.appendChild(icon(kind));
    b.addEventListener("click", (e) => { e.stopPropagation(); onClick(); });
    return b;
  }

  function fillLine(el, text) {
    const ranges = highlightRanges(text, terms);
    let last = 0;
    for (const [s, e] of ranges) {
      if (s < last) continue;
      if (s > last) el.appendChild(document.createTextNode(text.slice(last, s)));
      const mark = document.createElement("mark"); mark.textContent = text.slice(s, e); el.appendChild(mark);
      last = e;
    }
    if (last < text.length) el.appendChild(document.createTextNode(text.slice(last)));
  }
  function snippetView(r, i) {
    const box = document.createElement("div"); box.className = "result-snippet";
    const matched = new Set(r.match_lines || []);
    const tab = tabSizes[i] || 4;
    const rows = dedentRows(parseSnippet(r.snippet || "", r.start_line).map((row) => ({ line: row.line, text: expandTabs(row.text, tab) })));
    for (const row of rows) {
      const div = document.createElement("div");
      if (row.line === null) { div.className = "row elided"; div.textContent = "⋯"; box.appendChild(div); continue; }
      div.className = "row" + (matched.has(row.line) ? " match" : "");
      div.dataset.line = String(row.line);
      const ln = document.createElement("span"); ln.className = "ln"; ln.textContent = String(row.line);
      const code = document.createElement("span"); code.className = "code";
      fillLine(code, row.text);
      div.appendChild(ln); div.appendChild(code);
      box.appendChild(div);
    }
    return box;
  }
  function whyOf(r) {
    const seen = []; for (const w of r.why || []) if (!seen.includes(w)) seen.push(w);
    return seen.join(" · ") + (typeof r.score === "number" ? " · score " + r.score : "");
  }
  function resultItem(r, i) {
    const li = document.createElement("li");
    li.className = "result"; li.tabIndex = -1; li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
    li.dataset.index = String(i); li.dataset.path = r.path; li.dataset.startLine = String(r.start_line); li.dataset.endLine = String(r.end_line);
    li.dataset.matchLine = String(r.match_line || r.start_line);
    li.dataset.vscodeContext = JSON.stringify({ webviewSection: "result", index: i, preventDefaultContextMenuItems: true });
    const head = document.createElement("div"); head.className = "result-head";
    const at = document.createElement("span"); at.className = "result-line"; at.textContent = ":" + (r.match_line || r.start_line);
    at.title = r.path + ":" + r.start_line + "-" + r.end_line;
    head.appendChild(at);
    const sym = document.createElement("span"); sym.className = "result-symbol"; sym.textContent = r.symbol_path || r.symbol || "";
    head.appendChild(sym);
    const actions = document.createElement("span"); actions.className = "result-actions";
    actions.appendChild(button("open-side", "side", "Open to the Side (Alt+Enter)", () => open(i, true)));
    actions.appendChild(button("add-to-chat", "chat", "Add to Chat (Ctrl+Enter)", () => act("chat", i)));
    actions.appendChild(button("copy-path", "copy", "Copy Path:Line", () => act("copyPath", i)));
    head.appendChild(actions);
    li.appendChild(head);
    li.appendChild(snippetView(r, i));
    const why = document.createElement("div"); why.className = "result-why"; why.textContent = whyOf(r);
    li.appendChild(why);
    li.setAttribute("aria-label", r.path + " line " + (r.match_line || r.start_line) + (sym.textContent ? ", " + sym.textContent : ""));
    li.addEventListener("click", (e) => {
      if (e.shiftKey) { selectRange(i); return; }
      if (e.ctrlKey || e.metaKey) { toggleSelected(i); return; }
      focus(i, false, true); open(i, e.altKey);
    });
    // Focus (a click's mousedown, Tab) moves the cursor only; clicks and keys decide the selection.
    li.addEventListener("focus", () => { if (focused !== i) { focused = i; updateSelection(); } });
    return li;
  }
  function render() {
    list.textContent = "";
    const groups = new Map();
    results.forEach((r, i) => {
      const key = r.repo + "\u0000" + r.path;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(i);
    });
    const repos = new Set(results.map((r) => r.repo));
    for (const idx of groups.values()) {
      const first = results[idx[0]];
      const group = document.createElement("li"); group.className = "file-group"; group.setAttribute("role", "presentation"); group.dataset.path = first.path;
      const head = document.createElement("div"); head.className = "file-head"; head.title = first.path + (repos.size > 1 ? " (" + first.repo + ")" : "");
      head.appendChild(icon("chevron"));
      const slash = first.path.lastIndexOf("/");
      const name = document.createElement("span"); name.className = "file-name"; name.textContent = first.path.slice(slash + 1);
      const dir = document.createElement("span"); dir.className = "file-dir"; dir.textContent = slash > 0 ? first.path.slice(0, slash) : "";
      const count = document.createElement("span"); count.className = "file-count"; count.textContent = String(idx.length);
      count.title = idx.length + " result" + (idx.length === 1 ? "" : "s") + " in this file";
      head.appendChild(name); head.appendChild(dir); head.appendChild(count);
      head.addEventListener("click", () => { group.classList.toggle("collapsed"); });
      group.appendChild(head);
      const hits = document.createElement("ul"); hits.className = "file-hits"; hits.setAttribute("role", "group");
      for (const i of idx) hits.appendChild(resultItem(results[i], i));
      group.appendChild(hits);
      list.appendChild(group);
    }
    updateSelection();
    showMarks();
  }
  /**
   * A long line whose first marked word lies past the panel's width is scrolled to show it (faded at the left, so the
   * cut is visible), as the editor's own search shows a match inside a long line; the text itself stays whole.
   */
  function showMarks() {
    list.querySelectorAll(".row .code").forEach((code) => {
      code.scrollLeft = 0; code.parentElement.classList.remove("shifted");
      const mark = code.querySelector("mark");
      if (!mark || mark.offsetLeft + mark.offsetWidth <= code.clientWidth) return;
      code.scrollLeft = Math.max(0, mark.offsetLeft - 24);
      code.parentElement.classList.add("shifted");
    });
  }
  function items() { return list.querySelectorAll(".result"); }
  function order() { return Array.from(items()).map((el) => Number(el.dataset.index)); }
  function updateSelection() {
    items().forEach((el) => {
      const i = Number(el.dataset.index);
      el.setAttribute("aria-selected", selected.has(i) ? "true" : "false");
      el.classList.toggle("focused", i === focused);
    });
    const n = selected.size;
    bar.hidden = n < 2;
    $("selection-count").textContent = n + " selected";
    // The host applies context-menu actions to the selection too.
    vscode.postMessage({ type: "selection", indices: order().filter((k) => selected.has(k)) });
  }
  function focus(i, moveFocus, alone) {
    const el = list.querySelector('.result[data-index="' + i + '"]');
    if (!el) return;
    focused = i; anchor = alone ? i : anchor;
    if (alone) { selected.clear(); selected.add(i); }
    const group = el.closest(".file-group"); if (group) group.classList.remove("collapsed");
    updateSelection();
    if (moveFocus) el.focus();
    el.scrollIntoView({ block: "nearest" });
  }
  function toggleSelected(i) {
    if (selected.has(i)) selected.delete(i); else selected.add(i);
    focused = i; anchor = i; updateSelection();
  }
  function selectRange(i) {
    const o = order(); const a = o.indexOf(anchor < 0 ? i : anchor), b = o.indexOf(i);
    selected.clear();
    for (let k = Math.min(a, b); k <= Math.max(a, b); k++) selected.add(o[k]);
    focused = i; updateSelection();
  }
  function move(delta, extend) {
    const o = order(); if (!o.length) return;
    const at = o.indexOf(focused);
    const next = o[Math.max(0, Math.min(o.length - 1, at < 0 ? 0 : at + delta))];
    if (extend) { if (anchor < 0) anchor = focused < 0 ? next : focused; focus(next, true, false); selectRange(next); }
    else focus(next, true, true);
  }
  /** The results an action applies to: the selection when the acted-on result is part of it, else that result alone. */
  function targets(i) { return selected.has(i) && selected.size > 1 ? order().filter((k) => selected.has(k)) : [i]; }
  function open(i, side) { if (results[i]) vscode.postMessage({ type: "open", index: i, side: !!side }); }
  function act(action, i) { if (results[i]) vscode.postMessage({ type: "action", action: action, indices: targets(i) }); }

  form.addEventListener("submit", (e) => { e.preventDefault(); clearTimeout(timer); send(true); });
  query.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => send(false), 400); });
  for (const k in fields) fields[k].addEventListener("change", () => send(true));
  toggle.addEventListener("click", () => { filters.hidden = !filters.hidden; toggle.setAttribute("aria-expanded", String(!filters.hidden)); save(); if (!filters.hidden) fields.language.focus(); });
  $("selection-chat").addEventListener("click", () => { if (selected.size) act("chat", order().find((k) => selected.has(k))); });
  $("selection-copy").addEventListener("click", () => { if (selected.size) act("copyContext", order().find((k) => selected.has(k))); });
  $("selection-clear").addEventListener("click", () => { selected.clear(); if (focused >= 0) selected.add(focused); updateSelection(); });
  query.addEventListener("keydown", (e) => { if (e.key === "ArrowDown" && results.length) { e.preventDefault(); move(0, false); const o = order(); focus(o[0], true, true); } });
  list.addEventListener("keydown", (e) => {
    const mod = e.ctrlKey || e.metaKey;
    if (e.key === "ArrowDown") { e.preventDefault(); move(1, e.shiftKey); }
    else if (e.key === "ArrowUp") {
      e.preventDefault();
      if (!e.shiftKey && order().indexOf(focused) <= 0) { focused = -1; updateSelection(); query.focus(); } else move(-1, e.shiftKey);
    }
    else if (e.key === "Enter" && mod) { e.preventDefault(); act("chat", focused); }
    else if (e.key === "Enter") { e.preventDefault(); open(focused, e.altKey); }
    else if (e.key === " ") { e.preventDefault(); toggleSelected(focused); }
    else if (e.key === "Escape") { e.preventDefault(); query.focus(); }
    else if (e.key === "Home") { e.preventDefault(); focus(order()[0], true, true); }
    else if (e.key === "End") { e.preventDefault(); const o = order(); focus(o[o.length - 1], true, true); }
    else if ((e.key === "c" || e.key === "C") && mod && !String(window.getSelection() || "")) { e.preventDefault(); act(e.shiftKey ? "copyContext" : "copyPath", focused); }
  });
  window.addEventListener("message", (ev) => {
    const m = ev.data;
    if (m.type === "results") {
      results = m.results; terms = m.terms || []; tabSizes = m.tabSizes || []; selected.clear(); focused = -1; anchor = -1;
      render();
      if (!results.length) {
        setStatus("empty", m.note || ("No results for “" + m.query + "”. Try other words, an identifier, or fewer filters."));
        setSearched(terms);
      } else {
        const files = new Set(results.map((r) => r.repo + "\u0000" + r.path)).size;
        setStatus("results", results.length + " result" + (results.length === 1 ? "" : "s") + " in " + files + " file" + (files === 1 ? "" : "s") + " · " + m.tookMs + " ms");
        setSearched([]);
      }
    } else if (m.type === "error") {
      clearResults("error", m.message + " ");
      lastSent = "";
      const act = document.createElement("a");
      act.id = "status-action"; act.href = "#"; act.textContent = "Show status and actions";
      act.addEventListener("click", (e) => { e.preventDefault(); vscode.postMessage({ type: "command", id: "contextEngine.showStatus" }); });
      status.appendChild(act);
    } else if (m.type === "connection") {
      const wasReady = conn.dataset.phase === "ready";
      conn.dataset.phase = m.phase;
      conn.hidden = m.phase === "ready";
      conn.textContent = m.text;
      // Results from an engine that is gone (an error, a stop, a switch of cluster or mode) would be stale.
      if ((m.phase === "error" || m.phase === "stopped") && results.length) clearResults("idle", "Results cleared: the engine they came from is not connected.");
      // The engine just became ready: a search that found nothing (or failed) while it was indexing runs again.
      if (m.phase === "ready" && !wasReady && (status.dataset.state === "empty" || status.dataset.state === "error" || status.dataset.state === "idle") && query.value.trim()) send(true);
    } else if (m.type === "focus") {
      query.focus(); query.select();
    } else if (m.type === "setQuery") {
      query.value = m.query; query.focus(); send(true);
    }
  });
  // The side bar's width changes what fits on a line.
  new ResizeObserver(() => showMarks()).observe(list);
  setStatus("idle", IDLE);
  vscode.postMessage({ type: "ready" });
  if (query.value.trim()) send(true);
  query.focus();
`;
