// Finds how to run the server's CLI for local mode: the setting, the environment, `context-engine` on PATH,
// or the server of the source checkout the extension runs from. Says exactly what it tried when nothing fits.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

export interface ServerCommand {
  /** What to execute ("node" or an executable). */
  command: string;
  /** Arguments before the CLI's own (the cli.js path, or tsx loader flags). */
  prefix: string[];
  /** For messages: where it was found. */
  origin: string;
}

export interface LocateInput {
  /** contextEngine.local.serverPath */
  serverPath?: string;
  /** contextEngine.local.nodePath ("node" by default). */
  nodePath: string;
  /** The extension's folder (…/extension in a source checkout). */
  extensionPath: string;
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export class ServerNotFoundError extends Error {
  constructor(readonly tried: string[]) {
    super(
      `Local mode needs the Context Engine server, and it was not found. Tried: ${tried.join("; ")}. ` +
        `Install it (npm install -g context-engine, or build a checkout with "npm run build") and set "contextEngine.local.serverPath" ` +
        `to its cli.js or context-engine executable, or use a cluster ("Context Engine: Use Cluster").`,
    );
    this.name = "ServerNotFoundError";
  }
}

const SCRIPT = /\.(c|m)?js$/;

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function fromPath(file: string, nodePath: string, origin: string): ServerCommand {
  return SCRIPT.test(file) ? { command: nodePath, prefix: [file], origin } : { command: file, prefix: [], origin };
}

/** The first executable named `name` on PATH, or undefined. */
export function which(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | undefined {
  const exts = platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").map((e) => e.toLowerCase()) : [""];
  for (const dir of (env.PATH ?? env.Path ?? "").split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const p = path.join(dir, name + ext);
      if (isFile(p)) return p;
    }
  }
  return undefined;
}

/** Runs the server from TypeScript sources; the loader by absolute URL, as the child's cwd is the workspace. */
export function tsxCommand(nodePath: string, loader: string, main: string): ServerCommand {
  return { command: nodePath, prefix: ["--import", pathToFileURL(loader).href, main], origin: `source checkout via tsx (${main})` };
}

export function locateServer(input: LocateInput): ServerCommand {
  const tried: string[] = [];
  const configured = input.serverPath?.trim();
  if (configured) {
    const p = path.resolve(configured.replace(/^~(?=$|\/)/, input.env.HOME ?? "~"));
    if (isFile(p)) return fromPath(p, input.nodePath, `contextEngine.local.serverPath (${p})`);
    // A checkout's server folder is accepted too.
    for (const candidate of [path.join(p, "dist", "cli.js"), path.join(p, "server", "dist", "cli.js")]) {
      if (isFile(candidate)) return fromPath(candidate, input.nodePath, `contextEngine.local.serverPath (${candidate})`);
    }
    throw new ServerNotFoundError([`contextEngine.local.serverPath = ${p} (no such file)`]);
  }
  tried.push('"contextEngine.local.serverPath" (not set)');
  const fromEnv = input.env.CONTEXT_ENGINE_SERVER_PATH?.trim();
  if (fromEnv) {
    if (isFile(fromEnv)) return fromPath(fromEnv, input.nodePath, `CONTEXT_ENGINE_SERVER_PATH (${fromEnv})`);
    tried.push(`CONTEXT_ENGINE_SERVER_PATH = ${fromEnv} (no such file)`);
  }
  const onPath = which("context-engine", input.env, input.platform);
  if (onPath) return { command: onPath, prefix: [], origin: `context-engine on PATH (${onPath})` };
  tried.push("context-engine on PATH (not found)");
  const checkout = path.resolve(input.extensionPath, "..");
  const built = path.join(checkout, "server", "dist", "cli.js");
  if (isFile(built)) return fromPath(built, input.nodePath, `source checkout (${built})`);
  tried.push(`${built} (not built)`);
  const source = path.join(checkout, "server", "src", "cli", "main.ts");
  const tsx = path.join(checkout, "node_modules", "tsx", "dist", "loader.mjs");
  if (isFile(source) && existsSync(tsx)) return tsxCommand(input.nodePath, tsx, source);
  throw new ServerNotFoundError(tried);
}

/** Why the server failed to start, as a sentence with the remedy; `lexicalFallback` when retrying without a model helps. */
export interface StartFailure {
  kind: "no-node" | "node-too-old" | "native-module" | "model-missing" | "port" | "other";
  message: string;
  lexicalFallback: boolean;
}

export function classifyFailure(output: string, cmd: ServerCommand, nodePath: string, spawnError?: NodeJS.ErrnoException): StartFailure {
  if (spawnError?.code === "ENOENT") {
    const what = cmd.command === nodePath ? `Node.js ("${nodePath}")` : `"${cmd.command}"`;
    return {
      kind: "no-node",
      message: `Local mode could not run ${what}: not found. Install Node.js 20 or newer (https://nodejs.org) and make sure it is on PATH, or set "contextEngine.local.nodePath" to the node executable.`,
      lexicalFallback: false,
    };
  }
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version|invalid ELF header|better_sqlite3\.node|\.node: (wrong ELF|cannot open)|ERR_DLOPEN_FAILED/i.test(output)) {
    return {
      kind: "native-module",
      message:
        `The server's native modules (better-sqlite3, sqlite-vec) do not match the Node.js that runs it (${nodePath}). ` +
        `Rebuild them with that Node: in the server's folder run "npm rebuild better-sqlite3", or point "contextEngine.local.nodePath" at the Node.js version they were built for.`,
      lexicalFallback: false,
    };
  }
  if (/embedding model .* is not available|EmbedderUnavailable|EMBEDDING_PROVIDER=none/i.test(output)) {
    const line = output.split("\n").find((l) => /not available/i.test(l))?.trim() ?? "";
    return {
      kind: "model-missing",
      message: `The embedding model is not available, so search runs lexical-only (no semantic matches). ${line} To get semantic search, download the model once while online, or set "contextEngine.local.embeddingProvider".`,
      lexicalFallback: true,
    };
  }
  if (/requires Node\.js|Unsupported engine|SyntaxError: Unexpected token|ERR_UNKNOWN_FILE_EXTENSION/i.test(output)) {
    return {
      kind: "node-too-old",
      message: `The server could not start with ${nodePath}: it needs Node.js 20 or newer. Install it or set "contextEngine.local.nodePath".`,
      lexicalFallback: false,
    };
  }
  if (/EADDRINUSE/.test(output)) return { kind: "port", message: "The local port was taken by another process; retrying picks another.", lexicalFallback: false };
  const lines = output.trim().split("\n").map((l) => l.trim()).filter(Boolean);
  const errorLine = lines.find((l) => /^(context-engine\b.*:|\w*Error\b|error:)/i.test(l) && !l.startsWith("at "));
  const tail = errorLine ?? lines.slice(-3).join(" | ");
  return {
    kind: "other",
    message: `The Context Engine server (${cmd.origin}) stopped: ${tail || "no output"}. See "Context Engine: Show Logs".`,
    lexicalFallback: false,
  };
}
