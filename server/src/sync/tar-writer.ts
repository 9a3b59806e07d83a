// Builds the upload body: a tar.gz of in-memory files (tar's Header/Pax encoders), plus the optional deletions entry.
import { constants } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { Header, Pax } from "tar";
import { pathProblem } from "./paths.ts";
import { DELETIONS_ENTRY } from "./protocol.ts";

const gzipAsync = promisify(gzip);

export interface TarFile {
  path: string;
  data: Buffer;
  executable?: boolean;
}

const ZERO_BLOCK = Buffer.alloc(512);
/** Why a file of a batch was left out: gone, a symbolic link or not a regular file since the scan, or a path that leaves the root. */
export type UnsentReason = "vanished" | "symlink" | "special" | "unsafe-name";

export interface UnsentFile {
  path: string;
  reason: UnsentReason;
}

/**
 * O_NOFOLLOW refuses a path swapped for a symlink since the scan; O_NONBLOCK keeps a FIFO from blocking the open (it
 * changes nothing for regular files). Where the platform lacks O_NOFOLLOW (Windows), an lstat comes first instead.
 */
const NOFOLLOW = constants.O_NOFOLLOW;
const OPEN_FLAGS = constants.O_RDONLY | (NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Reads `rels` (relative to `root`) as they are now, for one upload batch. Each is sent as a regular file of its
 * own: a hard-linked file is sent whole (the uploader accepts no links), and a path that vanished or stopped being a
 * regular file since the scan, or that would leave `root`, is listed in `unsent` instead.
 */
export async function readTarFiles(root: string, rels: string[]): Promise<{ files: TarFile[]; unsent: UnsentFile[] }> {
  const files: TarFile[] = [];
  const unsent: UnsentFile[] = [];
  for (const rel of rels) {
    if (pathProblem(rel)) {
      unsent.push({ path: rel, reason: "unsafe-name" });
      continue;
    }
    const abs = path.join(root, rel);
    if (NOFOLLOW === undefined && (await fs.lstat(abs).then((st) => st.isSymbolicLink(), () => false))) {
      unsent.push({ path: rel, reason: "symlink" });
      continue;
    }
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(abs, OPEN_FLAGS);
    } catch (e) {
      unsent.push({ path: rel, reason: (e as NodeJS.ErrnoException).code === "ELOOP" ? "symlink" : "vanished" });
      continue;
    }
    try {
      const st = await fh.stat();
      if (st.isFile()) files.push({ path: rel, data: await fh.readFile(), executable: (st.mode & 0o111) !== 0 });
      else unsent.push({ path: rel, reason: "special" });
    } finally {
      await fh.close();
    }
  }
  return { files, unsent };
}

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
