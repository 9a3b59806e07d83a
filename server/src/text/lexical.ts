import type { LexicalFields } from "../store/types.ts";
import { tokenizeCode, tokenizePath } from "./tokenizer.ts";

/** The lexical fields of a chunk: symbol, path and body terms (the store weighs the fields). */
export function lexicalFields(chunk: { path: string; symbol: string; symbol_path: string; text: string }): LexicalFields {
  const symbol: string[] = [];
  if (chunk.symbol_path) tokenizeCode(chunk.symbol_path.replace(/\./g, " "), symbol);
  else if (chunk.symbol) tokenizeCode(chunk.symbol, symbol);
  return { symbol, path: tokenizePath(chunk.path), body: tokenizeCode(chunk.text) };
}

/** The lexical fields of a memory: its topic weighs as a symbol, its tags as a path, its text as a body. */
export function memoryLexicalFields(text: string, metadata: { topic?: unknown; tags?: unknown }): LexicalFields {
  const topic = typeof metadata.topic === "string" ? metadata.topic : "";
  const tags = Array.isArray(metadata.tags) ? metadata.tags.map(String) : [];
  return { symbol: tokenizeCode(topic), path: tokenizeCode(tags.join(" ")), body: tokenizeCode(text) };
}

/** Term frequencies, for sparse vectors. */
export function termCounts(terms: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of terms) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}
