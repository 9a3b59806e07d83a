// The search panel's HTML: strict CSP with a nonce, no remote resources, theme colours, inline SVG icons
// (codicon shapes). DOM ids and classes are a contract with the e2e tests (see README "Search panel DOM").
import { randomBytes } from "node:crypto";

export function makeNonce(): string {
  return randomBytes(18).toString("base64").replace(/[^A-Za-z0-9]/g, "");
}

export function csp(nonce: string, cspSource: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join("; ");
}

const ICON_SEARCH = `<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true"><path fill="currentColor" d="M15.25 14.19l-4.06-4.06a5.5 5.5 0 1 0-1.06 1.06l4.06 4.06 1.06-1.06zM2 6.5a4.5 4.5 0 1 1 9 0 4.5 4.5 0 0 1-9 0z"/></svg>`;
const ICON_FILTER = `<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true"><path fill="currentColor" d="M6 12v-1h4v1H6zM4 7h8v1H4V7zm-2-4h12v1H2V3z"/></svg>`;

const STYLE = `
  body { padding: 0 8px 8px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  form { display: flex; gap: 4px; margin: 8px 0 4px; }
  input { flex: 1; min-width: 0; box-sizing: border-box; padding: 3px 6px; color: var(--vscode-input-foreground); background: var(--vscode-input-background);
    border: 1px solid var(--vscode-input-border, transparent); border-radius: 2px; font: inherit; }
  input:focus { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
  button { display: inline-flex; align-items: center; justify-content: center; padding: 2px 6px; color: var(--vscode-button-foreground);
    background: var(--vscode-button-background); border: none; border-radius: 2px; cursor: pointer; }
  button:hover { background: var(--vscode-button-hoverBackground); }
  button.icon { color: var(--vscode-icon-foreground); background: transparent; }
  button.icon:hover, button.icon[aria-expanded="true"] { background: var(--vscode-toolbar-hoverBackground); }
  #filters { display: grid; grid-template-columns: auto 1fr; gap: 4px 6px; align-items: center; margin: 4px 0; }
  #filters[hidden] { display: none; }
  #filters label { color: var(--vscode-descriptionForeground); }
  #connection { margin: 4px 0; padding: 4px 6px; border-radius: 2px; background: var(--vscode-inputValidation-infoBackground); border: 1px solid var(--vscode-inputValidation-infoBorder, transparent); }
  #connection[data-phase="error"] { background: var(--vscode-inputValidation-errorBackground); border-color: var(--vscode-inputValidation-errorBorder, transparent); }
  #connection[hidden] { display: none; }
  #status { margin: 6px 0; color: var(--vscode-descriptionForeground); }
  #status[data-state="error"] { color: var(--vscode-errorForeground); }
  #status a { color: var(--vscode-textLink-foreground); }
  #results { list-style: none; margin: 0; padding: 0; }
  .result { padding: 4px 6px; margin: 0 -6px; border-radius: 2px; cursor: pointer; outline: none; }
  .result:hover { background: var(--vscode-list-hoverBackground); }
  .result[aria-selected="true"], .result:focus { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
  .result-head { display: flex; gap: 6px; align-items: baseline; overflow: hidden; }
  .result-path { flex: 0 1 auto; min-width: 0; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; direction: rtl; text-align: left; }
  .result-path bdi { direction: ltr; unicode-bidi: isolate; }
  .result-symbol { flex: 0 100 auto; min-width: 3em; color: var(--vscode-symbolIcon-functionForeground, var(--vscode-descriptionForeground)); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .result-snippet { margin: 2px 0 0; padding: 2px 4px; max-height: 7.5em; overflow: hidden; white-space: pre; font-family: var(--vscode-editor-font-family);
    font-size: var(--vscode-editor-font-size); background: var(--vscode-textCodeBlock-background); border-radius: 2px; }
  mark { color: inherit; background: var(--vscode-editor-findMatchHighlightBackground); }
`;

// Runs in the webview. Plain JS; every text goes through textContent (no innerHTML with data).
const SCRIPT = `
(function () {
  const vscode = acquireVsCodeApi();
  const $ = (id) => document.getElementById(id);
  const form = $("search-form"), query = $("query"), list = $("results"), status = $("status"), conn = $("connection");
  const filters = $("filters"), toggle = $("filters-toggle");
  const fields = { language: $("filter-language"), under: $("filter-under"), repo: $("filter-repo") };
  let results = [], selected = -1, timer = undefined, lastSent = "";
  const saved = vscode.getState() || {};
  query.value = saved.query || "";
  for (const k in fields) fields[k].value = (saved.filters || {})[k] || "";
  if (saved.filtersOpen) { filters.hidden = false; toggle.setAttribute("aria-expanded", "true"); }

  function save() {
    const f = {}; for (const k in fields) f[k] = fields[k].value;
    vscode.setState({ query: query.value, filters: f, filtersOpen: !filters.hidden });
  }
  function setStatus(state, text) { status.dataset.state = state; status.textContent = text; }
  function send(force) {
    const q = query.value.trim();
    const f = {}; for (const k in fields) f[k] = fields[k].value.trim();
    const key = JSON.stringify([q, f]);
    save();
    if (!q) { results = []; render(); setStatus("idle", "Type what you are looking for: a behaviour, an identifier, an error message."); lastSent = ""; return; }
    if (!force && key === lastSent) return;
    lastSent = key;
    setStatus("searching", "Searching…");
    vscode.postMessage({ type: "search", query: q, language: f.language, under: f.under, repo: f.repo });
  }
  function terms(q) {
    return q.split(/[^A-Za-z0-9_$]+/).filter((t) => t.length >= 2 && !/^(lang|under|repo|kind|ext)$/i.test(t));
  }
  function highlight(el, text, words) {
    if (!words.length) { el.textContent = text; return; }
    const re = new RegExp("(" + words.map((w) => w.replace(/[.*+?^$()|[\\]\\\\{}]/g, "\\\\$&")).join("|") + ")", "gi");
    let last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) el.appendChild(document.createTextNode(text.slice(last, m.index)));
      const mark = document.createElement("mark"); mark.textContent = m[0]; el.appendChild(mark);
      last = m.index + m[0].length;
      if (m[0].length === 0) re.lastIndex++;
    }
    if (last < text.length) el.appendChild(document.createTextNode(text.slice(last)));
  }
  function select(i, focus) {
    const items = list.querySelectorAll(".result");
    if (!items.length) return;
    selected = Math.max(0, Math.min(items.length - 1, i));
    items.forEach((el, j) => el.setAttribute("aria-selected", j === selected ? "true" : "false"));
    if (focus) items[selected].focus();
    items[selected].scrollIntoView({ block: "nearest" });
  }
  function open(i) { if (results[i]) vscode.postMessage({ type: "open", index: i }); }
  function render() {
    list.textContent = "";
    selected = -1;
    const words = terms(query.value);
    results.forEach((r, i) => {
      const li = document.createElement("li");
      li.className = "result"; li.tabIndex = -1; li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
      li.dataset.index = String(i); li.dataset.path = r.path; li.dataset.startLine = String(r.start_line); li.dataset.endLine = String(r.end_line);
      const head = document.createElement("div"); head.className = "result-head";
      const p = document.createElement("span"); p.className = "result-path"; p.title = r.path + (r.repo ? " (" + r.repo + ")" : "");
      // Long paths lose their start, not their file name (rtl ellipsis; the text itself stays ltr).
      const label = document.createElement("bdi");
      label.textContent = r.path + ":" + r.start_line + (r.end_line > r.start_line ? "-" + r.end_line : "");
      p.appendChild(label);
      head.appendChild(p);
      if (r.symbol_path || r.symbol) { const s = document.createElement("span"); s.className = "result-symbol"; s.textContent = r.symbol_path || r.symbol; head.appendChild(s); }
      li.appendChild(head);
      const pre = document.createElement("pre"); pre.className = "result-snippet";
      highlight(pre, (r.snippet || "").split("\\n").slice(0, 6).join("\\n"), words);
      li.appendChild(pre);
      li.title = (r.why || []).join("; ");
      li.addEventListener("click", () => { select(i, false); open(i); });
      list.appendChild(li);
    });
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); clearTimeout(timer); send(true); });
  query.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => send(false), 400); });
  for (const k in fields) fields[k].addEventListener("change", () => send(true));
  toggle.addEventListener("click", () => { filters.hidden = !filters.hidden; toggle.setAttribute("aria-expanded", String(!filters.hidden)); save(); if (!filters.hidden) fields.language.focus(); });
  query.addEventListener("keydown", (e) => { if (e.key === "ArrowDown" && results.length) { e.preventDefault(); select(0, true); } });
  list.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") { e.preventDefault(); select(selected + 1, true); }
    else if (e.key === "ArrowUp") { e.preventDefault(); if (selected <= 0) { selected = -1; query.focus(); } else select(selected - 1, true); }
    else if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(selected); }
    else if (e.key === "Escape") { e.preventDefault(); query.focus(); }
    else if (e.key === "Home") { e.preventDefault(); select(0, true); }
    else if (e.key === "End") { e.preventDefault(); select(results.length - 1, true); }
  });
  window.addEventListener("message", (ev) => {
    const m = ev.data;
    if (m.type === "results") {
      results = m.results; render();
      if (!results.length) setStatus("empty", "No results for “" + m.query + "”. Try other words, an identifier, or fewer filters.");
      else setStatus("results", results.length + " result" + (results.length === 1 ? "" : "s") + " in " + m.tookMs + " ms");
    } else if (m.type === "error") {
      results = []; render(); lastSent = "";
      setStatus("error", m.message + " ");
      const act = document.createElement("a");
      act.id = "status-action"; act.href = "#"; act.textContent = "Show status and actions";
      act.addEventListener("click", (e) => { e.preventDefault(); vscode.postMessage({ type: "command", id: "contextEngine.showStatus" }); });
      status.appendChild(act);
    } else if (m.type === "connection") {
      const wasReady = conn.dataset.phase === "ready";
      conn.dataset.phase = m.phase;
      conn.hidden = m.phase === "ready";
      conn.textContent = m.text;
      // The engine just became ready: a search that found nothing (or failed) while it was indexing runs again.
      if (m.phase === "ready" && !wasReady && (status.dataset.state === "empty" || status.dataset.state === "error") && query.value.trim()) send(true);
    } else if (m.type === "focus") {
      query.focus(); query.select();
    } else if (m.type === "setQuery") {
      query.value = m.query; send(true);
    }
  });
  setStatus("idle", "Type what you are looking for: a behaviour, an identifier, an error message.");
  vscode.postMessage({ type: "ready" });
  if (query.value.trim()) send(true);
  query.focus();
})();
`;

export function searchPanelHtml(nonce: string, cspSource: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp(nonce, cspSource)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Context Engine Search</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<form id="search-form" role="search">
  <input id="query" type="search" placeholder="Search code by meaning or name" aria-label="Search query" autocomplete="off" spellcheck="false">
  <button id="search-button" type="submit" title="Search" aria-label="Search">${ICON_SEARCH}</button>
  <button id="filters-toggle" class="icon" type="button" title="Filters" aria-label="Filters" aria-expanded="false" aria-controls="filters">${ICON_FILTER}</button>
</form>
<div id="filters" hidden>
  <label for="filter-language">Language</label><input id="filter-language" type="text" placeholder="python, typescript…">
  <label for="filter-under">Under</label><input id="filter-under" type="text" placeholder="src/">
  <label for="filter-repo">Repo</label><input id="filter-repo" type="text" placeholder="this workspace (* = all)">
</div>
<div id="connection" role="status" hidden></div>
<div id="status" role="status" aria-live="polite" data-state="idle"></div>
<ul id="results" role="listbox" aria-label="Search results"></ul>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>`;
}
