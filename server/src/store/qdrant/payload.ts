// How our points, file records and the schema record look inside Qdrant (ids, vectors, payload fields).
import type { Schemas } from "@qdrant/js-client-rest";
import { extOf } from "../../files/index.ts";
import { pointId } from "../ids.ts";
import type { FileRecord, IndexSchema, Point } from "../types.ts";
import { pathPrefixes, symbolText } from "./filter.ts";
import { documentVector, type SparseVector } from "./sparse.ts";

export const DENSE = "dense";
export const LEX = "lex";
/** Payload field with the body's code tokens, space-separated, for phrase matching (a whitespace-tokenized text index). */
export const BODY_TOKENS = "body_tokens";

/** Payload `kind` of the bookkeeping points, which carry no vectors and so never appear in searches. */
export const FILE_KIND = "file";
export const META_KIND = "meta";

/** Bumped when the payload layout or the sparse encoding changes incompatibly. */
export const LAYOUT_VERSION = 1;

export type PointStruct = Schemas["PointStruct"];
type Payload = Record<string, unknown>;

/** The one schema record per collection. */
export const META_ID = pointId("context-engine", "schema");

export function fileRecordId(repo: string, path: string): string {
  return pointId("context-engine", "file", repo, path);
}

/** A chunk or memory as a Qdrant point: named `dense` vector (when the index has one) and `lex` sparse vector. */
export function toPointStruct(p: Point, dimension: number, sparse: SparseVector = documentVector(p.lexical)): PointStruct {
  const vector: Record<string, number[] | SparseVector> = {};
  if (dimension > 0 && p.vector) {
    if (p.vector.length !== dimension) {
      throw new Error(`point ${p.id} (${p.repo}:${p.path}) has a vector of ${p.vector.length} dimensions for an index of ${dimension}: rebuild the index`);
    }
    vector[DENSE] = Array.from(p.vector);
  }
  if (sparse.indices.length) vector[LEX] = sparse;
  const payload: Payload = {
    repo: p.repo,
    path: p.path,
    path_prefixes: pathPrefixes(p.path),
    ext: extOf(p.path),
    language: p.language,
    kind: p.kind,
    symbol: p.symbol,
    symbol_kind: p.symbol_kind,
    symbol_path: p.symbol_path,
    symbol_text: symbolText(p.symbol, p.symbol_path),
    start_line: p.start_line,
    end_line: p.end_line,
    text: p.text,
    file_hash: p.file_hash,
    [BODY_TOKENS]: p.lexical.body.join(" "),
  };
  if (p.metadata) payload.metadata = p.metadata;
  if (p.created_at) payload.created_at = p.created_at;
  return { id: p.id, vector, payload };
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function num(v: unknown): number {
  return typeof v === "number" ? v : 0;
}

/** Back from Qdrant. Like the embedded store, lexical tokens are not kept (the sparse vector is derived from them). */
export function fromPayload(id: string | number, payload: Payload | null | undefined, vector?: unknown): Point {
  const p = payload ?? {};
  const point: Point = {
    id: String(id),
    repo: str(p.repo),
    path: str(p.path),
    language: str(p.language),
    start_line: num(p.start_line),
    end_line: num(p.end_line),
    symbol: str(p.symbol),
    symbol_kind: str(p.symbol_kind),
    symbol_path: str(p.symbol_path),
    kind: str(p.kind) as Point["kind"],
    text: str(p.text),
    file_hash: str(p.file_hash),
    lexical: { symbol: [], path: [], body: [] },
  };
  if (p.metadata && typeof p.metadata === "object") point.metadata = p.metadata as Record<string, unknown>;
  if (typeof p.created_at === "string") point.created_at = p.created_at;
  const dense = vector && typeof vector === "object" ? (vector as Record<string, unknown>)[DENSE] : undefined;
  if (Array.isArray(dense)) point.vector = Float32Array.from(dense as number[]);
  return point;
}

export function fileRecordStruct(file: FileRecord): PointStruct {
  return {
    id: fileRecordId(file.repo, file.path),
    vector: {},
    payload: {
      kind: FILE_KIND,
      repo: file.repo,
      path: file.path,
      hash: file.hash,
      size: file.size,
      mtime_ms: file.mtime_ms,
      chunks: file.chunks,
      indexed_at: file.indexed_at,
    },
  };
}

export function toFileRecord(payload: Payload | null | undefined): FileRecord {
  const p = payload ?? {};
  return {
    repo: str(p.repo),
    path: str(p.path),
    hash: str(p.hash),
    size: num(p.size),
    mtime_ms: num(p.mtime_ms),
    chunks: num(p.chunks),
    indexed_at: num(p.indexed_at),
  };
}

export function metaStruct(schema: IndexSchema): PointStruct {
  return {
    id: META_ID,
    vector: {},
    payload: { kind: META_KIND, embedder: schema.embedder, dimension: schema.dimension, layout: LAYOUT_VERSION },
  };
}
