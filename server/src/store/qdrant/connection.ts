// One Qdrant client per store, with every call going through bounded retries.
import { QdrantClient } from "@qdrant/js-client-rest";
import type { Logger } from "../../log/index.ts";
import { DEFAULT_RETRY, withRetry, type CallContext, type RetryPolicy } from "./retry.ts";

export interface ConnectionOptions {
  /** Per-request timeout. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Keep-alive connections in the client's pool. */
  maxConnections?: number;
}

export interface Connection {
  readonly url: string;
  readonly client: QdrantClient;
  readonly log: Logger;
  /** Runs a call with retries; `attempts` 1 for probes that must answer fast. */
  call<T>(what: string, fn: (client: QdrantClient) => Promise<T>, attempts?: number): Promise<T>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export function connect(url: string, apiKey: string | undefined, log: Logger, opts: ConnectionOptions = {}): Connection {
  const parsed = new URL(url);
  const prefix = parsed.pathname.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = new QdrantClient({
    url: `${parsed.protocol}//${parsed.host}`,
    port: parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 6333,
    ...(prefix ? { prefix } : {}),
    timeout: timeoutMs,
    // The key travels as a header: the client's own apiKey option prints a console warning on plain http,
    // which is the normal case inside the cluster.
    ...(apiKey ? { headers: { "api-key": apiKey } } : {}),
    maxConnections: opts.maxConnections ?? 16,
    checkCompatibility: false,
  });
  const ctx: CallContext = { url, timeoutMs, policy: { ...DEFAULT_RETRY, ...opts.retry }, log };
  return {
    url,
    client,
    log,
    call: (what, fn, attempts) => withRetry(ctx, what, () => fn(client), attempts),
  };
}
