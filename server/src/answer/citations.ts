// The answer checked against the blocks it was given: which [n] are real, which are not, what is uncited.
import type { ContextBlock } from "./blocks.ts";
import { INSUFFICIENT } from "./prompt.ts";
import type { Citation } from "./types.ts";

export interface CitationCheck {
  /** Valid citations in order of first mention. */
  citations: Citation[];
  /** Cited numbers with no such block. */
  outOfRange: number[];
  /** Sentences that make a claim without citing a block. */
  uncited: string[];
  insufficient: boolean;
  warnings: string[];
}

// [1], [2][3], [1, 2] and [1; 2] all cite; an index glued to a word, like items[0], does not.
const CITE = /(?<!\w)\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;

export function citedNumbers(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(CITE)) {
    for (const part of m[1].split(/[,;]/)) out.push(Number(part.trim()));
  }
  return out;
}

export function citationFor(block: ContextBlock, id: number): Citation {
  return { id, repo: block.repo, path: block.path, start_line: block.start_line, end_line: block.end_line };
}

export function checkCitations(answer: string, blocks: ContextBlock[]): CitationCheck {
  const text = answer.trim();
  const insufficient = new RegExp(INSUFFICIENT, "i").test(text);
  const seen = new Set<number>();
  const citations: Citation[] = [];
  const outOfRange: number[] = [];
  for (const n of citedNumbers(text)) {
    if (seen.has(n)) continue;
    seen.add(n);
    if (n >= 1 && n <= blocks.length) citations.push(citationFor(blocks[n - 1], n));
    else outOfRange.push(n);
  }
  const sentences = text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length >= 20 && !new RegExp(INSUFFICIENT, "i").test(s));
  const uncited = sentences.filter((s) => citedNumbers(s).length === 0);

  const warnings: string[] = [];
  if (text === "") warnings.push("The decoder returned an empty answer.");
  if (outOfRange.length) {
    warnings.push(
      `The answer cites ${outOfRange.map((n) => `[${n}]`).join(", ")} but only ${blocks.length} context block(s) were given; ` +
        "those citations point at nothing and were dropped.",
    );
  }
  if (text !== "" && !insufficient && citations.length === 0) {
    warnings.push("The answer cites no context block; treat it as unverified.");
  } else if (citations.length > 0 && uncited.length > 0) {
    warnings.push(`${uncited.length} of ${sentences.length} sentence(s) in the answer cite no context block.`);
  }
  return { citations, outOfRange, uncited, insufficient, warnings };
}
