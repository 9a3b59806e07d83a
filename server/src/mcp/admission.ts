// Which calls the HTTP server may refuse when saturated, and the lane (the client) each call is scheduled in: the
// HTTP side, which decides before a call reaches its MCP server, and the tools, which queue their searches, agree here.
import type { Refusal } from "../search/index.ts";
import type { McpContext } from "./context.ts";
import type { ToolExtra } from "./render.ts";

/**
 * The tools whose calls run searches through the pool: the HTTP server refuses them at once (503) when the pool could
 * not answer in time. context_answer is not among them: its time is the decoder's.
 */
export const SEARCH_TOOLS: ReadonlySet<string> = new Set([
  "repo_search", "context_search", "search_tests_for", "search_config_for", "search_callers_for", "search_importers_for",
]);

/** The lane of calls made without a session (a plain `curl -X POST .../mcp`): one for them all. */
export const STATELESS_LANE = "stateless";

/** The fair-scheduling lane of a tool call: its session (Streamable HTTP or SSE), else the stateless lane. */
export const laneOf = (extra: Pick<ToolExtra, "sessionId">): string => extra.sessionId ?? STATELESS_LANE;

/** The names of the tools a JSON-RPC body calls (tools/call requests; a batch may hold several). */
export function calledTools(body: unknown): string[] {
  const one = (m: unknown): string[] => {
    const msg = m as { method?: unknown; params?: { name?: unknown } } | null;
    return msg && typeof msg === "object" && msg.method === "tools/call" && typeof msg.params?.name === "string" ? [msg.params.name] : [];
  };
  return Array.isArray(body) ? body.flatMap(one) : one(body);
}

/** Decides, for a call of these tools from this lane, whether it enters; undefined = it does. */
export type Admission = (lane: string, tools: string[]) => Refusal | undefined;

/** The indexer's admission: search calls enter while the pool can answer them in time. */
export function searchAdmission(ctx: Pick<McpContext, "searchPool">): Admission {
  return (lane, tools) => (tools.some((t) => SEARCH_TOOLS.has(t)) ? ctx.searchPool.admit(lane) : undefined);
}
