// What a result shows: the lines that matched the query, with a little context, not the first lines of its chunk.
// Lines are scored by the query terms they hold (the same code tokens the index holds), each term weighted by the
// query and by how rare it is among the lines being shown, so `backoff` outweighs `request`.
import { tokenizeCode } from "../text/index.ts";

/** Marks lines left out between two shown pieces of a span (a numbered snippet line never starts with it). */
export const ELISION = "⋯";

/** Lines longer than this (minified code, data) are cut in a snippet; the rest of such a line is rarely readable. */
const MAX_LINE_CHARS = 400;
/** Most matched lines listed per result. */
const MAX_MATCH_LINES = 50;

export interface LineText {
  /** Line number -> text of the lines the span's chunks cover. */
  lines: Map<number, string>;
}

/** The query terms each line holds, for every span; `score` weighs them once all spans are read. */
export class LineMatcher {
  private readonly df = new Map<string, number>();
  private total = 0;

  constructor(private readonly weights: ReadonlyMap<string, number>) {}

  /** Query terms per line of one span (lines holding none are left out). Call for every span before `score`. */
  read(span: LineText): Map<number, string[]> {
    const out = new Map<number, string[]>();
    if (!this.weights.size) return out;
    for (const [n, text] of span.lines) {
      this.total++;
      const found = new Set<string>();
      for (const t of tokenizeCode(text.length > 4 * MAX_LINE_CHARS ? text.slice(0, 4 * MAX_LINE_CHARS) : text)) if (this.weights.has(t)) found.add(t);
      if (!found.size) continue;
      out.set(n, [...found]);
      for (const t of found) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    }
    return out;
  }

  /** Each line's score: the query weight of each term it holds times that term's rarity among all lines read. */
  score(matched: Map<number, string[]>): Map<number, number> {
    const out = new Map<number, number>();
    for (const [n, terms] of matched) {
      let s = 0;
      for (const t of terms) s += this.weights.get(t)! * Math.log(1 + this.total / this.df.get(t)!);
      out.set(n, s);
    }
    return out;
  }
}

export interface Snippet {
  /** Numbered lines ("  12 | code"); pieces that do not touch are separated by an ELISION line. */
  text: string;
  /** The best matching line, where a client opens the file; the span's first code line when nothing matched. */
  matchLine: number;
  /** Every line of the span that holds a query term, in line order. */
  matchLines: number[];
}

/** The snippet of one span: at most `budget` lines chosen around its best matching lines. */
export function buildSnippet(span: LineText & { start_line: number }, scores: Map<number, number>, budget: number): Snippet {
  const nums = [...span.lines.keys()].sort((a, b) => a - b);
  const anchors = [...scores.keys()].sort((a, b) => scores.get(b)! - scores.get(a)! || a - b);
  const firstCode = nums.find((n) => span.lines.get(n)!.trim()) ?? span.start_line;
  const chosen = chooseLines(nums, span.lines, anchors, Math.max(1, budget), firstCode);
  return {
    text: render(chosen, span.lines),
    matchLine: anchors[0] ?? firstCode,
    matchLines: [...scores.keys()].sort((a, b) => a - b).slice(0, MAX_MATCH_LINES),
  };
}

function chooseLines(nums: number[], lines: Map<number, string>, anchors: number[], budget: number, firstCode: number): number[] {
  if (nums.length <= budget) return nums;
  if (!anchors.length) return nums.filter((n) => n >= firstCode).slice(0, budget);
  const has = new Set(nums);
  const chosen = new Set<number>();
  // Each matching line with one line either side, best first, while they fit; then the line alone.
  for (const a of anchors) {
    const piece = [a - 1, a, a + 1].filter((n) => has.has(n) && !chosen.has(n));
    if (chosen.size + piece.length <= budget) for (const n of piece) chosen.add(n);
    else if (!chosen.has(a)) chosen.add(a);
    if (chosen.size >= budget) break;
  }
  // Room left: close small gaps first, then grow around the best match (after it first: a match usually opens a block).
  const best = anchors[0]!;
  while (chosen.size < budget) {
    const next = [...chosen]
      .flatMap((n) => [n + 1, n - 1])
      .filter((n) => has.has(n) && !chosen.has(n))
      .sort((a, b) => gapRank(a, chosen) - gapRank(b, chosen) || Math.abs(a - best) - Math.abs(b - best) || b - a)[0];
    if (next === undefined) break;
    chosen.add(next);
  }
  return trimBlankEdges([...chosen].sort((a, b) => a - b), lines, new Set(anchors));
}

/** 0 for a line whose both neighbours are chosen (it closes a gap), 1 otherwise. */
function gapRank(n: number, chosen: Set<number>): number {
  return chosen.has(n - 1) && chosen.has(n + 1) ? 0 : 1;
}

/** Blank lines at the edges of a piece say nothing. */
function trimBlankEdges(sorted: number[], lines: Map<number, string>, keep: Set<number>): number[] {
  const blank = (n: number) => !keep.has(n) && !lines.get(n)!.trim();
  for (;;) {
    const kept = sorted.filter((n, i) => !blank(n) || (sorted[i - 1] === n - 1 && sorted[i + 1] === n + 1));
    if (kept.length === sorted.length || !kept.length) return kept.length ? kept : sorted;
    sorted = kept;
  }
}

function render(nums: number[], lines: Map<number, string>): string {
  const width = String(nums[nums.length - 1] ?? 0).length;
  const out: string[] = [];
  nums.forEach((n, i) => {
    if (i > 0 && nums[i - 1] !== n - 1) out.push(`${" ".repeat(width)} ${ELISION}`);
    const text = lines.get(n)!;
    out.push(`${String(n).padStart(width)} | ${text.length > MAX_LINE_CHARS ? text.slice(0, MAX_LINE_CHARS) + " …" : text}`);
  });
  return out.join("\n");
}
