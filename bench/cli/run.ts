// bench:cli: start-up of the installed CLI: `context-engine --version` and `context-engine search` on an indexed
// repository, wall time per run (spawn to exit), median of N interleaved runs, beside `node -e 0` (the floor no CLI
// goes under). The package is packed and installed as users get it (npm pack; npm install -g --prefix --omit=dev;
// install scripts not run, better-sqlite3's binary copied from the checkout: what its script would fetch).
// --vs REF also builds that commit's CLI (its own `node esbuild.mjs`, in an exported copy that uses this checkout's
// node_modules) and runs it in the same rounds, so the ratio holds on a busy machine.
//   npm run bench:cli [-- --runs 15] [--repo DIR] [--query TEXT] [--vs main]
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { CHECKOUT, installTarball, ok, packServer, provideBetterSqlite3Binary } from "../../test/helpers/packed-cli.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "15" },
    repo: { type: "string" },
    query: { type: "string", default: "lexical search of the store with a filter" },
    vs: { type: "string" },
    out: { type: "string", default: path.join(CHECKOUT, "bench", "results", "cli.json") },
  },
});
const runs = Number(values.runs);
// Outside the checkout: the installed package must resolve its modules as a user's does, not from node_modules here.
const work = path.join(os.tmpdir(), "ce-bench-cli");

interface Cli {
  label: string;
  /** The command line that runs it: the installed bin, or node + a checkout's launcher. */
  argv: string[];
  repo: string;
}

function run(argv: string[], cwd: string, env: Record<string, string>): string {
  return ok(spawnSync(argv[0]!, argv.slice(1), { cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? work, ...env }, encoding: "utf8" }), argv.join(" "));
}

/** Wall milliseconds of one run, from spawn to exit. */
function time(argv: string[], cwd: string, env: Record<string, string>): number {
  const t0 = process.hrtime.bigint();
  run(argv, cwd, env);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** A copy of the repository to index: --repo, or this checkout's own tracked sources (server/, test/, bench/). */
function copyRepo(dest: string): void {
  rmSync(dest, { recursive: true, force: true });
  if (values.repo) {
    cpSync(values.repo, dest, { recursive: true, filter: (src) => !/[/\\](\.git|\.codebase|node_modules)$/.test(src) });
    return;
  }
  const files = execFileSync("git", ["ls-files", "server", "test", "bench"], { cwd: CHECKOUT, encoding: "utf8" }).split("\n").filter(Boolean);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    cpSync(path.join(CHECKOUT, f), path.join(dest, f));
  }
}

/** This checkout's server, packed and installed into work/prefix. */
function installCurrent(): Cli {
  const cli = installTarball(packServer(work), path.join(work, "prefix"), work);
  // A default install has it (npm runs better-sqlite3's install script, with a warning); auto then picks it.
  provideBetterSqlite3Binary(cli.pkgDir);
  return { label: "installed", argv: [cli.bin], repo: path.join(work, "repo") };
}

/** Another commit's CLI, built by its own esbuild.mjs in an exported copy. */
function buildRef(ref: string): Cli {
  const sha = execFileSync("git", ["rev-parse", "--short", ref], { cwd: CHECKOUT, encoding: "utf8" }).trim();
  const dir = path.join(work, `ref-${sha}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync("sh", ["-c", `git archive ${sha} | tar -x -C "${dir}"`], { cwd: CHECKOUT });
  symlinkSync(path.join(CHECKOUT, "node_modules"), path.join(dir, "node_modules"));
  run([process.execPath, "esbuild.mjs"], dir, {});
  return { label: `${ref} (${sha})`, argv: [process.execPath, path.join(dir, "server", "bin", "context-engine.js")], repo: path.join(work, `repo-${sha}`) };
}

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const clis = [installCurrent(), ...(values.vs ? [buildRef(values.vs)] : [])];
const lexical = { EMBEDDING_PROVIDER: "none", LOG_LEVEL: "warn" };
// The default settings, with a model folder that has no model: what a fresh install searches with.
const defaults = { MODEL_DIR: path.join(work, "models"), LOG_LEVEL: "warn" };
for (const cli of clis) {
  copyRepo(cli.repo);
  run([...cli.argv, "index"], cli.repo, lexical);
}

interface Row {
  name: string;
  cli: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  ms: number[];
}
const rows: Row[] = [{ name: "node -e 0", cli: "-", argv: [process.execPath, "-e", "0"], cwd: work, env: {}, ms: [] }];
for (const cli of clis) {
  rows.push({ name: "--version", cli: cli.label, argv: [...cli.argv, "--version"], cwd: cli.repo, env: lexical, ms: [] });
  rows.push({ name: "search (EMBEDDING_PROVIDER=none)", cli: cli.label, argv: [...cli.argv, "search", values.query], cwd: cli.repo, env: lexical, ms: [] });
}
// A reference commit's default search may try to download the default model: only the installed CLI runs it.
rows.push({ name: "search (default settings)", cli: clis[0]!.label, argv: [...clis[0]!.argv, "search", values.query], cwd: clis[0]!.repo, env: defaults, ms: [] });

for (const r of rows) time(r.argv, r.cwd, r.env); // warm-up: file cache, compiled code cache
for (let i = 0; i < runs; i++) for (const r of rows) r.ms.push(time(r.argv, r.cwd, r.env));

const base = (name: string) => rows.find((r) => r.name === name && r.cli !== clis[0]!.label && r.cli !== "-");
const table = rows.map((r) => {
  const m = median(r.ms);
  const ref = r.cli === clis[0]!.label ? base(r.name) : undefined;
  return { command: r.name, cli: r.cli, median_ms: Math.round(m), min_ms: Math.round(Math.min(...r.ms)), max_ms: Math.round(Math.max(...r.ms)), ...(ref ? { vs_ref: Math.round((m / median(ref.ms)) * 100) / 100 } : {}) };
});
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  loadavg_at_end: os.loadavg().map((l) => Math.round(l * 100) / 100),
  runs,
  query: values.query,
  repo: values.repo ?? "this checkout's server/, test/ and bench/",
  rows: table,
};
mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(values.out, JSON.stringify(result, null, 2) + "\n");

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`CLI start-up, median of ${runs} runs (Node ${process.version}, ${result.cpus} CPUs, load ${result.loadavg_at_end.join(" ")})`);
console.log(`${pad("command", 34)} ${pad("cli", 22)} ${"median".padStart(7)} ${"min".padStart(6)} ${"max".padStart(6)}  vs ref`);
for (const t of table) {
  console.log(`${pad(t.command, 34)} ${pad(t.cli, 22)} ${`${t.median_ms} ms`.padStart(7)} ${String(t.min_ms).padStart(6)} ${String(t.max_ms).padStart(6)}  ${t.vs_ref ?? ""}`);
}
console.log(`wrote ${path.relative(CHECKOUT, values.out)}`);
