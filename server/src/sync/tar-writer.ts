// Builds the upload body: a tar.gz of in-memory files (tar's Header/Pax encoders), plus the optional deletions entry.
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { Header, Pax } from "tar";
import { DELETIONS_ENTRY } from "./protocol.ts";

const gzipAsync = promisify(gzip);

export interface TarFile {
  path: string;
  data: Buffer;
  executable?: boolean;
}

const ZERO_BLOCK = Buffer.alloc(512);
/** Fixed mtime: the server stamps files when it writes them; identical input gives identical archives. */
const EPOCH = new Date(0);

function entry(p: string, data: Buffer, mode: number): Buffer[] {
  const header = new Header({ path: p, mode, size: data.length, mtime: EPOCH, type: "File", uid: 0, gid: 0, uname: "", gname: "" });
  const block = Buffer.alloc(512);
  const needPax = header.encode(block, 0);
  const parts: Buffer[] = [];
  if (needPax) parts.push(new Pax({ path: p, size: data.length, mtime: EPOCH }).encode());
  parts.push(block, data);
  const pad = (512 - (data.length % 512)) % 512;
  if (pad) parts.push(ZERO_BLOCK.subarray(0, pad));
  return parts;
}

/** The tar stream (uncompressed) of `files` and, when `deletions` is non-empty, the deletions entry. */
export function tarBuffer(files: TarFile[], deletions: string[] = []): Buffer {
  const parts: Buffer[] = [];
  if (deletions.length) parts.push(...entry(DELETIONS_ENTRY, Buffer.from(JSON.stringify(deletions)), 0o644));
  for (const f of files) parts.push(...entry(f.path, f.data, f.executable ? 0o755 : 0o644));
  parts.push(ZERO_BLOCK, ZERO_BLOCK);
  return Buffer.concat(parts);
}

/** tar.gz of `files` (+ deletions); compressed off the main thread. */
export async function tarGz(files: TarFile[], deletions: string[] = [], level = 6): Promise<Buffer> {
  return gzipAsync(tarBuffer(files, deletions), { level });
}
