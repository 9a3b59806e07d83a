// `context-engine serve memory|indexer|upload`: long-running servers. They resolve when stopped (SIGINT/SIGTERM).
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
  if (role === "memory" || role === "indexer") {
    const { serveMcpCommand } = await import("../mcp/index.ts");
    return serveMcpCommand(role, rest, io);
  }
  if (role === "upload") return serveUpload(rest, io);
  throw new UsageError(`unknown server "${role}": expected memory, indexer or upload`);
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
  const { startUploadServer } = await import("../sync/index.ts");
  const server = await startUploadServer({ port, host: values.host ?? settings.bindHost, reposDir, token: settings.token, log });
  log.info("uploader listening", { port: server.port, repos: reposDir, auth: settings.token ? "bearer" : "off" });
  const sig = await untilSignal();
  log.info("uploader stopping", { signal: sig });
  await server.close();
  return EXIT.ok;
}
