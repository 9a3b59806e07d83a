// Second pass over an inspected archive: files staged outside the repo, deletions applied, then each file renamed into place.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { createGunzip } from "node:zlib";
import type { ReadEntry } from "tar";
import { newRawParser, type ArchivePlan } from "./archive-check.ts";
import { SyncHttpError } from "./paths.ts";

export interface AppliedFile {
  path: string;
  size: number;
  sha256: string;
  mtimeMs: number;
}

export interface ApplyResult {
  written: AppliedFile[];
  deleted: string[];
  bytes: number;
}

const RENAME_CONCURRENCY = 8;

interface Staged {
  path: string;
  tmp: string;
  size: number;
  sha256: string;
  executable: boolean;
}

/** Bytes of staged files being written at once; above it, reading the archive pauses. */
const MAX_INFLIGHT_BYTES = 32 * 1024 * 1024;

/** Extracts the planned files into `stageDir` (flat, numbered), hashing them on the way. */
function stageFiles(archive: string, plan: ArchivePlan, stageDir: string): Promise<Staged[]> {
  const planned = new Map(plan.files.map((f) => [f.path, f]));
  const staged: Staged[] = [];
  const writes: Promise<void>[] = [];
  let inflight = 0;
  return new Promise((resolve, reject) => {
    const input = createReadStream(archive);
    const gunzip = createGunzip();
    const parser = newRawParser();
    const fail = (err: Error) => {
      input.destroy();
      gunzip.destroy();
      reject(err);
    };
    parser.on("entry", (entry: ReadEntry) => {
      const want = planned.get(entry.path);
      if (!want || entry.type === "Directory") {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => {
        const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        const tmp = path.join(stageDir, String(staged.length));
        staged.push({ path: want.path, tmp, size: data.length, sha256: createHash("sha256").update(data).digest("hex"), executable: want.executable });
        inflight += data.length;
        if (inflight > MAX_INFLIGHT_BYTES) input.pause();
        writes.push(
          fs.writeFile(tmp, data, { mode: want.executable ? 0o755 : 0o644 }).then(() => {
            inflight -= data.length;
            if (inflight <= MAX_INFLIGHT_BYTES && input.isPaused()) input.resume();
          }),
        );
      });
    });
    parser.on("error", fail);
    parser.on("end", () => {
      Promise.all(writes).then(() => resolve(staged), reject);
    });
    gunzip.on("error", fail);
    input.on("error", fail);
    input.pipe(gunzip).pipe(parser as unknown as NodeJS.WritableStream);
  });
}

/** Removes empty folders from `dir` up to (not including) `root`. */
async function pruneEmptyDirs(root: string, dir: string): Promise<void> {
  while (dir !== root && dir.startsWith(root + path.sep)) {
    try {
      await fs.rmdir(dir);
    } catch {
      return;
    }
    dir = path.dirname(dir);
  }
}

/** Makes the parent folder of `target` and proves it resolves inside `realRoot` (a symlinked folder would not). */
async function safeParent(realRoot: string, target: string): Promise<void> {
  const parent = path.dirname(target);
  await fs.mkdir(parent, { recursive: true });
  const real = await fs.realpath(parent);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    throw new SyncHttpError(409, `cannot write ${path.relative(realRoot, target)}: its folder on the server leads outside the repo (a symlink?)`);
  }
}

async function deleteFiles(repoDir: string, realRoot: string, deletions: string[]): Promise<string[]> {
  const deleted: string[] = [];
  for (const rel of deletions) {
    const target = path.join(repoDir, rel);
    // A folder on the way that is a symlink could point outside the repo: such paths are left alone.
    const parent = await fs.realpath(path.dirname(target)).catch(() => undefined);
    if (!parent || (parent !== realRoot && !parent.startsWith(realRoot + path.sep))) continue;
    let st;
    try {
      st = await fs.lstat(target);
    } catch {
      continue; // already gone
    }
    if (st.isDirectory()) continue; // the protocol deletes files; emptied folders go below
    await fs.unlink(target);
    deleted.push(rel);
    await pruneEmptyDirs(repoDir, path.dirname(target));
  }
  return deleted;
}

/**
 * Applies an archive that inspectArchive accepted: deletions first (a path may turn from file into folder), then each
 * staged file renamed over its target, so readers (the watcher) never see a half-written file.
 */
export async function applyArchive(archive: string, plan: ArchivePlan, repoDir: string, stagingRoot: string): Promise<ApplyResult> {
  await fs.mkdir(stagingRoot, { recursive: true });
  const stageDir = await fs.mkdtemp(path.join(stagingRoot, "stage-"));
  try {
    const staged = await stageFiles(archive, plan, stageDir);
    await fs.mkdir(repoDir, { recursive: true });
    const realRoot = await fs.realpath(repoDir);
    const deleted = await deleteFiles(repoDir, realRoot, plan.deletions);
    const written: AppliedFile[] = [];
    let bytes = 0;
    const parents = new Map<string, Promise<void>>();
    let next = 0;
    const worker = async () => {
      while (next < staged.length) {
        const s = staged[next++];
        const target = path.join(repoDir, s.path);
        const dir = path.dirname(target);
        let ready = parents.get(dir);
        if (!ready) parents.set(dir, (ready = safeParent(realRoot, target)));
        await ready;
        const existing = await fs.lstat(target).catch(() => undefined);
        if (existing?.isDirectory()) {
          throw new SyncHttpError(409, `cannot write ${s.path}: a folder of that name exists on the server; list its files for deletion first`);
        }
        await fs.rename(s.tmp, target);
        const st = await fs.stat(target);
        written.push({ path: s.path, size: s.size, sha256: s.sha256, mtimeMs: st.mtimeMs });
        bytes += s.size;
      }
    };
    await Promise.all(Array.from({ length: Math.min(RENAME_CONCURRENCY, staged.length) }, worker));
    return { written, deleted, bytes };
  } finally {
    await fs.rm(stageDir, { recursive: true, force: true });
  }
}
