// The benchmark's data and working copies: SWE-bench Lite instances of the repositories cloned locally, one work tree
// per repository moved from commit to commit (as a user's branch switch would), never written into the clone itself.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** SWE-bench Lite, as the shared folder beside the project holds it. */
export const LITE_DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/bench/swebench-lite.jsonl");

export interface Instance {
  instance_id: string;
  repo: string;
  base_commit: string;
  query: string;
  gold_files: string[];
  gold_spans: Record<string, string[]>;
  /** Made by a recipe (commits.ts): whether the query names an identifier. Its records publish ranks, not the data. */
  identifier?: boolean;
}

export interface LeftOut {
  instance_id: string;
  repo: string;
  reason: string;
}

/** The nine repositories whose history is small enough to clone; the folder name under --repos is the repo's name. */
export const SMALL_REPOS = [
  "psf/requests", "pallets/flask", "sympy/sympy", "pytest-dev/pytest", "sphinx-doc/sphinx",
  "astropy/astropy", "pydata/xarray", "pylint-dev/pylint", "mwaskom/seaborn",
];

const git = (cwd: string, args: string[]) =>
  execFileSync("git", ["-C", cwd, ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });

export function loadInstances(file: string): Instance[] {
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Instance);
}

export function cloneDir(reposDir: string, repo: string): string {
  return path.join(reposDir, repo.split("/")[1]!);
}

/**
 * Instances we can run, grouped by repository and ordered by commit date (small moves between checkouts). SWE-bench's
 * repositories other than the nine are left out (too large to clone here); any other data set's repositories run when
 * a clone of them is in `reposDir` (the commit-subject set's).
 */
export function selectInstances(all: Instance[], reposDir: string): { run: Instance[]; leftOut: LeftOut[] } {
  const leftOut: LeftOut[] = [];
  const byRepo = new Map<string, { inst: Instance; time: number }[]>();
  for (const inst of all) {
    if (inst.instance_id.includes("__") && !SMALL_REPOS.includes(inst.repo)) {
      leftOut.push({ instance_id: inst.instance_id, repo: inst.repo, reason: "repository history too large to clone here (600-900 MB); not among the nine benchmarked" });
      continue;
    }
    const dir = cloneDir(reposDir, inst.repo);
    if (!fs.existsSync(dir)) {
      leftOut.push({ instance_id: inst.instance_id, repo: inst.repo, reason: `no local clone at ${dir}` });
      continue;
    }
    let time: number;
    try {
      time = Number(git(dir, ["show", "-s", "--format=%ct", inst.base_commit]).trim());
    } catch {
      leftOut.push({ instance_id: inst.instance_id, repo: inst.repo, reason: `base_commit ${inst.base_commit} not in the clone at ${dir}` });
      continue;
    }
    (byRepo.get(inst.repo) ?? byRepo.set(inst.repo, []).get(inst.repo)!).push({ inst, time });
  }
  const run: Instance[] = [];
  const order = [...SMALL_REPOS.filter((r) => byRepo.has(r)), ...[...byRepo.keys()].filter((r) => !SMALL_REPOS.includes(r))];
  for (const repo of order) for (const x of byRepo.get(repo)!.sort((a, b) => a.time - b.time)) run.push(x.inst);
  return { run, leftOut };
}

/** Takes `limit` instances spread over the repositories (round robin), keeping each repository's commit order. */
export function sample(run: Instance[], limit: number): Instance[] {
  if (limit >= run.length) return run;
  const groups = new Map<string, Instance[]>();
  for (const i of run) (groups.get(i.repo) ?? groups.set(i.repo, []).get(i.repo)!).push(i);
  const picked = new Set<Instance>();
  const lists = [...groups.values()];
  for (let round = 0; picked.size < limit; round++) {
    for (const l of lists) {
      // Spread the picks over each repository's history rather than its first commits.
      const step = Math.max(1, Math.floor(l.length / Math.ceil(limit / lists.length)));
      const x = l[round * step];
      if (x && picked.size < limit) picked.add(x);
    }
    if (round > run.length) break;
  }
  return run.filter((i) => picked.has(i));
}

/** Paths of `commit` whose blobs the clone lacks (a mirror may leave its largest files out). */
function missingPaths(clone: string, commit: string): string[] {
  const entries = git(clone, ["ls-tree", "-r", "--full-tree", commit])
    .split("\n")
    .filter(Boolean)
    .map((l) => ({ sha: l.split(/\s+/)[2]!, path: l.slice(l.indexOf("\t") + 1), type: l.split(/\s+/)[1] }))
    .filter((e) => e.type === "blob");
  const out = execFileSync("git", ["-C", clone, "cat-file", "--batch-check"], { input: entries.map((e) => e.sha).join("\n") + "\n", encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const missing = new Set(out.split("\n").filter((l) => l.endsWith(" missing")).map((l) => l.split(" ")[0]));
  return entries.filter((e) => missing.has(e.sha)).map((e) => e.path);
}

/**
 * A work tree of the clone, checked out at `commit`; files unchanged between commits keep their mtime. Files whose
 * blobs the clone lacks are left out of the checkout (sparse patterns), so the rest can be checked out.
 */
export function checkout(reposDir: string, workDir: string, repo: string, commit: string): string {
  const clone = cloneDir(reposDir, repo);
  const tree = path.join(workDir, "trees", repo.split("/")[1]!);
  if (!fs.existsSync(path.join(tree, ".git"))) {
    fs.mkdirSync(path.dirname(tree), { recursive: true });
    git(clone, ["worktree", "prune"]);
    git(clone, ["worktree", "add", "--force", "--no-checkout", "--detach", tree, commit]);
  }
  // Every step only writes files whose blobs exist: first exclude what either commit lacks (the tree is still at the
  // old one), then move, then exclude only what the new commit lacks.
  const missing = missingPaths(clone, commit);
  const sparse = gitOk(tree, ["config", "core.sparseCheckout"]);
  const head = sparse ? git(tree, ["rev-parse", "-q", "--verify", "HEAD"]).trim() : "";
  const before = head ? missingPaths(clone, head) : [];
  const exclude = (paths: string[]) => git(tree, ["sparse-checkout", "set", "--no-cone", "/*", ...paths.map((m) => "!/" + m)]);
  if (missing.length || before.length) exclude([...new Set([...before, ...missing])]);
  git(tree, ["checkout", "-q", "--force", "--detach", commit]);
  if (missing.length) exclude(missing);
  else if (gitOk(tree, ["config", "core.sparseCheckout"])) git(tree, ["sparse-checkout", "disable"]);
  git(tree, ["clean", "-q", "-f", "-d"]);
  return tree;
}

function gitOk(cwd: string, args: string[]): boolean {
  try {
    return git(cwd, args).trim() === "true";
  } catch {
    return false;
  }
}
