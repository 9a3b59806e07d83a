// Packing: the best blocks that fit budget_tokens, counted with the decoder's tokenizer when it has one.
import { lineCount, truncateBlock, type ContextBlock } from "./blocks.ts";
import { buildPrompt, renderBlock } from "./prompt.ts";
import { renderPlain } from "../decoder/index.ts";
import { AnswerError } from "./types.ts";

export type CountTokens = (text: string) => Promise<number>;

/** Code runs about 3-4 characters per token in BPE vocabularies; rounding up keeps the estimate on the safe side. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5);
}

/** Below this many free tokens, a cut-down block says too little to be worth its header. */
const MIN_BLOCK_TOKENS = 24;
/** A cut block keeps at least this many lines: a two-line fragment of code misleads more than it helps. */
const MIN_CUT_LINES = 5;

export interface Packed {
  blocks: ContextBlock[];
  promptTokens: number;
  /** Blocks left out, and blocks cut short, to fit the budget. */
  dropped: number;
  truncated: number;
}

export async function packBlocks(question: string, candidates: ContextBlock[], budget: number, count: CountTokens): Promise<Packed> {
  const overhead = await count(renderPlain(buildPrompt(question, [])));
  if (overhead + MIN_BLOCK_TOKENS > budget) {
    throw new AnswerError(
      `budget_tokens=${budget} leaves no room for context: the instructions and question alone take ~${overhead} tokens; raise budget_tokens (or shorten the question).`,
      "budget_tokens",
    );
  }
  let free = budget - overhead;
  const blocks: ContextBlock[] = [];
  // The candidate each packed block came from, to tell afterwards which ones were cut short.
  const origins: ContextBlock[] = [];
  let dropped = 0;
  for (const block of candidates) {
    const id = blocks.length + 1;
    // +2 for the blank line that separates blocks.
    const cost = (await count(renderBlock(block, id))) + 2;
    if (cost <= free) {
      blocks.push(block);
      origins.push(block);
      free -= cost;
      continue;
    }
    if (free < MIN_BLOCK_TOKENS) {
      dropped++;
      continue;
    }
    const cut = await fitLines(block, id, free, cost, count);
    if (cut) {
      blocks.push(cut.block);
      origins.push(block);
      free -= cut.cost;
    } else dropped++;
  }
  // Parts were counted one by one; the whole prompt is what the model sees, so it has the last word.
  // Joins can tokenize differently from the parts: trim the last block by the excess before dropping it.
  let promptTokens = await count(renderPlain(buildPrompt(question, blocks)));
  for (let tries = 0; promptTokens > budget && blocks.length > 0 && tries < 8; tries++) {
    const last = blocks[blocks.length - 1];
    const lines = lineCount(last);
    const cost = await count(renderBlock(last, blocks.length));
    const keep = Math.floor((lines * (cost - (promptTokens - budget))) / cost) - 1;
    if (keep >= Math.min(MIN_CUT_LINES, lines) && keep < lines) {
      blocks[blocks.length - 1] = truncateBlock(last, keep);
    } else if (blocks.length > 1) {
      blocks.pop();
      origins.pop();
      dropped++;
    } else break;
    promptTokens = await count(renderPlain(buildPrompt(question, blocks)));
  }
  const truncated = blocks.filter((b, i) => lineCount(b) < lineCount(origins[i])).length;
  return { blocks, promptTokens, dropped, truncated };
}

/** The longest head of the block that fits `free` tokens, found by shrinking a proportional guess. */
async function fitLines(block: ContextBlock, id: number, free: number, cost: number, count: CountTokens) {
  let lines = Math.floor((lineCount(block) * free) / cost);
  const floor = Math.min(MIN_CUT_LINES, lineCount(block));
  for (let tries = 0; tries < 8 && lines >= floor; tries++) {
    const cut = truncateBlock(block, lines);
    const c = (await count(renderBlock(cut, id))) + 2;
    if (c <= free) return { block: cut, cost: c };
    lines = Math.min(lines - 1, Math.floor((lines * free) / c));
  }
  return undefined;
}
