// Shared by the chunking tests: run the real chunker and look chunks up by symbol path or text.
import assert from "node:assert/strict";
import { chunkFile, type FileChunk } from "../../server/src/chunking/index.ts";

export const MICRO = { microChunks: true, maxMicroChunks: 200 };
export const MACRO = { microChunks: false, maxMicroChunks: 200 };

export function chunk(language: string, text: string, opts = MICRO): Promise<FileChunk[]> {
  return chunkFile({ path: `sample.${language}`, text, language }, opts);
}

/** 1-based line of the first line containing `marker`. */
export function lineOf(text: string, marker: string, from = 0): number {
  const at = text.indexOf(marker, from);
  assert.ok(at >= 0, `marker ${JSON.stringify(marker)} not in sample`);
  return text.slice(0, at).split("\n").length;
}

/** The one chunk whose symbol_path is `path`. */
export function bySymbol(chunks: FileChunk[], path: string): FileChunk {
  const found = chunks.filter((c) => c.symbol_path === path);
  assert.equal(found.length, 1, `expected one chunk for ${path}, got ${found.length}: ${describe(chunks)}`);
  return found[0];
}

export function span(c: FileChunk): [number, number] {
  return [c.start_line, c.end_line];
}

export function describe(chunks: FileChunk[]): string {
  return chunks.map((c) => `${c.start_line}-${c.end_line} ${c.symbol_kind || "-"} ${c.symbol_path || "-"}`).join("; ");
}

/** Lines (1-based) with real content that no chunk covers: there must be none. */
export function uncovered(text: string, chunks: FileChunk[]): number[] {
  const lines = text.split("\n");
  const covered = new Uint8Array(lines.length + 2);
  for (const c of chunks) for (let i = c.start_line; i <= c.end_line; i++) covered[i] = 1;
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (/[A-Za-z0-9]/.test(l) && !/^[\s\])};,]*(?:end|fi|done|esac)?[\s\])};,]*$/.test(l) && !covered[i + 1]) out.push(i + 1);
  });
  return out;
}

/** Every chunk's text is exactly its lines of the file. */
export function assertTextMatchesLines(text: string, chunks: FileChunk[]): void {
  const lines = text.split(/\r?\n/);
  for (const c of chunks) assert.equal(c.text, lines.slice(c.start_line - 1, c.end_line).join("\n"), `text of ${c.start_line}-${c.end_line}`);
}
