// Finds the server local mode runs: the one bundled in the extension package (extension/server/dist/cli.js) unless
// a setting names another; a source checkout's build when the extension runs from the checkout (development). Says
// exactly what it looked for when nothing fits, and turns the server's start failures into sentences with a remedy.
import { statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Runtime } from "./runtime.ts";

export interface ServerCommand {
  /** What the runtime runs: [cli.js], or [--import <tsx loader>, main.ts] from sources. Empty for an executable. */
  scriptArgs: string[];
  /** A `context-engine` executable that runs itself (no runtime of ours). */
  executable?: string;
  /** Where the server's modules resolve from (the runtime probe loads sqlite-vec from there). */
  serverDir: string;
  /** For messages: where it was found. */
  origin: string;
}

export interface LocateInput {
  /** contextEngine.local.serverPath */
  serverPath?: string;
  /** The extension's folder (…/extension in a source checkout). */
  extensionPath: string;
  env: NodeJS.ProcessEnv;
}

/** Where the packaging script puts the server inside the extension (server/dist/cli.js beside its node_modules). */
export function bundledServer(extensionPath: string): string {
  return path.join(extensionPath, "server", "dist", "cli.js");
}

export class ServerNotFoundError extends Error {
  constructor(readonly tried: string[]) {
    super(
      `The Context Engine server that comes with the extension is missing (looked for ${tried.join("; ")}): this copy of the extension is incomplete. ` +
        `Reinstall Context Engine (from the Marketplace, or the .vsix built for this platform: ${process.platform}-${process.arch}), ` +
        `or set "contextEngine.local.serverPath" to a Context Engine server's cli.js.`,
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

function fromFile(file: string, origin: string): ServerCommand {
  return SCRIPT.test(file)
    ? { scriptArgs: [file], serverDir: path.dirname(file), origin }
    : { scriptArgs: [], executable: file, serverDir: path.dirname(file), origin };
}

/** Runs the server from TypeScript sources (tests); the loader by absolute URL, as the child's cwd is elsewhere. */
export function tsxCommand(loader: string, main: string): ServerCommand {
  return { scriptArgs: ["--import", pathToFileURL(loader).href, main], serverDir: path.dirname(main), origin: `sources via tsx (${main})` };
}

export function locateServer(input: LocateInput): ServerCommand {
  const configured = input.serverPath?.trim();
  if (configured) {
    const p = path.resolve(configured.replace(/^~(?=$|[\\/])/, input.env.HOME ?? input.env.USERPROFILE ?? "~"));
    if (isFile(p)) return fromFile(p, `contextEngine.local.serverPath (${p})`);
    // A checkout's server folder (or the checkout) is accepted too.
    for (const candidate of [path.join(p, "dist", "cli.js"), path.join(p, "server", "dist", "cli.js")]) {
      if (isFile(candidate)) return fromFile(candidate, `contextEngine.local.serverPath (${candidate})`);
    }
    throw new Error(`"contextEngine.local.serverPath" is ${p}, and there is no server there (no such file, nor dist/cli.js under it). Clear the setting to use the server that comes with the extension.`);
  }
  const tried: string[] = [];
  const fromEnv = input.env.CONTEXT_ENGINE_SERVER_PATH?.trim();
  if (fromEnv) {
    if (isFile(fromEnv)) return fromFile(fromEnv, `CONTEXT_ENGINE_SERVER_PATH (${fromEnv})`);
    tried.push(`CONTEXT_ENGINE_SERVER_PATH = ${fromEnv} (no such file)`);
  }
  const bundled = bundledServer(input.extensionPath);
  if (isFile(bundled)) return fromFile(bundled, `the extension's own server (${bundled})`);
  tried.push(bundled);
  // Running from a source checkout (Extension Development Host): the checkout's build.
  const checkout = path.resolve(input.extensionPath, "..", "server", "dist", "cli.js");
  if (isFile(checkout)) return fromFile(checkout, `source checkout (${checkout})`);
  tried.push(`${checkout} (a source checkout's build)`);
  throw new ServerNotFoundError(tried);
}

/** The process to spawn for a server command on a runtime. */
export function spawnArgs(server: ServerCommand, runtime: Runtime | undefined, args: string[]): { command: string; args: string[] } {
  if (server.executable) return { command: server.executable, args };
  if (!runtime) throw new Error(`no runtime chosen for ${server.origin}`);
  return { command: runtime.command, args: [...server.scriptArgs, ...args] };
}

/** Why the server failed to start, as a sentence with the remedy; `lexicalFallback` when retrying without a model helps. */
export interface StartFailure {
  kind: "no-runtime" | "native-module" | "model-missing" | "port" | "other";
  message: string;
  lexicalFallback: boolean;
}

export function classifyFailure(output: string, server: ServerCommand, runtime: Runtime | undefined, spawnError?: NodeJS.ErrnoException): StartFailure {
  const runner = runtime?.label ?? `"${server.executable ?? server.origin}"`;
  if (spawnError?.code === "ENOENT") {
    return {
      kind: "no-runtime",
      message: `Local mode could not run ${runner}: not found. Set "contextEngine.local.runtime" to "auto" to use the editor's own runtime, or install Node.js 22.13 or newer (https://nodejs.org) on PATH.`,
      lexicalFallback: false,
    };
  }
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version|invalid ELF header|wrong ELF class|\.node: (cannot open|wrong)|ERR_DLOPEN_FAILED|not a valid Win32 application|mach-o file, but is an incompatible architecture/i.test(output)) {
    const line = output.split("\n").find((l) => /NODE_MODULE_VERSION|ELF|dlopen|DLOPEN|Win32|mach-o|\.node\b/i.test(l))?.trim() ?? "";
    return {
      kind: "native-module",
      message:
        `A native part of the engine does not load in ${runner}: ${line.slice(0, 300)} ` +
        `If the extension was installed from a .vsix, install the one built for this platform (${process.platform}-${process.arch}); ` +
        `with a server of your own ("contextEngine.local.serverPath"), rebuild its native modules for that runtime (npm rebuild).`,
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
  if (/EADDRINUSE/.test(output)) return { kind: "port", message: "The local port was taken by another process; retrying picks another.", lexicalFallback: false };
  const lines = output.trim().split("\n").map((l) => l.trim()).filter(Boolean);
  const errorLine = lines.find((l) => /^(context-engine\b.*:|\w*Error\b|error:)/i.test(l) && !l.startsWith("at "));
  const tail = errorLine ?? lines.slice(-3).join(" | ");
  return {
    kind: "other",
    message: `The Context Engine server (${server.origin}) stopped: ${tail || "no output"}. See "Context Engine: Show Logs".`,
    lexicalFallback: false,
  };
}
