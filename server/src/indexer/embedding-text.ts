// What the dense embedder sees of a chunk.
import type { Chunk } from "../chunking/types.ts";

/** Where the chunk lives and what it is, then the code (the model's window is short: the head comes first). */
export function embeddingText(c: Pick<Chunk, "path" | "symbol_path" | "text">): string {
  const head = c.symbol_path ? `${c.path} ${c.symbol_path}` : c.path;
  return `${head}\n${c.text}`.slice(0, 2000);
}
