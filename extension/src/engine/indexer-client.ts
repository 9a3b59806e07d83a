// MCP client of the indexer (local child process or cluster, same code): repo_search for the panel, qdrant_status for the status bar.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { SearchResult } from "../../../server/src/search/types.ts";
import { delay, type Logger } from "../log.ts";

export interface McpEndpoint {
  /** http://127.0.0.1:<port>/mcp */
  url: string;
  token?: string;
}

export interface SearchFilters {
  language?: string;
  under?: string;
  repo?: string;
  limit?: number;
  /** Lines of snippet per result (the server's default when absent). */
  snippetLines?: number;
}

/** One answer of repo_search: the results, the words the engine searched for, and why there are none (if so). */
export interface SearchPage {
  results: SearchResult[];
  terms: string[];
  note?: string;
}

/** What the status bar shows; read leniently from qdrant_status (its fields may grow). */
export interface IndexStatus {
  state: string;
  filesDone?: number;
  filesTotal?: number;
  points?: number;
  currentFile?: string;
  /** Indexing, but every file can already be found (the windows pass is done; symbol chunks are being added). */
  searchable?: boolean;
  raw: unknown;
}

type ToolResult = { structuredContent?: unknown; content?: Array<{ type: string; text?: string }>; isError?: boolean };

function textOf(r: ToolResult): string {
  return (r.content ?? [])
    .filter((c) => c.type === "text" && typeof c.text === "string")
    .map((c) => c.text)
    .join("\n");
}

/** structuredContent, else the first text block parsed as JSON, else undefined. */
export function payloadOf(r: ToolResult): unknown {
  if (r.structuredContent !== undefined) return r.structuredContent;
  const t = textOf(r);
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

function num(...vals: unknown[]): number | undefined {
  for (const v of vals) if (typeof v === "number" && Number.isFinite(v)) return v;
  return undefined;
}

function pick(o: Record<string, unknown> | undefined, ...keys: string[]): unknown[] {
  return keys.map((k) => o?.[k]);
}

/**
 * qdrant_status as the server answers it: {store, embedder, default_repo, repos: [{repo, points, files}],
 * states: {<repo>: {status, files_done, files_total, current_file}}}; flat shapes are read too.
 */
export function parseStatus(payload: unknown, repo?: string): IndexStatus {
  const o = (payload && typeof payload === "object" ? payload : {}) as Record<string, unknown>;
  const want = repo ?? (typeof o.default_repo === "string" ? o.default_repo : undefined);
  const states = o.states && typeof o.states === "object" ? (o.states as Record<string, Record<string, unknown>>) : undefined;
  const stateOfRepo = states ? (want && states[want]) || Object.values(states)[0] : undefined;
  const repos = Array.isArray(o.repos) ? (o.repos as Array<Record<string, unknown>>) : undefined;
  const repoRow = repos?.find((r) => r.repo === want) ?? repos?.[0];
  const inner = [stateOfRepo, o.indexing, o.state, o.status, o].find((x) => x && typeof x === "object" && !Array.isArray(x)) as Record<string, unknown> | undefined;
  const stateCandidates = [inner?.status, inner?.state, o.status, o.state, o.indexing_status].filter((x) => typeof x === "string") as string[];
  return {
    state: stateCandidates[0] ?? "unknown",
    filesDone: num(...pick(inner, "files_done", "filesDone", "done"), ...pick(o, "files_done", "filesDone")),
    filesTotal: num(...pick(inner, "files_total", "filesTotal", "total"), ...pick(repoRow, "files"), ...pick(o, "files_total", "filesTotal")),
    points: num(...pick(repoRow, "points"), ...pick(o, "points", "points_count", "pointsCount", "count")),
    currentFile: [inner?.current_file, inner?.currentFile, o.current_file].find((x) => typeof x === "string") as string | undefined,
    ...(inner?.searchable === true ? { searchable: true } : {}),
    raw: payload,
  };
}

export class McpToolError extends Error {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(message);
    this.name = "McpToolError";
  }
}

/** Busy answers (503) retried before the error reaches the user, and the longest wait between two. */
const BUSY_RETRIES = 3;
const BUSY_WAIT_MAX_MS = 5000;

/** How long to wait before retrying a call the server refused as busy (HTTP 503); undefined for other errors. */
export function busyRetryMs(e: unknown): number | undefined {
  const err = e as { code?: unknown; message?: unknown };
  const message = typeof err?.message === "string" ? err.message : "";
  if (err?.code !== 503 && !/\bHTTP 503\b|\(503\)/.test(message)) return undefined;
  const seconds = Number(/retry in (\d+) s/.exec(message)?.[1] ?? 1);
  return Math.min(BUSY_WAIT_MAX_MS, Math.max(250, seconds * 1000));
}

export class IndexerClient {
  private client: Client | undefined;
  private connectedTo = "";
  private connecting: Promise<Client> | undefined;

  constructor(
    private readonly endpoint: () => McpEndpoint | undefined,
    private readonly log: Logger,
  ) {}

  private async connect(): Promise<Client> {
    const ep = this.endpoint();
    if (!ep) throw new Error("Context Engine is not connected yet: wait for the status bar to show it ready, or run \"Context Engine: Show Status\".");
    const key = `${ep.url}|${ep.token ?? ""}`;
    if (this.client && this.connectedTo === key) return this.client;
    if (this.connecting) return this.connecting;
    this.connecting = (async () => {
      await this.close();
      const headers: Record<string, string> = ep.token ? { Authorization: `Bearer ${ep.token}` } : {};
      const client = new Client({ name: "context-engine-vscode", version: "0.1.0" });
      const transport = new StreamableHTTPClientTransport(new URL(ep.url), { requestInit: { headers } });
      try {
        await client.connect(transport);
      } catch (e) {
        throw new Error(`Cannot open an MCP session with the indexer at ${ep.url}: ${(e as Error).message}`);
      }
      this.client = client;
      this.connectedTo = key;
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /**
   * Calls a tool, opening a fresh session once if the old one broke (server restarted, port-forward moved). A server
   * that is busy (503) says when to come back: the call waits that long (a few seconds at most) and tries again.
   */
  async call(tool: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolResult> {
    let busy = 0;
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      try {
        const r = (await client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: 120_000 })) as ToolResult;
        if (r.isError) throw new McpToolError(tool, textOf(r) || `${tool} failed`);
        return r;
      } catch (e) {
        const wait = busyRetryMs(e);
        if (wait !== undefined && busy < BUSY_RETRIES && !signal?.aborted) {
          busy++;
          attempt--; // the session is fine: a busy answer does not use up the reconnect
          this.log.debug(`indexer: ${tool} refused, server busy; retrying in ${wait} ms`);
          await delay(wait, signal);
          continue;
        }
        if (e instanceof McpToolError || signal?.aborted || attempt > 0) throw e;
        this.log.debug(`indexer: ${tool} failed (${(e as Error).message}); reconnecting once`);
        await this.close();
      }
    }
  }

  async listTools(): Promise<string[]> {
    const client = await this.connect();
    return (await client.listTools()).tools.map((t) => t.name);
  }

  async search(query: string, filters: SearchFilters = {}, signal?: AbortSignal): Promise<SearchPage> {
    const args: Record<string, unknown> = { query, limit: filters.limit ?? 20 };
    for (const k of ["language", "under", "repo"] as const) if (filters[k]?.trim()) args[k] = filters[k]!.trim();
    if (filters.snippetLines) args.snippet_lines = filters.snippetLines;
    const r = await this.call("repo_search", args, signal);
    const p = payloadOf(r) as { results?: SearchResult[]; query?: { terms?: unknown }; note?: unknown } | SearchResult[] | undefined;
    const results = Array.isArray(p) ? p : p?.results;
    if (!Array.isArray(results)) throw new McpToolError("repo_search", `repo_search answered without results: ${textOf(r).slice(0, 200)}`);
    // An older server sends neither terms nor a note: the page still works without them.
    const terms = !Array.isArray(p) && Array.isArray(p?.query?.terms) ? p.query.terms.filter((t): t is string => typeof t === "string") : [];
    const note = !Array.isArray(p) && typeof p?.note === "string" ? p.note : undefined;
    return { results, terms, ...(note ? { note } : {}) };
  }

  async status(signal?: AbortSignal): Promise<IndexStatus> {
    const r = await this.call("qdrant_status", {}, signal);
    return parseStatus(payloadOf(r));
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.connectedTo = "";
    await c?.close().catch(() => undefined);
  }

  dispose(): void {
    void this.close();
  }
}
