// What the MCP tools work on: the served root (one repo, or a folder of repos), one shared store and embedder,
// memories, the decoder, and an indexing lock per repo so long index runs never overlap.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { createDecoder, type Decoder } from "../decoder/index.ts";
import { statePathFor, type Settings } from "../config/index.ts";
import type { Embedder } from "../embedding/types.ts";
import { embedderFor, openEngine, openStore, type Engine } from "../engine.ts";
import type { Logger } from "../log/index.ts";
import { MemoryService } from "../memory/index.ts";
import { SearchEngine } from "../search/index.ts";
import type { Store } from "../store/types.ts";

export interface McpContext {
  settings: Settings;
  log: Logger;
  root: string;
  /** Repo searched by default; "*" when serving a folder of repos. */
  defaultRepo: string;
  multiRepo: boolean;
  store: Store;
  embedder: Embedder;
  memory: MemoryService;
  decoder: Decoder | null;
  search: SearchEngine;
  /** The engine (indexer + state) of one repo, created on first use. */
  engineFor(repo?: string): Promise<Engine>;
  /** Repo folders under the root (multi-repo) or the root's own repo. */
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
  settings: Settings;
  log: Logger;
  store?: Store;
  embedder?: Embedder;
  decoder?: Decoder | null;
}): Promise<McpContext> {
  const { settings, log } = opts;
  const root = path.resolve(opts.root);
  const multiRepo = isReposFolder(root, settings);
  const defaultRepo = multiRepo ? "*" : (settings.repoName ?? path.basename(root));
  const embedder = opts.embedder ?? (await embedderFor(settings, log));
  const store = opts.store ?? (await openStore(settings, root, log));
  await store.ensure({ embedder: embedder.name, dimension: embedder.dimension });
  const decoder = opts.decoder === undefined ? createDecoder(settings, log) : opts.decoder;
  const memoryRepo = multiRepo ? "_shared" : defaultRepo;
  const engines = new Map<string, Promise<Engine>>();
  const locks = new Map<string, Promise<unknown>>();

  const repos = () =>
    multiRepo
      ? readdirSync(root, { withFileTypes: true })
          .filter((e) => e.isDirectory() && !e.name.startsWith("."))
          .map((e) => e.name)
          .sort()
      : [defaultRepo];

  const engineFor = (repo?: string): Promise<Engine> => {
    const name = !repo || repo === "*" ? (multiRepo ? undefined : defaultRepo) : repo;
    if (!name) return Promise.reject(new Error(`this server serves a folder of repos (${root}): name one with "repo" (${repos().join(", ") || "none yet"})`));
    if (!multiRepo && name !== defaultRepo) return Promise.reject(new Error(`unknown repo "${name}": this server serves "${defaultRepo}"`));
    const repoRoot = multiRepo ? path.join(root, name) : root;
    if (multiRepo && (!existsSync(repoRoot) || !statSync(repoRoot).isDirectory())) {
      return Promise.reject(new Error(`unknown repo "${name}": no folder ${repoRoot} (repos: ${repos().join(", ") || "none yet"})`));
    }
    let e = engines.get(name);
    if (!e) {
      e = openEngine({ root: repoRoot, repo: name, settings, log, store, embedder });
      engines.set(name, e);
    }
    return e;
  };

  return {
    settings, log, root, defaultRepo, multiRepo, store, embedder, decoder,
    memory: new MemoryService(store, embedder, memoryRepo),
    search: new SearchEngine({ store, embedder, log, defaultRepo }),
    engineFor,
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
      for (const e of engines.values()) await (await e.catch(() => undefined))?.indexer.close();
      await decoder?.close?.();
      await embedder.close?.();
      await store.close();
    },
  };
}
