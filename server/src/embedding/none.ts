// The lexical-only embedder: no vectors, so the index keeps only its sparse terms.
import type { Embedder } from "./types.ts";

export const noneEmbedder: Embedder = {
  name: "none",
  dimension: 0,
  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map(() => new Float32Array(0));
  },
};
