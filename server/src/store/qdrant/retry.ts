// Bounded retries with exponential backoff and full jitter, and errors that say which Qdrant failed and what to check.
import type { Logger } from "../../log/index.ts";

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 4000 };

export const CHECK_CLUSTER = "is the qdrant StatefulSet ready? (kubectl -n context-engine get pods)";

/** A Qdrant call that failed for good; the message is meant for a person. */
export class QdrantStoreError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "QdrantStoreError";
  }
}

interface Failure {
  retryable: boolean;
  status: number | undefined;
  /** Completes "Qdrant at <url> ..." */
  says: string;
  /** What a person should check. */
  hint: string;
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CLOSED"]);

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === "object"; depth++) {
    const o = e as { code?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof o.code === "string") return o.code;
    e = o.cause ?? (Array.isArray(o.errors) ? o.errors[0] : undefined);
  }
  return undefined;
}

function responseDetail(data: unknown): string {
  if (data && typeof data === "object") {
    const status = (data as { status?: unknown }).status;
    if (status && typeof status === "object" && typeof (status as { error?: unknown }).error === "string") {
      return (status as { error: string }).error;
    }
    return JSON.stringify(data).slice(0, 300);
  }
  return typeof data === "string" ? data.slice(0, 300) : "";
}

/** Sorts a thrown value into retryable or not, and words it. */
export function classify(err: unknown, timeoutMs: number): Failure {
  const o = (err ?? {}) as { status?: unknown; data?: unknown; name?: unknown; message?: unknown; retry_after?: unknown };
  let status = typeof o.status === "number" ? o.status : undefined;
  if (status === undefined && typeof o.message === "string") {
    const m = /^Unexpected Response: (\d{3})/.exec(o.message);
    if (m) status = Number(m[1]);
  }
  if (o.name === "QdrantClientResourceExhaustedError") status = 429;
  if (status !== undefined) {
    const detail = responseDetail(o.data);
    const tail = detail ? `: ${detail}` : "";
    if (status === 401 || status === 403) {
      return { retryable: false, status, says: `rejected the request (${status})${tail}`, hint: "check QDRANT_API_KEY" };
    }
    if (status === 404 && /collection/i.test(detail)) {
      return { retryable: false, status, says: `has no such collection (404)${tail}`, hint: "run `context-engine init-collection` or index a repository first" };
    }
    if (status === 429 || status >= 500) {
      return { retryable: true, status, says: `answered ${status}${tail}`, hint: CHECK_CLUSTER };
    }
    return { retryable: false, status, says: `rejected the request (${status})${tail}`, hint: "this is a bug or a foreign collection; check the collection with GET /collections/<name>" };
  }
  if (o.name === "QdrantClientTimeoutError" || o.name === "AbortError" || o.name === "TimeoutError") {
    return { retryable: true, status, says: `did not answer within ${timeoutMs / 1000} s`, hint: CHECK_CLUSTER };
  }
  const code = errorCode(err);
  if (code === "ENOTFOUND") {
    return { retryable: true, status, says: "could not be resolved (ENOTFOUND)", hint: "check QDRANT_URL and the qdrant Service (kubectl -n context-engine get svc)" };
  }
  if (code === "ECONNREFUSED") return { retryable: true, status, says: "refused the connection (ECONNREFUSED)", hint: CHECK_CLUSTER };
  if (code && NETWORK_CODES.has(code)) return { retryable: true, status, says: `could not be reached (${code})`, hint: CHECK_CLUSTER };
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
    return { retryable: true, status, says: "could not be reached (fetch failed)", hint: CHECK_CLUSTER };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { retryable: false, status, says: `failed: ${message}`, hint: "check QDRANT_URL" };
}

export interface CallContext {
  url: string;
  timeoutMs: number;
  policy: RetryPolicy;
  log: Logger;
}

/** Full jitter: a random wait up to the exponential bound, so many clients do not retry in step. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

/** Runs one Qdrant call, retrying transient failures; throws QdrantStoreError naming the URL and what to check. */
export async function withRetry<T>(ctx: CallContext, what: string, call: () => Promise<T>, attempts = ctx.policy.attempts): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const failure = classify(err, ctx.timeoutMs);
      const last = attempt + 1 >= attempts;
      if (!failure.retryable || last) {
        const tries = attempt > 0 ? ` after ${attempt + 1} attempts` : "";
        throw new QdrantStoreError(
          `Qdrant at ${ctx.url} ${failure.says} (${what})${tries}; ${failure.hint}`,
          failure.status,
          { cause: err },
        );
      }
      const delay = backoffDelay(attempt, ctx.policy);
      ctx.log.warn("qdrant call failed, retrying", { url: ctx.url, what, attempt: attempt + 1, delay_ms: delay, reason: failure.says });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
