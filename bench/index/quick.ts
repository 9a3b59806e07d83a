// Quick full-index measurement for profiling work: wall time, CPU-seconds of the whole process (all threads), and a
// one-file update, on any folder. The machine may be loaded, so MB per CPU-second is the steadier figure.
//   node --import tsx bench/index/quick.ts DIR [--windows-first auto|always|never]
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine } from "../../server/src/engine.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { timeOneFileUpdates } from "./one-file.ts";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { "windows-first": { type: "string", default: "auto" } } });
const corpus = path.resolve(positionals[0] ?? "/tmp/ce-bench-corpus/packages");
const storeDir = mkdtempSync(path.join(os.tmpdir(), "ce-quick-"));
const settings = loadSettings({ STORE_PATH: path.join(storeDir, "index.db"), EMBEDDING_PROVIDER: "none" });
const windowsFirst = values["windows-first"] as "auto" | "always" | "never";
const engine = await openEngine({ root: corpus, repo: "quick", settings, log: silentLogger, windowsFirst });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let searchable = 0;
const report = await engine.index({ onProgress: (p) => p.phase === "searchable" && (searchable = (performance.now() - t0) / 1000) });
const symbols = (performance.now() - t0) / 1000;
await engine.fillDense();
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
const files = await engine.store.listFiles("quick");
const mb = [...files.values()].reduce((a, f) => a + f.size, 0) / 1e6;
const oneFile = await timeOneFileUpdates(engine, corpus, files, "quick edit");
await engine.close();
rmSync(storeDir, { recursive: true, force: true });
oneFile.sort((a, b) => a - b);
const r = (x: number) => Math.round(x * 100) / 100;
process.stdout.write(
  JSON.stringify({
    files: report.indexed, chunks: report.chunks, MB: r(mb), searchable_s: r(searchable || symbols), symbols_s: r(symbols), wall_s: r(wall), cpu_s: r(cpuS), MB_per_s: r(mb / wall),
    MB_per_cpu_s: r(mb / cpuS), one_file_ms_p50: r(oneFile[Math.floor(oneFile.length / 2)] ?? 0), load: os.loadavg()[0],
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }) + "\n",
);
