// `context-engine watch --root DIR --repo NAME`: a long-running watcher of one repo root; `--folder NAME=DIR ...`
// watches several named folders in one process (one model, one store: an editor's multi-root workspace).
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../config/index.ts";
import type { Settings } from "../config/index.ts";
import { embedderFor, openEngine, openStore } from "../engine.ts";
import { parseFolders, repoNameProblem, type ServedFolder } from "../files/index.ts";
import type { Logger } from "../log/index.ts";
import { createLogger } from "../log/index.ts";
import { EXIT, UsageError, type CliIO } from "../cli/io.ts";
import { untilSignal } from "../cli/serve.ts";
import { startControlServer } from "./control.ts";
import { Watcher } from "./watcher.ts";

export { Watcher, type WatcherOptions, type BatchReport } from "./watcher.ts";
export { startControlServer, type ControlServer } from "./control.ts";

export const WATCH_HELP = `Usage: context-engine watch [--root DIR] [--repo NAME]
       context-engine watch --folder NAME=DIR [--folder NAME=DIR ...]

Indexes DIR (default: WATCH_ROOT or the current folder), then keeps the index fresh as files change: events are
debounced for WATCH_DEBOUNCE_SECS (default 1.5 s) and indexed in batches. Points are tagged with NAME (default:
REPO_NAME or the folder's name). --folder watches several folders, each repo NAME, in one process sharing one
embedding model and one store (set STORE_PATH). Stops on SIGINT/SIGTERM.

On shared storage (NFS, CephFS, EFS) writes made on another node raise no file event here:
  WATCH_CONTROL_PORT=8005    serve POST /changes {paths} and POST /reindex (the uploader and MCP servers use them)
  WATCH_RECONCILE_SECS=120   rescan (size + mtime) this often as a safety net
  WATCH_POLL_SECS=5          poll instead of inotify, for other writers
  WATCH_FILE_EVENTS=off      no file watching at all: only notifications and reconciles`;

export async function watchCommand(argv: string[], io: CliIO): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(WATCH_HELP + "\n");
    return EXIT.ok;
  }
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { root: { type: "string" }, repo: { type: "string" }, folder: { type: "string", multiple: true } }, strict: true }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.folder?.length) {
    if (values.root !== undefined || values.repo !== undefined) throw new UsageError("--folder and --root/--repo exclude each other");
    let folders: ServedFolder[];
    try {
      folders = parseFolders(values.folder, io.cwd);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    for (const f of folders) if (!existsSync(f.root) || !statSync(f.root).isDirectory()) throw new UsageError(`not a folder: ${f.root}`);
    const settings = loadSettings(io.env);
    return watchFolders(folders, settings, createLogger({ level: settings.logLevel, stream: io.stderr }));
  }
  const badRepo = values.repo === undefined ? undefined : repoNameProblem(values.repo);
  if (badRepo) throw new UsageError(`--repo ${JSON.stringify(values.repo)} is not a repo name: ${badRepo}`);
  const settings = loadSettings(io.env);
  const root = path.resolve(io.cwd, values.root ?? settings.watchRoot ?? ".");
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`not a folder: ${root}`);
  const log = createLogger({ level: settings.logLevel, stream: io.stderr });
  const engine = await openEngine({ root, settings, log, ...(values.repo ? { repo: values.repo } : {}) });
  const watcher = new Watcher({
    engine, log, debounceMs: settings.watchDebounceSecs * 1000,
    reconcileMs: settings.watchReconcileSecs * 1000, pollMs: settings.watchPollSecs * 1000, fileEvents: settings.watchFileEvents,
  });
  // Up before the startup scan, which can take long: probes and notifications are answered meanwhile.
  const control = settings.watchControlPort
    ? await startControlServer({ watcher, repo: engine.repo, host: settings.bindHost, port: settings.watchControlPort, token: settings.token, log })
    : undefined;
  try {
    const stopping = untilSignal();
    await watcher.start();
    log.info("watching", {
      root, repo: engine.repo, debounce_s: settings.watchDebounceSecs, store: engine.store.location,
      reconcile_s: settings.watchReconcileSecs, poll_s: settings.watchPollSecs, control_port: control?.port ?? null,
    });
    const sig = await stopping;
    log.info("watcher stopping", { signal: sig });
    await watcher.stop();
    engine.state.update({ status: "idle" }, true);
    return EXIT.ok;
  } finally {
    await control?.close();
    await engine.close();
  }
}

/** Several folders in one process: the model and the store are opened once and shared by each folder's watcher. */
async function watchFolders(folders: ServedFolder[], settings: Settings, log: Logger): Promise<number> {
  const embedder = await embedderFor(settings, log);
  const store = await openStore(settings, folders[0]!.root, log);
  const watchers: Watcher[] = [];
  const engines = [];
  try {
    for (const f of folders) {
      const engine = await openEngine({ root: f.root, repo: f.repo, settings, log: log.child({ repo: f.repo }), embedder, store });
      engines.push(engine);
      const watcher = new Watcher({
        engine, log: log.child({ repo: f.repo }), debounceMs: settings.watchDebounceSecs * 1000,
        reconcileMs: settings.watchReconcileSecs * 1000, pollMs: settings.watchPollSecs * 1000, fileEvents: settings.watchFileEvents,
      });
      watchers.push(watcher);
      await watcher.start();
      log.info("watching", { root: f.root, repo: f.repo, debounce_s: settings.watchDebounceSecs, store: store.location });
    }
    const sig = await untilSignal();
    log.info("watcher stopping", { signal: sig });
    for (const w of watchers) await w.stop();
    for (const e of engines) e.state.update({ status: "idle" }, true);
    return EXIT.ok;
  } finally {
    // The engines share the model and the store: each closes its own indexer, the shared parts close once.
    for (const e of engines) await e.indexer.close();
    await embedder.close?.();
    await store.close();
  }
}
