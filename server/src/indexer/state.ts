// A repo's index state (<root>/.codebase/state.json, or beside the store with STORE_PATH; see statePathFor in config):
// what a person (or the status command, or the extension) reads to know what the index is doing.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";

export type IndexStatus = "idle" | "scanning" | "indexing" | "watching" | "error";

export interface IndexState {
  collection: string;
  repo: string;
  status: IndexStatus;
  files_done: number;
  files_total: number;
  /**
   * While indexing, which pass files_done counts: "windows" stores each file as plain line windows (no parse), so
   * that every file is searchable soon; "symbols" stores each file's symbol chunks (replacing its windows).
   */
  pass?: "windows" | "symbols";
  /** Set when every file of this run can be found by search (its symbol chunks may still be on their way). */
  searchable?: boolean;
  current_file: string | null;
  last_activity: string;
  config_hash: string;
  embedder: string;
  store: string;
  error?: string;
  /** The dense phase: chunks with a vector of all chunks, while it fills and after. Absent without an embedder. */
  dense?: { status: "filling" | "complete" | "stopped" | "error"; done: number; total: number; error?: string };
  last_run?: { files: number; chunks: number; removed: number; skipped: number; ms: number; finished_at: string };
}

/** Reads a state file, or undefined when the repo was never indexed (or the file is unreadable). */
export function readState(file: string): IndexState | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as IndexState;
  } catch {
    return undefined;
  }
}

/** Keeps the state in memory and writes it atomically (temp file + rename), at most every `minIntervalMs`. */
export class StateFile {
  private state: IndexState;
  private lastWrite = 0;

  constructor(
    readonly file: string,
    initial: Omit<IndexState, "last_activity">,
    private readonly minIntervalMs = 250,
  ) {
    const previous = readState(file);
    this.state = { ...initial, ...(previous?.last_run ? { last_run: previous.last_run } : {}), last_activity: new Date().toISOString() };
  }

  get current(): IndexState {
    return this.state;
  }

  update(patch: Partial<IndexState>, force = false): void {
    const statusChanged = patch.status !== undefined && patch.status !== this.state.status;
    this.state = { ...this.state, ...patch, last_activity: new Date().toISOString() };
    if (patch.status !== undefined && patch.status !== "error") delete this.state.error;
    const now = Date.now();
    // Progress is written at most every minIntervalMs; a change of status is written at once.
    if (force || statusChanged || now - this.lastWrite >= this.minIntervalMs) this.flush();
  }

  flush(): void {
    const file = this.file;
    const dir = path.dirname(file);
    try {
      mkdirSync(dir, { recursive: true });
      // .codebase/ never shows in the user's git status; a folder of the user's own choosing is left as it is.
      if (path.basename(dir) === ".codebase" && !existsSync(path.join(dir, ".gitignore"))) writeFileSync(path.join(dir, ".gitignore"), "*\n");
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.state, null, 2) + "\n");
      renameSync(tmp, file);
      this.lastWrite = Date.now();
    } catch {
      // A read-only root must not stop indexing; the store is the source of truth.
    }
  }
}
