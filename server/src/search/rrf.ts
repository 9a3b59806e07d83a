/** Reciprocal-rank fusion constant: 60 is the usual choice; it keeps one list's top hit from dominating. */
export const RRF_K = 60;

export interface Ranked<T> {
  key: string;
  item: T;
}

/** Fuses ranked lists: score = sum over lists of weight / (k + rank). Returns per-key scores and ranks per list. */
export function reciprocalRankFusion<T>(
  lists: { name: string; weight: number; items: Ranked<T>[] }[],
  k = RRF_K,
): Map<string, { item: T; score: number; ranks: Record<string, number> }> {
  const out = new Map<string, { item: T; score: number; ranks: Record<string, number> }>();
  for (const list of lists) {
    list.items.forEach((r, i) => {
      const entry = out.get(r.key) ?? { item: r.item, score: 0, ranks: {} };
      entry.score += list.weight / (k + i + 1);
      entry.ranks[list.name] = i + 1;
      out.set(r.key, entry);
    });
  }
  return out;
}
