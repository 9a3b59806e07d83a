// Bounds every HTTP server of the engine keeps against slow or abandoned clients: time to send headers, a least pace
// for request bodies, a cap on open connections, and no reading on after a refusal.
import type { IncomingMessage, Server, ServerResponse } from "node:http";

export interface ServerBounds {
  /** Most open connections; more are dropped at once. */
  maxConnections: number;
  /** Time a client has to send its request headers. */
  headersTimeoutMs: number;
  /** Idle time after which a kept-alive connection between requests is closed. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_SERVER_BOUNDS: ServerBounds = { maxConnections: 256, headersTimeoutMs: 20_000, keepAliveTimeoutMs: 5_000 };

/**
 * Applies the bounds. Node's own requestTimeout stays off: it would also cut a long upload on a slow link; bodies are
 * held to a pace instead (paceBody), and responses (SSE streams, long tool calls) are never timed.
 */
export function boundServer(server: Server, bounds: Partial<ServerBounds> = {}): void {
  const b = { ...DEFAULT_SERVER_BOUNDS, ...bounds };
  server.maxConnections = b.maxConnections;
  server.headersTimeout = b.headersTimeoutMs;
  server.requestTimeout = 0;
  server.keepAliveTimeout = b.keepAliveTimeoutMs;
}

export interface BodyPace {
  /** Time a body may take before any pace is asked of it (and the longest it may send nothing at the start). */
  graceMs: number;
  /** Least average pace after the grace: a body slower than this is a held socket, not an upload. */
  minBytesPerSecond: number;
}

export const DEFAULT_BODY_PACE: BodyPace = { graceMs: 15_000, minBytesPerSecond: 16 * 1024 };

/**
 * Holds a request body to a pace: it must arrive within `graceMs` plus the time its bytes so far justify at
 * `minBytesPerSecond`; otherwise the socket is destroyed (the reader sees an aborted request). One timer per body,
 * re-armed only when it fires.
 */
export function paceBody(req: IncomingMessage, pace: BodyPace = DEFAULT_BODY_PACE): void {
  if (req.complete) return;
  const started = Date.now();
  let received = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
  };
  const deadline = () => started + pace.graceMs + (received / pace.minBytesPerSecond) * 1000;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const wait = deadline() - Date.now();
    if (wait <= 0) {
      stop();
      req.socket.destroy();
      return;
    }
    timer = setTimeout(arm, wait);
    timer.unref();
  };
  const stop = () => {
    clearTimeout(timer);
    req.off("data", onData);
  };
  req.on("data", onData);
  req.once("end", stop);
  req.once("close", stop);
  arm();
}

/** Time a refused client has to read its answer before the socket is destroyed. */
const LINGER_MS = 1000;

/**
 * After a refusal (401, 403, 413, ...) the body is not read: the answer says the connection closes, and the socket is
 * closed once it is sent (destroyed a moment later, so a client trickling a body cannot hold it half-open).
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  if (!res.headersSent) res.setHeader("connection", "close");
  req.resume(); // read and drop what the client is still sending, so it can get to the answer
  res.once("finish", () => {
    const socket = req.socket;
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
}
