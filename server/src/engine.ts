// The one factory: builds the engine's parts from settings, so everything else receives them ready-made. A search
// needs only the store, the embedder and the search engine (openSearcher); the indexer, its chunker and grammars are
// loaded by openEngine alone, so that a one-shot search starts fast.
import path from "node:path";
import { loadSettings, repoNameFor, statePathFor, storePathFor, type Settings } from "./config/index.ts";
import { createEmbedder, EmbedderUnavailableError, noneEmbedder } from "./embedding/index.ts";
import type { Embedder } from "./embedding/types.ts";
import type { DenseBackground, DenseFillReport, Indexer, IndexReport, RunOptions, StateFile } from "./indexer/index.ts";
import { createLogger, type Logger } from "./log/index.ts";
import { SearchEngine } from "./search/index.ts";
import { openSqliteStore } from "./store/sqlite.ts";
import type { Store } from "./store/types.ts";

export interface EngineOptions {
  root: string;
  repo?: string;
  settings?: Settings;
  log?: Logger;
  embedder?: Embedder;
  store?: Store;
  /** Whether a large full scan stores line windows before symbol chunks (IndexerOptions.windowsFirst; default "auto"). */
  windowsFirst?: "auto" | "always" | "never";
}

/** What searching an index needs: its store, the embedder of its queries, the search engine. */
export interface Searcher {
  readonly root: string;
  readonly repo: string;
  readonly settings: Settings;
  readonly log: Logger;
  readonly store: Store;
  readonly embedder: Embedder;
  readonly search: SearchEngine;
  close(): Promise<void>;
}

export interface Engine extends Searcher {
  readonly indexer: Indexer;
  readonly state: StateFile;
  /** Full or incremental index of the root, with state.json kept up to date. */
  index(opts?: RunOptions): Promise<IndexReport>;
  /** The dense phase: embeds the chunks still without a vector (all of them after a first index), state kept up to date. */
  fillDense(opts?: { signal?: AbortSignal; onProgress?: (p: DenseFillReport) => void }): Promise<DenseFillReport>;
  /** The dense phase run in the background (watchers, servers): kick() after indexing; stopped by close(). */
  readonly denseBackground: DenseBackground;
  close(): Promise<void>;
}

/**
 * The embedder the settings name. When the provider was left at its default and the model cannot be had (no network,
 * no local copy), search still works: lexical only, with one warning saying how to get the model.
 */
export async function embedderFor(settings: Settings, log: Logger): Promise<Embedder> {
  try {
    return await createEmbedder(settings, log);
  } catch (e) {
    if (!(e instanceof EmbedderUnavailableError) || settings.embeddingProviderExplicit) throw e;
    log.warn(`${e.message} Continuing with lexical-only search (set EMBEDDING_PROVIDER=none to silence this).`);
    return createEmbedder({ ...settings, embeddingProvider: "none" }, log);
  }
}

/** Opens the store the settings name: Qdrant when QDRANT_URL is set, else the embedded SQLite file of the root. */
export async function openStore(settings: Settings, root: string, log: Logger): Promise<Store> {
  if (settings.qdrantUrl) {
    const { openQdrantStore } = await import("./store/qdrant/index.ts");
    return openQdrantStore(settings, log);
  }
  return openSqliteStore(storePathFor(settings, root), log, { driver: settings.sqliteDriver });
}

/**
 * Opens an index for searching. An index built without dense vectors is searched without an embedder: loading a
 * model (or trying to fetch one) would only slow every search down to find nothing.
 */
export async function openSearcher(opts: EngineOptions): Promise<Searcher> {
  const settings = opts.settings ?? loadSettings();
  const log = opts.log ?? createLogger({ level: settings.logLevel });
  const root = path.resolve(opts.root);
  const repo = opts.repo ?? repoNameFor(settings, root);
  const store = opts.store ?? (await openStore(settings, root, log));
  try {
    const built = opts.embedder ? undefined : await store.schema?.();
    const embedder = opts.embedder ?? (built?.dimension === 0 ? noneEmbedder : await embedderFor(settings, log));
    const search = new SearchEngine({ store, embedder, log, defaultRepo: repo });
    return {
      root, repo, settings, log, store, embedder, search,
      async close() {
        await embedder.close?.();
        await store.close();
      },
    };
  } catch (e) {
    if (!opts.store) await store.close();
    throw e;
  }
}

export async function openEngine(opts: EngineOptions): Promise<Engine> {
  const settings = opts.settings ?? loadSettings();
  const log = opts.log ?? createLogger({ level: settings.logLevel });
  const root = path.resolve(opts.root);
  const repo = opts.repo ?? repoNameFor(settings, root);
  const embedder = opts.embedder ?? (await embedderFor(settings, log));
  const store = opts.store ?? (await openStore(settings, root, log));
  const { DenseBackground, fillDense, Indexer, IndexCancelled, StateFile } = await import("./indexer/index.ts");
  const indexer = new Indexer({
    root, repo, store, embedder, log,
    microChunks: settings.indexMicroChunks,
    maxMicroChunks: settings.maxMicroChunksPerFile,
    maxFileBytes: settings.maxFileBytes,
    ...(opts.windowsFirst ? { windowsFirst: opts.windowsFirst } : {}),
  });
  const search = new SearchEngine({ store, embedder, log, defaultRepo: repo });
  const state = new StateFile(statePathFor(settings, root, repo), {
    collection: settings.collectionName, repo, status: "idle", files_done: 0, files_total: 0, current_file: null,
    config_hash: configHash(settings, embedder), embedder: embedder.name, store: store.location,
  });

  const index = async (run: RunOptions = {}): Promise<IndexReport> => {
    state.update({ status: "scanning", pass: undefined, searchable: undefined, files_done: 0, files_total: 0, current_file: null });
    try {
      const report = await indexer.indexAll({
        ...run,
        onProgress: (p) => {
          if (p.phase === "indexing") state.update({ status: "indexing", pass: p.pass ?? "symbols", files_done: p.done, files_total: p.total, current_file: p.current ?? null });
          if (p.phase === "searchable") state.update({ searchable: true, files_done: 0, files_total: 0 }, true);
          run.onProgress?.(p);
        },
      });
      state.update({
        status: "idle", pass: undefined, searchable: true, current_file: null, files_done: report.scanned, files_total: report.scanned,
        last_run: { files: report.indexed, chunks: report.chunks, removed: report.removed, skipped: report.skipped.length, ms: report.ms, finished_at: new Date().toISOString() },
      }, true);
      return report;
    } catch (e) {
      // A cancelled run is no error: what was stored is complete, the rest is picked up by the next run.
      if (e instanceof IndexCancelled) state.update({ status: "idle", current_file: null }, true);
      else state.update({ status: "error", error: (e as Error).message }, true);
      throw e;
    }
  };

  const fillDenseNow = async (run: { signal?: AbortSignal; onProgress?: (p: DenseFillReport) => void } = {}): Promise<DenseFillReport> => {
    if (!store.dense || embedder.dimension === 0) return { embedded: 0, reused: 0, ms: 0, done: 0, total: 0, complete: true };
    const put = (status: "filling" | "complete" | "stopped" | "error", p: { done: number; total: number }, error?: string) =>
      state.update({ dense: { status, done: p.done, total: p.total, ...(error ? { error } : {}) } }, status !== "filling");
    try {
      const report = await fillDense({
        store, embedder, log, repo, signal: run.signal,
        onProgress: (p) => {
          put("filling", p);
          run.onProgress?.(p);
        },
      });
      put(report.complete ? "complete" : "stopped", report);
      return report;
    } catch (e) {
      put("error", state.current.dense ?? { done: 0, total: 0 }, (e as Error).message);
      throw e;
    }
  };
  const denseBackground = new DenseBackground((signal) => fillDenseNow({ signal }), log);

  return {
    root, repo, settings, log, store, embedder, indexer, search, state, index, fillDense: fillDenseNow, denseBackground,
    async close() {
      await denseBackground.stop();
      await indexer.close();
      await embedder.close?.();
      await store.close();
    },
  };
}

function configHash(settings: Settings, embedder: Embedder): string {
  const relevant = [embedder.name, embedder.dimension, settings.indexMicroChunks, settings.maxMicroChunksPerFile, settings.maxFileBytes];
  let h = 0;
  for (const ch of JSON.stringify(relevant)) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return (h >>> 0).toString(16);
}
