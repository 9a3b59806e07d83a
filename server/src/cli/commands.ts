// The engine commands index and status (search has its own file: it must start without the indexer).
import { existsSync } from "node:fs";
import { loadSettings, repoNameFor, statePathFor, storePathFor } from "../config/index.ts";
import { openEngine, openStore, type Engine } from "../engine.ts";
import { count, denseLine, readState, type IndexState } from "../indexer/index.ts";
import { createLogger } from "../log/index.ts";
import { dirArg, parse, printHelp, repoArg, wantsHelp } from "./args.ts";
import { EXIT, UsageError, type CliIO } from "./io.ts";
import { createProgress } from "./progress.ts";

export const HELP = {
  index: `Usage: context-engine index [DIR] [--repo NAME] [--no-dense] [--json]

Indexes DIR (default: the current folder) into its embedded store (DIR/.codebase/index.db, or the file STORE_PATH
names), or into Qdrant when QDRANT_URL is set. The first run indexes everything; later runs only what changed.
A large first run stores every file as plain line windows first, so search works before anything is parsed, then
replaces them with symbol chunks file by file (progress shown); with an embedding model, dense vectors are then filled in
(progress shown; Ctrl-C stops it safely, and the next index, watch or serve carries on where it stopped).

Options:
  --repo NAME   tag points with this repo name (default: REPO_NAME or the folder's name)
  --no-dense    stop after the lexical index; dense vectors are filled in later by watch or serve
  --json        print the report as JSON
  -h, --help    show this help`,
  status: `Usage: context-engine status [DIR] [--json]

Shows the index state of DIR (default: the current folder): status, files, chunks, embedder, last run.`,
} as const;

export async function indexCommand(argv: string[], io: CliIO): Promise<number> {
  if (wantsHelp(argv)) return printHelp(io, HELP.index);
  const { values, positionals } = parse(argv, { repo: { type: "string" }, json: { type: "boolean" }, "no-dense": { type: "boolean" } });
  if (positionals.length > 1) throw new UsageError("index takes one folder");
  repoArg(values.repo);
  const root = dirArg(io, positionals[0]);
  const settings = loadSettings(io.env);
  const log = createLogger({ level: settings.logLevel, stream: io.stderr });
  const engine = await openEngine({ root, settings, log, ...(values.repo ? { repo: values.repo } : {}) });
  let progress = createProgress(io, "indexing");
  try {
    const report = await engine.index({
      onProgress: (p) => {
        if (p.phase === "indexing") progress.update(p.done, p.total, p.current);
        if (p.phase === "searchable") {
          // Every file can be found from here; the symbols pass replaces each file's line windows with its symbols.
          progress.done(`Search is ready: all ${count(p.total)} files searchable (line windows). Finding their symbols ...`);
          progress = createProgress(io, "symbols");
        }
      },
    });
    progress.done();
    if (values.json) {
      io.stdout.write(JSON.stringify({ root, repo: engine.repo, store: engine.store.location, embedder: engine.embedder.name, ...report }, null, 2) + "\n");
    } else {
      const reasons = new Map<string, number>();
      for (const s of report.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
      const skipped = [...reasons].map(([r, n]) => `${n} ${r}`).join(", ");
      io.stdout.write(
        `Indexed ${root} (repo ${engine.repo}) in ${(report.ms / 1000).toFixed(1)} s: ${report.scanned} files scanned, ` +
          `${report.indexed} indexed, ${report.unchanged} unchanged, ${report.moved} moved, ${report.removed} removed, ` +
          `${report.chunks} chunks${skipped ? `; skipped: ${skipped}` : ""}.\n` +
          `Store: ${engine.store.location} · embedder: ${engine.embedder.name}${report.rebuilt ? " (embedder changed: index rebuilt)" : ""}\n`,
      );
    }
    if (!values["no-dense"]) await fillDenseWithProgress(engine, io, Boolean(values.json));
    return EXIT.ok;
  } finally {
    await engine.close();
  }
}

/** The dense phase in the foreground, after the lexical index is searchable; Ctrl-C stops it after the batch in hand. */
async function fillDenseWithProgress(engine: Engine, io: CliIO, json: boolean): Promise<void> {
  if (!engine.store.dense || engine.embedder.dimension === 0) return;
  const backlog = await engine.store.dense.denseProgress(engine.repo);
  if (backlog.done >= backlog.total) return;
  const progress = createProgress(io, "dense vectors");
  io.stderr.write(`Search is ready (lexical). Filling dense vectors: ${count(backlog.done)} / ${count(backlog.total)}; Ctrl-C stops (the next run carries on).\n`);
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGINT", stop);
  try {
    const r = await engine.fillDense({ signal: ac.signal, onProgress: (p) => progress.update(p.done, p.total) });
    progress.done();
    const line = `dense: ${count(r.done)} / ${count(r.total)} (${r.embedded} embedded, ${r.reused} reused from the cache, ${(r.ms / 1000).toFixed(1)} s)${r.complete ? "" : "; stopped, carries on next run"}`;
    if (json) io.stdout.write(JSON.stringify({ dense: r }) + "\n");
    else io.stdout.write(line + "\n");
  } finally {
    process.off("SIGINT", stop);
  }
}

/** What an indexing run's count is counting, when it runs in two passes. */
function passNote(state: IndexState): string {
  if (state.pass === "windows") return " (line windows first: files become searchable as they are stored)";
  if (state.pass === "symbols" && state.searchable) return " (symbols; every file is already searchable)";
  return "";
}

export async function statusCommand(argv: string[], io: CliIO): Promise<number> {
  if (wantsHelp(argv)) return printHelp(io, HELP.status);
  const { values, positionals } = parse(argv, { json: { type: "boolean" } });
  const root = dirArg(io, positionals[0]);
  const settings = loadSettings(io.env);
  const state = readState(statePathFor(settings, root, repoNameFor(settings, root)));
  const storeFile = storePathFor(settings, root);
  if (!state && !settings.qdrantUrl && !existsSync(storeFile)) {
    io.stderr.write(`${root} is not indexed yet: run \`context-engine index ${root}\`.\n`);
    return EXIT.failure;
  }
  const log = createLogger({ level: "warn", stream: io.stderr });
  const store = await openStore(settings, root, log);
  try {
    const repo = state?.repo ?? repoNameFor(settings, root);
    const stats = (await store.stats()).find((s) => s.repo === repo);
    const dense = store.dense ? await store.dense.denseProgress(repo) : undefined;
    const out = { root, repo, store: store.location, ...(store.driver ? { driver: store.driver } : {}), state: state ?? null, stats: stats ?? null, dense: dense ?? null };
    if (values.json) io.stdout.write(JSON.stringify(out, null, 2) + "\n");
    else {
      io.stdout.write(
        [
          `Root:      ${root}`,
          `Repo:      ${repo}`,
          `Store:     ${store.location}${store.driver ? ` (SQLite via ${store.driver})` : ""}`,
          `Status:    ${state?.status ?? "unknown"}${state?.error ? ` (${state.error})` : ""}${state && state.status === "indexing" ? ` ${state.files_done}/${state.files_total}${passNote(state)}` : ""}`,
          `Embedder:  ${state?.embedder ?? "unknown"}`,
          `Files:     ${stats?.files ?? 0}`,
          `Chunks:    ${stats?.points ?? 0}`,
          `Dense:     ${denseLine(dense, state?.dense?.status)}`,
          `Memories:  ${stats?.memories ?? 0}`,
          `Last run:  ${state?.last_run ? `${state.last_run.finished_at}: ${state.last_run.files} files indexed, ${state.last_run.removed} removed in ${(state.last_run.ms / 1000).toFixed(1)} s` : "never"}`,
        ].join("\n") + "\n",
      );
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
