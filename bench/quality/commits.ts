// The commit-subject benchmark: short natural-language questions (a commit's subject, cleaned) whose answer is the
// source files the commit changed, searched at the commit's parent. Only this recipe is published: the pinned
// repositories (commit-repos.json) and the rules below; the data is made locally from clones of those repositories.
// Run: node --import tsx bench/quality/commits.ts --repos DIR [--out FILE] [--per-repo N]
//   DIR holds a clone of each pinned repository, named after it (expressjs/express -> DIR/express).
// Then: npm run bench:quality -- --repos DIR --data FILE (results go to bench/results/<data name>/).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Instance } from "./checkouts.ts";

export interface PinnedRepo {
  repo: string;
  commit: string;
}

/** A question of this set: an instance with its commit and the two splits the set is reported by. */
export interface CommitInstance extends Instance {
  commit: string;
  /** The subject names an identifier (`res.redirect`, `defineProps`, `parse_args()`, `` `PAGER` ``). */
  identifier: boolean;
}

/** Conventional-commit types whose commits change no product code worth asking about. */
const SKIP_TYPES = new Set(["chore", "docs", "doc", "test", "tests", "ci", "build", "style", "release", "revert", "deps", "dx", "wip", "types", "workflow", "example", "examples"]);
/** Subjects that describe housekeeping rather than behaviour. */
const HOUSEKEEPING = /^(?:merge|revert|release|bump|prepare|version|upgrade|update (?:dep|deps|dependenc|dev)|changelog|lint|format|typo|wip|v?\d+\.\d+)\b|\b(?:typos?|changelog|readme|lint(?:ing)?|prettier|formatting|copyright|license)\b/i;
const SOURCE = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs|py|vue)$/;
/** Build, test-runner and packaging scripts (`karma.conf.js`, `rollup.config.mjs`, `setup.py`) are tooling too. */
const TOOLING = /(?:^|\/)(?:[\w-]+\.(?:conf|config)\.[cm]?[jt]s|(?:gulpfile|gruntfile|jakefile)\.[cm]?[jt]s|(?:setup|noxfile|fabfile|tasks)\.py)$/i;
/** Tests, fixtures, examples, docs and tooling are not where a change to the product goes. */
const NOT_PRODUCT = /(?:^|\/)(?:tests?|__tests__|__mocks__|spec|specs|testing|fixtures?|e2e|examples?|playground|docs?|benchmarks?|bench|scripts|\.github)\/|(?:^|\/)test_[^/]*$|_test\.py$|\.(?:test|spec|bench)\.[a-z]+$|(?:^|\/)conftest\.py$|\.min\.js$|(?:^|\/)(?:dist|build|vendor|node_modules)\//i;
/** At most this many gold files: a commit touching more is a refactor, not an answer to a question. */
export const MAX_GOLD = 4;
const MIN_WORDS = 3;
const MAX_WORDS = 20;
/** Eligible commits considered per repository, newest first, before spreading the picks over them. */
const WINDOW = 400;

/**
 * A commit subject as a question: conventional prefix (`fix(scope)!:`), leading tags (`[docs]`, emoji, `:bug:`),
 * pull-request numbers (`(#123)`, `#123`), `[skip ci]` and a closing period taken off. Undefined when the subject is
 * housekeeping (a skipped conventional type, a release, a dependency bump, a typo fix).
 */
export function cleanSubject(subject: string): string | undefined {
  let s = subject.trim();
  s = s.replace(/^(?:\[[^\]]*\]\s*|:[a-z0-9_+-]+:\s*|[\p{Extended_Pictographic}\u{FE0F}\u{200D}]+\s*)+/u, "");
  const conv = /^([A-Za-z]+)(?:\([^)]*\))?!?:\s*/.exec(s);
  if (conv) {
    if (SKIP_TYPES.has(conv[1]!.toLowerCase())) return undefined;
    s = s.slice(conv[0].length);
  }
  s = s.replace(/\[(?:skip ci|ci skip|no ci)\]/gi, " ");
  // Trailing references, in any order: `(#123)`, `(closes #12).`, `Fix #323`, `#1154;`.
  for (let before = ""; before !== s; ) {
    before = s;
    s = s
      .replace(/[\s.;,]+$/, "")
      .replace(/\s*\((?:(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?|refs?|see)\s+)?(?:#\d+|[\w.-]+\/[\w.-]+#\d+)(?:\s*,\s*#\d+)*\)$/i, "")
      .replace(/[\s.;,]+(?:(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?|refs?)\s+)?#\d+$/i, "");
  }
  s = s.replace(/\s+/g, " ").trim();
  if (!s || HOUSEKEEPING.test(s)) return undefined;
  const words = s.split(" ").length;
  if (words < MIN_WORDS || words > MAX_WORDS) return undefined;
  return s;
}

/**
 * Whether a question names an identifier: backticked code, a call (`render()`), a dotted name (`res.redirect`), a
 * camelCase, PascalCase-with-inner-capital, snake_case or `$`-name, or an option (`--watch`).
 */
export function namesIdentifier(q: string): boolean {
  return /`[^`]+`|\b\w+\(\)|\b[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*\b|\b[a-z]+[A-Z]\w*|\b[A-Z][a-z0-9]+[A-Z]\w*|\b[A-Za-z]\w*_\w+|\$\w+|(?:^|\s)--?[a-z][\w-]+/.test(q);
}

export interface CommitRecord {
  sha: string;
  parent: string;
  time: number;
  subject: string;
  /** status letter and path(s) of each change, as `git log --name-status -M` lists them */
  changes: { status: string; path: string }[];
}

/** The gold files of a commit (modified source files of the product), or undefined when it is not a question. */
export function goldOf(changes: CommitRecord["changes"]): string[] | undefined {
  // A renamed or deleted source file would have to be found under a path the parent does not have the same way.
  if (changes.some((c) => /^[RD]/.test(c.status) && SOURCE.test(c.path) && !NOT_PRODUCT.test(c.path))) return undefined;
  const gold = changes.filter((c) => c.status === "M" && SOURCE.test(c.path) && !NOT_PRODUCT.test(c.path) && !TOOLING.test(c.path)).map((c) => c.path);
  return gold.length && gold.length <= MAX_GOLD ? gold : undefined;
}

/** Every `per` questions of one repository, spread evenly over its newest eligible commits (a deterministic pick). */
export function selectCommits(records: CommitRecord[], repo: string, per: number): CommitInstance[] {
  const eligible: CommitInstance[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    if (eligible.length >= WINDOW) break;
    const query = cleanSubject(r.subject);
    const gold = query ? goldOf(r.changes) : undefined;
    if (!query || !gold || seen.has(query.toLowerCase())) continue;
    seen.add(query.toLowerCase());
    eligible.push({
      instance_id: `${repo.split("/")[1]}@${r.sha.slice(0, 10)}`, repo, base_commit: r.parent, commit: r.sha, query,
      gold_files: gold, gold_spans: {}, identifier: namesIdentifier(query),
    });
  }
  if (eligible.length <= per) return eligible;
  const step = eligible.length / per;
  return Array.from({ length: per }, (_, i) => eligible[Math.floor(i * step)]!);
}

const git = (cwd: string, args: string[]) => execFileSync("git", ["-C", cwd, ...args], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });

/** Non-merge commits reachable from `pin`, newest first, with what each changed. */
export function readHistory(clone: string, pin: string, max = 6000): CommitRecord[] {
  const out = git(clone, ["log", "--no-merges", "-M", "--name-status", `--max-count=${max}`, "--format=%x01%H %P%x00%ct%x00%s", pin]);
  const records: CommitRecord[] = [];
  for (const block of out.split("\x01").slice(1)) {
    const [head, ...lines] = block.split("\n");
    const [ids, time, subject] = head!.split("\x00");
    const [sha, parent] = ids!.split(" ");
    if (!parent) continue;
    const changes = lines.filter(Boolean).map((l) => {
      const [status, ...paths] = l.split("\t");
      // A rename lists old and new path; the old one is what the parent has.
      return { status: status!, path: paths[0]! };
    });
    records.push({ sha: sha!, parent, time: Number(time), subject: subject!, changes });
  }
  return records;
}

/** Gold files whose blobs the clone lacks at the parent (a snapshot may leave large files out). */
function missingAtParent(clone: string, inst: CommitInstance): boolean {
  const input = inst.gold_files.map((f) => `${inst.base_commit}:${f}`).join("\n") + "\n";
  const out = execFileSync("git", ["-C", clone, "cat-file", "--batch-check"], { input, encoding: "utf8" });
  return out.split("\n").some((l) => l.endsWith(" missing"));
}

const here = path.dirname(fileURLToPath(import.meta.url));
const isMain = process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (isMain) {
  const a = process.argv.slice(2);
  const get = (n: string) => (a.includes(`--${n}`) ? a[a.indexOf(`--${n}`) + 1] : undefined);
  const repos = get("repos");
  if (!repos) {
    process.stderr.write("usage: node --import tsx bench/quality/commits.ts --repos DIR [--out FILE] [--per-repo N]\n");
    process.exit(2);
  }
  const per = Number(get("per-repo") ?? 40);
  const out = path.resolve(get("out") ?? "commit-subjects.jsonl");
  const pinned = JSON.parse(fs.readFileSync(path.join(here, "commit-repos.json"), "utf8")) as PinnedRepo[];
  const all: CommitInstance[] = [];
  for (const p of pinned) {
    const clone = path.join(path.resolve(repos), p.repo.split("/")[1]!);
    if (!fs.existsSync(clone)) throw new Error(`no clone of ${p.repo} at ${clone}: git clone --no-checkout https://github.com/${p.repo} ${clone}`);
    const picked = selectCommits(readHistory(clone, p.commit), p.repo, per).filter((i) => !missingAtParent(clone, i));
    all.push(...picked);
    const multi = picked.filter((i) => i.gold_files.length > 1).length;
    process.stdout.write(`${p.repo}@${p.commit.slice(0, 10)}: ${picked.length} questions (${multi} multi-file, ${picked.filter((i) => i.identifier).length} name an identifier)\n`);
  }
  fs.writeFileSync(out, all.map((i) => JSON.stringify(i)).join("\n") + "\n");
  process.stdout.write(`wrote ${all.length} questions to ${out}\n`);
}
