// The MCP servers (memory, indexer): building them, and `context-engine serve memory|indexer`.
import path from "node:path";
import { parseArgs } from "node:util";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { loadSettings } from "../config/index.ts";
import { createLogger } from "../log/index.ts";
import { EXIT, UsageError, type CliIO } from "../cli/io.ts";
import { SERVE_HELP, untilSignal } from "../cli/serve.ts";
import { createMcpContext, parseFolders, type McpContext } from "./context.ts";
import { startHealthServer } from "./health.ts";
import { startMcpHttpServer } from "./http.ts";
import { registerIndexerTools } from "./indexer-tools.ts";
import { registerMemoryTools } from "./memory-tools.ts";

export { createMcpContext, type McpContext } from "./context.ts";
export { startMcpHttpServer, type McpHttpServer, type McpHttpOptions } from "./http.ts";
export { startHealthServer, readiness } from "./health.ts";

export type McpRole = "memory" | "indexer";

export const DEFAULT_PORTS: Record<McpRole, { sse: number; http: number; health: number }> = {
  memory: { sse: 8000, http: 8002, health: 18000 },
  indexer: { sse: 8001, http: 8003, health: 18001 },
};

/** A fresh MCP server of a role with its tools (one per session). */
export function newMcpServer(role: McpRole, ctx: McpContext): McpServer {
  const server = new McpServer(
    { name: `context-engine-${role}`, version: "0.1.0" },
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

export async function serveMcpCommand(role: McpRole, argv: string[], io: CliIO): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(SERVE_HELP + "\n");
    return EXIT.ok;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { root: { type: "string" }, folder: { type: "string", multiple: true }, transport: { type: "string" }, port: { type: "string" }, "health-port": { type: "string" }, host: { type: "string" } },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const transport = (values.transport ?? "sse") as "sse" | "http" | "stdio";
  if (!["sse", "http", "stdio"].includes(transport)) throw new UsageError(`--transport must be sse, http or stdio, got ${values.transport}`);
  const portArg = (v: string | undefined, name: string, def: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${name} must be a port number 0-65535, got ${v}`);
    return n;
  };
  const defaults = DEFAULT_PORTS[role];
  const port = portArg(values.port, "--port", transport === "http" ? defaults.http : defaults.sse);
  const healthPort = portArg(values["health-port"], "--health-port", defaults.health);
  const settings = loadSettings(io.env);
  const log = createLogger({ level: settings.logLevel, stream: io.stderr }).child({ server: `mcp-${role}` });
  let folders;
  try {
    folders = parseFolders(values.folder ?? [], io.cwd);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (folders.length && values.root !== undefined) throw new UsageError("--root and --folder exclude each other: serve one root, or named folders");
  const host = values.host ?? settings.bindHost;
  const ctx = await createMcpContext({ root: path.resolve(io.cwd, values.root ?? settings.watchRoot ?? "."), folders, settings, log });
  const root = ctx.root;
  const name = `context-engine-${role}`;

  if (transport === "stdio") {
    const server = newMcpServer(role, ctx);
    const health = values["health-port"] !== undefined ? await startHealthServer({ host, port: healthPort, name, ctx, tools: () => toolList(role, ctx) }) : undefined;
    const closed = new Promise<void>((resolve) => (server.server.onclose = () => resolve()));
    await server.connect(new StdioServerTransport());
    log.info("serving MCP over stdio", { root, repo: ctx.defaultRepo });
    await Promise.race([closed, untilSignal()]);
    await health?.close();
    await server.close();
    await ctx.close();
    return EXIT.ok;
  }

  const http = await startMcpHttpServer({ newServer: () => newMcpServer(role, ctx), host, port, token: settings.token, log, advertise: transport, name });
  const health = await startHealthServer({ host, port: healthPort, name, ctx, tools: () => toolList(role, ctx) });
  log.info(`MCP ${role} server listening`, {
    sse: `http://${host}:${http.port}/sse`, http: `http://${host}:${http.port}/mcp`, health: `http://${host}:${health.port}/health`,
    root, repo: ctx.defaultRepo, store: ctx.store.location, auth: settings.token ? "bearer" : "off",
  });
  const sig = await untilSignal();
  log.info("stopping", { signal: sig });
  await http.close();
  await health.close();
  await ctx.close();
  return EXIT.ok;
}
