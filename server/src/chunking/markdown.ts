// Splits Markdown into sections at its headings (ATX `#` and setext underlines), outside fenced code
// and front matter. Each section runs from its heading to the next heading of any level; its symbol is the
// heading text and its path the chain of enclosing headings.
import type { LineIndex } from "./lines.ts";
import type { Segment } from "./outline.ts";

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const LIST_OR_QUOTE = /^ {0,3}(?:[-*+>]|\d+[.)])(?:\s|$)/;

interface Heading {
  line: number;
  level: number;
  text: string;
}

function headings(lines: LineIndex): Heading[] {
  const out: Heading[] = [];
  const n = lines.count;
  let i = 0;
  // YAML/TOML front matter is metadata, not a section's heading material.
  const opener = n > 0 ? lines.line(0).trim() : "";
  if (opener === "---" || opener === "+++") {
    for (let k = 1; k < n; k++) {
      if (lines.line(k).trim() === opener) {
        i = k + 1;
        break;
      }
    }
  }
  let fence = "";
  for (; i < n; i++) {
    const text = lines.line(i);
    const f = FENCE.exec(text);
    if (fence) {
      if (f && f[1][0] === fence[0] && f[1].length >= fence.length && text.trim() === f[1]) fence = "";
      continue;
    }
    if (f) {
      fence = f[1];
      continue;
    }
    const atx = ATX.exec(text);
    if (atx) {
      out.push({ line: i, level: atx[1].length, text: (atx[2] ?? "").trim() });
      continue;
    }
    // `Title` over `=====` / `-----`; a paragraph line, not a list item or a quote.
    if (i + 1 < n && !lines.isBlank(i) && !LIST_OR_QUOTE.test(text) && !/^ {4}|^\t/.test(text)) {
      const under = SETEXT.exec(lines.line(i + 1));
      if (under && (i === 0 || lines.isBlank(i - 1))) {
        out.push({ line: i, level: under[1][0] === "=" ? 1 : 2, text: text.trim() });
        i++;
      }
    }
  }
  return out;
}

export function markdownSegments(lines: LineIndex): Segment[] {
  const out: Segment[] = [];
  if (lines.count === 0) return out;
  const hs = headings(lines);
  const stack: Heading[] = [];
  const push = (first: number, last: number, h: Heading | null) => {
    const span = lines.trimBlank(first, last);
    if (!span) return;
    out.push({
      first: span[0],
      last: span[1],
      symbol: h?.text ?? "",
      symbol_kind: h ? "heading" : "",
      symbol_path: stack.map((s) => s.text).join("."),
    });
  };
  push(0, (hs[0]?.line ?? lines.count) - 1, null);
  for (let k = 0; k < hs.length; k++) {
    const h = hs[k];
    while (stack.length && stack[stack.length - 1].level >= h.level) stack.pop();
    stack.push(h);
    push(h.line, (hs[k + 1]?.line ?? lines.count) - 1, h);
  }
  return out;
}
