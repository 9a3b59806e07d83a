// The Streamable HTTP sessions of one port, bounded: at most `max` live at once (a new one closes the least recently
// used idle one), a session idle past its limit is closed, and one that never made a call gets a much shorter limit
// (clients that initialise and vanish are the common leak; each session holds a whole MCP server).
import type { ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Logger } from "../log/index.ts";

export interface HttpSession {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
  /** Calls (POSTs) still running: a session busy with a long call is never idle. */
  inflight: number;
  /** It made a call after initialising (tools/list, tools/call, ...). */
  used: boolean;
}

export interface SessionLimits {
  max: number;
  /** Idle time after which a session that made calls is closed. */
  idleMs: number;
  /** Idle time after which a session that never made a call is closed. */
  unusedIdleMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { max: 128, idleMs: 30 * 60_000, unusedIdleMs: 60_000 };

/** True when a JSON-RPC body holds a request (a method with an id), not only notifications or responses. */
export function holdsCall(body: unknown): boolean {
  const one = (m: unknown) => typeof m === "object" && m !== null && "method" in m && "id" in m;
  return Array.isArray(body) ? body.some(one) : one(body);
}

export class HttpSessions {
  private readonly live = new Map<string, HttpSession>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limits: SessionLimits,
    private readonly log: Logger,
  ) {
    const every = Math.min(60_000, Math.max(100, Math.min(limits.idleMs, limits.unusedIdleMs) / 2));
    this.timer = setInterval(() => this.sweep(Date.now()), every);
    this.timer.unref();
  }

  get size(): number {
    return this.live.size;
  }

  get(id: string): HttpSession | undefined {
    return this.live.get(id);
  }

  add(id: string, transport: StreamableHTTPServerTransport, server: McpServer): void {
    this.live.set(id, { transport, server, lastSeen: Date.now(), inflight: 0, used: false });
  }

  /** Forgets a session its transport closed; true when it was live. */
  remove(id: string): boolean {
    return this.live.delete(id);
  }

  /** Counts a request against its session until the response closes. */
  track(s: HttpSession, res: ServerResponse, body: unknown): void {
    s.inflight++;
    s.lastSeen = Date.now();
    if (holdsCall(body)) s.used = true;
    res.once("close", () => {
      s.inflight--;
      s.lastSeen = Date.now();
    });
  }

  /** Room for one more session: when full, the least recently seen idle one is closed; false when all are busy. */
  makeRoom(): boolean {
    if (this.live.size < this.limits.max) return true;
    let oldest: [string, HttpSession] | undefined;
    for (const entry of this.live) if (entry[1].inflight === 0 && (!oldest || entry[1].lastSeen < oldest[1].lastSeen)) oldest = entry;
    if (!oldest) return false;
    this.close(oldest[0], "session cap reached");
    return true;
  }

  sweep(now: number): void {
    for (const [id, s] of this.live) {
      const limit = s.used ? this.limits.idleMs : this.limits.unusedIdleMs;
      if (s.inflight === 0 && now - s.lastSeen > limit) this.close(id, s.used ? "idle" : "never used");
    }
  }

  private close(id: string, why: string): void {
    const s = this.live.get(id);
    if (!s) return;
    this.live.delete(id);
    void s.transport.close().catch(() => undefined);
    void s.server.close().catch(() => undefined);
    this.log.debug("session closed", { session: id, why });
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    for (const s of this.live.values()) {
      await s.transport.close().catch(() => undefined);
      await s.server.close().catch(() => undefined);
    }
    this.live.clear();
  }
}
