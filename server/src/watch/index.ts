// `context-engine watch --root DIR --repo NAME`: a long-running watcher of one repo root.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../config/index.ts";
import { openEngine } from "../engine.ts";
import { repoNameProblem } from "../files/index.ts";
import { createLogger } from "../log/index.ts";
import { EXIT, UsageError, type CliIO } from "../cli/io.ts";
import { untilSignal } from "../cli/serve.ts";
import { Watcher } from "./watcher.ts";

export { Watcher, type WatcherOptions, type BatchReport } from "./watcher.ts";

export const WATCH_HELP = `Usage: context-engine watch [--root DIR] [--repo NAME]

Indexes DIR (default: WATCH_ROOT or the current folder), then keeps the index fresh as files change: events are
debounced for WATCH_DEBOUNCE_SECS (default 1.5 s) and indexed in batches. Points are tagged with NAME (default:
REPO_NAME or the folder's name). Stops on SIGINT/SIGTERM.`;

export async function watchCommand(argv: string[], io: CliIO): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(WATCH_HELP + "\n");
    return EXIT.ok;
  }
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { root: { type: "string" }, repo: { type: "string" } }, strict: true }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const badRepo = values.repo === undefined ? undefined : repoNameProblem(values.repo);
  if (badRepo) throw new UsageError(`--repo ${JSON.stringify(values.repo)} is not a repo name: ${badRepo}`);
  const settings = loadSettings(io.env);
  const root = path.resolve(io.cwd, values.root ?? settings.watchRoot ?? ".");
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`not a folder: ${root}`);
  const log = createLogger({ level: settings.logLevel, stream: io.stderr });
  const engine = await openEngine({ root, settings, log, ...(values.repo ? { repo: values.repo } : {}) });
  const watcher = new Watcher({ engine, log, debounceMs: settings.watchDebounceSecs * 1000 });
  try {
    await watcher.start();
    log.info("watching", { root, repo: engine.repo, debounce_s: settings.watchDebounceSecs, store: engine.store.location });
    const sig = await untilSignal();
    log.info("watcher stopping", { signal: sig });
    await watcher.stop();
    engine.state.update({ status: "idle" }, true);
    return EXIT.ok;
  } finally {
    await engine.close();
  }
}
