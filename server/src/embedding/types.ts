/** Turns texts into dense vectors. The index records `name` and `dimension`; a change of either rebuilds it. */
export interface Embedder {
  /** Stable identity, e.g. "model2vec:minishlab/potion-base-8M" or "none". */
  readonly name: string;
  /** Vector size; 0 for the lexical-only embedder. */
  readonly dimension: number;
  /** One unit-length vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  close?(): Promise<void>;
}
