// The server's view of one repo folder: sha256 per file, cached by size and mtime so a re-manifest only stats.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { ManifestEntry, ManifestResponse } from "./protocol.ts";
import { PROTECTED_SEGMENTS } from "./paths.ts";

interface CachedHash {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export interface FileHash {
  sha256: string;
  size: number;
}

const HASH_CONCURRENCY = 16;

/** A file's hash from the cache while its size and mtime are unchanged, else hashed again and cached. */
async function cachedHash(
  cache: Map<string, CachedHash>,
  rel: string,
  abs: string,
  st: { size: number; mtimeMs: number },
): Promise<FileHash> {
  const hit = cache.get(rel);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return { sha256: hit.sha256, size: hit.size };
  const sha256 = await hashFile(abs);
  cache.set(rel, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return { sha256, size: st.size };
}

export function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file)
      .on("data", (c) => h.update(c))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });
}

/** Regular files under `root` (relative, forward slashes), skipping the protected folders; symlinks are not followed. */
async function walk(root: string): Promise<{ rel: string; abs: string }[]> {
  const out: { rel: string; abs: string }[] = [];
  const pending: string[] = [""];
  while (pending.length) {
    const relDir = pending.pop() as string;
    let entries;
    try {
      entries = await fs.readdir(path.join(root, relDir), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!PROTECTED_SEGMENTS.has(e.name)) pending.push(rel);
      } else if (e.isFile()) {
        out.push({ rel, abs: path.join(root, rel) });
      }
    }
  }
  return out;
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Hash cache for every repo the uploader serves. */
export class RepoTree {
  private readonly cache = new Map<string, Map<string, CachedHash>>();

  private repoCache(repoDir: string): Map<string, CachedHash> {
    let c = this.cache.get(repoDir);
    if (!c) this.cache.set(repoDir, (c = new Map()));
    return c;
  }

  /** Current hashes of the repo's files; only files whose size or mtime changed since last time are read. */
  async hashes(repoDir: string): Promise<Map<string, FileHash>> {
    const cache = this.repoCache(repoDir);
    const files = await walk(repoDir);
    const out = new Map<string, FileHash>();
    const live = new Set<string>();
    await mapLimit(files, HASH_CONCURRENCY, async ({ rel, abs }) => {
      let st;
      try {
        st = await fs.stat(abs);
      } catch {
        return; // removed while listing
      }
      live.add(rel);
      out.set(rel, await cachedHash(cache, rel, abs, st));
    });
    for (const rel of cache.keys()) if (!live.has(rel)) cache.delete(rel);
    return out;
  }

  /** Hashes of just `paths` (a partial manifest): no walk of the whole repo, and no path through a link. */
  async hashesOf(repoDir: string, paths: string[]): Promise<Map<string, FileHash>> {
    const cache = this.repoCache(repoDir);
    const out = new Map<string, FileHash>();
    const realRoot = await fs.realpath(repoDir).catch(() => undefined);
    if (!realRoot) return out;
    const folders = new Map<string, Promise<boolean>>();
    // A folder on the way that is a link could point outside: what lies there is neither read nor reported.
    const plainFolder = (dir: string) => {
      let ok = folders.get(dir);
      if (!ok) folders.set(dir, (ok = fs.realpath(path.join(repoDir, dir)).then((real) => real === path.join(realRoot, dir), () => false)));
      return ok;
    };
    await mapLimit(paths, HASH_CONCURRENCY, async (rel) => {
      const abs = path.join(repoDir, rel);
      if (!(await plainFolder(path.posix.dirname(rel)))) return;
      const st = await fs.lstat(abs).catch(() => undefined);
      if (!st?.isFile()) return;
      out.set(rel, await cachedHash(cache, rel, abs, st));
    });
    return out;
  }

  /** Records a file the uploader just wrote, so the next manifest does not read it again. */
  remember(repoDir: string, rel: string, size: number, mtimeMs: number, sha256: string): void {
    this.repoCache(repoDir).set(rel, { size, mtimeMs, sha256 });
  }

  forget(repoDir: string, rel: string): void {
    this.repoCache(repoDir).delete(rel);
  }
}

/** What the client must send and what it should delete, given the server's files. */
export function compareManifest(files: ManifestEntry[], server: Map<string, FileHash>, complete: boolean): Pick<ManifestResponse, "need" | "delete"> {
  const need: string[] = [];
  const listed = new Set<string>();
  for (const f of files) {
    listed.add(f.path);
    const have = server.get(f.path);
    if (!have || have.size !== f.size || have.sha256 !== f.sha256) need.push(f.path);
  }
  const del: string[] = [];
  if (complete) for (const p of server.keys()) if (!listed.has(p)) del.push(p);
  del.sort();
  return { need, delete: del };
}
