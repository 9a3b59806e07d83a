// expand_query: the decoder writes alternate phrasings; each is searched and the lists are fused by rank.
import type { Decoder } from "../decoder/index.ts";
import type { SearchResult } from "../search/types.ts";

const MAX_ALTERNATES = 3;

const EXPAND_SYSTEM =
  "You rewrite code search queries. Write up to 3 alternate phrasings of the query, one per line, " +
  "using likely identifiers, function names or file names. No numbering, no explanations.";

/** Alternate phrasings, cleaned: no bullets or numbers, no repeats of the question, bounded length. */
export async function expandQuery(decoder: Decoder, question: string, signal?: AbortSignal): Promise<string[]> {
  const out = await decoder.complete(
    { system: EXPAND_SYSTEM, user: `Query: ${question.trim()}\nAlternate phrasings:` },
    { maxTokens: 96, temperature: 0.3, signal },
  );
  return parseAlternates(out.text, question);
}

export function parseAlternates(text: string, question: string): string[] {
  const seen = new Set([norm(question)]);
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const q = line
      .replace(/^\s*(?:[-*•]|\d+[.)])\s*/, "")
      .replace(/^["'`]|["'`]$/g, "")
      .trim()
      .slice(0, 200);
    if (q.length < 3 || seen.has(norm(q))) continue;
    seen.add(norm(q));
    out.push(q);
    if (out.length === MAX_ALTERNATES) break;
  }
  return out;
}

function norm(s: string): string {
  return s.toLowerCase().replace(/\s+/g, " ").trim();
}

const RRF_K = 60;

/** Reciprocal-rank fusion of several result lists; the question's own list weighs most. */
export function fuseResults(lists: SearchResult[][], limit: number): SearchResult[] {
  const fused = new Map<string, { r: SearchResult; score: number }>();
  lists.forEach((list, i) => {
    const weight = i === 0 ? 1 : 0.7;
    list.forEach((r, rank) => {
      const key = `${r.repo}\u0000${r.path}\u0000${r.start_line}\u0000${r.end_line}`;
      const entry = fused.get(key) ?? { r, score: 0 };
      entry.score += weight / (RRF_K + rank + 1);
      fused.set(key, entry);
    });
  });
  return [...fused.values()]
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((e) => e.r);
}
