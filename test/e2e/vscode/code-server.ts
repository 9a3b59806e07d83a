// Starts and stops code-server (a real VS Code served over HTTP) on loopback, each step under a deadline.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "../../../server/src/http/free-port.ts";
import type { E2eTools } from "./tools.ts";

/** Settings that keep a test's workbench free of what it does not test: no start editor, updates, telemetry. */
export const QUIET_WORKBENCH: Record<string, unknown> = {
  "workbench.startupEditor": "none",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
};

export interface CodeServerOptions {
  tools: E2eTools;
  /** Folder opened as the workspace. */
  workspace: string;
  userDataDir: string;
  extensionsDir: string;
  /** Written to <userDataDir>/User/settings.json before start. */
  settings: Record<string, unknown>;
  /** code-server's stdout and stderr go here. */
  logFile: string;
  /** Extra environment for code-server and so for the extension host (and what it starts). */
  env?: Record<string, string>;
  /** Extra code-server arguments (e.g. --vscode-option flags). */
  extraArgs?: string[];
  deadlineMs?: number;
}

export interface RunningCodeServer {
  url: string;
  /** URL that opens the workspace folder. */
  workspaceUrl: string;
  stop(): Promise<void>;
}


/** The environment code-server runs with: ours, minus any VS Code variables of an enclosing editor. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("VSCODE_") && !k.startsWith("ELECTRON_")) env[k] = v;
  return env;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function run(cmd: string, args: string[], logFile: string, deadlineMs: number): Promise<void> {
  const child = spawn(cmd, args, { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(logFile, { flags: "a" });
  let out = "";
  const collect = (b: Buffer) => {
    out += b.toString();
    log.write(b);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${path.basename(cmd)} ${args.join(" ")} did not finish within ${deadlineMs / 1000} s; output:\n${out}`));
    }, deadlineMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      log.end();
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(cmd)} ${args.join(" ")} exited with ${code}; output:\n${out}`));
    });
  });
}

/** Installs a .vsix into extensionsDir with code-server's own CLI (as `code --install-extension` would). */
export async function installExtension(tools: E2eTools, vsix: string, extensionsDir: string, logFile: string, deadlineMs = 120_000): Promise<void> {
  mkdirSync(extensionsDir, { recursive: true });
  await run(tools.node24, [tools.codeServerEntry, "--extensions-dir", extensionsDir, "--force", "--install-extension", vsix], logFile, deadlineMs);
}

function waitForExit(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** Starts code-server on 127.0.0.1 and resolves once its health endpoint answers. */
export async function startCodeServer(o: CodeServerOptions): Promise<RunningCodeServer> {
  const deadlineMs = o.deadlineMs ?? 60_000;
  const port = await freePort();
  const userDir = path.join(o.userDataDir, "User");
  mkdirSync(userDir, { recursive: true });
  writeFileSync(path.join(userDir, "settings.json"), JSON.stringify(o.settings, null, 2));
  const config = path.join(o.userDataDir, "code-server.yaml");
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    o.tools.codeServerEntry,
    "--config", config,
    "--user-data-dir", o.userDataDir,
    "--extensions-dir", o.extensionsDir,
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    "--ignore-last-opened",
    ...(o.extraArgs ?? []),
    o.workspace,
  ];
  const log = createWriteStream(o.logFile, { flags: "a" });
  // Its own process group, so stop() ends code-server and everything it started (extension host, the engine).
  const child = spawn(o.tools.node24, args, { env: { ...cleanEnv(), ...o.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const collect = (b: Buffer) => {
    out += b.toString();
    log.write(b);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = waitForExit(child);
  // If this process dies before stop() (a test timeout, Ctrl-C), take the whole group along.
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  process.once("exit", killGroup);

  const stop = async () => {
    process.off("exit", killGroup);
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]);
      if (!killed) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
        await exited;
      }
    }
    // The group may outlive its leader (the engine child of the extension host): end it too.
    if (child.pid) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* nothing left */
      }
    }
    log.end();
  };

  const url = `http://127.0.0.1:${port}/`;
  const start = Date.now();
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before it answered on ${url}; output:\n${out}`);
      }
      if (Date.now() - start > deadlineMs) throw new Error(`code-server did not answer on ${url}healthz within ${deadlineMs / 1000} s; output:\n${out}`);
      const ok = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
      if (ok) break;
      await Promise.race([exited, new Promise((r) => setTimeout(r, 200))]); // poll interval, not synchronisation
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, workspaceUrl: `${url}?folder=${encodeURIComponent(o.workspace)}`, stop };
}
