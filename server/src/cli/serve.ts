// `context-engine serve memory|indexer|upload`: long-running servers. They resolve when stopped (SIGINT/SIGTERM, or
// the client ending a stdio session). The servers themselves come from mcp/ and sync/, loaded only here.
import path from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../config/index.ts";
import { createLogger } from "../log/index.ts";
import { EXIT, UsageError, type CliIO } from "./io.ts";

export const SERVE_HELP = `Usage:
  context-engine serve memory|indexer [--root DIR | --folder NAME=DIR ...] [--transport sse|http|stdio] [--port N] [--health-port N] [--host H]
  context-engine serve upload [--port 8004] [--repos DIR] [--host H]

MCP servers: every HTTP port answers both the legacy SSE transport (/sse + /messages) and Streamable HTTP (/mcp);
--transport picks what the port advertises (defaults: memory 8000 sse / 8002 http, indexer 8001 sse / 8003 http,
health 18000 / 18001) or stdio for local clients. --root is the repository (or the repos folder) to serve
(default: WATCH_ROOT or the current folder); --folder NAME=DIR, repeatable, serves named folders instead (an editor's
multi-root workspace: each folder is repo NAME, all in one store, searched together). The uploader writes synced workspaces under --repos (default /repos).`;

/** Resolves when the process is asked to stop. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (sig: string) => resolve(sig);
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

export async function serveCommand(argv: string[], io: CliIO): Promise<number> {
  const [role, ...rest] = argv;
  if (!role || role === "--help" || role === "-h") {
    io.stdout.write(SERVE_HELP + "\n");
    return role ? EXIT.ok : EXIT.usage;
  }
  if (role === "memory" || role === "indexer") return serveMcp(role, rest, io);
  if (role === "upload") return serveUpload(rest, io);
  throw new UsageError(`unknown server "${role}": expected memory, indexer or upload`);
}

async function serveMcp(role: "memory" | "indexer", argv: string[], io: CliIO): Promise<number> {
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
  const portArg = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${name} must be a port number 0-65535, got ${v}`);
    return n;
  };
  const port = portArg(values.port, "--port");
  const healthPort = portArg(values["health-port"], "--health-port");
  const settings = loadSettings(io.env);
  const log = createLogger({ level: settings.logLevel, stream: io.stderr }).child({ server: `mcp-${role}` });
  const { createMcpContext, parseFolders, startMcpServer, DEFAULT_PORTS } = await import("../mcp/index.ts");
  let folders;
  try {
    folders = parseFolders(values.folder ?? [], io.cwd);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (folders.length && values.root !== undefined) throw new UsageError("--root and --folder exclude each other: serve one root, or named folders");
  const defaults = DEFAULT_PORTS[role];
  const ctx = await createMcpContext({ root: path.resolve(io.cwd, values.root ?? settings.watchRoot ?? "."), folders, settings, log });
  const root = ctx.root;
  const server = await startMcpServer({
    role, ctx, transport, log, token: settings.token, host: values.host ?? settings.bindHost,
    port: port ?? (transport === "http" ? defaults.http : defaults.sse),
    // Over stdio the health port is opened only when asked for.
    healthPort: healthPort ?? (transport === "stdio" ? undefined : defaults.health),
  });
  log.info(transport === "stdio" ? "serving MCP over stdio" : `MCP ${role} server listening`, {
    ...server.endpoints, root, repo: ctx.defaultRepo, store: ctx.store.location, auth: settings.token ? "bearer" : "off",
  });
  const why = await Promise.race([server.ended.then(() => "client closed the session"), untilSignal()]);
  log.info("stopping", { reason: why });
  await server.close();
  await ctx.close();
  return EXIT.ok;
}

async function serveUpload(argv: string[], io: CliIO): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(SERVE_HELP + "\n");
    return EXIT.ok;
  }
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { port: { type: "string" }, repos: { type: "string" }, host: { type: "string" } }, strict: true }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const port = values.port === undefined ? 8004 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got ${values.port}`);
  const settings = loadSettings(io.env);
  const log = createLogger({ level: settings.logLevel, stream: io.stderr });
  const reposDir = path.resolve(io.cwd, values.repos ?? "/repos");
  const { startUploadServer, notifyWatcher } = await import("../sync/index.ts");
  const watcherUrl = settings.watcherUrl;
  const onApplied = watcherUrl
    ? (repo: string, paths: string[]) => void notifyWatcher({ urlTemplate: watcherUrl, token: settings.token, log }, repo, paths)
    : undefined;
  const server = await startUploadServer({ port, host: values.host ?? settings.bindHost, reposDir, token: settings.token, log, onApplied });
  log.info("uploader listening", { port: server.port, repos: reposDir, auth: settings.token ? "bearer" : "off", notifies: watcherUrl ?? "nobody" });
  const sig = await untilSignal();
  log.info("uploader stopping", { signal: sig });
  await server.close();
  return EXIT.ok;
}
