// Where local mode's indexing stands, from the indexer's qdrant_status (the server reads each folder's state
// wherever it keeps it): the folders' states summed into one phase and one line for the status bar and the
// first-indexing notification.

/** One folder's state as qdrant_status reports it (server/src/indexer/state.ts), read leniently. */
export interface RepoIndexState {
  status: string;
  files_done?: number;
  files_total?: number;
  current_file?: string | null;
  error?: string;
  embedder?: string;
  /** Which pass files_done counts: "windows" (plain line windows, no parse) or "symbols" (symbol chunks). */
  pass?: string;
  /** Every file of the run can be found by search (its symbol chunks may still be on their way). */
  searchable?: boolean;
}

export interface LocalProgress {
  phase: "indexing" | "ready" | "error";
  /** `searchable`: while indexing, every file can already be found (symbol chunks are being added). */
  index: { status: string; done: number; total: number; searchable?: boolean };
  detail: string;
  error?: string;
}

/** `states` of a qdrant_status payload: repo -> state (null when the folder was never indexed yet). */
export function statesOf(payload: unknown): Record<string, RepoIndexState | null> {
  const states = (payload as { states?: unknown } | undefined)?.states;
  if (!states || typeof states !== "object") return {};
  const out: Record<string, RepoIndexState | null> = {};
  for (const [repo, s] of Object.entries(states as Record<string, unknown>)) {
    out[repo] = s && typeof s === "object" && typeof (s as RepoIndexState).status === "string" ? (s as RepoIndexState) : null;
  }
  return out;
}

function named(repos: string[]): string {
  return repos.length === 1 ? repos[0]! : `${repos.length} folders (${repos.join(", ")})`;
}

/** The phase of all `repos` together: an error in one is an error, ready when every folder is watched. */
export function summarize(states: Record<string, RepoIndexState | null>, repos: string[], lexicalOnly = false): LocalProgress {
  const done = repos.reduce((n, r) => n + (states[r]?.files_done ?? 0), 0);
  const total = repos.reduce((n, r) => n + (states[r]?.files_total ?? 0), 0);
  const failed = repos.filter((r) => states[r]?.status === "error");
  if (failed.length) {
    const error = failed.map((r) => `${repos.length > 1 ? `${r}: ` : ""}${states[r]?.error ?? "indexing failed"}`).join("; ");
    return { phase: "error", index: { status: "error", done, total }, error, detail: `Indexing failed: ${error}` };
  }
  if (repos.length && repos.every((r) => states[r]?.status === "watching")) {
    return { phase: "ready", index: { status: "watching", done, total }, detail: `Local index of ${named(repos)}: ${total} files${lexicalOnly ? " (lexical-only)" : ""}` };
  }
  const busy = repos.filter((r) => states[r]?.status !== "watching");
  const current = busy.length === 1 ? states[busy[0]!]?.current_file : undefined;
  const status = repos.some((r) => states[r]?.status === "indexing") ? "indexing" : "scanning";
  // A first index stores every file as plain windows first: search works from then on, while symbols are added.
  const searchable = busy.length > 0 && busy.every((r) => states[r]?.searchable === true);
  const windows = busy.some((r) => states[r]?.pass === "windows");
  const at = current ? ` (${current})` : "";
  const detail = !total
    ? `Indexing ${named(repos)} (starting)`
    : searchable
      ? `Search is ready; adding symbols to ${named(repos)}: ${done}/${total} files${at}`
      : windows
        ? `Making ${named(repos)} searchable: ${done}/${total} files${at}`
        : `Indexing ${named(repos)}: ${done}/${total} files${at}`;
  return { phase: "indexing", index: { status, done, total, ...(searchable ? { searchable } : {}) }, detail };
}
