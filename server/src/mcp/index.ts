// The MCP servers (memory, indexer): building them and starting one on a transport. The command line that starts them
// is the CLI's (cli/serve.ts).
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Logger } from "../log/index.ts";
import { VERSION } from "../version.ts";
import type { McpContext } from "./context.ts";
import { startHealthServer } from "./health.ts";
import { startMcpHttpServer } from "./http.ts";
import { searchAdmission } from "./admission.ts";
import { registerIndexerTools } from "./indexer-tools.ts";
import { registerMemoryTools } from "./memory-tools.ts";

export { createMcpContext, type McpContext } from "./context.ts";
export { parseFolders } from "../files/index.ts";
export { startMcpHttpServer, type McpHttpServer, type McpHttpOptions } from "./http.ts";
export { searchAdmission, SEARCH_TOOLS, STATELESS_LANE, type Admission } from "./admission.ts";
export { startHealthServer, readiness } from "./health.ts";

export type McpRole = "memory" | "indexer";

export const DEFAULT_PORTS: Record<McpRole, { sse: number; http: number; health: number }> = {
  memory: { sse: 8000, http: 8002, health: 18000 },
  indexer: { sse: 8001, http: 8003, health: 18001 },
};

/** A fresh MCP server of a role with its tools (one per session). */
export function newMcpServer(role: McpRole, ctx: McpContext): McpServer {
  const server = new McpServer(
    { name: `context-engine-${role}`, version: VERSION },
    { instructions: role === "indexer"
      ? "Code search over the indexed repository: repo_search for code, context_search to include team memories, context_answer for a cited answer, search_*_for to find tests, config, callers and importers."
      : "Team memory: memory_store to remember a decision, convention or gotcha; memory_find to recall." },
  );
  if (role === "indexer") registerIndexerTools(server, ctx);
  else registerMemoryTools(server, ctx);
  return server;
}

/** Names and descriptions of a role's tools (for /tools and docs). */
export function toolList(role: McpRole, ctx: McpContext): { name: string; description?: string }[] {
  const server = newMcpServer(role, ctx) as unknown as { _registeredTools: Record<string, { description?: string }> };
  return Object.entries(server._registeredTools).map(([name, t]) => ({ name, ...(t.description ? { description: t.description } : {}) }));
}

export interface McpServeOptions {
  role: McpRole;
  ctx: McpContext;
  transport: "sse" | "http" | "stdio";
  host: string;
  /** The MCP port (sse/http); unused for stdio. */
  port: number;
  /** The health port; for stdio only when given. */
  healthPort: number | undefined;
  token: string | undefined;
  log: Logger;
}

export interface RunningMcpServer {
  /** Where it listens, for the start-up log line. */
  readonly endpoints: Record<string, string>;
  /** Settles when the client ends a stdio session (never for HTTP servers). */
  readonly ended: Promise<void>;
  close(): Promise<void>;
}

/** Starts a role's server on one transport, with its health port; the caller decides when to close it. */
export async function startMcpServer(o: McpServeOptions): Promise<RunningMcpServer> {
  const name = `context-engine-${o.role}`;
  const tools = () => toolList(o.role, o.ctx);
  if (o.transport === "stdio") {
    const server = newMcpServer(o.role, o.ctx);
    const health = o.healthPort !== undefined ? await startHealthServer({ host: o.host, port: o.healthPort, name, ctx: o.ctx, tools }) : undefined;
    const ended = new Promise<void>((resolve) => (server.server.onclose = () => resolve()));
    await server.connect(new StdioServerTransport());
    return {
      endpoints: { stdio: "stdin/stdout", ...(health ? { health: `http://${o.host}:${health.port}/health` } : {}) },
      ended,
      async close() {
        await health?.close();
        await server.close();
      },
    };
  }
  const http = await startMcpHttpServer({
    newServer: () => newMcpServer(o.role, o.ctx), host: o.host, port: o.port, token: o.token, log: o.log, advertise: o.transport, name,
    ...(o.role === "indexer" ? { admission: searchAdmission(o.ctx) } : {}),
  });
  const health = await startHealthServer({ host: o.host, port: o.healthPort ?? DEFAULT_PORTS[o.role].health, name, ctx: o.ctx, tools });
  return {
    endpoints: { sse: `http://${o.host}:${http.port}/sse`, http: `http://${o.host}:${http.port}/mcp`, health: `http://${o.host}:${health.port}/health` },
    ended: new Promise<void>(() => {}),
    async close() {
      await http.close();
      await health.close();
    },
  };
}
