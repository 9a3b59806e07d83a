// Runs the test suites with node's test runner (TypeScript through tsx). `node test/run.mjs [unit|integration|security|e2e ...]`.
// Node 20 does not expand globs for --test, so the files are listed here.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const suites = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const extra = process.argv.slice(2).filter((a) => a.startsWith("-"));
const chosen = suites.length ? suites : ["unit", "integration", "security", "e2e"];

function collect(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "fixtures" && name !== "artifacts" && name !== "node_modules") out = out.concat(collect(p));
    } else if (/\.test\.(ts|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}

const files = chosen.flatMap((s) => collect(path.join(here, s)));
if (files.length === 0) {
  console.error(`no test files found under test/{${chosen.join(",")}}`);
  process.exit(1);
}
const args = ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...extra, ...files];
const r = spawnSync(process.execPath, args, { stdio: "inherit", env: { ...process.env, NODE_NO_WARNINGS: "1" } });
process.exit(r.status ?? 1);
