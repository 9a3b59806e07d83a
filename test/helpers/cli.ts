import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";

export const CLI = path.resolve(import.meta.dirname, "..", "..", "server", "src", "cli", "main.ts");
export const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `context-engine ...args` from source (tsx) and waits for it. */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: "warn", EMBEDDING_PROVIDER: "none", ...opts.env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `context-engine ...args` in the background. */
export function startCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: "warn", EMBEDDING_PROVIDER: "none", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
