// Named folders a server or watcher serves (`--folder NAME=DIR`, repeatable): an editor's multi-root workspace,
// each folder one repo, all in one store.
import path from "node:path";
import { repoNameProblem } from "./inside-root.ts";

export interface ServedFolder {
  repo: string;
  root: string;
}

/** `NAME=DIR` values: NAME a repo name (one folder name), DIR resolved against `cwd`; a name given twice is refused. */
export function parseFolders(values: string[], cwd: string): ServedFolder[] {
  const seen = new Set<string>();
  return values.map((v) => {
    const eq = v.indexOf("=");
    const repo = v.slice(0, eq).trim();
    const dir = v.slice(eq + 1).trim();
    if (eq < 1 || !dir) throw new Error(`--folder "${v}": expected NAME=DIR, e.g. --folder api=/src/api`);
    const problem = repoNameProblem(repo);
    if (problem) throw new Error(`--folder "${v}": "${repo}" is not a repo name: ${problem}`);
    if (seen.has(repo)) throw new Error(`--folder "${v}": the repo name "${repo}" is given twice`);
    seen.add(repo);
    return { repo, root: path.resolve(cwd, dir) };
  });
}
