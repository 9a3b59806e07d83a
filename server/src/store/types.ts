import type { Chunk, ChunkKind } from "../chunking/types.ts";

/** Our own small filter: each store translates it; no backend syntax crosses this interface. */
export interface SearchFilter {
  /** Repo tag; "*" or undefined = all repos. */
  repo?: string;
  language?: string[];
  /** Path prefix (folder), e.g. "src/". */
  under?: string;
  /** Glob the path must match (minimatch-style: *, **, ?). */
  path_glob?: string;
  /** Glob the path must not match. */
  not_glob?: string;
  /** Kinds of point; "memory" selects memories (code searches exclude them by default). */
  kind?: (ChunkKind | "memory")[];
  /** Symbol name or symbol path must contain this (case-insensitive). */
  symbol?: string;
  /** File extensions without the dot, e.g. ["py"]. */
  ext?: string[];
}

/** The lexical side of a point: term -> weight (BM25-style document weight from the code tokenizer). */
export type SparseTerms = Map<string, number>;

/** One stored point: a chunk (or a memory, kind "memory"), its vectors and its deterministic id. */
export interface Point extends Omit<Chunk, "kind"> {
  id: string;
  kind: ChunkKind | "memory";
  /** Dense vector; absent when the embedder is "none", or until the background fill computes it. */
  vector?: Float32Array;
  /** The content key the vector was computed from (model + text), under which a store may keep it for reuse. */
  vector_key?: string;
  /** Lexical tokens of the chunk (symbol, path and body tokens), the input of FTS5 and sparse vectors. */
  lexical: LexicalFields;
  /** Memories only: their metadata, JSON-serialisable. */
  metadata?: Record<string, unknown>;
  created_at?: string;
}

/** Lexical tokens per field: a field's weight is decided by the store's ranking, not by the caller. */
export interface LexicalFields {
  symbol: string[];
  path: string[];
  body: string[];
}

/** Per-file state, recorded only after the file's points are stored. */
export interface FileRecord {
  repo: string;
  path: string;
  hash: string;
  size: number;
  mtime_ms: number;
  chunks: number;
  indexed_at: number;
}

export interface ScoredPoint {
  point: Point;
  score: number;
}

/** A lexical query: terms with query-side weights (informative identifiers weigh more). */
export interface LexicalQuery {
  terms: { term: string; weight: number }[];
}

export interface RepoStats {
  repo: string;
  points: number;
  files: number;
  memories: number;
  last_indexed_at: number | null;
}

/** What the index was built with; a mismatch means a rebuild, never a mix. */
export interface IndexSchema {
  embedder: string;
  dimension: number;
}

export type SchemaCheck =
  | { status: "created" | "ok" }
  | { status: "mismatch"; stored: IndexSchema; wanted: IndexSchema };

/** A vector computed for a stored point, with the content key it was computed from. */
export interface DenseItem {
  id: string;
  key: string;
  vector: Float32Array;
}

export interface DenseProgress {
  /** Points (memories aside) that have their dense vector. */
  done: number;
  total: number;
}

/**
 * Dense vectors filled in behind the lexical index: points are stored without a vector and searchable at once
 * (lexically); a background fill takes them from this backlog, embeds them (or finds their vector in the cache by
 * content key) and puts the vectors. Dense search covers the points that have one.
 */
export interface DenseBacklog {
  /** Points waiting for a vector, oldest first, at most `limit` (text, path and symbol path; no lexical fields). */
  pendingDense(limit: number): Promise<Point[]>;
  /** Stores vectors by point id (each also cached under its key); ids no longer stored are skipped. Returns how many were stored. */
  putDense(items: DenseItem[]): Promise<number>;
  /** Vectors computed before under these content keys. */
  cachedDense(keys: string[]): Promise<Map<string, Float32Array>>;
  /** How far the fill has come, for one repo or all. */
  denseProgress(repo?: string): Promise<DenseProgress>;
  /** Drops cached vectors no point uses, past a budget (after a fill); returns how many went. */
  pruneDense(): Promise<number>;
}

export interface Store {
  /** Present when the store fills dense vectors in the background (and has vectors); else vectors come inline. */
  readonly dense?: DenseBacklog;
  readonly kind: "sqlite" | "qdrant";
  /** Where it lives, for messages: a file path or a URL. */
  readonly location: string;
  /** The SQLite driver reading the file (embedded store only): better-sqlite3 or node-sqlite. */
  readonly driver?: string;
  /** Creates the collection/tables for this schema, or reports how the existing one differs. */
  ensure(schema: IndexSchema): Promise<SchemaCheck>;
  /** What the index was built with, read without creating anything; undefined before the first index. Optional. */
  schema?(): Promise<IndexSchema | undefined>;
  /** Drops every point and file record and re-creates the index for the schema. */
  recreate(schema: IndexSchema): Promise<void>;
  /** Atomically replaces one file's points and records its state (one transaction / one confirmed batch). */
  replaceFile(file: FileRecord, points: Point[]): Promise<void>;
  /** Several files at once, each as replaceFile would (one transaction for all is allowed); optional, for speed. */
  replaceFiles?(items: { file: FileRecord; points: Point[] }[]): Promise<void>;
  /** Removes the points and records of these files. */
  removeFiles(repo: string, paths: string[]): Promise<void>;
  /** Moves a file's points to a new path without re-embedding (ids are recomputed by the caller via `rekey`). */
  moveFile(repo: string, from: string, to: FileRecord, rekey: (p: Point) => string): Promise<boolean>;
  /** The recorded state of every file of a repo. */
  listFiles(repo: string): Promise<Map<string, FileRecord>>;
  /** The records of these paths only (those it has): a one-file update need not read the whole repo's list. */
  fileRecords?(repo: string, paths: string[]): Promise<Map<string, FileRecord>>;
  /** Points of one file, in line order. */
  filePoints(repo: string, path: string): Promise<Point[]>;
  /** Per path, the text of its chunks that start at or before this line, in line order (its imports), read at once. */
  fileHeadTexts(repo: string, paths: string[], maxLine: number): Promise<Map<string, string>>;
  /** Upserts free-standing points (memories). */
  upsertPoints(points: Point[]): Promise<void>;
  searchDense(vector: Float32Array, filter: SearchFilter, limit: number): Promise<ScoredPoint[]>;
  searchLexical(query: LexicalQuery, filter: SearchFilter, limit: number): Promise<ScoredPoint[]>;
  /**
   * Chunks whose text holds any of these token sequences (code tokens, in order): an error message quoted in an issue
   * finds the code that raises it. Best first; optional (a store without phrase search skips the signal).
   */
  searchPhrases?(phrases: string[][], filter: SearchFilter, limit: number): Promise<ScoredPoint[]>;
  /**
   * Chunks whose symbol path is exactly one of these (`RST.__init__`), within the filter, at most `limit`, in no
   * particular order: a symbol an issue names by its qualified name, however few of its words its code holds. Optional.
   */
  findSymbols?(symbolPaths: string[], filter: SearchFilter, limit: number): Promise<Point[]>;
  /**
   * The words of the commit subjects that changed each file of a repo (replacing the repo's previous ones), and the
   * commit they were read at. Optional: a store without it ranks without the repository's history.
   */
  replaceFileHistory?(repo: string, head: string, words: Map<string, string[]>): Promise<void>;
  /** The commit the repo's file history was read at, if any. */
  fileHistoryHead?(repo: string): Promise<string | undefined>;
  /** Files whose history words match the weighted terms, best (BM25) first. */
  searchFileHistory?(repo: string, query: LexicalQuery, limit: number): Promise<{ path: string; score: number }[]>;
  stats(): Promise<RepoStats[]>;
  /**
   * After a large write (a first index, windows replaced by symbol chunks): merges the lexical index into one segment
   * without the entries of deleted rows, so searches read shorter lists. Rankings are unchanged. Optional.
   */
  compact?(): Promise<void>;
  /**
   * A value that changes whenever the index changes, written by this process or any other (cheap: read per search).
   * Optional: a store that cannot tell has no result cache.
   */
  generation?(): string;
  /** Cheap reachability check for readiness probes; throws with a readable reason. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
