// What the Qdrant stub evaluates, written from Qdrant's documented behaviour: filters (must / must_not /
// should, match value / any / text / phrase, has_id, arrays match by any element), cosine and IDF-weighted sparse
// scoring, id-ordered scrolling and facets. A model of Qdrant for tests, not Qdrant: the real server is
// checked by the conformance suite where QDRANT_URL is set.

export interface StoredPoint {
  id: string;
  vector: Record<string, any>;
  payload: Record<string, any>;
}

type Filter = { must?: any; must_not?: any; should?: any };

const list = (c: unknown): any[] => (c === undefined || c === null ? [] : Array.isArray(c) ? c : [c]);

function fieldValues(p: StoredPoint, key: string): unknown[] {
  const v = p.payload?.[key];
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function conditionHolds(p: StoredPoint, c: any): boolean {
  if (c.has_id) return c.has_id.map(String).includes(p.id);
  if (c.must || c.must_not || c.should) return matchesFilter(p, c);
  if (c.key && c.match) {
    const values = fieldValues(p, c.key);
    if ("value" in c.match) return values.some((v) => v === c.match.value);
    if ("any" in c.match) return values.some((v) => c.match.any.includes(v));
    if ("phrase" in c.match) {
      // A full-text index with phrase matching: the phrase's tokens consecutive, in order, among the field's tokens
      // (the whitespace tokenizer, lower-cased).
      const want = String(c.match.phrase).toLowerCase().split(/\s+/).filter(Boolean);
      return values.some((v) => {
        if (typeof v !== "string") return false;
        const tokens = v.toLowerCase().split(/\s+/).filter(Boolean);
        for (let i = 0; i + want.length <= tokens.length; i++) if (want.every((w, j) => tokens[i + j] === w)) return true;
        return false;
      });
    }
    if ("text" in c.match) {
      // Without a full-text index: every word of the query must occur in the text as a substring.
      const words = String(c.match.text).split(/\s+/).filter(Boolean);
      return values.some((v) => typeof v === "string" && words.every((w) => v.includes(w)));
    }
  }
  throw new Error(`stub cannot evaluate condition ${JSON.stringify(c)}`);
}

export function matchesFilter(p: StoredPoint, f: Filter | undefined | null): boolean {
  if (!f) return true;
  if (!list(f.must).every((c) => conditionHolds(p, c))) return false;
  if (list(f.must_not).some((c) => conditionHolds(p, c))) return false;
  const should = list(f.should);
  return should.length === 0 || should.some((c) => conditionHolds(p, c));
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** Scores every point that has the named vector: cosine for dense, IDF-weighted dot product for sparse. */
export function score(points: StoredPoint[], using: string, query: any, idf: boolean): { point: StoredPoint; score: number }[] {
  const having = points.filter((p) => p.vector?.[using] !== undefined);
  if (Array.isArray(query)) return having.map((point) => ({ point, score: cosine(query, point.vector[using]) }));
  const df = new Map<number, number>();
  for (const p of having) for (const i of p.vector[using].indices as number[]) df.set(i, (df.get(i) ?? 0) + 1);
  const n = having.length;
  const weight = (i: number) => {
    if (!idf) return 1;
    const d = df.get(i) ?? 0;
    return Math.log((n - d + 0.5) / (d + 0.5) + 1);
  };
  const out: { point: StoredPoint; score: number }[] = [];
  for (const point of having) {
    const doc = new Map<number, number>();
    const v = point.vector[using];
    v.indices.forEach((i: number, k: number) => doc.set(i, v.values[k]));
    let s = 0;
    let overlap = false;
    query.indices.forEach((i: number, k: number) => {
      const d = doc.get(i);
      if (d === undefined) return;
      overlap = true;
      s += query.values[k] * d * weight(i);
    });
    if (overlap) out.push({ point, score: s });
  }
  return out;
}

export function selectVector(p: StoredPoint, withVector: unknown): Record<string, any> | null {
  if (withVector === true) return p.vector;
  if (Array.isArray(withVector)) return Object.fromEntries(Object.entries(p.vector).filter(([k]) => withVector.includes(k)));
  return null;
}

export function selectPayload(p: StoredPoint, withPayload: unknown): Record<string, any> | null {
  if (withPayload === false) return null;
  if (Array.isArray(withPayload)) return Object.fromEntries(Object.entries(p.payload).filter(([k]) => withPayload.includes(k)));
  return p.payload;
}

/** Qdrant scrolls in id order; the next page starts at `next_page_offset` (inclusive). */
export function scroll(points: StoredPoint[], body: any): { points: StoredPoint[]; next_page_offset: string | null } {
  const limit = body.limit ?? 10;
  let matching = points.filter((p) => matchesFilter(p, body.filter));
  if (body.order_by) {
    const { key, direction } = typeof body.order_by === "string" ? { key: body.order_by, direction: "asc" } : body.order_by;
    const sign = direction === "desc" ? -1 : 1;
    matching = matching.filter((p) => typeof p.payload[key] === "number").sort((a, b) => sign * (a.payload[key] - b.payload[key]));
    return { points: matching.slice(0, limit), next_page_offset: null };
  }
  matching.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const start = body.offset === undefined || body.offset === null ? 0 : matching.findIndex((p) => p.id >= String(body.offset));
  const from = start < 0 ? matching.length : start;
  const page = matching.slice(from, from + limit);
  return { points: page, next_page_offset: matching[from + limit]?.id ?? null };
}

export function facet(points: StoredPoint[], body: any): { value: unknown; count: number }[] {
  const counts = new Map<unknown, number>();
  for (const p of points) {
    if (!matchesFilter(p, body.filter)) continue;
    for (const v of new Set(fieldValues(p, body.key))) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count).slice(0, body.limit ?? 10);
}
