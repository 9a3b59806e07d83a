// Hybrid search: lexical and dense candidates (same filters) fused by reciprocal rank, code-aware boosts, adjacent
// hits merged into spans, a per-file cap, and every result explained.
import { CHUNK_KINDS } from "../chunking/types.ts";
import { queryVector, type Embedder } from "../embedding/types.ts";
import type { Logger } from "../log/index.ts";
import type { Point, ScoredPoint, SearchFilter, Store } from "../store/types.ts";
import { tokenizeCode } from "../text/index.ts";
import { boostFor, joinedStem } from "./boosts.ts";
import { queryLengthProblem } from "./linear-scan.ts";
import { importTargets, namesPath } from "./imports.ts";
import { mergeAdjacent, type Hit, type Span } from "./merge.ts";
import { parseQuery, type ParsedQuery } from "./query.ts";
import { reciprocalRankFusion } from "./rrf.ts";
import { shapeResults } from "./shape.ts";
import type { SearchResult } from "./types.ts";

export interface SearchOptions {
  limit?: number;
  filter?: SearchFilter;
  /** At most this many results from one file (default 3). */
  perFileCap?: number;
  /** Candidates taken from each list before fusion (default 300, or 5 x limit). */
  candidates?: number;
  /** Include memories (kind=memory) among the results; default code only. */
  includeMemories?: boolean;
  /** Lines of snippet per result, chosen around the lines that matched (default 12). */
  snippetLines?: number;
  /** Results scoring below this are left out (default: none). */
  minScore?: number;
}

export interface SearchResponse {
  results: SearchResult[];
  query: { text: string; terms: string[]; filter: SearchFilter };
  took_ms: number;
  /** Why nothing came back although the index had candidates: "No good match for ..." (absent otherwise). */
  note?: string;
}

export interface SearchEngineDeps {
  store: Store;
  embedder: Embedder;
  log: Logger;
  /** Repo searched when the caller names none; undefined or "*" = all. */
  defaultRepo?: string;
  /**
   * Each repo's files by stem (see fileStems), kept for a while: pass one map to every engine made over the same
   * store (a worker thread makes one per job), else each makes its own and reads the file list again.
   */
  fileStems?: FileStemsCache;
}

/** Per repo: when the list was read and the files by stem. */
export type FileStemsCache = Map<string, { at: number; byStem: Map<string, string[]> }>;

/**
 * What answers searches: the engine itself, a pool of worker threads running it, or a cache in front of either.
 * `lane` names the caller (an MCP session) for fair scheduling; a plain engine has no queue and ignores it.
 */
export interface CodeSearch {
  search(raw: string, opts?: SearchOptions, lane?: string): Promise<SearchResponse>;
}

/** The text a query's dense vector is computed from; undefined when the query has none. */
export function denseQueryText(q: ParsedQuery): string | undefined {
  return q.text.trim() ? q.text.slice(0, 4000) : undefined;
}

export class SearchEngine implements CodeSearch {
  private readonly stems: FileStemsCache;

  constructor(private readonly deps: SearchEngineDeps) {
    this.stems = deps.fileStems ?? new Map();
  }

  async search(raw: string, opts: SearchOptions = {}): Promise<SearchResponse> {
    const started = performance.now();
    const limit = Math.max(1, Math.min(opts.limit ?? 10, 200));
    const tooLong = queryLengthProblem(raw);
    if (tooLong) throw new Error(tooLong);
    const q = parseQuery(raw);
    const filter = this.effectiveFilter(q.filter, opts);
    const candidates = opts.candidates ?? Math.max(LEXICAL_CANDIDATES, limit * 5);

    const store = this.deps.store;
    const [lexical, dense, phrase, named, history, fileNamed] = await Promise.all([
      q.terms.length ? store.searchLexical({ terms: q.terms }, filter, candidates) : Promise.resolve([]),
      this.denseCandidates(q, filter, Math.min(candidates, DENSE_CANDIDATES)),
      q.phrases.length && store.searchPhrases ? store.searchPhrases(q.phrases, filter, PHRASE_CANDIDATES) : Promise.resolve([]),
      q.qualified.length && store.findSymbols ? store.findSymbols(q.qualified, filter, NAMED_CANDIDATES) : Promise.resolve([]),
      this.historyMatches(q, filter),
      this.filesNamed(q, filter),
    ]);
    const hits = this.fuse(q, lexical, dense, phrase, [...named, ...fileNamed]);
    addHistoryEvidence(hits, history);
    const spans = await this.liftImportNeighbours(mergeAdjacent(hits));
    const { results, note } = shapeResults(spans, q, {
      limit,
      perFileCap: opts.perFileCap ?? 3,
      snippetLines: opts.snippetLines ?? DEFAULT_SNIPPET_LINES,
      ...(opts.minScore !== undefined ? { minScore: opts.minScore } : {}),
    });
    return {
      results,
      query: { text: q.text, terms: q.terms.map((t) => t.term), filter },
      took_ms: Math.round((performance.now() - started) * 100) / 100,
      ...(note ? { note } : {}),
    };
  }

  private effectiveFilter(inline: SearchFilter, opts: SearchOptions): SearchFilter {
    const filter: SearchFilter = { ...opts.filter, ...definedOnly(inline) };
    if (filter.repo === undefined && this.deps.defaultRepo) filter.repo = this.deps.defaultRepo;
    if (!filter.kind?.length && !opts.includeMemories) filter.kind = [...CHUNK_KINDS];
    return filter;
  }

  /**
   * Files whose past commits are worded like the question: a short question reads like a commit subject. An issue
   * text is left out (its many words match the history of every busy file), and so is a search over several repos.
   */
  private async historyMatches(q: ParsedQuery, filter: SearchFilter): Promise<{ path: string; score: number }[]> {
    const store = this.deps.store;
    if (!q.short || !q.terms.length || !store.searchFileHistory || !filter.repo || filter.repo === "*") return [];
    return store.searchFileHistory(filter.repo, { terms: q.terms }, HISTORY_CANDIDATES);
  }

  /**
   * Files the question names with hyphens or as its words in a row (`no-with` of `lib/rules/no-with.js`; see
   * ParsedQuery.joinedNames): their best chunk (most of the question's words) joins the candidates, since the words of
   * such a name are often too common (`no`, `with`) for the lexical list to find the file by.
   */
  private async filesNamed(q: ParsedQuery, filter: SearchFilter): Promise<Point[]> {
    const repo = filter.repo;
    // Only filters this can honour without the store: the repo, the kinds, a folder.
    const other = filter.language?.length || filter.path_glob || filter.not_glob || filter.ext?.length || filter.symbol;
    if (!q.joinedNames.size || !repo || repo === "*" || other) return [];
    const stems = await this.fileStems(repo);
    const paths = [...new Set([...q.joinedNames].flatMap((n) => stems.get(n) ?? []))]
      .filter((p) => !filter.under || p.startsWith(filter.under.replace(/^\.?\/+/, "").replace(/\/*$/, "/")))
      .slice(0, NAMED_FILES);
    const words = new Set(q.terms.map((t) => t.term));
    const out: Point[] = [];
    for (const p of paths) {
      const points = (await this.deps.store.filePoints(repo, p)).filter((x) => !filter.kind?.length || filter.kind.includes(x.kind));
      let best: { point: Point; n: number } | undefined;
      for (const point of points) {
        const n = new Set(tokenizeCode(point.text).filter((t) => words.has(t))).size;
        if (!best || n > best.n) best = { point, n };
      }
      if (best) out.push(best.point);
    }
    return out;
  }

  /**
   * Files that import the best file or that it imports, among the next candidates, rise: the files a change touches
   * together are often linked so (multi-file localisation). The best file keeps its place: a lifted file stays below it.
   */
  private async liftImportNeighbours(spans: Span[]): Promise<Span[]> {
    const top = spans[0];
    if (!top) return spans;
    // The best file and the next IMPORT_FILES files (spans come best first); only the best file's repo can link to it.
    const seen = new Set<string>();
    const files = new Map<string, { score: number; hash: string }>();
    for (const s of spans) {
      const key = `${s.repo}\u0000${s.path}`;
      if (seen.has(key)) continue;
      if (seen.add(key).size > IMPORT_FILES + 1) break;
      if (s.repo === top.repo) files.set(s.path, { score: s.score, hash: s.best.point.file_hash });
    }
    if (seen.size < 2) return spans;
    const targets = await this.importTargetsOf(top.repo, files);
    const topTargets = targets.get(top.path)!;
    const lifted = new Map<string, number>();
    for (const [path, { score }] of files) {
      if (path === top.path) continue;
      const linked = topTargets.some((t) => namesPath(t, path)) || targets.get(path)!.some((t) => namesPath(t, top.path));
      if (linked) lifted.set(path, Math.min(IMPORT_LIFT, (top.score * 0.999) / Math.max(score, 1e-9)));
    }
    let any = false;
    for (const s of spans) {
      const f = s.repo === top.repo ? lifted.get(s.path) : undefined;
      if (!f || f <= 1) continue;
      s.score *= f;
      s.components.import_lift = f;
      s.why.push(`imports or is imported by ${top.path}`);
      any = true;
    }
    return any ? spans.sort((a, b) => b.score - a.score) : spans;
  }

  /**
   * Each file's import targets, read from the chunks in its first lines (all files in one read) and kept by content
   * hash (in this thread, for every engine: a worker makes one per job), since a served index answers many questions
   * about the same files. Reading whole files instead doubled the time of a short query over 113k chunks.
   */
  private async importTargetsOf(repo: string, files: Map<string, { hash: string }>): Promise<Map<string, string[]>> {
    const cacheKey = (path: string) => `${repo}\u0000${path}\u0000${files.get(path)!.hash}`;
    const out = new Map<string, string[]>();
    const missing: string[] = [];
    for (const path of files.keys()) {
      const had = importCache.get(cacheKey(path));
      if (had) out.set(path, had);
      else missing.push(path);
    }
    if (!missing.length) return out;
    const heads = await this.deps.store.fileHeadTexts(repo, missing, IMPORT_HEAD_LINES);
    if (importCache.size > IMPORT_CACHE_FILES) importCache.clear();
    for (const path of missing) {
      const t = importTargets(path, heads.get(path) ?? "");
      out.set(path, t);
      importCache.set(cacheKey(path), t);
    }
    return out;
  }

  /** Each repo's files by their stem when it has two parts or more (`no-with` -> `lib/rules/no-with.js`), kept briefly. */
  private async fileStems(repo: string): Promise<Map<string, string[]>> {
    const had = this.stems.get(repo);
    if (had && performance.now() - had.at < STEMS_TTL_MS) return had.byStem;
    const byStem = new Map<string, string[]>();
    for (const p of (await this.deps.store.listFiles(repo)).keys()) {
      const stem = joinedStem(p);
      if (stem) (byStem.get(stem) ?? byStem.set(stem, []).get(stem)!).push(p);
    }
    this.stems.set(repo, { at: performance.now(), byStem });
    return byStem;
  }

  private async denseCandidates(q: ParsedQuery, filter: SearchFilter, k: number): Promise<ScoredPoint[]> {
    const text = denseQueryText(q);
    if (this.deps.embedder.dimension === 0 || text === undefined) return [];
    const vector = await queryVector(this.deps.embedder, text);
    if (!vector) return [];
    return this.deps.store.searchDense(vector, filter, k);
  }

  /**
   * Fusion: each list's scores normalised to its best hit (lexical BM25 / best BM25; dense similarity above the
   * list's floor), summed with the list weights, then code-aware boosts; the reciprocal rank is kept as a component.
   * Lexical-only, this keeps BM25's spread, which ranks alone cannot.
   */
  private fuse(q: ParsedQuery, lexical: ScoredPoint[], dense: ScoredPoint[], phrase: ScoredPoint[], named: Point[]): Hit[] {
    const toRanked = (list: ScoredPoint[]) => list.map((s) => ({ key: s.point.id, item: s }));
    const fused = reciprocalRankFusion<ScoredPoint>([
      { name: "lexical", weight: 1, items: toRanked(lexical) },
      { name: "dense", weight: 1, items: toRanked(dense) },
      { name: "phrase", weight: 1, items: toRanked(phrase) },
      { name: "named", weight: 1, items: named.map((point) => ({ key: point.id, item: { point, score: 0 } })) },
    ]);
    const phraseScore = new Map(phrase.map((s) => [s.point.id, s.score]));
    const phraseMax = Math.max(1e-9, ...phrase.map((s) => s.score));
    const lexScore = new Map(lexical.map((s) => [s.point.id, s.score]));
    const denseScore = new Map(dense.map((s) => [s.point.id, s.score]));
    const lexMax = Math.max(1e-9, ...lexical.map((s) => s.score));
    const denseMax = dense.length ? Math.max(...dense.map((s) => s.score)) : 0;
    const denseFloor = dense.length ? Math.min(...dense.map((s) => s.score)) : 0;
    const weights = lexical.length && dense.length ? { lexical: LEXICAL_WEIGHT, dense: DENSE_WEIGHT } : { lexical: 1, dense: 1 };
    const hits: Hit[] = [];
    const meanLength = fused.size ? [...fused.values()].reduce((n, f) => n + f.item.point.text.length, 0) / fused.size : 1;
    for (const [id, f] of fused) {
      const p: Point = f.item.point;
      const boost = boostFor(p, q);
      const why: string[] = [];
      if (f.ranks.lexical) why.push(`lexical #${f.ranks.lexical}`);
      if (f.ranks.dense) why.push(`dense #${f.ranks.dense}`);
      if (f.ranks.phrase) why.push(`quoted message matched (#${f.ranks.phrase})`);
      if (f.ranks.named && !f.ranks.lexical) why.push(boost.joinedName && !boost.qualified ? "found by its file name" : "found by its qualified name");
      why.push(...boost.why);
      let lex = lexScore.has(id) ? lexScore.get(id)! / lexMax : 0;
      // A symbol the query names by its qualified name is relevant however few of the query's words its code holds.
      if (boost.qualified && lexical.length) lex = Math.max(lex, QUALIFIED_FLOOR);
      // A chunk of a file the question names (`no-with.js`) is relevant however few of its words it holds.
      else if (boost.joinedName) lex = Math.max(lex, NAMED_FILE_FLOOR);
      const den = denseScore.has(id) && denseMax > denseFloor ? (denseScore.get(id)! - denseFloor) / (denseMax - denseFloor) : 0;
      const phr = phraseScore.has(id) ? PHRASE_WEIGHT * (phraseScore.get(id)! / phraseMax) : 0;
      const base = weights.lexical * lex + weights.dense * den + phr;
      const components: Record<string, number> = { rrf: f.score, base, boost: boost.factor };
      if (lexScore.has(id)) components.lexical = lexScore.get(id)!;
      if (denseScore.has(id)) components.dense = denseScore.get(id)!;
      if (f.ranks.lexical) components.lexical_rank = f.ranks.lexical;
      if (f.ranks.dense) components.dense_rank = f.ranks.dense;
      if (phr) components.phrase = phr;
      const length = q.short && !q.wants.size ? lengthLift(p.text.length, meanLength) : 1;
      if (length !== 1) components.length = length;
      hits.push({ point: p, score: base * boost.factor * length, why, components });
    }
    if (!q.wants.has("test")) addTestedSubjects(hits);
    addFileEvidence(hits);
    return hits.sort((a, b) => b.score - a.score);
  }
}

/**
 * A short question's chunk scores times its length next to the candidates' mean, to a small power: a one-line chunk
 * (an `export` line, an import) that holds the question's words should not outrank the code that defines what they
 * name, and BM25's length normalisation favours exactly such chunks. Not for an issue text: its many words already
 * favour long chunks (measured on all chunks: Lite Acc@1 -1.4, Acc@5 +0.7; held-out the same). Nor for a question
 * that asks for tests, docs or config: their short chunks are what it asks for (`test register_hook list`).
 */
const LENGTH_POWER = 0.15;

export function lengthLift(length: number, mean: number): number {
  return length > 0 && mean > 0 ? (length / mean) ** LENGTH_POWER : 1;
}

/** Snippet lines per result unless the caller asks: the matched lines and a little context, not a whole function. */
const DEFAULT_SNIPPET_LINES = 12;

/**
 * Lexical candidates taken however few results are asked for: file evidence and tested-by links are read from the
 * candidates, so a short list (10 results) must rank from the same pool as a long one.
 */
const LEXICAL_CANDIDATES = 300;

/** Chunks taken that the query names by their qualified names (`RST.__init__`). */
const NAMED_CANDIDATES = 50;
/** A chunk named by its qualified name counts as at least this share of the best lexical match. */
const QUALIFIED_FLOOR = 0.7;

/** Files named with hyphens taken per query, and how long a repo's list of such names is reused. */
const NAMED_FILES = 5;
const STEMS_TTL_MS = 30_000;
/** The lexical share given to a chunk that only its file's name brought in (it then gains the name's boost). */
const NAMED_FILE_FLOOR = 0.5;

/** Chunks taken that hold a message the query quotes, and the weight of that evidence next to the best lexical hit. */
const PHRASE_CANDIDATES = 50;
const PHRASE_WEIGHT = 1;

/**
 * Nearest neighbours taken from the dense list: exact KNN costs grow with k (sqlite-vec: ~30 ms for 10, ~95 ms for 300
 * over 55k chunks), and past the first hundred its hits add little next to the lexical list.
 */
const DENSE_CANDIDATES = 100;

/** Weights of the normalised lists when both are present: lexical evidence is sharper on code; dense adds recall. */
const LEXICAL_WEIGHT = 0.7;
const DENSE_WEIGHT = 0.3;
/** Share of a file's next-best hits added to each of its hits: a file that matches in several places ranks higher. */
const FILE_EVIDENCE = 0.35;
/**
 * A candidate file linked by an import to the best file: its scores times this, kept below the best file (measured:
 * Lite Acc@5 +0.7 and Acc@3 +2.1; commit subjects Acc@5 +0.6, several gold files +2.8; 1.5 and 2 gained less).
 */
const IMPORT_LIFT = 1.3;
/** Files after the best one checked for an import link to it (20 ranked worse on the commit subjects). */
const IMPORT_FILES = 10;
/** A file's imports are read from the chunks that start in its first lines. */
const IMPORT_HEAD_LINES = 80;
/** Files whose import targets a thread keeps (by path and content hash, so never stale) before it starts over. */
const IMPORT_CACHE_FILES = 20_000;
const importCache = new Map<string, string[]>();

/** Files taken from the history match, and the weight of a file's (normalised) match next to the best hit's score. */
const HISTORY_CANDIDATES = 100;
const HISTORY_WEIGHT = 0.25;
/** A history match below this share of the best one is a stray common word ("fix", "add"), not evidence. */
const HISTORY_FLOOR = 0.1;

/**
 * History evidence: every hit of a file whose past commit subjects match the question gains HISTORY_WEIGHT x the best
 * hit's score x the file's match (normalised to the best history match). Only candidates gain: a file that holds none
 * of the question's words is not brought up by its history alone.
 */
function addHistoryEvidence(hits: Hit[], history: { path: string; score: number }[]): void {
  if (!history.length || !hits.length) return;
  const best = Math.max(...history.map((h) => h.score));
  const byPath = new Map(history.map((h) => [h.path, h.score / best]));
  const top = Math.max(...hits.map((h) => h.score));
  for (const h of hits) {
    const m = byPath.get(h.point.path);
    if (!m || m < HISTORY_FLOOR) continue;
    const extra = HISTORY_WEIGHT * top * m;
    h.score += extra;
    h.components.history = extra;
    h.why.push("past commits to this file match");
  }
  hits.sort((a, b) => b.score - a.score);
}

/** Share of a matching test's score given to the module it tests. */
const TESTED_SUBJECT = 0.6;

/**
 * Tests point at their subject: a matching `test_skipping.py` is evidence for `skipping.py`, which the issue is
 * usually about (the subject must already be a candidate).
 */
function addTestedSubjects(hits: Hit[]): void {
  const stemOf = (p: string) => p.slice(p.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "").toLowerCase();
  const tests = new Map<string, { score: number; path: string; root: string }[]>();
  for (const h of hits) {
    if (h.point.kind !== "test") continue;
    const stem = stemOf(h.point.path);
    const subject = stem.replace(/^test_?|_?tests?$|_?spec$/g, "");
    // Only a file named after its subject (`test_skipping.py`), not a fixture module (`__init__.py`, `conftest.py`).
    if (subject === stem || subject.length < 4) continue;
    const raw = h.components.base!;
    const root = testedRoot(h.point.path);
    const list = tests.get(subject) ?? tests.set(subject, []).get(subject)!;
    const same = list.find((t) => t.root === root);
    if (!same) list.push({ score: raw, path: h.point.path, root });
    else if (same.score < raw) Object.assign(same, { score: raw, path: h.point.path });
  }
  if (!tests.size) return;
  for (const h of hits) {
    if (h.point.kind !== "code") continue;
    // The test of this module: one in the same package (`sympy/core/tests/test_expr.py` tests `sympy/core/expr.py`,
    // not `sympy/physics/expr.py`), the best scoring if several are.
    let t: { score: number; path: string } | undefined;
    for (const c of tests.get(stemOf(h.point.path)) ?? []) if (h.point.path.startsWith(c.root) && (!t || c.score > t.score)) t = c;
    if (!t) continue;
    const extra = TESTED_SUBJECT * t.score;
    h.score += extra;
    h.components.tested_by = extra;
    h.why.push(`tested by ${t.path}`);
  }
}

/** The folder a test's subject lives under: the test's folder above its `tests/` (`sympy/core/tests/x` -> `sympy/core/`). */
function testedRoot(testPath: string): string {
  const dirs = testPath.split("/").slice(0, -1);
  const at = dirs.findLastIndex((d) => /^(?:tests?|testing|__tests__|spec)$/i.test(d));
  return at < 0 ? dirs.join("/") + (dirs.length ? "/" : "") : dirs.slice(0, at).join("/") + (at > 0 ? "/" : "");
}

/**
 * File-level evidence: every hit of a file gains a share of the file's second and third best hits (other symbols of
 * the same file), so the file an issue is about, which usually matches in several places, outranks a lone match.
 */
function addFileEvidence(hits: Hit[]): void {
  const byFile = new Map<string, Map<string, number>>();
  for (const h of hits) {
    const key = `${h.point.repo}\u0000${h.point.path}`;
    // One score per symbol: the overlapping windows of one long function are one place, not several.
    const unit = h.point.symbol_path || `@${h.point.start_line}`;
    const units = byFile.get(key) ?? byFile.set(key, new Map()).get(key)!;
    units.set(unit, Math.max(units.get(unit) ?? 0, h.score));
  }
  const extraOf = new Map<string, { extra: number; places: number }>();
  for (const [key, units] of byFile) {
    if (units.size < 2) continue;
    const scores = [...units.values()].sort((a, b) => b - a);
    const extra = FILE_EVIDENCE * (scores[1]! + 0.5 * (scores[2] ?? 0));
    if (extra > 0) extraOf.set(key, { extra, places: units.size });
  }
  for (const h of hits) {
    const e = extraOf.get(`${h.point.repo}\u0000${h.point.path}`);
    if (!e) continue;
    h.score += e.extra;
    h.components.file_evidence = e.extra;
    h.why.push(`file matches in ${e.places} places`);
  }
}

function definedOnly(f: SearchFilter): SearchFilter {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && !(Array.isArray(v) && !v.length)));
}

