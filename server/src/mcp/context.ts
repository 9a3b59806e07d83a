// What the MCP tools work on: the served root (one repo, or a folder of repos), one shared store and embedder,
// memories, the decoder, and an indexing lock per repo so long index runs never overlap.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { createDecoder, type Decoder } from "../decoder/index.ts";
import { statePathFor, type Settings } from "../config/index.ts";
import type { Embedder } from "../embedding/types.ts";
import { repoFolder, type ServedFolder } from "../files/index.ts";
import { embedderFor, openEngine, openStore, type Engine } from "../engine.ts";
import type { Logger } from "../log/index.ts";
import { MemoryService } from "../memory/index.ts";
import { CachedSearch, SearchEngine, startSearchPool, type CacheStats, type CodeSearch, type PoolStats, type SearchPool } from "../search/index.ts";
import type { Store } from "../store/types.ts";

export interface McpContext {
  settings: Settings;
  log: Logger;
  /** The served root: the repo, the repos folder, or the first of the served folders. */
  root: string;
  /** Repo searched by default; "*" when serving a folder of repos. */
  defaultRepo: string;
  multiRepo: boolean;
  store: Store;
  embedder: Embedder;
  memory: MemoryService;
  decoder: Decoder | null;
  /** Searches: answered from the cache while the index is unchanged, else run by the pool (`lane` = the caller). */
  search: CodeSearch;
  /** The worker threads searches run on, their fair lanes and the admission decision (503 when saturated). */
  searchPool: SearchPool;
  /** The pool's load (calls in flight, queued, refused, service time) and the cache's hits: what /health reports. */
  searchLoad(): PoolStats & { cache: CacheStats };
  /** The engine (indexer + state) of one repo, created on first use. */
  engineFor(repo?: string): Promise<Engine>;
  /** The folder of a served repo; throws when `repo` is not one (a name that leaves the root, an unknown repo). */
  repoRoot(repo: string): string;
  /** Repo folders under the root (multi-repo), the served folders' repos, or the root's own repo. */
  repos(): string[];
  /** Runs `fn` when no other indexing of that repo runs (calls queue). */
  withIndexLock<T>(repo: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A root is a folder of repos (the cluster's /repos) when REPO_NAME does not name it, it was never indexed as one
 * repo, and either a shared store is configured (QDRANT_URL or STORE_PATH) or its subfolders are indexed repos.
 */
export function isReposFolder(root: string, settings: Settings): boolean {
  if (settings.repoName) return false;
  if (existsSync(statePathFor(settings, root, path.basename(root)))) return false;
  if (settings.qdrantUrl || settings.storePath) return true;
  try {
    return readdirSync(root, { withFileTypes: true }).some(
      (e) => e.isDirectory() && existsSync(path.join(root, e.name, ".codebase", "state.json")),
    );
  } catch {
    return false;
  }
}

export async function createMcpContext(opts: {
  root: string;
  /** Serve these folders instead of `root` (each its own repo); `root` is then ignored. */
  folders?: ServedFolder[];
  settings: Settings;
  log: Logger;
  store?: Store;
  embedder?: Embedder;
  decoder?: Decoder | null;
}): Promise<McpContext> {
  const { settings, log } = opts;
  const folders = opts.folders?.length ? new Map(opts.folders.map((f) => [f.repo, path.resolve(f.root)])) : undefined;
  const root = folders ? [...folders.values()][0]! : path.resolve(opts.root);
  const multiRepo = folders ? folders.size > 1 : isReposFolder(root, settings);
  const defaultRepo = folders ? (folders.size > 1 ? "*" : [...folders.keys()][0]!) : multiRepo ? "*" : (settings.repoName ?? path.basename(root));
  const embedder = opts.embedder ?? (await embedderFor(settings, log));
  const store = opts.store ?? (await openStore(settings, root, log));
  await store.ensure({ embedder: embedder.name, dimension: embedder.dimension });
  const decoder = opts.decoder === undefined ? createDecoder(settings, log) : opts.decoder;
  const memoryRepo = multiRepo ? "_shared" : defaultRepo;
  const engines = new Map<string, Promise<Engine>>();
  const locks = new Map<string, Promise<unknown>>();

  const repos = () =>
    folders
      ? [...folders.keys()]
      : multiRepo
      ? readdirSync(root, { withFileTypes: true })
          .filter((e) => e.isDirectory() && !e.name.startsWith("."))
          .map((e) => e.name)
          .sort()
      : [defaultRepo];

  const repoRoot = (name: string): string => {
    if (folders) {
      const dir = folders.get(name);
      if (!dir) throw new Error(`unknown repo "${name}": this server serves ${repos().map((r) => `"${r}"`).join(", ")}`);
      return dir;
    }
    if (!multiRepo) {
      if (name !== defaultRepo) throw new Error(`unknown repo "${name}": this server serves "${defaultRepo}"`);
      return root;
    }
    try {
      return repoFolder(root, name);
    } catch (e) {
      throw new Error(`${(e as Error).message} (repos: ${repos().join(", ") || "none yet"})`);
    }
  };

  const engineFor = async (repo?: string): Promise<Engine> => {
    const name = !repo || repo === "*" ? (multiRepo ? undefined : defaultRepo) : repo;
    if (!name) throw new Error(`this server serves several repos: name one with "repo" (${repos().join(", ") || "none yet"})`);
    const repoDir = repoRoot(name);
    let e = engines.get(name);
    if (!e) {
      e = openEngine({ root: repoDir, repo: name, settings, log, store, embedder });
      engines.set(name, e);
    }
    return e;
  };

  const local = new SearchEngine({ store, embedder, log, defaultRepo });
  // Workers open the same SQLite file read-only; an in-memory store or Qdrant is searched on this thread.
  const sqlite = store.kind === "sqlite" && store.location !== ":memory:" && (store.driver === "better-sqlite3" || store.driver === "node-sqlite")
    ? { location: store.location, driver: store.driver as "better-sqlite3" | "node-sqlite" }
    : undefined;
  const searchPool = startSearchPool({
    local, embedder, log, defaultRepo, ...(sqlite ? { sqlite } : {}),
    ...(settings.searchThreads !== undefined ? { threads: settings.searchThreads } : {}),
    admission: { maxWaitMs: settings.searchMaxWaitMs },
  });

  const cached = new CachedSearch(searchPool, store, settings.searchCacheEntries);

  return {
    settings, log, root, defaultRepo, multiRepo, store, embedder, decoder,
    memory: new MemoryService(store, embedder, memoryRepo),
    search: cached,
    searchPool,
    searchLoad: () => ({ ...searchPool.stats(), cache: cached.stats }),
    engineFor,
    repoRoot,
    repos,
    async withIndexLock<T>(repo: string, fn: () => Promise<T>): Promise<T> {
      const prev = locks.get(repo) ?? Promise.resolve();
      const run = prev.catch(() => undefined).then(fn);
      locks.set(repo, run);
      try {
        return await run;
      } finally {
        if (locks.get(repo) === run) locks.delete(repo);
      }
    },
    async close() {
      await searchPool.close();
      for (const e of engines.values()) await (await e.catch(() => undefined))?.indexer.close();
      await decoder?.close?.();
      await embedder.close?.();
      await store.close();
    },
  };
}
