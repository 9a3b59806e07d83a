// How the panel shows a snippet: its numbered lines parsed, tabs expanded to the editor's tab size, the common
// indentation taken off, and query words marked only where a whole word or an identifier part matches. Each function
// is self-contained (it calls no other): the webview script embeds their source (see panel-script.ts), and the unit
// tests call them directly.

export interface SnippetRow {
  /** Line number in the file; null for a "⋯" row standing for lines left out. */
  line: number | null;
  text: string;
}

/** "  12 | code" rows of a search snippet; "⋯" (or an old "| ...") rows become elisions; other rows are kept as text. */
export function parseSnippet(snippet: string, firstLine: number): SnippetRow[] {
  const rows: SnippetRow[] = [];
  let next = firstLine;
  for (const raw of snippet.replace(/\n$/, "").split("\n")) {
    if (/^\s*(?:⋯|\|\s*\.\.\.)\s*$/.test(raw)) {
      rows.push({ line: null, text: "" });
      continue;
    }
    const m = /^\s*(\d+) \| ?(.*)$/.exec(raw);
    if (m) {
      next = Number(m[1]);
      rows.push({ line: next++, text: m[2]! });
    } else rows.push({ line: next++, text: raw });
  }
  return rows;
}

/** Tabs to spaces up to the next tab stop, as the editor shows them. */
export function expandTabs(text: string, tabSize: number): string {
  if (!text.includes("\t")) return text;
  const size = tabSize > 0 ? Math.floor(tabSize) : 4;
  let out = "";
  for (const ch of text) {
    if (ch === "\t") out += " ".repeat(size - (out.length % size));
    else out += ch;
  }
  return out;
}

/** Rows with the indentation all code rows share taken off (blank and elided rows do not count); expand tabs first. */
export function dedentRows(rows: SnippetRow[]): SnippetRow[] {
  const indent = (t: string) => t.length - t.replace(/^ +/, "").length;
  const trimmed = rows.map((r) => ({ line: r.line, text: r.line === null ? "" : r.text.replace(/\s+$/, "") }));
  let common = Infinity;
  for (const r of trimmed) if (r.line !== null && r.text.trim()) common = Math.min(common, indent(r.text));
  if (!Number.isFinite(common) || common === 0) return trimmed;
  return trimmed.map((r) => ({ line: r.line, text: r.text.slice(Math.min(common, indent(r.text))) }));
}

/**
 * [start, end) ranges of `text` to mark: an identifier whose lower-cased whole is a query term, else each of its
 * parts (camelCase, snake_case, digits) that is one. Never a term inside a word: "and" is not marked in "handler".
 */
export function highlightRanges(text: string, terms: string[]): [number, number][] {
  const wanted = new Set(terms.map((t) => t.toLowerCase()).filter((t) => t.length >= 2));
  const out: [number, number][] = [];
  if (!wanted.size) return out;
  const ident = /[A-Za-z_$][A-Za-z0-9_$]*|[0-9]+[A-Za-z_][A-Za-z0-9_]*/g;
  let m: RegExpExecArray | null;
  while ((m = ident.exec(text)) !== null) {
    const word = m[0];
    const whole = word.toLowerCase().replace(/^[_$]+|[_$]+$/g, "");
    if (wanted.has(whole)) {
      const lead = word.length - word.replace(/^[_$]+/, "").length;
      out.push([m.index + lead, m.index + lead + whole.length]);
      continue;
    }
    const part = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g;
    let p: RegExpExecArray | null;
    while ((p = part.exec(word)) !== null) {
      if (wanted.has(p[0].toLowerCase())) out.push([m.index + p.index, m.index + p.index + p[0].length]);
    }
  }
  return out;
}
