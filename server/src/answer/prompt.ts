// The prompt: standing instructions, numbered context blocks `[n] path:start-end`, then the question.
import type { Prompt } from "../decoder/index.ts";
import type { ContextBlock } from "./blocks.ts";

export const INSUFFICIENT = "insufficient context";

export const SYSTEM_PROMPT =
  "You answer questions about a codebase using only the numbered context blocks you are given. " +
  "Answer briefly: a few sentences at most. " +
  "Cite the block behind every claim by its number in square brackets, like [1] or [2][3]. " +
  `If the blocks do not answer the question, reply exactly: ${INSUFFICIENT}.`;

export function blockHeader(block: ContextBlock, id: number): string {
  const symbol = block.symbol ? ` (${block.symbol})` : "";
  return `[${id}] ${block.path}:${block.start_line}-${block.end_line}${symbol}`;
}

/** One block as the decoder reads it: header, then the lines with their numbers inside a fence. */
export function renderBlock(block: ContextBlock, id: number): string {
  const body = [...block.lines.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([n, t]) => `${n} | ${t}`)
    .join("\n");
  return `${blockHeader(block, id)}\n\`\`\`${block.language}\n${body}\n\`\`\``;
}

export function buildPrompt(question: string, blocks: ContextBlock[]): Prompt {
  const context = blocks.map((b, i) => renderBlock(b, i + 1)).join("\n\n");
  const user = `Context blocks:\n\n${context}\n\nQuestion: ${question.trim()}\n\nAnswer (cite blocks as [n]):`;
  return { system: SYSTEM_PROMPT, user };
}
