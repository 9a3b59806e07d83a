// Client side: which workspace files are synced (ignore rules, built-in excludes) and their sha256, cached by size+mtime.
// Imported by the extension: node built-ins, `ignore` and the protocol only.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import ignore, { type Ignore } from "ignore";
import { DELETIONS_ENTRY, SYNC_LIMITS, type ManifestEntry } from "./protocol.ts";
import { pathProblem } from "./paths.ts";

/** Folders never synced: VCS metadata, dependencies, build output, virtualenvs, caches, the engine's own state. */
export const EXCLUDED_DIRS: ReadonlySet<string> = new Set([
  ".git", ".hg", ".svn", "node_modules", "bower_components", "dist", "build", ".venv", "venv", "__pycache__",
  ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".codebase", ".next", ".turbo", ".gradle", ".idea",
]);

/** Extensions of binary files: never synced (the index is for text). */
export const BINARY_EXTENSIONS: ReadonlySet<string> = new Set(
  ("png jpg jpeg gif bmp ico webp tif tiff psd pdf zip gz tgz bz2 xz zst 7z rar tar jar war ear exe dll so dylib a o obj " +
    "lib bin class pyc pyo wasm mp3 mp4 m4a mov avi mkv wav flac ogg webm ttf otf woff woff2 eot sqlite sqlite3 db node " +
    "iso dmg npy npz pkl pt pth onnx gguf safetensors parquet")
    .split(" ")
    .map((e) => "." + e),
);

const IGNORE_FILES = [".gitignore", ".contextignore"];
const SNIFF_BYTES = 8000;
const HASH_CONCURRENCY = 16;

export type SkipReason = "binary" | "too-large" | "symlink" | "special" | "unreadable" | "unsafe-name";

export interface HashCacheEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
  /** Sniffed as binary (a NUL byte near the start): skipped without reading it again. */
  binary?: boolean;
}

/** Path -> hash of the last scan; pass the same map to later scans and unchanged files are not read again. */
export type HashCache = Map<string, HashCacheEntry>;

export interface ScanOptions {
  /** gitignore-style patterns applied from the root, on top of .gitignore/.contextignore. */
  extraExcludes?: string[];
  cache?: HashCache;
  /** Files larger than this are skipped (reason "too-large"). */
  maxFileBytes?: number;
  /** Called for each file that is seen but not synced, with the reason. */
  onSkip?: (path: string, reason: SkipReason) => void;
}

interface RuleSet {
  base: string;
  ig: Ignore;
}

async function loadRules(absDir: string, relDir: string, names: Set<string>): Promise<RuleSet | undefined> {
  const ig = ignore();
  let any = false;
  for (const f of IGNORE_FILES) {
    if (!names.has(f)) continue;
    try {
      ig.add(await fs.readFile(path.join(absDir, f), "utf8"));
      any = true;
    } catch {
      // an unreadable ignore file ignores nothing
    }
  }
  return any ? { base: relDir, ig } : undefined;
}

/** gitignore semantics across nested files: the deepest rule that matches decides. */
function isIgnored(rules: RuleSet[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const r of rules) {
    const sub = r.base ? rel.slice(r.base.length + 1) : rel;
    const res = r.ig.test(isDir ? sub + "/" : sub);
    if (res.ignored) ignored = true;
    else if (res.unignored) ignored = false;
  }
  return ignored;
}

function looksBinary(head: Buffer): boolean {
  return head.subarray(0, SNIFF_BYTES).includes(0);
}

interface Candidate {
  rel: string;
  abs: string;
}

/** Lists the files to sync: walks the tree honouring the ignore rules, without following symlinks. */
async function listCandidates(root: string, opts: ScanOptions): Promise<Candidate[]> {
  const skip = opts.onSkip ?? (() => {});
  const out: Candidate[] = [];
  const rootRules: RuleSet[] = [];
  if (opts.extraExcludes?.length) rootRules.push({ base: "", ig: ignore().add(opts.extraExcludes) });
  const stack: { rel: string; rules: RuleSet[] }[] = [{ rel: "", rules: rootRules }];
  while (stack.length) {
    const { rel: relDir, rules: parentRules } = stack.pop() as { rel: string; rules: RuleSet[] };
    const absDir = relDir ? path.join(root, relDir) : root;
    let entries;
    try {
      entries = await fs.readdir(absDir, { withFileTypes: true });
    } catch {
      if (relDir) skip(relDir + "/", "unreadable");
      continue;
    }
    const names = new Set(entries.map((e) => e.name));
    if (relDir && names.has("pyvenv.cfg")) continue; // a virtualenv, whatever its name
    const own = await loadRules(absDir, relDir, names);
    const rules = own ? [...parentRules, own] : parentRules;
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (EXCLUDED_DIRS.has(e.name) || isIgnored(rules, rel, true)) continue;
        stack.push({ rel, rules });
        continue;
      }
      if (!relDir && e.name === DELETIONS_ENTRY) continue;
      if (e.name === ".DS_Store" || isIgnored(rules, rel, false)) continue;
      if (e.isSymbolicLink()) skip(rel, "symlink");
      else if (!e.isFile()) skip(rel, "special");
      else if (pathProblem(rel)) skip(rel, "unsafe-name");
      else if (BINARY_EXTENSIONS.has(path.extname(e.name).toLowerCase())) skip(rel, "binary");
      else out.push({ rel, abs: path.join(root, rel) });
    }
  }
  return out;
}

/** Stats, sniffs and hashes one file; undefined (and `skip` called) when it is not synced. */
async function hashEntry(rel: string, abs: string, opts: ScanOptions, live?: Set<string>): Promise<ManifestEntry | undefined> {
  const skip = opts.onSkip ?? (() => {});
  const cache = opts.cache;
  let st;
  try {
    st = await fs.stat(abs);
  } catch {
    return undefined; // removed meanwhile
  }
  if (!st.isFile()) return undefined;
  if (st.size > (opts.maxFileBytes ?? SYNC_LIMITS.maxFileBytes)) {
    skip(rel, "too-large");
    return undefined;
  }
  live?.add(rel);
  const hit = cache?.get(rel);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
    if (hit.binary) {
      skip(rel, "binary");
      return undefined;
    }
    return { path: rel, sha256: hit.sha256, size: hit.size };
  }
  let data: Buffer;
  try {
    data = await fs.readFile(abs);
  } catch {
    skip(rel, "unreadable");
    return undefined;
  }
  if (looksBinary(data)) {
    cache?.set(rel, { size: data.length, mtimeMs: st.mtimeMs, sha256: "", binary: true });
    skip(rel, "binary");
    return undefined;
  }
  const sha256 = createHash("sha256").update(data).digest("hex");
  cache?.set(rel, { size: data.length, mtimeMs: st.mtimeMs, sha256 });
  return { path: rel, sha256, size: data.length };
}

function byPath(a: ManifestEntry, b: ManifestEntry): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * The workspace's manifest: every file to sync with its sha256 and size, sorted by path.
 * Respects .gitignore at any depth, .contextignore, `extraExcludes` and the built-in excludes; skips binaries,
 * symlinks and files over `maxFileBytes` (each reported through `onSkip`).
 */
export async function scanWorkspace(root: string, opts: ScanOptions = {}): Promise<ManifestEntry[]> {
  const candidates = await listCandidates(path.resolve(root), opts);
  const files: ManifestEntry[] = [];
  const live = new Set<string>();
  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const { rel, abs } = candidates[next++];
      const entry = await hashEntry(rel, abs, opts, live);
      if (entry) files.push(entry);
    }
  };
  await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker));
  if (opts.cache) for (const k of opts.cache.keys()) if (!live.has(k)) opts.cache.delete(k);
  return files.sort(byPath);
}

interface DirInfo {
  rules?: RuleSet;
  venv: boolean;
}

/**
 * The same rules as scanWorkspace, asked for single paths (the watch loop's changed files); each folder's ignore
 * files are read once. Call clear() when an ignore file changes.
 */
export class PathFilter {
  private readonly dirs = new Map<string, Promise<DirInfo>>();
  private readonly extra?: RuleSet;

  constructor(
    private readonly root: string,
    extraExcludes?: string[],
  ) {
    if (extraExcludes?.length) this.extra = { base: "", ig: ignore().add(extraExcludes) };
  }

  clear(): void {
    this.dirs.clear();
  }

  private dir(relDir: string): Promise<DirInfo> {
    let info = this.dirs.get(relDir);
    if (!info) {
      const abs = relDir ? path.join(this.root, relDir) : this.root;
      info = (async () => {
        const names = new Set<string>();
        for (const n of [...IGNORE_FILES, "pyvenv.cfg"]) {
          if (await fs.stat(path.join(abs, n)).then(() => true, () => false)) names.add(n);
        }
        return { rules: await loadRules(abs, relDir, names), venv: names.has("pyvenv.cfg") };
      })();
      this.dirs.set(relDir, info);
    }
    return info;
  }

  /** Whether `rel` (a file path, forward slashes) would be listed by a scan, before looking at its content. */
  async includes(rel: string): Promise<boolean> {
    if (pathProblem(rel) || rel === DELETIONS_ENTRY) return false;
    const segs = rel.split("/");
    const name = segs[segs.length - 1];
    if (name === ".DS_Store" || BINARY_EXTENSIONS.has(path.extname(name).toLowerCase())) return false;
    if (segs.slice(0, -1).some((s) => EXCLUDED_DIRS.has(s))) return false;
    const rules: RuleSet[] = this.extra ? [this.extra] : [];
    for (let i = 0; i < segs.length; i++) {
      const info = await this.dir(segs.slice(0, i).join("/"));
      if (i > 0 && info.venv) return false;
      if (info.rules) rules.push(info.rules);
      if (i < segs.length - 1 && isIgnored(rules, segs.slice(0, i + 1).join("/"), true)) return false;
    }
    return !isIgnored(rules, rel, false);
  }
}

/** Manifest entries for the given paths that pass `filter` and exist as syncable files; the others come back as gone. */
export async function scanPaths(root: string, paths: string[], filter: PathFilter, opts: ScanOptions = {}): Promise<{ files: ManifestEntry[]; gone: string[] }> {
  const files: ManifestEntry[] = [];
  const gone: string[] = [];
  for (const rel of [...new Set(paths)]) {
    if (pathProblem(rel)) continue;
    const abs = path.join(root, rel);
    const st = await fs.lstat(abs).catch(() => undefined);
    if (!st) {
      gone.push(rel);
      continue;
    }
    if (st.isSymbolicLink()) {
      opts.onSkip?.(rel, "symlink");
      continue;
    }
    if (!st.isFile() || !(await filter.includes(rel))) continue;
    const entry = await hashEntry(rel, abs, opts);
    if (entry) files.push(entry);
  }
  return { files: files.sort(byPath), gone };
}
