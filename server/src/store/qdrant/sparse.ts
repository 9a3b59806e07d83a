// The `lex` sparse vector: LexicalFields -> {indices, values}, with term -> uint32 index by a stable hash.
// Qdrant applies IDF at query time (modifier "idf"), so a document value is only the saturated term frequency.
import type { LexicalFields, LexicalQuery } from "../types.ts";

export interface SparseVector {
  indices: number[];
  values: number[];
}

/** A field's weight: a symbol hit says more than a path hit, which says more than a body hit (the embedded store's FTS5 column weights). */
export const FIELD_WEIGHTS: Readonly<Record<keyof LexicalFields, number>> = { symbol: 4, path: 2.5, body: 1 };

/** BM25 parameters; the average length is a fixed guess because Qdrant keeps no per-collection length stats. */
const K1 = 1.2;
const B = 0.75;
const AVERAGE_LENGTH = 120;

const encoder = new TextEncoder();

/**
 * A term's index in the sparse space: FNV-1a over the UTF-8 bytes, then murmur3's finaliser so that
 * near-identical identifiers spread over all 32 bits. Stable across processes and releases: changing it
 * invalidates every stored `lex` vector.
 */
export function termIndex(term: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(term)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Document side: field-weighted term frequency with BM25 saturation and length normalisation. */
export function documentVector(fields: LexicalFields): SparseVector {
  const tf = new Map<string, number>();
  let length = 0;
  for (const field of Object.keys(FIELD_WEIGHTS) as (keyof LexicalFields)[]) {
    const weight = FIELD_WEIGHTS[field];
    for (const term of fields[field]) {
      tf.set(term, (tf.get(term) ?? 0) + weight);
      length += 1;
    }
  }
  const norm = K1 * (1 - B + (B * length) / AVERAGE_LENGTH);
  const byIndex = new Map<number, number>();
  for (const [term, f] of tf) {
    const value = (f * (K1 + 1)) / (f + norm);
    const index = termIndex(term);
    byIndex.set(index, (byIndex.get(index) ?? 0) + value);
  }
  return sorted(byIndex);
}

/** Query side: the caller's term weights as they are (colliding terms add up). */
export function queryVector(query: LexicalQuery): SparseVector {
  const byIndex = new Map<number, number>();
  for (const { term, weight } of query.terms) {
    if (!(weight > 0) || term === "") continue;
    const index = termIndex(term);
    byIndex.set(index, (byIndex.get(index) ?? 0) + weight);
  }
  return sorted(byIndex);
}

function sorted(byIndex: Map<number, number>): SparseVector {
  const indices = [...byIndex.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => byIndex.get(i)!) };
}
