// Adjacent or overlapping hits in one file become one span, so an agent reads one coherent block, not three
// overlapping windows.
import type { Point } from "../store/types.ts";

export interface Hit {
  point: Point;
  score: number;
  why: string[];
  components: Record<string, number>;
}

export interface Span {
  repo: string;
  path: string;
  start_line: number;
  end_line: number;
  best: Hit;
  score: number;
  why: string[];
  components: Record<string, number>;
  /** Text of each line of the span that a member chunk covers. */
  lines: Map<number, string>;
}

function addLines(lines: Map<number, string>, p: Point): void {
  const text = p.text.split("\n");
  for (let i = 0; i < text.length; i++) if (!lines.has(p.start_line + i)) lines.set(p.start_line + i, text[i]!);
}

/** Merges hits of one file whose spans overlap or touch (gap <= `gap` lines), up to `maxLines` per span. */
export function mergeAdjacent(hits: Hit[], gap = 1, maxLines = 80): Span[] {
  const byFile = new Map<string, Hit[]>();
  for (const h of hits) {
    const key = `${h.point.repo}\u0000${h.point.path}`;
    (byFile.get(key) ?? byFile.set(key, []).get(key)!).push(h);
  }
  const spans: Span[] = [];
  for (const group of byFile.values()) {
    group.sort((a, b) => a.point.start_line - b.point.start_line);
    let cur: Span | undefined;
    for (const h of group) {
      const p = h.point;
      // Overlapping windows, or touching windows of one symbol, merge; a sibling symbol stays its own result.
      const fits =
        cur &&
        Math.max(cur.end_line, p.end_line) - cur.start_line < maxLines &&
        (p.start_line <= cur.end_line || (p.start_line <= cur.end_line + gap + 1 && p.symbol_path === cur.best.point.symbol_path));
      if (cur && fits) {
        cur.end_line = Math.max(cur.end_line, p.end_line);
        addLines(cur.lines, p);
        if (h.score > cur.best.score) cur.best = h;
        cur.score = Math.max(cur.score, h.score) + 0.1 * Math.min(cur.score, h.score);
        for (const w of h.why) if (!cur.why.includes(w)) cur.why.push(w);
        cur.components.merged = (cur.components.merged ?? 1) + 1;
      } else {
        if (cur) spans.push(cur);
        const lines = new Map<number, string>();
        addLines(lines, p);
        cur = {
          repo: p.repo, path: p.path, start_line: p.start_line, end_line: p.end_line, best: h, score: h.score,
          why: [...h.why], components: { ...h.components }, lines,
        };
      }
    }
    if (cur) spans.push(cur);
  }
  return spans.sort((a, b) => b.score - a.score);
}

/** "  12 | code" lines; long spans show their first `maxLines` lines. */
export function renderSnippet(span: Pick<Span, "start_line" | "end_line" | "lines">, maxLines = 40): string {
  const width = String(span.end_line).length;
  const out: string[] = [];
  for (let n = span.start_line; n <= span.end_line && out.length < maxLines; n++) {
    const line = span.lines.get(n);
    if (line === undefined) continue;
    out.push(`${String(n).padStart(width)} | ${line}`);
  }
  if (span.end_line - span.start_line + 1 > maxLines) out.push(`${" ".repeat(width)} | ...`);
  return out.join("\n");
}
