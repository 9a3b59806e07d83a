// The search panel's HTML: strict CSP with a nonce, no remote resources, theme colours, inline SVG icons
// (codicon shapes). DOM ids and classes are a contract with the e2e tests (see README "Search panel DOM").
import { randomBytes } from "node:crypto";
import { panelScript } from "./panel-script.ts";

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
    background: var(--vscode-button-background); border: none; border-radius: 2px; cursor: pointer; font: inherit; }
  button:hover { background: var(--vscode-button-hoverBackground); }
  button.icon { color: var(--vscode-icon-foreground); background: transparent; padding: 2px; }
  button.icon:hover, button.icon[aria-expanded="true"] { background: var(--vscode-toolbar-hoverBackground); }
  button.secondary { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
  button.secondary:hover { background: var(--vscode-button-secondaryHoverBackground); }
  #filters { display: grid; grid-template-columns: auto 1fr; gap: 4px 6px; align-items: center; margin: 4px 0; }
  #filters[hidden], #selection-bar[hidden], #searched[hidden], #connection[hidden] { display: none; }
  #filters label { color: var(--vscode-descriptionForeground); }
  #connection { margin: 4px 0; padding: 4px 6px; border-radius: 2px; background: var(--vscode-inputValidation-infoBackground); border: 1px solid var(--vscode-inputValidation-infoBorder, transparent); }
  #connection[data-phase="error"] { background: var(--vscode-inputValidation-errorBackground); border-color: var(--vscode-inputValidation-errorBorder, transparent); }
  #status { margin: 6px 0; color: var(--vscode-descriptionForeground); }
  #status[data-state="error"] { color: var(--vscode-errorForeground); }
  #status[data-state="empty"] { color: var(--vscode-foreground); }
  #status a { color: var(--vscode-textLink-foreground); }
  #searched { margin: 0 0 6px; color: var(--vscode-descriptionForeground); }
  #searched code { font-family: var(--vscode-editor-font-family); padding: 0 3px; border-radius: 2px; background: var(--vscode-textCodeBlock-background); }
  #selection-bar { display: flex; gap: 4px; align-items: center; margin: 4px 0; }
  #selection-count { flex: 1; color: var(--vscode-descriptionForeground); }
  ul { list-style: none; margin: 0; padding: 0; }
  .file-head { display: flex; gap: 4px; align-items: center; margin: 4px -6px 0; padding: 2px 0 2px 2px; cursor: pointer; white-space: nowrap; overflow: hidden; }
  .file-head:hover { background: var(--vscode-list-hoverBackground); }
  .file-head svg { flex: none; transform: rotate(90deg); color: var(--vscode-icon-foreground); }
  .file-group.collapsed .file-head svg { transform: none; }
  .file-group.collapsed .file-hits { display: none; }
  .file-name { font-weight: 600; flex: none; }
  .file-dir { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; color: var(--vscode-descriptionForeground); font-size: 0.9em; }
  .file-count { flex: none; min-width: 1.2em; padding: 0 5px; margin-right: 6px; border-radius: 9px; text-align: center; font-size: 0.85em; line-height: 1.5;
    color: var(--vscode-badge-foreground); background: var(--vscode-badge-background); }
  .result { padding: 3px 6px 4px 14px; margin: 0 -6px; border-radius: 2px; cursor: pointer; outline: none; border: 1px solid transparent; }
  .result:hover { background: var(--vscode-list-hoverBackground); }
  .result[aria-selected="true"] { background: var(--vscode-list-inactiveSelectionBackground); }
  .result[aria-selected="true"]:focus { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
  .result:focus { border-color: var(--vscode-list-focusOutline, var(--vscode-focusBorder)); }
  .result-head { display: flex; gap: 6px; align-items: center; min-height: 20px; }
  .result-line { flex: none; color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
  .result[aria-selected="true"]:focus .result-line { color: inherit; }
  .result-symbol { flex: 1 1 auto; min-width: 0; color: var(--vscode-symbolIcon-functionForeground, var(--vscode-descriptionForeground)); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .result-actions { flex: none; display: inline-flex; gap: 1px; visibility: hidden; }
  .result:hover .result-actions, .result:focus .result-actions, .result:focus-within .result-actions, .result[aria-selected="true"] .result-actions { visibility: visible; }
  .result[aria-selected="true"]:focus button.icon { color: inherit; }
  .result-snippet { margin: 2px 0 0; padding: 2px 0; overflow: hidden; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size);
    color: var(--vscode-editor-foreground); background: var(--vscode-textCodeBlock-background); border-radius: 2px; }
  .row { display: flex; white-space: pre; line-height: 1.4; }
  .row .ln { flex: none; min-width: 3.5ch; padding: 0 6px 0 4px; text-align: right; color: var(--vscode-editorLineNumber-foreground); user-select: none; }
  .row .code { position: relative; flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
  .row.shifted .code { text-overflow: clip; -webkit-mask-image: linear-gradient(to right, transparent, #000 3ch); mask-image: linear-gradient(to right, transparent, #000 3ch); }
  .row.match .ln { color: var(--vscode-editorLineNumber-activeForeground, var(--vscode-foreground)); }
  .row.elided { color: var(--vscode-descriptionForeground); padding-left: 4ch; line-height: 1.1; }
  .result-why { display: none; margin-top: 3px; color: var(--vscode-descriptionForeground); font-size: 0.9em; white-space: normal; }
  .result:focus .result-why, .result:focus-within .result-why, .result.focused .result-why { display: block; }
  .result[aria-selected="true"]:focus .result-why { color: inherit; opacity: 0.85; }
  mark { color: inherit; background: var(--vscode-editor-findMatchHighlightBackground); border-radius: 1px; }
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
<div id="searched" hidden></div>
<div id="selection-bar" hidden>
  <span id="selection-count"></span>
  <button id="selection-chat" type="button" title="Add the selected results to chat">Add to Chat</button>
  <button id="selection-copy" class="secondary" type="button" title="Copy the selected results as context: path, line range and code">Copy as Context</button>
  <button id="selection-clear" class="secondary" type="button">Clear</button>
</div>
<ul id="results" role="listbox" aria-label="Search results, grouped by file" aria-multiselectable="true"></ul>
<script nonce="${nonce}">${panelScript()}</script>
</body>
</html>`;
}
