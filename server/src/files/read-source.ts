import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SkipReason } from "./discover.ts";

export type SourceRead = { ok: true; text: string; hash: string; size: number } | { ok: false; reason: SkipReason };

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Reads a file as text: binary (NUL bytes) and invalid UTF-8 are refused with the reason, never thrown. */
export function readSource(abs: string, maxBytes: number): SourceRead {
  let buf: Buffer;
  try {
    buf = readFileSync(abs);
  } catch {
    return { ok: false, reason: "unreadable" };
  }
  if (buf.length > maxBytes) return { ok: false, reason: "too-large" };
  const probe = buf.subarray(0, 8192);
  if (probe.includes(0)) return { ok: false, reason: "binary" };
  let text: string;
  try {
    text = decoder.decode(buf);
  } catch {
    return { ok: false, reason: "not-utf8" };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ok: true, text, hash: hashContent(buf), size: buf.length };
}

export function hashContent(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}
