// One file's text → chunks that follow symbol boundaries (tree-sitter), Markdown headings, or line windows
// for everything else. See DESIGN.md section 4.
import { grammarLanguages, hasGrammar, parse, parserFor } from "./grammars.ts";
import { rulesFor } from "./languages/index.ts";
import { LineIndex } from "./lines.ts";
import { markdownSegments } from "./markdown.ts";
import { Outliner, type Segment } from "./outline.ts";
import type { FileChunk } from "./types.ts";
import { MACRO, MICRO, toChunks, type WindowPlan } from "./windows.ts";

export interface ChunkInput {
  /** Repo-relative path (for messages; the language decides how the file is cut). */
  path: string;
  text: string;
  /** Language id from server/src/files (typescript, python, markdown, json, text, ...). */
  language: string;
}

export interface ChunkOptions {
  /** INDEX_MICRO_CHUNKS: cut large symbols into 5-50 line windows instead of up to 120-line ones. */
  microChunks: boolean;
  /** MAX_MICRO_CHUNKS_PER_FILE: most windows per file; above it the windows widen. */
  maxMicroChunks: number;
}

/**
 * Chunks one file. Lines are 1-based and inclusive; chunks come in order of start line and may overlap
 * (windows share lines). An empty or blank file gives no chunks. A file that tree-sitter cannot parse is
 * cut into line windows. Rejects only when a grammar cannot be loaded at all (a broken install).
 */
export async function chunkFile(input: ChunkInput, opts: ChunkOptions): Promise<FileChunk[]> {
  const lines = new LineIndex(input.text);
  if (lines.count === 0) return [];
  const plan = planOf(opts);
  let segments: Segment[] | null = null;
  if (input.language === "markdown") {
    segments = markdownSegments(lines);
  } else if (hasGrammar(input.language)) {
    segments = await symbolSegments(input.language, lines, plan.window);
  }
  segments ??= wholeFile(lines);
  return toChunks(segments, lines, input.language, plan);
}

/** Whether chunkFile parses this language: a file of any other is chunked at once by lineWindows or Markdown headings. */
export function needsParse(language: string): boolean {
  return hasGrammar(language) && rulesFor(language) !== undefined;
}

/**
 * The whole file in line windows that do not overlap, without loading a grammar: what a file is searchable as before
 * its symbols are known (the indexer's windows pass). No overlap: the windows are replaced soon, and every line held
 * twice would cost the pass time.
 */
export function lineWindows(input: ChunkInput, opts: ChunkOptions): FileChunk[] {
  const lines = new LineIndex(input.text);
  if (lines.count === 0) return [];
  return toChunks(wholeFile(lines), lines, input.language, { ...planOf(opts), overlap: 0 });
}

function planOf(opts: ChunkOptions): WindowPlan {
  return { ...(opts.microChunks ? MICRO : MACRO), cap: opts.microChunks ? Math.max(0, opts.maxMicroChunks) : 0 };
}

/** Loads grammars ahead of the first file (all of them by default), so a server is ready before it says so. */
export async function loadGrammars(languages: string[] = grammarLanguages()): Promise<void> {
  await Promise.all(languages.filter(hasGrammar).map((l) => parserFor(l)));
}

async function symbolSegments(language: string, lines: LineIndex, maxLines: number): Promise<Segment[] | null> {
  const rules = rulesFor(language);
  if (!rules) return null;
  const parser = await parserFor(language);
  let tree;
  try {
    tree = parse(parser, lines.text);
  } catch {
    // tree-sitter aborts on some inputs; the file still gets line windows.
    return null;
  }
  if (!tree) return null;
  try {
    const segments = new Outliner(rules, lines, maxLines).outline(tree.rootNode);
    return segments.length ? segments : null;
  } finally {
    tree.delete();
  }
}

function wholeFile(lines: LineIndex): Segment[] {
  const span = lines.trimBlank(0, lines.count - 1);
  return span ? [{ first: span[0], last: span[1], symbol: "", symbol_kind: "", symbol_path: "" }] : [];
}
