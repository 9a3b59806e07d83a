// `npm run bench:fresh`: how fresh the index stays (issue 4). Two parts, each printing a table and writing JSON:
//   sync     uploader deltas vs full tar.gz (bench/fresh/sync.ts -> bench/results/fresh-sync.json)
//   latency  edit-to-searchable through the watcher (bench/fresh/latency.ts -> bench/results/fresh-latency.json)
//   npm run bench:fresh [-- --only sync|latency] [--files 5000] [--deltas 20] [--full 3] [--edits 50] [--debounce 1.5]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    files: { type: "string", default: "5000" },
    deltas: { type: "string", default: "20" },
    full: { type: "string", default: "3" },
    edits: { type: "string", default: "50" },
    debounce: { type: "string", default: "1.5" },
  },
});
const parts = values.only ? values.only.split(",") : ["sync", "latency"];
let failed = false;

if (parts.includes("sync")) {
  const { measureSync, syncTable, writeSyncResult } = await import("./sync.ts");
  try {
    const r = await measureSync({ minFiles: Number(values.files), deltas: Number(values.deltas), fullRuns: Number(values.full) });
    const file = writeSyncResult(r);
    process.stdout.write(`${syncTable(r)}\n(${path.relative(repoRoot, file)})\n\n`);
  } catch (err) {
    failed = true;
    process.stderr.write(`sync benchmark failed: ${(err as Error).stack}\n`);
  }
}

if (parts.includes("latency")) {
  try {
    const { measureLatency } = await import("./latency.ts");
    const r = await measureLatency({ edits: Number(values.edits), debounceS: Number(values.debounce), minFiles: Number(values.files) });
    const out = path.join(repoRoot, "bench", "results");
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, "fresh-latency.json"), JSON.stringify({ date: new Date().toISOString(), loadavg: os.loadavg(), ...r }, null, 2) + "\n");
    process.stdout.write(
      `Edit-to-searchable latency\n\n| files | chunks | debounce | edits | p50 | p95 | max | target p95 |\n|---|---|---|---|---|---|---|---|\n` +
        `| ${r.files} | ${r.chunks} | ${r.debounce_s} s | ${r.edits} | ${r.p50_ms} ms | ${r.p95_ms} ms | ${r.max_ms} ms | <= ${r.target_p95_ms} ms |\n`,
    );
  } catch (err) {
    failed = true;
    process.stderr.write(`latency benchmark failed: ${(err as Error).stack}\n`);
  }
}

process.exitCode = failed ? 1 : 0;
