import type { LexicalFields } from "../store/types.ts";
import { tokenizeCode, tokenizePath } from "./tokenizer.ts";

/** The lexical fields of a chunk: symbol, path and body terms (the store weighs the fields). */
export function lexicalFields(chunk: { path: string; symbol: string; symbol_path: string; text: string }): LexicalFields {
  const symbol: string[] = [];
  if (chunk.symbol_path) tokenizeCode(chunk.symbol_path.replace(/\./g, " "), symbol);
  else if (chunk.symbol) tokenizeCode(chunk.symbol, symbol);
  return { symbol, path: tokenizePath(chunk.path), body: tokenizeCode(chunk.text) };
}

/** Term frequencies, for sparse vectors. */
export function termCounts(terms: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of terms) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}
