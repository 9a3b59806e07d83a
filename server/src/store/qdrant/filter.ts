// SearchFilter -> Qdrant filter JSON, plus the part Qdrant cannot express (globs, exact symbol containment)
// as a predicate the store applies to over-fetched results. No Qdrant syntax leaves this folder.
import type { Schemas } from "@qdrant/js-client-rest";
import { globMatcher } from "../glob.ts";
import type { SearchFilter } from "../types.ts";

export type QdrantFilter = Schemas["Filter"];
type Condition = Schemas["Condition"];

/** The payload fields a post-filter looks at. */
export interface PathAndSymbol {
  path: string;
  symbol: string;
  symbol_path: string;
}

export interface TranslatedFilter {
  filter: QdrantFilter | undefined;
  /** Set when some condition must be checked after Qdrant answers (results are over-fetched then). */
  post: ((p: PathAndSymbol) => boolean) | undefined;
}

/** "./src/", "/src" and "src" name the same folder; "" means the whole repo (as in the embedded store). */
export function normalizeUnder(under: string): string {
  return under.replace(/^\.?\/+/, "").replace(/\/+$/, "");
}

/** Every folder a path lies in ("src", "src/store"): `under` becomes one keyword match. */
export function pathPrefixes(path: string): string[] {
  const segments = path.split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) out.push(segments.slice(0, i).join("/"));
  return out;
}

/** What the `symbol` filter searches: both names, lower-cased (an unindexed field, matched as substrings). */
export function symbolText(symbol: string, symbolPath: string): string {
  return `${symbol}\n${symbolPath}`.toLowerCase();
}

export function translateFilter(f: SearchFilter): TranslatedFilter {
  const must: Condition[] = [];
  const checks: ((p: PathAndSymbol) => boolean)[] = [];
  if (f.repo !== undefined && f.repo !== "*") must.push({ key: "repo", match: { value: f.repo } });
  if (f.language?.length) must.push({ key: "language", match: { any: f.language } });
  if (f.kind?.length) must.push({ key: "kind", match: { any: f.kind } });
  if (f.ext?.length) {
    must.push({ key: "ext", match: { any: f.ext.map((e) => e.replace(/^\./, "").toLowerCase()) } });
  }
  if (f.under) {
    const under = normalizeUnder(f.under);
    if (under !== "") must.push({ key: "path_prefixes", match: { value: under } });
  }
  if (f.symbol) {
    const needle = f.symbol.toLowerCase();
    // Without a full-text index Qdrant matches each word as a substring: a superset, narrowed exactly below.
    if (needle.trim()) must.push({ key: "symbol_text", match: { text: needle } });
    checks.push((p) => p.symbol.toLowerCase().includes(needle) || p.symbol_path.toLowerCase().includes(needle));
  }
  if (f.path_glob) {
    const matches = globMatcher(f.path_glob);
    checks.push((p) => matches(p.path));
  }
  if (f.not_glob) {
    const matches = globMatcher(f.not_glob);
    checks.push((p) => !matches(p.path));
  }
  return {
    filter: must.length ? { must } : undefined,
    post: checks.length ? (p) => checks.every((check) => check(p)) : undefined,
  };
}

/** Adds conditions to a filter without changing it. */
export function withConditions(filter: QdrantFilter | undefined, must: Condition[], mustNot: Condition[] = []): QdrantFilter {
  const base = filter ?? {};
  const out: QdrantFilter = { ...base, must: [...asArray(base.must), ...must] };
  if (mustNot.length || base.must_not) out.must_not = [...asArray(base.must_not), ...mustNot];
  return out;
}

function asArray(c: Condition | Condition[] | null | undefined): Condition[] {
  if (c === undefined || c === null) return [];
  return Array.isArray(c) ? c : [c];
}
