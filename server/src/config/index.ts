// The only reader of process.env: every setting is declared once, typed, with its default.
import os from "node:os";
import path from "node:path";

export type EmbeddingProvider = "transformers" | "model2vec" | "none";
export type LogLevel = "debug" | "info" | "warn" | "error";
export type SqliteDriverSetting = "auto" | "better-sqlite3" | "node-sqlite";

export interface Settings {
  collectionName: string;
  memoryCollection: string;
  qdrantUrl: string | undefined;
  qdrantApiKey: string | undefined;
  /** Explicit embedded store file; undefined means `<root>/.codebase/index.db`. */
  storePath: string | undefined;
  /** Which SQLite driver opens the embedded store; auto = better-sqlite3 where its binary loads, else node:sqlite. */
  sqliteDriver: SqliteDriverSetting;
  embeddingProvider: EmbeddingProvider;
  embeddingModel: string;
  embeddingQueryPrefix: string | undefined;
  embeddingThreads: number;
  modelDir: string;
  indexMicroChunks: boolean;
  maxMicroChunksPerFile: number;
  /** Unset locally: the commands fall back to the current folder (the cluster sets /work or /repos/<repo>). */
  watchRoot: string | undefined;
  repoName: string | undefined;
  watchDebounceSecs: number;
  /** Seconds between the watcher's size+mtime rescans (0 = none): the safety net for writes no event reports. */
  watchReconcileSecs: number;
  /** Poll the file system every N seconds instead of inotify (0 = inotify): for writers on other NFS clients. */
  watchPollSecs: number;
  /** false: the watcher reacts only to notifications and reconciles, never to file events. */
  watchFileEvents: boolean;
  /** The watcher's control port (POST /changes, /reindex; GET /health); 0 = none. */
  watchControlPort: number;
  /** URL of a repo's watcher, `{repo}` replaced: the uploader and the MCP servers tell it what changed. */
  watcherUrl: string | undefined;
  llamacppUrl: string | undefined;
  llamacppModelPath: string | undefined;
  llamacppThreads: number;
  token: string | undefined;
  logLevel: LogLevel;
  maxFileBytes: number;
  /** True when EMBEDDING_PROVIDER was set explicitly (then an unavailable model is an error, not a fallback). */
  embeddingProviderExplicit: boolean;
  /** Address the HTTP servers bind: 127.0.0.1 on a workstation, 0.0.0.0 inside Kubernetes. */
  bindHost: string;
  /** Worker threads an MCP server searches on; undefined = one per CPU (at most 4); 0 = on the serving thread. */
  searchThreads: number | undefined;
  /** A search call whose answer is expected later than this (ms) is refused at once with 503 and Retry-After. */
  searchMaxWaitMs: number;
  /** Search responses an MCP server keeps for repeated queries (dropped whenever the index changes); 0 = none. */
  searchCacheEntries: number;
}

/** A bad setting: its message is the one line a person reads before the process stops. */
export class SettingsError extends Error {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly allowed: string,
  ) {
    super(`Invalid setting ${key}=${JSON.stringify(value)}: expected ${allowed}.`);
    this.name = "SettingsError";
  }
}

type Env = Record<string, string | undefined>;

interface Spec<T> {
  key: string;
  default: T;
  description: string;
  parse: (raw: string, key: string) => T;
}

function oneOf<T extends string>(...allowed: T[]) {
  return (raw: string, key: string): T => {
    const v = raw.trim().toLowerCase() as T;
    if (!allowed.includes(v)) throw new SettingsError(key, raw, `one of ${allowed.join(", ")}`);
    return v;
  };
}

function text(raw: string): string {
  return raw.trim();
}

function optionalText(raw: string): string | undefined {
  const v = raw.trim();
  return v === "" ? undefined : v;
}

function flag(raw: string, key: string): boolean {
  const v = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new SettingsError(key, raw, "1/0, true/false, yes/no or on/off");
}

function integer(min: number, max: number) {
  return (raw: string, key: string): number => {
    const v = Number(raw.trim());
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new SettingsError(key, raw, `an integer from ${min} to ${max}`);
    }
    return v;
  };
}

function decimal(min: number, max: number) {
  return (raw: string, key: string): number => {
    const v = Number(raw.trim());
    if (raw.trim() === "" || !Number.isFinite(v) || v < min || v > max) {
      throw new SettingsError(key, raw, `a number from ${min} to ${max}`);
    }
    return v;
  };
}

function url(raw: string, key: string): string | undefined {
  const v = raw.trim();
  if (v === "") return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new SettingsError(key, raw, "an http(s) URL such as http://qdrant:6333");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new SettingsError(key, raw, "an http(s) URL such as http://qdrant:6333");
  }
  return v.replace(/\/+$/, "");
}

function watcherTemplate(raw: string, key: string): string | undefined {
  const v = raw.trim();
  if (v === "") return undefined;
  if (!v.includes("{repo}")) throw new SettingsError(key, raw, "an http(s) URL with {repo} in it, such as http://watcher-{repo}:8005");
  url(v.replace(/\{repo\}/g, "repo"), key);
  return v.replace(/\/+$/, "");
}

function collection(raw: string, key: string): string {
  const v = raw.trim();
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(v)) throw new SettingsError(key, raw, "1-128 letters, digits, '_' or '-'");
  return v;
}

/** A repo tag: one folder name (the MCP servers find a repo's folder by it), never "*" (every repo). */
function repoName(raw: string, key: string): string | undefined {
  const v = raw.trim();
  if (v === "") return undefined;
  if (v === "." || v === ".." || v === "*" || v.length > 255 || /[\/\\\x00-\x1f\x7f]/.test(v)) {
    throw new SettingsError(key, raw, "one folder name: no '/', '\\', control characters, '.', '..' or '*'");
  }
  return v;
}

function expandHome(p: string): string {
  return p.startsWith("~") ? path.join(os.homedir(), p.slice(1)) : p;
}

/** Every setting with its key, default and meaning; the README's table is generated from the same words. */
export const SETTINGS_SPEC = {
  collectionName: { key: "COLLECTION_NAME", default: "codebase", description: "one collection for all repos (filtered by repo)", parse: collection },
  memoryCollection: { key: "MEMORY_COLLECTION", default: "", description: "where memories live (default: COLLECTION_NAME, kind=memory)", parse: (r: string, k: string) => (r.trim() === "" ? "" : collection(r, k)) },
  qdrantUrl: { key: "QDRANT_URL", default: undefined, description: "Qdrant server; unset means the embedded SQLite store", parse: url },
  qdrantApiKey: { key: "QDRANT_API_KEY", default: undefined, description: "Qdrant API key (optional)", parse: optionalText },
  storePath: { key: "STORE_PATH", default: undefined, description: "embedded store file (default <root>/.codebase/index.db)", parse: optionalText },
  sqliteDriver: { key: "SQLITE_DRIVER", default: "auto", description: "auto | better-sqlite3 | node-sqlite (Node >= 22.13): the embedded store's driver", parse: oneOf<SqliteDriverSetting>("auto", "better-sqlite3", "node-sqlite") },
  embeddingProvider: { key: "EMBEDDING_PROVIDER", default: "transformers", description: "transformers | model2vec | none (lexical only)", parse: oneOf<EmbeddingProvider>("transformers", "model2vec", "none") },
  embeddingModel: { key: "EMBEDDING_MODEL", default: "BAAI/bge-base-en-v1.5", description: "model id or local folder", parse: text },
  embeddingQueryPrefix: { key: "EMBEDDING_QUERY_PREFIX", default: undefined, description: "text put before a search query for the dense model (default: the model's own instruction, e.g. BGE's; `none` for none)", parse: (r: string) => (r.trim() === "" ? undefined : r.trim() === "none" ? "" : r) },
  embeddingThreads: { key: "EMBEDDING_THREADS", default: 1, description: "CPU threads of the transformer embedder (1 keeps a core free while dense vectors fill in behind search)", parse: integer(1, 256) },
  modelDir: { key: "MODEL_DIR", default: path.join(os.homedir(), ".cache", "context-engine", "models"), description: "where models are looked for / downloaded", parse: (r: string) => expandHome(r.trim()) },
  indexMicroChunks: { key: "INDEX_MICRO_CHUNKS", default: true, description: "micro-chunks (5-50 line windows) inside large symbols", parse: flag },
  maxMicroChunksPerFile: { key: "MAX_MICRO_CHUNKS_PER_FILE", default: 200, description: "cap per file; windows widen above it", parse: integer(1, 100_000) },
  watchRoot: { key: "WATCH_ROOT", default: undefined, description: "what a watcher watches / what the MCP servers serve (default: current folder)", parse: optionalText },
  repoName: { key: "REPO_NAME", default: undefined, description: "repo tag of the points (default: basename of the root)", parse: repoName },
  watchDebounceSecs: { key: "WATCH_DEBOUNCE_SECS", default: 1.5, description: "quiet time before a batch is indexed", parse: decimal(0, 3600) },
  watchReconcileSecs: { key: "WATCH_RECONCILE_SECS", default: 0, description: "a watcher rescans (size + mtime) this often; 0 = never (the cluster sets it: shared storage delivers no events for remote writes)", parse: integer(0, 86_400) },
  watchPollSecs: { key: "WATCH_POLL_SECS", default: 0, description: "a watcher polls every N seconds instead of using inotify; 0 = inotify", parse: decimal(0, 3600) },
  watchFileEvents: { key: "WATCH_FILE_EVENTS", default: true, description: "a watcher reacts to file events (inotify or polling); off = only to notifications and reconciles", parse: flag },
  watchControlPort: { key: "WATCH_CONTROL_PORT", default: 0, description: "a watcher's control port (POST /changes, POST /reindex, GET /health); 0 = none", parse: integer(0, 65535) },
  watcherUrl: { key: "WATCHER_URL", default: undefined, description: "a repo's watcher, {repo} replaced (http://watcher-{repo}:8005): the uploader notifies it, the MCP servers ask it to index", parse: watcherTemplate },
  llamacppUrl: { key: "LLAMACPP_URL", default: undefined, description: "llama.cpp server for context_answer", parse: url },
  llamacppModelPath: { key: "LLAMACPP_MODEL_PATH", default: undefined, description: "local GGUF file for the embedded decoder", parse: optionalText },
  llamacppThreads: { key: "LLAMACPP_THREADS", default: 1, description: "CPU threads of the embedded decoder", parse: integer(1, 256) },
  token: { key: "CONTEXT_ENGINE_TOKEN", default: undefined, description: "bearer token required on MCP and upload routes", parse: optionalText },
  logLevel: { key: "LOG_LEVEL", default: "info", description: "debug | info | warn | error", parse: oneOf<LogLevel>("debug", "info", "warn", "error") },
  bindHost: { key: "BIND_HOST", default: "", description: "address the servers bind (default 127.0.0.1; 0.0.0.0 inside Kubernetes)", parse: text },
  searchThreads: { key: "SEARCH_THREADS", default: undefined, description: "worker threads an MCP server searches on (default: one per CPU, at most 4; 0 = on the serving thread)", parse: (r: string, k: string) => (r.trim() === "" || r.trim() === "auto" ? undefined : integer(0, 64)(r, k)) },
  searchMaxWaitMs: { key: "SEARCH_MAX_WAIT_MS", default: 1000, description: "when every search thread is busy, a search expected to be answered later than this (ms) is refused at once: 503 with Retry-After (a call a free thread can take is always admitted)", parse: integer(50, 600_000) },
  searchCacheEntries: { key: "SEARCH_CACHE_ENTRIES", default: 512, description: "search responses kept for repeated queries, dropped whenever the index changes; 0 = no cache", parse: integer(0, 100_000) },
  maxFileBytes: { key: "MAX_FILE_BYTES", default: 1024 * 1024, description: "files larger than this are skipped", parse: integer(1, 1024 * 1024 * 1024) },
} satisfies { [K in Exclude<keyof Settings, "embeddingProviderExplicit">]: Spec<Settings[K]> };

/** Reads and validates every setting; throws SettingsError on the first bad value. */
export function loadSettings(env: Env = process.env): Settings {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SETTINGS_SPEC) as [keyof Settings, Spec<unknown>][]) {
    const raw = env[spec.key];
    out[name] = raw === undefined ? spec.default : spec.parse(raw, spec.key);
  }
  const settings = out as unknown as Settings;
  if (!settings.memoryCollection) settings.memoryCollection = settings.collectionName;
  settings.embeddingProviderExplicit = env.EMBEDDING_PROVIDER !== undefined && env.EMBEDDING_PROVIDER.trim() !== "";
  if (!settings.bindHost) settings.bindHost = env.KUBERNETES_SERVICE_HOST ? "0.0.0.0" : "127.0.0.1";
  return settings;
}

/** The embedded store file for a root, unless STORE_PATH names one. */
export function storePathFor(settings: Settings, root: string): string {
  return settings.storePath ?? path.join(root, ".codebase", "index.db");
}

/**
 * Where a repo's index state (state.json) is kept: beside the store when STORE_PATH names one, so that nothing is
 * written into the indexed folder (one file per repo, as several repos may share a store); else `<root>/.codebase/`.
 */
export function statePathFor(settings: Settings, root: string, repo: string): string {
  return settings.storePath ? `${settings.storePath}.${repo}.state.json` : path.join(root, ".codebase", "state.json");
}

/** The repo tag for a root: REPO_NAME, else the folder's name. */
export function repoNameFor(settings: Settings, root: string): string {
  return settings.repoName ?? path.basename(path.resolve(root));
}
