// The repos of a workspace: every folder of a (multi-root) workspace is one repo, named by its own
// contextEngine.repoName or its folder name; two folders never share a name.
import { toRepoName } from "../../server/src/sync/protocol.ts";

export interface WorkspaceRepo {
  /** Repo name: one path segment, lowercase letters, digits and `-`. */
  repo: string;
  /** The folder on disk. */
  root: string;
}

export interface FolderInput {
  name: string;
  root: string;
  /** The folder's contextEngine.repoName, "" when unset. */
  repoSetting: string;
}

/** One repo per folder, in the workspace's order; a name taken by an earlier folder gets -2, -3, ... */
export function workspaceRepos(folders: FolderInput[]): WorkspaceRepo[] {
  const taken = new Set<string>();
  return folders.map((f) => {
    const base = toRepoName(f.repoSetting || f.name);
    let repo = base;
    for (let n = 2; taken.has(repo); n++) repo = `${base.slice(0, 60)}-${n}`;
    taken.add(repo);
    return { repo, root: f.root };
  });
}
