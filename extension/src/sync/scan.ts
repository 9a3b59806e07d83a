// Walks the workspace and lists the files to sync with their sha256; hashes are reused while size and mtime are unchanged.
import { createHash } from "node:crypto";
import { createReadStream, promises as fs, type Stats } from "node:fs";
import path from "node:path";
import { SYNC_LIMITS, type ManifestEntry } from "../../../server/src/sync/protocol.ts";
import { throwIfAborted, type Logger } from "../log.ts";
import type { IgnoreRules } from "./ignore-rules.ts";

interface Cached {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file)
      .on("data", (c) => h.update(c))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });
}

export function toRel(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join("/");
}

export interface ScanResult {
  files: ManifestEntry[];
  skipped: Array<{ path: string; reason: string }>;
}

export class WorkspaceScanner {
  private readonly cache = new Map<string, Cached>();

  constructor(
    readonly root: string,
    readonly rules: IgnoreRules,
    private readonly log: Logger,
  ) {}

  /** The entry for one file, or a reason it is not synced; undefined when it does not exist (deleted). */
  async entry(rel: string, st?: Stats): Promise<ManifestEntry | { skip: string } | undefined> {
    const abs = path.join(this.root, rel);
    try {
      st = st ?? (await fs.lstat(abs));
    } catch {
      this.cache.delete(rel);
      return undefined;
    }
    if (st.isSymbolicLink()) return { skip: "symbolic link" };
    if (!st.isFile()) return { skip: "not a regular file" };
    if (st.size > SYNC_LIMITS.maxFileBytes) return { skip: `larger than ${SYNC_LIMITS.maxFileBytes / 1024 / 1024} MiB` };
    const hit = this.cache.get(rel);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return { path: rel, sha256: hit.sha256, size: st.size };
    const sha256 = await sha256File(abs);
    this.cache.set(rel, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
    return { path: rel, sha256, size: st.size };
  }

  /** Files known from earlier scans under a folder (a deleted folder's files are deleted one by one). */
  forgetUnder(dirRel: string): string[] {
    const prefix = `${dirRel}/`;
    const out = [...this.cache.keys()].filter((k) => k.startsWith(prefix));
    for (const k of out) this.cache.delete(k);
    return out;
  }

  /** The files to sync (all of them, or those under `under`, a repo-relative folder). */
  async scan(signal?: AbortSignal, onProgress?: (files: number) => void, under = ""): Promise<ScanResult> {
    const files: ManifestEntry[] = [];
    const skipped: ScanResult["skipped"] = [];
    const walk = async (dirRel: string): Promise<void> => {
      throwIfAborted(signal, "workspace scan");
      let entries;
      try {
        entries = await fs.readdir(path.join(this.root, dirRel), { withFileTypes: true });
      } catch (e) {
        skipped.push({ path: dirRel || ".", reason: `unreadable: ${(e as Error).message}` });
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const d of entries) {
        const rel = dirRel ? `${dirRel}/${d.name}` : d.name;
        if (d.isSymbolicLink()) continue;
        if (d.isDirectory()) {
          if (!this.rules.ignoresEntry(rel, true)) await walk(rel);
          continue;
        }
        if (!d.isFile() || this.rules.ignoresEntry(rel, false)) continue;
        const e = await this.entry(rel);
        if (!e) continue;
        if ("skip" in e) {
          skipped.push({ path: rel, reason: e.skip });
          continue;
        }
        files.push(e);
        if (files.length > SYNC_LIMITS.maxEntries) {
          throw new Error(
            `The workspace has more than ${SYNC_LIMITS.maxEntries} files to sync. Exclude generated or vendored folders with "contextEngine.sync.exclude" or a .contextignore file.`,
          );
        }
        if (files.length % 500 === 0) onProgress?.(files.length);
      }
    };
    await walk(under);
    for (const s of skipped) this.log.debug(`sync: skipped ${s.path} (${s.reason})`);
    return { files, skipped };
  }
}
