// Query understanding: inline filters (`lang:python under:src/`) are parsed out, and the rest becomes weighted
// lexical terms. Long queries (a whole issue text) are reduced to their informative terms and identifiers.
import type { ChunkKind } from "../chunking/types.ts";
import type { SearchFilter } from "../store/types.ts";
import { splitIdentifier, STOPWORDS, tokenizeCode } from "../text/index.ts";

export interface ParsedQuery {
  /** The query text without its inline filters. */
  text: string;
  filter: SearchFilter;
  terms: { term: string; weight: number }[];
  /** Identifiers that look like code (`register_hook`, `Session.request`, `HTTPAdapter`): symbol matches boost. */
  identifiers: string[];
  /** File names or paths named in the query (`models.py`, `requests/sessions.py`). */
  paths: string[];
  /** The query asks for tests / docs / config explicitly, so they are not down-ranked. */
  wants: Set<ChunkKind>;
}

const KINDS: ChunkKind[] = ["code", "doc", "config", "test"];
const INLINE = /(?:^|\s)(lang|language|under|path|glob|not|kind|symbol|ext|repo):("[^"]*"|\S+)/gi;

export function parseQuery(raw: string): ParsedQuery {
  const filter: SearchFilter = {};
  const text = raw
    .replace(INLINE, (_m, key: string, value: string) => {
      const v = value.replace(/^"|"$/g, "");
      switch (key.toLowerCase()) {
        case "lang":
        case "language":
          filter.language = [...(filter.language ?? []), ...v.split(",").map((s) => s.toLowerCase())];
          break;
        case "under":
          filter.under = v;
          break;
        case "path":
        case "glob":
          filter.path_glob = v;
          break;
        case "not":
          filter.not_glob = v;
          break;
        case "kind":
          filter.kind = v.split(",").filter((k): k is ChunkKind => (KINDS as string[]).includes(k));
          break;
        case "symbol":
          filter.symbol = v;
          break;
        case "ext":
          filter.ext = v.split(",").map((e) => e.replace(/^\./, ""));
          break;
        case "repo":
          filter.repo = v;
          break;
      }
      return " ";
    })
    .trim();
  const { terms, identifiers, paths } = extractTerms(text);
  return { text, filter, terms, identifiers, paths, wants: wantedKinds(text) };
}

function wantedKinds(text: string): Set<ChunkKind> {
  const wants = new Set<ChunkKind>();
  if (/\b(tests?|spec|specs|unittest|pytest|fixtures?)\b/i.test(text)) wants.add("test");
  if (/\b(docs?|documentation|readme|guide|tutorial)\b/i.test(text)) wants.add("doc");
  if (/\b(config|configuration|settings|yaml|json|toml|env)\b/i.test(text)) wants.add("config");
  return wants;
}

const PATH_LIKE = /(?:[\w.-]+\/)*[\w-]+\.(?:py|pyi|js|jsx|ts|tsx|mjs|cjs|go|rs|java|cs|cpp|cc|c|h|hpp|rb|php|sh|md|rst|json|ya?ml|toml|ini|cfg)\b/g;
const DOTTED = /\b[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+\b/g;
const CODEY = /\b(?:[a-z]+[A-Z]\w*|[A-Z][a-z0-9]+[A-Z]\w*|\w+_\w+|[A-Z]{2,}[a-z]\w*)\b/g;
const TRACE_FRAME = /File "([^"]+)", line \d+, in (\w+)/g;

/** Weighted terms: code-like identifiers and named paths weigh most, ordinary words least; long texts are capped. */
export function extractTerms(text: string): { terms: { term: string; weight: number }[]; identifiers: string[]; paths: string[] } {
  const weights = new Map<string, number>();
  const bump = (t: string, w: number) => {
    if (t.length < 2 || STOPWORDS.has(t)) return;
    weights.set(t, Math.max(weights.get(t) ?? 0, w) + (weights.has(t) ? 0.25 : 0));
  };
  const identifiers = new Set<string>();
  const paths = new Set<string>();

  for (const m of text.matchAll(TRACE_FRAME)) {
    paths.add(m[1]!.replace(/\\/g, "/"));
    identifiers.add(m[2]!);
  }
  for (const m of text.matchAll(PATH_LIKE)) paths.add(m[0]);
  for (const m of text.matchAll(DOTTED)) {
    if (PATH_LIKE.test(m[0])) {
      PATH_LIKE.lastIndex = 0;
      continue;
    }
    PATH_LIKE.lastIndex = 0;
    const parts = m[0].split(".");
    identifiers.add(parts[parts.length - 1]!);
    for (const p of parts) if (p.length > 2) identifiers.add(p);
  }
  for (const m of text.matchAll(CODEY)) identifiers.add(m[0]);

  const words = tokenizeCode(text);
  const long = words.length > 40;
  for (const w of words) bump(w, 1);
  for (const id of identifiers) {
    const lower = id.toLowerCase();
    bump(lower, 3);
    for (const part of splitIdentifier(id)) bump(part, 1.5);
  }
  for (const p of paths) {
    const base = p.slice(p.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "");
    for (const t of tokenizeCode(base.replace(/[-.]/g, " "))) bump(t, 2.5);
  }
  let terms = [...weights].map(([term, weight]) => ({ term, weight }));
  if (long) {
    // An issue text: keep the strongest terms, so common prose does not drown the identifiers.
    terms.sort((a, b) => b.weight - a.weight || a.term.localeCompare(b.term));
    terms = terms.slice(0, 48);
  }
  return { terms, identifiers: [...identifiers], paths: [...paths] };
}
