// Search results -> context blocks: spans of one file that overlap or touch become one block, in rank order.
import type { SearchResult } from "../search/types.ts";

export interface ContextBlock {
  repo: string;
  path: string;
  language: string;
  /** Symbol path (or name) of the best-ranked span in the block; "" when none. */
  symbol: string;
  start_line: number;
  end_line: number;
  /** Line number -> text, so overlapping spans merge without duplicating lines. */
  lines: Map<number, string>;
  /** Position of the block's best result in the retrieval order (0 = first). */
  rank: number;
}

const NUMBERED = /^\s*(\d+) \| ?(.*)$/;
/** A line that stands for lines left out ("⋯", or "| ..." in older renderings): not code, and not numbered. */
const ELIDED = /^\s*(?:⋯|\|\s*\.\.\.)\s*$/;

/**
 * A snippet's lines by number: "  12 | code" as search renders them (elision lines skipped; the line numbers say what
 * was left out), or raw text counted from start_line when no line is numbered.
 */
export function snippetLines(r: SearchResult): Map<number, string> {
  const raw = r.snippet.replace(/\n$/, "").split("\n");
  const out = new Map<number, string>();
  const code = raw.filter((l) => !ELIDED.test(l));
  if (code.length && code.every((l) => NUMBERED.test(l))) {
    for (const l of code) {
      const m = NUMBERED.exec(l)!;
      out.set(Number(m[1]), m[2]!);
    }
  } else {
    raw.forEach((l, i) => out.set(r.start_line + i, l));
  }
  return out;
}

/** Merges overlapping or adjacent spans per file; blocks come back ordered by their best result's rank. */
export function mergeSpans(results: SearchResult[]): ContextBlock[] {
  const byFile = new Map<string, ContextBlock[]>();
  results.forEach((r, rank) => {
    const lines = snippetLines(r);
    const nums = [...lines.keys()];
    const start = nums.length ? Math.min(r.start_line, ...nums) : r.start_line;
    const end = nums.length ? Math.max(r.end_line, ...nums) : r.end_line;
    const key = `${r.repo}\u0000${r.path}`;
    const list = byFile.get(key) ?? [];
    byFile.set(key, list);
    list.push({ repo: r.repo, path: r.path, language: r.language, symbol: r.symbol_path || r.symbol || "", start_line: start, end_line: end, lines, rank });
  });
  const merged: ContextBlock[] = [];
  for (const list of byFile.values()) {
    list.sort((a, b) => a.start_line - b.start_line);
    let cur = list[0];
    for (const next of list.slice(1)) {
      if (next.start_line <= cur.end_line + 1) {
        for (const [n, t] of next.lines) if (!cur.lines.has(n)) cur.lines.set(n, t);
        const better = next.rank < cur.rank;
        cur = {
          ...cur,
          end_line: Math.max(cur.end_line, next.end_line),
          rank: Math.min(cur.rank, next.rank),
          symbol: better && next.symbol ? next.symbol : cur.symbol || next.symbol,
        };
      } else {
        merged.push(cur);
        cur = next;
      }
    }
    merged.push(cur);
  }
  return merged.sort((a, b) => a.rank - b.rank);
}

/** The block cut to its first `count` lines (a big first hit still fits a small budget). */
export function truncateBlock(block: ContextBlock, count: number): ContextBlock {
  const nums = [...block.lines.keys()].sort((a, b) => a - b).slice(0, Math.max(1, count));
  const lines = new Map(nums.map((n) => [n, block.lines.get(n)!]));
  return { ...block, lines, end_line: nums[nums.length - 1] ?? block.start_line };
}

export function lineCount(block: ContextBlock): number {
  return block.lines.size;
}
