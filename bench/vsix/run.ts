// bench:vsix: packs the extension for every platform target and reports each .vsix's size, what it unpacks to, and
// its compressed bytes per component (ONNX Runtime, tree-sitter grammars, ...), plus what each leaves out.
//   npm run bench:vsix [-- --targets linux-x64,darwin-arm64 --no-build]
// Writes bench/results/vsix.json and vsix.md. Sizes are deterministic for given dependency versions (no timing).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values } = parseArgs({
  options: {
    targets: { type: "string", default: "linux-x64,linux-arm64,darwin-x64,darwin-arm64,win32-x64" },
    "no-build": { type: "boolean", default: false },
    out: { type: "string", default: path.join(root, "bench", "results") },
  },
});

interface Component {
  component: string;
  files: number;
  compressed: number;
  size: number;
}
interface Packed {
  target: string;
  bytes: number;
  files: number;
  components: Component[];
  included: string[];
  leftOut: Record<string, string>;
}

const targets = values.targets.split(",").map((t) => t.trim()).filter(Boolean);
const work = mkdtempSync(path.join(os.tmpdir(), "ce-bench-vsix-"));
const json = path.join(work, "packed.json");
const args = [path.join(root, "extension/scripts/package-vsix.mjs"), "--out", work, "--json", json, ...targets.flatMap((t) => ["--target", t])];
if (values["no-build"]) args.push("--no-build");
const run = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
if (run.status !== 0) {
  rmSync(work, { recursive: true, force: true });
  throw new Error(`packaging failed (exit ${run.status})`);
}
const packed = JSON.parse(readFileSync(json, "utf8")) as Packed[];
rmSync(work, { recursive: true, force: true });

const mb = (n: number) => (n / 1048576).toFixed(1);
const components = [...new Set(packed.flatMap((p) => p.components.map((c) => c.component)))];
const lines = [
  "| target | .vsix MB | unpacked MB | files | " + components.map((c) => `${c} MB`).join(" | ") + " |",
  "|---|---:|---:|---:|" + components.map(() => "---:").join("|") + "|",
  ...packed.map((p) => {
    const unpacked = p.components.reduce((n, c) => n + c.size, 0);
    const cell = (c: string) => mb(p.components.find((x) => x.component === c)?.compressed ?? 0);
    return `| ${p.target} | ${mb(p.bytes)} | ${mb(unpacked)} | ${p.files} | ${components.map(cell).join(" | ")} |`;
  }),
];
const leftOut = new Map<string, string[]>();
for (const p of packed) for (const [name, why] of Object.entries(p.leftOut)) leftOut.set(`${name}: ${why}`, [...(leftOut.get(`${name}: ${why}`) ?? []), p.target]);
const notes = [...leftOut].map(([what, ts]) => `- left out of ${ts.length === packed.length ? "every target" : ts.join(", ")}: ${what}`);
const table = lines.join("\n");
console.log(`\n${table}\n\n${notes.join("\n")}`);

mkdirSync(values.out, { recursive: true });
const result = {
  date: new Date().toISOString(),
  command: "npm run bench:vsix",
  note: "component columns are compressed bytes inside the .vsix",
  rows: packed.map(({ target, bytes, files, components, included, leftOut }) => ({ target, bytes, files, components, included, leftOut })),
};
writeFileSync(path.join(values.out, "vsix.json"), JSON.stringify(result, null, 2) + "\n");
writeFileSync(path.join(values.out, "vsix.md"), `${table}\n\n${notes.join("\n")}\n`);
console.log(`\nwrote ${path.relative(root, path.join(values.out, "vsix.json"))} and vsix.md`);
