// What the repository's history says about each file: the words of the commit subjects that changed it ("fix
// redirect loop on trailing slash" -> lib/router.js), read from git at index time. A question is worded like a
// commit subject, so a file whose past commits share its words is a likely place for the next change. Bounded: the
// newest commits only, and commits touching many files (a reformat, a rename sweep) left out.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { tokenizeCode } from "../text/index.ts";

const run = promisify(execFile);

/** Newest commits read: a few years of a busy project, read in well under a second. */
export const HISTORY_COMMITS = 2000;
/** A commit touching more files than this says nothing about any one of them. */
const MAX_FILES_PER_COMMIT = 20;
/** Subjects kept per file, newest first: a file changed in every release is not described by all of them. */
const SUBJECTS_PER_FILE = 50;

export interface FileHistory {
  /** The commit the history was read at. */
  head: string;
  /** Per file (relative to the root): the code tokens of the subjects of the commits that changed it. */
  words: Map<string, string[]>;
}

/** The commit `rev` names in the git checkout at `root`, or undefined when it is none (or git is missing). */
export async function gitCommit(root: string, rev = "HEAD"): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", ["-C", root, "rev-parse", "--verify", "-q", `${rev}^{commit}`], { timeout: 10_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Each of the newest non-merge commits up to `rev`: its subject and the files it changed (relative to `root`). */
export async function recentCommits(root: string, rev: string, commits = HISTORY_COMMITS): Promise<{ subject: string; files: string[] }[]> {
  const { stdout } = await run(
    "git",
    ["-C", root, "log", "--relative", "--no-merges", "--no-renames", "--name-only", "--format=%x01%s", `-n${commits}`, rev],
    { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 },
  );
  return stdout
    .split("\x01")
    .slice(1)
    .map((block) => {
      const [subject, ...files] = block.split("\n");
      return { subject: subject!, files: files.filter((f) => f.trim()) };
    });
}

/** Per-file subject words of these commits, for the files `keep` accepts (the indexed ones). */
export function subjectWords(commits: { subject: string; files: string[] }[], keep: (path: string) => boolean): Map<string, string[]> {
  const words = new Map<string, string[]>();
  const count = new Map<string, number>();
  for (const c of commits) {
    if (!c.files.length || c.files.length > MAX_FILES_PER_COMMIT) continue;
    const tokens = tokenizeCode(c.subject);
    if (!tokens.length) continue;
    for (const f of c.files) {
      if (!keep(f) || (count.get(f) ?? 0) >= SUBJECTS_PER_FILE) continue;
      count.set(f, (count.get(f) ?? 0) + 1);
      (words.get(f) ?? words.set(f, []).get(f)!).push(...tokens);
    }
  }
  return words;
}

/** The history of the checkout at `root` as of `rev`, or undefined when `root` is no git checkout. */
export async function readFileHistory(root: string, keep: (path: string) => boolean, rev = "HEAD"): Promise<FileHistory | undefined> {
  const head = await gitCommit(root, rev);
  if (!head) return undefined;
  return { head, words: subjectWords(await recentCommits(root, head), keep) };
}
