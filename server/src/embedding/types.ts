/** Turns texts into dense vectors. The index records `name` and `dimension`; a change of either rebuilds it. */
export interface Embedder {
  /** Stable identity, e.g. "model2vec:minishlab/potion-base-8M" or "none". */
  readonly name: string;
  /** Vector size; 0 for the lexical-only embedder. */
  readonly dimension: number;
  /** One unit-length vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /**
   * The vector of a search query, when the model embeds queries differently from the passages it finds (BGE, E5,
   * Nomic and CodeRankEmbed are trained with an instruction before the query). Absent: queries are embedded as texts.
   */
  embedQuery?(text: string): Promise<Float32Array>;
  close?(): Promise<void>;
}

/** A search query's vector: with the model's query instruction when it has one, else as any text. */
export async function queryVector(embedder: Embedder, text: string): Promise<Float32Array | undefined> {
  return embedder.embedQuery ? embedder.embedQuery(text) : (await embedder.embed([text]))[0];
}
