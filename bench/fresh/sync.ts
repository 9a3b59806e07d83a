// Sync benchmark: initial upload of a >= 5,000-file workspace (real third-party code copied from node_modules), then
// one-file deltas (bytes on the wire incl. manifest, ms), compared in the same run with sending a full tar.gz each time.
//   node --import tsx bench/fresh/sync.ts [--files 5000] [--deltas 20] [--full 3]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { silentLogger } from "../../server/src/log/index.ts";
import { BINARY_EXTENSIONS, EXCLUDED_DIRS, PathFilter, scanWorkspace, syncChanges, syncOnce, type HashCache } from "../../server/src/sync/client.ts";
import { startUploadServer } from "../../server/src/sync/server.ts";
import { percentile, round } from "../lib/corpus.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface DeltaStats {
  runs: number;
  file_bytes_p50: number;
  wire_bytes_p50: number;
  wire_bytes_max: number;
  ms_p50: number;
  ms_p95: number;
  ms_max: number;
}

export interface SyncBenchResult {
  files: number;
  content_mb: number;
  initial: { ms: number; mb_per_s: number; wire_mb: number; files_per_s: number; scan_hash_ms: number };
  unchanged_resync: { ms: number; wire_bytes: number };
  /** One-file edits synced as the watch loop and the extension do: the changed path only. */
  delta: DeltaStats;
  /** The same edit from a one-shot client: full manifest (its hash cache warm), the server compares every file. */
  delta_full_manifest: DeltaStats & { manifest_json_bytes: number; manifest_wire_bytes: number; cold_client_ms: number };
  full_targz: { runs: number; wire_bytes: number; ms_p50: number };
  targets: {
    delta_bytes_limit: number;
    delta_bytes_ok: boolean;
    delta_full_manifest_bytes_ok: boolean;
    delta_ms_limit: number;
    delta_ms_ok: boolean;
  };
  bytes_ratio_full_over_delta: number;
}

/** Copies source files (no excluded folders, no binaries, <= 1 MB) from `source` into `dest` until `min` are there. */
function buildWorkspace(source: string, dest: string, min: number): number {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  let count = 0;
  const copyTree = (from: string, to: string) => {
    for (const e of fs.readdirSync(from, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (count >= min) return;
      const src = path.join(from, e.name);
      if (e.isDirectory()) {
        if (!EXCLUDED_DIRS.has(e.name)) copyTree(src, path.join(to, e.name));
      } else if (e.isFile() && !BINARY_EXTENSIONS.has(path.extname(e.name).toLowerCase()) && e.name !== ".gitignore") {
        if (fs.statSync(src).size > 1024 * 1024) continue;
        fs.mkdirSync(to, { recursive: true });
        fs.copyFileSync(src, path.join(to, e.name));
        count++;
      }
    }
  };
  for (const pkg of fs.readdirSync(source).sort()) {
    if (count >= min) break;
    const src = path.join(source, pkg);
    if (!pkg.startsWith(".") && fs.statSync(src).isDirectory()) copyTree(src, path.join(dest, "vendor", pkg));
  }
  return count;
}

/** Mid-sized JavaScript files to edit, one per delta run. */
function editableFiles(ws: string, cache: HashCache, n: number): string[] {
  return [...cache.entries()]
    .filter(([p, e]) => p.endsWith(".js") && e.size >= 1024 && e.size <= 16 * 1024 && !e.binary)
    .map(([p]) => p)
    .sort()
    .filter((_, i, all) => i % Math.max(1, Math.floor(all.length / n)) === 0)
    .slice(0, n)
    .map((p) => path.join(ws, p));
}

export async function measureSync(opts: { minFiles: number; deltas: number; fullRuns: number; source?: string }): Promise<SyncBenchResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ce-bench-sync-"));
  const ws = path.join(tmp, "ws");
  const reposDir = path.join(tmp, "repos");
  buildWorkspace(opts.source ?? path.join(repoRoot, "node_modules"), ws, Math.ceil(opts.minFiles * 1.05));
  const server = await startUploadServer({ port: 0, host: "127.0.0.1", reposDir, log: silentLogger });
  const url = `http://127.0.0.1:${server.port}`;
  try {
    const cache: HashCache = new Map();
    const filter = new PathFilter(ws);
    let scanned = 0;
    const t0 = performance.now();
    const initial = await syncOnce({ url, repo: "bench", root: ws, cache, onProgress: (p) => p.phase === "manifest" && (scanned = performance.now() - t0) });
    if (initial.files < opts.minFiles) throw new Error(`only ${initial.files} files synced; copy more packages (--files)`);
    const unchanged = await syncOnce({ url, repo: "bench", root: ws, cache });
    if (unchanged.sent !== 0) throw new Error(`an unchanged re-sync sent ${unchanged.sent} files`);

    const manifestJson = Buffer.byteLength(JSON.stringify({ files: await scanWorkspace(ws, { cache }), complete: true }));
    const targets = editableFiles(ws, cache, 2 * opts.deltas + 1);
    // The watch loop's and the extension's way: the changed path only (partial manifest).
    const change = { ms: [] as number[], wire: [] as number[], file: [] as number[] };
    for (const file of targets.slice(0, opts.deltas)) {
      fs.appendFileSync(file, `\n// edited by the sync benchmark ${Date.now()}\n`);
      const r = await syncChanges({ url, repo: "bench", root: ws, cache, filter, paths: [path.relative(ws, file).split(path.sep).join("/")] });
      if (r.sent !== 1) throw new Error(`a one-file change sync sent ${r.sent} files`);
      change.ms.push(r.ms);
      change.wire.push(r.wireBytes);
      change.file.push(fs.statSync(file).size);
    }
    // A one-shot client that still has its hash cache: full manifest, the server compares everything.
    const rescan = { ms: [] as number[], wire: [] as number[], file: [] as number[] };
    let manifestWire = 0;
    for (const file of targets.slice(opts.deltas, 2 * opts.deltas)) {
      fs.appendFileSync(file, `\n// edited by the sync benchmark ${Date.now()}\n`);
      const r = await syncOnce({ url, repo: "bench", root: ws, cache });
      if (r.sent !== 1) throw new Error(`a one-file full-manifest delta sent ${r.sent} files`);
      rescan.ms.push(r.ms);
      rescan.wire.push(r.wireBytes);
      rescan.file.push(fs.statSync(file).size);
      manifestWire = Math.max(manifestWire, r.manifestWireBytes);
    }

    const coldFile = targets.at(-1) as string;
    fs.appendFileSync(coldFile, "\n// cold client edit\n");
    const cold = await syncOnce({ url, repo: "bench", root: ws });

    // The baseline: every edit re-sends the whole workspace as one tar.gz (built from disk, written by the same uploader).
    const fullMs: number[] = [];
    let fullBytes = 0;
    for (let i = 0; i < opts.fullRuns; i++) {
      const t = performance.now();
      const r = await syncOnce({ url, repo: `full-${i}`, root: ws, cache });
      fullMs.push(performance.now() - t);
      fullBytes = r.wireBytes - r.manifestWireBytes; // the archive alone: the baseline needs no manifest
    }

    const summarize = (m: { ms: number[]; wire: number[]; file: number[] }) => ({
      runs: m.ms.length,
      file_bytes_p50: percentile(m.file, 50),
      wire_bytes_p50: percentile(m.wire, 50),
      wire_bytes_max: Math.max(...m.wire),
      ms_p50: round(percentile(m.ms, 50), 1),
      ms_p95: round(percentile(m.ms, 95), 1),
      ms_max: round(Math.max(...m.ms), 1),
    });
    const delta = summarize(change);
    const deltaLimit = 2 * (percentile(change.file, 50) + manifestWire);
    return {
      files: initial.files,
      content_mb: round(initial.bytes / 1e6, 1),
      initial: {
        ms: round(initial.ms, 0),
        mb_per_s: round(initial.bytes / 1e6 / (initial.ms / 1000), 1),
        wire_mb: round(initial.wireBytes / 1e6, 1),
        files_per_s: round(initial.files / (initial.ms / 1000), 0),
        scan_hash_ms: round(scanned, 0),
      },
      unchanged_resync: { ms: round(unchanged.ms, 0), wire_bytes: unchanged.wireBytes },
      delta,
      delta_full_manifest: { ...summarize(rescan), manifest_json_bytes: manifestJson, manifest_wire_bytes: manifestWire, cold_client_ms: round(cold.ms, 0) },
      full_targz: { runs: fullMs.length, wire_bytes: fullBytes, ms_p50: round(percentile(fullMs, 50), 0) },
      targets: {
        delta_bytes_limit: deltaLimit,
        delta_bytes_ok: delta.wire_bytes_max <= deltaLimit,
        delta_full_manifest_bytes_ok: Math.max(...rescan.wire) <= deltaLimit,
        delta_ms_limit: 150,
        delta_ms_ok: delta.ms_p95 <= 150,
      },
      bytes_ratio_full_over_delta: round(fullBytes / delta.wire_bytes_p50, 0),
    };
  } finally {
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function syncTable(r: SyncBenchResult): string {
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  return [
    `Sync: ${r.files} files, ${r.content_mb} MB of real third-party code (copied from node_modules), uploader on loopback`,
    "",
    "| step | wire | time | rate |",
    "|---|---|---|---|",
    `| initial upload | ${r.initial.wire_mb} MB | ${r.initial.ms} ms (client scan+hash ${r.initial.scan_hash_ms} ms) | ${r.initial.mb_per_s} MB/s, ${r.initial.files_per_s} files/s |`,
    `| unchanged re-sync | ${kb(r.unchanged_resync.wire_bytes)} | ${r.unchanged_resync.ms} ms | |`,
    `| one-file delta, changed path only (p50 of ${r.delta.runs}) | ${kb(r.delta.wire_bytes_p50)} (max ${kb(r.delta.wire_bytes_max)}) | p50 ${r.delta.ms_p50} ms, p95 ${r.delta.ms_p95} ms | file ${kb(r.delta.file_bytes_p50)} |`,
    `| one-file delta, full manifest (p50 of ${r.delta_full_manifest.runs}) | ${kb(r.delta_full_manifest.wire_bytes_p50)} | p50 ${r.delta_full_manifest.ms_p50} ms, p95 ${r.delta_full_manifest.ms_p95} ms | manifest ${kb(r.delta_full_manifest.manifest_wire_bytes)} on the wire (${kb(r.delta_full_manifest.manifest_json_bytes)} JSON) |`,
    `| one-file delta, cold one-shot client | | ${r.delta_full_manifest.cold_client_ms} ms | every file hashed again |`,
    `| full tar.gz each time (p50 of ${r.full_targz.runs}) | ${kb(r.full_targz.wire_bytes)} | ${r.full_targz.ms_p50} ms | ${r.bytes_ratio_full_over_delta}x the delta's bytes |`,
    "",
    `Targets: delta bytes <= 2 x (file + manifest) = ${kb(r.targets.delta_bytes_limit)}: ${r.targets.delta_bytes_ok ? "met" : "MISSED"} ` +
      `(full-manifest delta: ${r.targets.delta_full_manifest_bytes_ok ? "met" : "MISSED"}); ` +
      `delta p95 <= ${r.targets.delta_ms_limit} ms: ${r.targets.delta_ms_ok ? "met" : "MISSED"}`,
  ].join("\n");
}

/** Writes bench/results/fresh-sync.json. */
export function writeSyncResult(r: SyncBenchResult): string {
  const out = path.join(repoRoot, "bench", "results");
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, "fresh-sync.json");
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), ...r }, null, 2) + "\n");
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { files: { type: "string", default: "5000" }, deltas: { type: "string", default: "20" }, full: { type: "string", default: "3" } } });
  const r = await measureSync({ minFiles: Number(values.files), deltas: Number(values.deltas), fullRuns: Number(values.full) });
  writeSyncResult(r);
  process.stdout.write(syncTable(r) + "\n");
}
