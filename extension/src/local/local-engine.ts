// Local mode: the server's CLI as child processes on the workspace folders: one indexer MCP server (HTTP on a free
// loopback port) serving every folder, one watcher that indexes each folder and keeps it fresh, and the memory
// server on demand; all on one embedded store in the editor's storage for this workspace (STORE_PATH), never in
// the folders themselves.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { freePort } from "../../../server/src/http/free-port.ts";
import { IndexerClient, payloadOf } from "../engine/indexer-client.ts";
import { delay, throwIfAborted, type Logger } from "../log.ts";
import type { Runtime } from "./runtime.ts";
import { classifyFailure, spawnArgs, type ServerCommand, type StartFailure } from "./server-locator.ts";

/** One workspace folder, indexed and searched as one repo. */
export interface LocalFolder {
  repo: string;
  root: string;
}

export interface LocalEngineOptions {
  folders: LocalFolder[];
  server: ServerCommand;
  /** What runs the server's script (undefined for a server executable). */
  runtime: Runtime | undefined;
  /** The embedded store file, in the editor's storage for the workspace. */
  storePath: string;
  /** EMBEDDING_PROVIDER for the processes; empty: the server's default. */
  embeddingProvider?: string;
  log: Logger;
  /** How long the indexer may take to answer /health. */
  startTimeoutMs?: number;
}

export class LocalStartError extends Error {
  constructor(readonly failure: StartFailure) {
    super(failure.message);
    this.name = "LocalStartError";
  }
}

/** The server logs JSON lines when not on a terminal: shown as "[watcher] watching root=/x" at their own level. */
export function logServerLine(log: Logger, name: string, line: string): void {
  let rec: Record<string, unknown> | undefined;
  if (line.startsWith("{")) {
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      rec = undefined;
    }
  }
  if (!rec || typeof rec.msg !== "string") {
    log.info(`[${name}] ${line}`);
    return;
  }
  const { time: _time, level, msg, ...fields } = rec;
  const extra = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const text = `[${name}] ${msg}${extra ? `  ${extra}` : ""}`;
  if (level === "error") log.error(text);
  else if (level === "warn") log.warn(text);
  else if (level === "debug") log.debug(text);
  else log.info(text);
}

class Child {
  readonly output: string[] = [];
  exited: { code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException } | undefined;
  private readonly exitWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    log: Logger,
    onExit: (c: Child) => void,
  ) {
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        this.output.push(line);
        if (this.output.length > 200) this.output.shift();
        logServerLine(log, name, line);
      }
    };
    proc.stdout?.on("data", take);
    proc.stderr?.on("data", take);
    proc.on("error", (error: NodeJS.ErrnoException) => this.finish({ code: null, signal: null, error }, onExit));
    proc.on("exit", (code, signal) => this.finish({ code, signal }, onExit));
  }

  private finish(e: NonNullable<Child["exited"]>, onExit: (c: Child) => void): void {
    if (this.exited) return;
    this.exited = e;
    for (const w of this.exitWaiters.splice(0)) w();
    onExit(this);
  }

  waitExit(): Promise<void> {
    return this.exited ? Promise.resolve() : new Promise((r) => this.exitWaiters.push(r));
  }

  text(): string {
    return this.output.join("\n");
  }
}

export class LocalEngine {
  private children: Child[] = [];
  private stopping = false;
  private statusClient: IndexerClient | undefined;
  mcpUrl = "";
  healthUrl = "";
  /** Set when the engine was asked to stop or a process died; the controller restarts or reports. */
  onUnexpectedExit: ((failure: StartFailure) => void) | undefined;

  constructor(private readonly o: LocalEngineOptions) {}

  get folders(): LocalFolder[] {
    return this.o.folders;
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "info", STORE_PATH: this.o.storePath, ...this.o.runtime?.env };
    // Folders and repo names are given as arguments; the editor's own variables mean nothing to a Node.js.
    delete env.REPO_NAME;
    delete env.WATCH_ROOT;
    if (this.o.runtime?.kind !== "editor") delete env.ELECTRON_RUN_AS_NODE;
    if (this.o.embeddingProvider?.trim()) env.EMBEDDING_PROVIDER = this.o.embeddingProvider.trim();
    return env;
  }

  /** `--folder repo=root` for each folder: one server serves them all. */
  private folderArgs(): string[] {
    return this.o.folders.flatMap((f) => ["--folder", `${f.repo}=${f.root}`]);
  }

  /** `critical`: its exit is the engine's failure (indexer, watchers); the on-demand memory server just goes. */
  private launch(name: string, args: string[], critical = true): Child {
    const { command, args: argv } = spawnArgs(this.o.server, this.o.runtime, args);
    this.o.log.debug(`local: ${[command, ...argv].join(" ")}`);
    this.o.log.info(`local: starting the ${name}`);
    // The store's folder is the working folder: nothing a process writes lands in the user's folders.
    const cwd = path.dirname(this.o.storePath);
    const proc = spawn(command, argv, { cwd, env: this.env(), stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
    const child = new Child(name, proc, this.o.log, (c) => {
      if (this.stopping) return;
      this.o.log.warn(`local: ${name} exited (${c.exited?.error?.message ?? `code ${c.exited?.code}, signal ${c.exited?.signal}`})`);
      if (!critical) {
        this.memory = undefined;
        return;
      }
      this.onUnexpectedExit?.(this.failureOf(c));
    });
    this.children.push(child);
    return child;
  }

  private failureOf(c: Child): StartFailure {
    return classifyFailure(c.text(), this.o.server, this.o.runtime, c.exited?.error);
  }

  /** Starts the indexer (answers /health) and the watcher; throws LocalStartError with the reason and the remedy. */
  async start(signal?: AbortSignal): Promise<void> {
    this.stopping = false;
    mkdirSync(path.dirname(this.o.storePath), { recursive: true });
    const port = await freePort();
    const healthPort = await freePort();
    const indexer = this.launch("indexer", ["serve", "indexer", ...this.folderArgs(), "--transport", "http", "--host", "127.0.0.1", "--port", String(port), "--health-port", String(healthPort)]);
    this.mcpUrl = `http://127.0.0.1:${port}/mcp`;
    this.healthUrl = `http://127.0.0.1:${healthPort}/health`;
    try {
      await this.waitHealthy(indexer, this.healthUrl, signal);
    } catch (e) {
      this.stop();
      throw e;
    }
    // One watcher for every folder: one embedding model in memory, one writer process on the store.
    this.launch("watcher", ["watch", ...this.folderArgs()]);
  }

  private memory: Promise<string> | undefined;
  private memoryPorts: { port: number; health: number } | undefined;

  /** The memory server's URL; its port is reserved now, the process starts on first ensureMemory(). */
  async memoryUrl(): Promise<string> {
    this.memoryPorts ??= { port: await freePort(), health: await freePort() };
    return `http://127.0.0.1:${this.memoryPorts.port}/mcp`;
  }

  /** Starts the memory MCP server (same store, kind=memory) when an agent first needs it. */
  ensureMemory(signal?: AbortSignal): Promise<string> {
    this.memory ??= (async () => {
      const url = await this.memoryUrl();
      const { port, health } = this.memoryPorts!;
      const child = this.launch("memory", ["serve", "memory", ...this.folderArgs(), "--transport", "http", "--host", "127.0.0.1", "--port", String(port), "--health-port", String(health)], false);
      await this.waitHealthy(child, `http://127.0.0.1:${health}/health`, signal);
      return url;
    })().catch((e) => {
      this.memory = undefined;
      throw e;
    });
    return this.memory;
  }

  private async waitHealthy(child: Child, healthUrl: string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + (this.o.startTimeoutMs ?? 90_000);
    for (;;) {
      throwIfAborted(signal, "local start");
      if (child.exited) throw new LocalStartError(this.failureOf(child));
      try {
        const r = await fetch(healthUrl, { signal: AbortSignal.timeout(2000) });
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new LocalStartError({
          kind: "other",
          message: `The local ${child.name} did not answer ${healthUrl} within ${Math.round((this.o.startTimeoutMs ?? 90_000) / 1000)} s. See "Context Engine: Show Logs".`,
          lexicalFallback: false,
        });
      }
      await Promise.race([delay(250, signal), child.waitExit()]);
    }
  }

  /** The indexer's qdrant_status payload (the folders' states, the embedder), or undefined while it cannot answer. */
  async status(): Promise<unknown> {
    if (!this.mcpUrl || this.stopping) return undefined;
    this.statusClient ??= new IndexerClient(() => ({ url: this.mcpUrl }), this.o.log);
    try {
      return payloadOf(await this.statusClient.call("qdrant_status", {}));
    } catch (e) {
      this.o.log.debug(`local: qdrant_status: ${(e as Error).message}`);
      return undefined;
    }
  }

  stop(): void {
    this.stopping = true;
    this.memory = undefined;
    this.statusClient?.dispose();
    this.statusClient = undefined;
    for (const c of this.children) if (!c.exited) c.proc.kill("SIGTERM");
    this.children = [];
  }

  dispose(): void {
    this.stop();
  }
}

/**
 * Starts the engine; when it cannot because the embedding model is missing, starts it again lexical-only
 * (EMBEDDING_PROVIDER=none) and returns the reason, for the user to see.
 */
export async function startLocalEngine(o: LocalEngineOptions, signal?: AbortSignal, allowFallback = true): Promise<{ engine: LocalEngine; lexicalReason?: string }> {
  const engine = new LocalEngine(o);
  try {
    await engine.start(signal);
    return { engine };
  } catch (e) {
    engine.stop();
    if (!(e instanceof LocalStartError) || !e.failure.lexicalFallback || !allowFallback) throw e;
    o.log.warn(`local: ${e.failure.message} Starting lexical-only.`);
    const lexical = new LocalEngine({ ...o, embeddingProvider: "none" });
    await lexical.start(signal);
    return { engine: lexical, lexicalReason: e.failure.message };
  }
}
