// Second pass over an inspected archive: files staged outside the repo, deletions applied, then each file renamed into place.
import { createHash } from "node:crypto";
import { constants as fsConstants, createReadStream } from "node:fs";
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

function conflict(rel: string, why: string): SyncHttpError {
  return new SyncHttpError(409, `Upload refused, nothing was changed: cannot write ${rel}: ${why}`);
}

/** Most entries looked at to prove a folder on the server is emptied by an upload's deletions. */
const MAX_EMPTIED_ENTRIES = 100_000;

/** True when deleting `deletions` (and pruning the folders they empty) removes the folder `rel` whole. */
async function emptiedBy(repoDir: string, rel: string, deletions: ReadonlySet<string>): Promise<boolean> {
  const pending = [rel];
  let seen = 0;
  while (pending.length) {
    const dir = pending.pop()!;
    const entries = await fs.readdir(path.join(repoDir, dir), { withFileTypes: true });
    if (entries.length === 0) return false; // an empty folder is never pruned
    for (const e of entries) {
      if (++seen > MAX_EMPTIED_ENTRIES) return false;
      const child = `${dir}/${e.name}`;
      if (e.isDirectory()) pending.push(child);
      else if (!e.isFile() || !deletions.has(child)) return false;
    }
  }
  return true;
}

/**
 * Every write of the plan checked against the server's tree before anything changes: no link or file on the way to a
 * target (unless that file is deleted first), no folder where a file goes (unless the deletions empty it).
 */
async function preflight(repoDir: string, files: string[], deletions: ReadonlySet<string>): Promise<void> {
  const folders = new Map<string, "folder" | "absent">();
  for (const rel of files) {
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      let verdict = folders.get(dir);
      if (!verdict) {
        const st = await fs.lstat(path.join(repoDir, dir)).catch(() => undefined);
        if (!st || (st.isFile() && deletions.has(dir))) verdict = "absent";
        else if (st.isDirectory()) verdict = "folder";
        else if (st.isSymbolicLink()) throw conflict(rel, `${dir} on the server is a symbolic link`);
        else throw conflict(rel, `${dir} is a file on the server; list it for deletion first`);
        folders.set(dir, verdict);
      }
      if (verdict === "absent") break; // made by this upload, with everything below it
    }
    const st = await fs.lstat(path.join(repoDir, rel)).catch(() => undefined);
    if (st?.isDirectory() && !(await emptiedBy(repoDir, rel, deletions))) {
      throw conflict(rel, "a folder of that name exists on the server; list its files for deletion first");
    }
  }
}

/** Undo steps of an apply in progress: a failure puts every path back as it was, newest change first. */
class Journal {
  private readonly steps: (() => Promise<unknown>)[] = [];
  private kept = 0;
  constructor(private readonly dir: string) {}

  /** A place beside the staged files (same filesystem) for a path's old content. */
  keepPath(): string {
    return path.join(this.dir, `kept-${this.kept++}`);
  }

  record(undo: () => Promise<unknown>): void {
    this.steps.push(undo);
  }

  async rollback(): Promise<void> {
    const steps = this.steps.splice(0).reverse();
    for (const undo of steps) await undo().catch(() => undefined);
  }
}

/** Moves deleted files aside (kept until the apply succeeds); a path through a link, or a folder, is left alone. */
async function deleteFiles(repoDir: string, realRoot: string, deletions: string[], journal: Journal): Promise<string[]> {
  const deleted: string[] = [];
  for (const rel of deletions) {
    const target = path.join(repoDir, rel);
    const parent = await fs.realpath(path.dirname(target)).catch(() => undefined);
    if (!parent || (parent !== realRoot && !parent.startsWith(realRoot + path.sep))) continue;
    const st = await fs.lstat(target).catch(() => undefined);
    if (!st || st.isDirectory()) continue; // already gone; the protocol deletes files, emptied folders go below
    const kept = journal.keepPath();
    await fs.rename(target, kept);
    journal.record(async () => {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rename(kept, target);
    });
    deleted.push(rel);
    await pruneEmptyDirs(repoDir, path.dirname(target));
  }
  return deleted;
}

/** Makes the parent folder of `target` (recorded for undo) and proves it resolves inside `realRoot`. */
async function safeParent(realRoot: string, target: string, journal: Journal): Promise<void> {
  const parent = path.dirname(target);
  const made = await fs.mkdir(parent, { recursive: true });
  if (made) journal.record(() => fs.rm(made, { recursive: true, force: true }));
  const real = await fs.realpath(parent);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    throw new SyncHttpError(409, `cannot write ${path.relative(realRoot, target)}: its folder on the server leads outside the repo (a symlink?)`);
  }
}

/**
 * Renames a staged file over its target, keeping the old content for undo. A copy (a reflink where the filesystem
 * has them), never a hard link: linking changes the target's link count, and a file watcher that sees that event
 * (chokidar stats the file, finds it unchanged, then ignores events on it for a few ms) misses the rename that follows.
 */
async function replaceFile(tmp: string, target: string, journal: Journal): Promise<void> {
  const existing = await fs.lstat(target).catch(() => undefined);
  if (existing) {
    const kept = journal.keepPath();
    if (existing.isSymbolicLink()) await fs.link(target, kept);
    else await fs.copyFile(target, kept, fsConstants.COPYFILE_FICLONE);
    journal.record(() => fs.rename(kept, target));
  } else {
    journal.record(() => fs.rm(target, { force: true }));
  }
  await fs.rename(tmp, target);
}

/**
 * Applies an archive that inspectArchive accepted, all or nothing: the whole plan is checked against the server's
 * tree first, then deletions (a path may turn from file into folder), then each staged file renamed over its target,
 * so readers (the watcher) never see a half-written file. If any step fails, every change is undone.
 */
export async function applyArchive(archive: string, plan: ArchivePlan, repoDir: string, stagingRoot: string): Promise<ApplyResult> {
  await fs.mkdir(stagingRoot, { recursive: true });
  const stageDir = await fs.mkdtemp(path.join(stagingRoot, "stage-"));
  const journal = new Journal(stageDir);
  try {
    const staged = await stageFiles(archive, plan, stageDir);
    await fs.mkdir(repoDir, { recursive: true });
    const realRoot = await fs.realpath(repoDir);
    await preflight(repoDir, staged.map((s) => s.path), new Set(plan.deletions));
    const deleted = await deleteFiles(repoDir, realRoot, plan.deletions, journal);
    const written: AppliedFile[] = [];
    let bytes = 0;
    const parents = new Map<string, Promise<void>>();
    let next = 0;
    const worker = async () => {
      while (next < staged.length) {
        const s = staged[next++]!;
        const target = path.join(repoDir, s.path);
        const dir = path.dirname(target);
        let ready = parents.get(dir);
        if (!ready) parents.set(dir, (ready = safeParent(realRoot, target, journal)));
        await ready;
        await replaceFile(s.tmp, target, journal);
        const st = await fs.stat(target);
        written.push({ path: s.path, size: s.size, sha256: s.sha256, mtimeMs: st.mtimeMs });
        bytes += s.size;
      }
    };
    // Every worker ends its current file before the undo starts; after a failure none takes another.
    const outcomes = await Promise.allSettled(
      Array.from({ length: Math.min(RENAME_CONCURRENCY, staged.length) }, () => worker().catch((err: unknown) => {
        next = staged.length;
        throw err;
      })),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) throw failed.reason;
    return { written, deleted, bytes };
  } catch (err) {
    await journal.rollback();
    throw err;
  } finally {
    await fs.rm(stageDir, { recursive: true, force: true });
  }
}
