/** What a chunk of a file is; every kind but "memory" (a point's other kind) is a file's. */
export const CHUNK_KINDS = ["code", "doc", "config", "test"] as const;
export type ChunkKind = (typeof CHUNK_KINDS)[number];

/** Symbol kinds that hold members: a function inside one is a method. */
export const CLASS_LIKE = new Set(["class", "interface", "struct", "trait", "impl", "enum", "record"]);

/** A span of one file, as DESIGN.md section 4 defines it (lines are 1-based, inclusive). */
export interface Chunk {
  repo: string;
  path: string;
  language: string;
  start_line: number;
  end_line: number;
  /** Innermost named symbol enclosing the span ("" when none). */
  symbol: string;
  /** function | method | class | interface | struct | enum | module | heading | ... ("" when none). */
  symbol_kind: string;
  /** Dotted path of enclosing symbols, e.g. "Session.request" ("" when none). */
  symbol_path: string;
  kind: ChunkKind;
  text: string;
  file_hash: string;
}

/** What the chunker returns for one file before repo/hash are attached. */
export type FileChunk = Omit<Chunk, "repo" | "file_hash" | "path" | "kind">;
