import { createHash } from "node:crypto";

/** Deterministic UUID (v5-shaped) from the parts: re-indexing is idempotent, a retried batch never duplicates. */
export function pointId(...parts: (string | number)[]): string {
  const h = createHash("sha1").update(parts.join("\u0000")).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The id of a code chunk: repo, path, span and content hash of the chunk's text. */
export function chunkPointId(repo: string, path: string, startLine: number, endLine: number, textHash: string): string {
  return pointId(repo, path, startLine, endLine, textHash);
}
