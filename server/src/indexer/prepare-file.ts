// One file from disk to points ready to store: read, hash, chunk, ids and lexical fields. It runs on the chunking
// workers during a large run, so the main thread is left with the store's writes; small runs call it in-process.
import { createHash } from "node:crypto";
import { chunkFile, lineWindows, needsParse, type ChunkInput, type ChunkOptions } from "../chunking/chunk-file.ts";
import type { FileChunk } from "../chunking/types.ts";
import { kindOf, languageOf, readSource, type Skipped } from "../files/index.ts";
import { chunkPointId } from "../store/ids.ts";
import { fieldsOfTexts, type FieldTexts } from "../store/lexical-text.ts";
import type { Point } from "../store/types.ts";
import { fastLexicalTexts } from "./fast-lexical.ts";

export interface PrepareJob {
  repo: string;
  /** Repo-relative path, and where to read it. */
  path: string;
  abs: string;
  maxBytes: number;
  /** The hash stored for this path: the same content again is reported unchanged without chunking. */
  knownHash?: string;
  opts: ChunkOptions;
  /** The windows pass: a file that needs a parse is cut into line windows instead (and said to be), others as ever. */
  windowsOnly?: boolean;
}

/** A point as it crosses a thread: lexical fields as joined texts (see store/lexical-text.ts). */
export type WirePoint = Omit<Point, "lexical"> & { lexical: FieldTexts };

export type PreparedFile =
  | { state: "unreadable"; reason: Skipped["reason"] }
  | { state: "unchanged"; hash: string }
  /** `windows`: the file's line windows, to be replaced by its symbol chunks (a windowsOnly job's file that needs a parse). */
  | { state: "ready"; hash: string; points: WirePoint[]; windows?: true };

type Chunk = (input: ChunkInput, opts: ChunkOptions) => Promise<FileChunk[]>;

function textHash(text: string): string {
  return createHash("sha1").update(text).digest("hex").slice(0, 16);
}

/** The id of a point from its repo, path, span and text: the same chunk always gets the same id. */
export function idOf(p: Pick<Point, "repo" | "path" | "start_line" | "end_line" | "text">): string {
  return chunkPointId(p.repo, p.path, p.start_line, p.end_line, textHash(p.text));
}

export async function prepareFile(job: PrepareJob, chunk: Chunk = chunkFile): Promise<PreparedFile> {
  const src = readSource(job.abs, job.maxBytes);
  if (!src.ok) return { state: "unreadable", reason: src.reason };
  if (job.knownHash === src.hash) return { state: "unchanged", hash: src.hash };
  const language = languageOf(job.path);
  const input = { path: job.path, text: src.text, language };
  const blank = !src.text.trim();
  const windows = job.windowsOnly === true && !blank && needsParse(language);
  const chunks = blank ? [] : windows ? lineWindows(input, job.opts) : await chunk(input, job.opts);
  const points = pointsOf(job.repo, job.path, kindOf(job.path, language), src.hash, chunks);
  return windows ? { state: "ready", hash: src.hash, points, windows } : { state: "ready", hash: src.hash, points };
}

function pointsOf(repo: string, rel: string, kind: Point["kind"], fileHash: string, chunks: FileChunk[]): WirePoint[] {
  // Two chunks with one span and one text (a small symbol and its only window) are one point.
  const seen = new Set<string>();
  const points: WirePoint[] = [];
  for (const c of chunks) {
    const chunk = { ...c, repo, path: rel, kind, file_hash: fileHash };
    const id = idOf(chunk);
    if (seen.has(id)) continue;
    seen.add(id);
    points.push({ ...chunk, id, lexical: fastLexicalTexts(chunk) });
  }
  return points;
}

/** Points back from the wire: lexical fields backed by their texts. */
export function fromWire(points: WirePoint[]): Point[] {
  const out = points as unknown as Point[];
  for (let i = 0; i < points.length; i++) out[i]!.lexical = fieldsOfTexts(points[i]!.lexical);
  return out;
}
