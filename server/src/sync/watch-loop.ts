// Keeps a workspace synced: chokidar events, debounced into one syncOnce at a time; failures retried with backoff.
// Imported by the extension: chokidar and the sync client only.
import path from "node:path";
import { watch } from "chokidar";
import { syncChanges, syncOnce, type SyncOptions, type SyncResult } from "./client.ts";
import { EXCLUDED_DIRS, PathFilter, type HashCache } from "./workspace-scan.ts";

export interface WatchOptions extends SyncOptions {
  /** Quiet time after the last change before a sync starts. */
  debounceMs?: number;
  onSync?: (result: SyncResult) => void;
  onError?: (err: Error) => void;
  /** First retry delay after a failed sync; doubles up to 60 s. */
  retryMs?: number;
}

export interface WorkspaceWatch {
  /** Resolves when no sync is running, scheduled or being retried. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const MAX_RETRY_MS = 60_000;
/** Above this many changed paths a full sync is cheaper than a partial manifest. */
const MAX_CHANGED_PATHS = 2000;
const RULE_FILES = new Set([".gitignore", ".contextignore"]);

/**
 * Syncs once (full), then after every burst of changes syncs just the changed paths; a full sync again after a folder
 * delete, an ignore-file change or a failure. Resolves once the watcher is ready and the first sync is done.
 */
export async function watchWorkspace(opts: WatchOptions): Promise<WorkspaceWatch> {
  const root = path.resolve(opts.root);
  const cache: HashCache = opts.cache ?? new Map();
  const debounceMs = opts.debounceMs ?? 300;
  const baseRetry = opts.retryMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let dirty = false;
  let retry = baseRetry;
  let closed = false;
  let full = true;
  const changed = new Set<string>();
  const filter = new PathFilter(root, opts.extraExcludes);
  let waiters: (() => void)[] = [];

  const settleIfIdle = () => {
    if (running || timer || dirty) return;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };

  const schedule = (delay: number) => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, delay);
  };

  const run = async (): Promise<void> => {
    if (closed) return;
    if (running) {
      dirty = true; // changes during a sync: one more sync when it ends
      return running;
    }
    dirty = false;
    const whole = full || changed.size > MAX_CHANGED_PATHS;
    const paths = [...changed];
    full = false;
    changed.clear();
    if (!whole && paths.length === 0) {
      settleIfIdle();
      return;
    }
    running = (async () => {
      try {
        const r = whole ? await syncOnce({ ...opts, root, cache }) : await syncChanges({ ...opts, root, cache, paths, filter });
        retry = baseRetry;
        opts.onSync?.(r);
      } catch (err) {
        if (closed || opts.signal?.aborted) return;
        full = true; // whatever was in flight is re-checked by a full sync
        opts.onError?.(err as Error);
        dirty = false;
        schedule(retry);
        retry = Math.min(retry * 2, MAX_RETRY_MS);
      }
    })();
    await running;
    running = undefined;
    if (dirty && !closed) {
      dirty = false;
      schedule(debounceMs);
    }
    settleIfIdle();
  };

  const ignored = (p: string) => {
    const rel = path.relative(root, p);
    return rel !== "" && rel.split(path.sep).some((s) => EXCLUDED_DIRS.has(s));
  };
  const watcher = watch(root, { ignoreInitial: true, ignored, persistent: true });
  watcher.on("all", (event, p) => {
    if (event === "unlinkDir" || RULE_FILES.has(path.basename(p))) {
      full = true;
      filter.clear();
    } else if (event === "add" || event === "change" || event === "unlink") {
      changed.add(path.relative(root, p).split(path.sep).join("/"));
    }
    if (running) dirty = true;
    else schedule(debounceMs);
  });
  watcher.on("error", (err) => opts.onError?.(err as Error));
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  await run();

  return {
    idle: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        settleIfIdle();
      }),
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await watcher.close();
      await running;
      dirty = false;
      settleIfIdle();
    },
  };
}
