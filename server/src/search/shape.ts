// Result shaping: spans -> the results a caller reads. A per-file cap and the limit, a relevance floor (a query none of
// whose words the closest code holds gets nothing, not noise), an optional min_score, and each result's snippet cut
// around the lines that matched.
import type { ParsedQuery } from "./query.ts";
import type { Span } from "./merge.ts";
import { buildSnippet, LineMatcher } from "./snippet.ts";
import type { SearchResult } from "./types.ts";

export interface ShapeOptions {
  limit: number;
  /** At most this many results from one file. */
  perFileCap: number;
  /** Lines of snippet per result. */
  snippetLines: number;
  /** Results scoring below this are left out. */
  minScore?: number;
}

export interface Shaped {
  results: SearchResult[];
  /** Why there are no results although the index had candidates ("No good match for ..."). */
  note?: string;
}

/** Query words named in a "no good match" note. */
const NOTE_TERMS = 8;

export function shapeResults(spans: Span[], q: Pick<ParsedQuery, "text" | "terms">, o: ShapeOptions): Shaped {
  const picked = capPerFile(spans, o.perFileCap, o.limit);
  // Nothing came back at all (no word of the query is in the index, and no dense neighbour): say so too.
  if (!picked.length) return q.text.trim() ? { results: [], note: noGoodMatch(q) } : { results: [] };
  const matcher = new LineMatcher(new Map(q.terms.map((t) => [t.term, t.weight])));
  const matched = picked.map((s) => matcher.read(s));
  // Semantic neighbours always exist; without one query word in them (or a lexical, quoted or named match) they are noise.
  if (!picked.some((s, i) => matched[i]!.size || hasLexicalEvidence(s))) return { results: [], note: noGoodMatch(q) };
  const kept = o.minScore === undefined ? picked : picked.filter((s) => round(s.score) >= o.minScore!);
  if (!kept.length) {
    return { results: [], note: `No result for “${q.text}” scored at least ${o.minScore} (the best scored ${round(picked[0]!.score)}); lower min_score to see them.` };
  }
  const lineTerms = new Map(picked.map((s, i) => [s, matched[i]!]));
  const results = kept.map((s) => {
    const snippet = buildSnippet(s, matcher.score(lineTerms.get(s)!), o.snippetLines);
    const p = s.best.point;
    return {
      path: s.path,
      repo: s.repo,
      start_line: s.start_line,
      end_line: s.end_line,
      symbol: p.symbol,
      symbol_path: p.symbol_path,
      symbol_kind: p.symbol_kind,
      language: p.language,
      kind: p.kind,
      score: round(s.score),
      why: s.why,
      components: Object.fromEntries(Object.entries(s.components).map(([k, v]) => [k, round(v)])),
      snippet: snippet.text,
      match_line: snippet.matchLine,
      match_lines: snippet.matchLines,
    };
  });
  return { results };
}

function capPerFile(spans: Span[], perFile: number, limit: number): Span[] {
  const count = new Map<string, number>();
  const out: Span[] = [];
  for (const s of spans) {
    const key = `${s.repo}\u0000${s.path}`;
    const n = count.get(key) ?? 0;
    if (n >= perFile) continue;
    count.set(key, n + 1);
    out.push(s);
    if (out.length >= limit) break;
  }
  return out;
}

function hasLexicalEvidence(s: Span): boolean {
  return s.components.lexical !== undefined || s.components.phrase !== undefined || s.why.includes("found by its qualified name") || s.why.includes("found by its file name");
}

function noGoodMatch(q: Pick<ParsedQuery, "text" | "terms">): string {
  if (!q.terms.length) return `No good match for “${q.text}”: it has no words to look for in code (only common words); name an identifier or a behaviour.`;
  const own = q.terms.filter((t) => !t.form);
  const words = own.slice(0, NOTE_TERMS).map((t) => t.term).join(", ");
  return `No good match for “${q.text}”: none of its words (${words}${own.length > NOTE_TERMS ? ", …" : ""}) occur in the code that came closest. Try other words or an identifier.`;
}

function round(v: number): number {
  return Math.round(v * 10000) / 10000;
}
