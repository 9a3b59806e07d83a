// Starts the planned local processes, waits until each answers its readiness probe, and stops them all.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import type { LocalProcess } from "./layout.ts";

export interface RunningProcess {
  spec: LocalProcess;
  child: ChildProcess;
  /** The last lines it printed (stdout and stderr), for error messages. */
  tail: () => string;
  exited: Promise<number | null>;
}

export interface LocalCluster {
  processes: RunningProcess[];
  get(name: string): RunningProcess;
  /** Resolves when every process with a readiness URL answers 2xx; rejects when one exits or the deadline passes. */
  ready(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Only what a process needs from this machine; the rest comes from its manifest. */
function baseEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "LANG", "TZ", "SYSTEMROOT"];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])));
}

export function startLocalCluster(specs: LocalProcess[], log?: Writable): LocalCluster {
  const processes: RunningProcess[] = specs.map((spec) => {
    for (const d of spec.dirs) mkdirSync(d, { recursive: true });
    mkdirSync(path.dirname(spec.env.STORE_PATH ?? path.join(spec.cwd, "x")), { recursive: true });
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...baseEnv(), ...spec.env }, stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        lines.push(line);
        if (lines.length > 40) lines.shift();
        log?.write(`[${spec.name}] ${line}\n`);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
    return { spec, child, tail: () => lines.join("\n"), exited };
  });

  const get = (name: string) => {
    const p = processes.find((x) => x.spec.name === name);
    if (!p) throw new Error(`no local process ${name} (have: ${processes.map((x) => x.spec.name).join(", ")})`);
    return p;
  };

  async function ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const exitedEarly = processes.map((p) =>
      p.exited.then((code) => {
        throw new Error(`${p.spec.name} exited with ${code} before it was ready: ${p.spec.command} ${p.spec.args.slice(-12).join(" ")}\n${p.tail()}`);
      }),
    );
    const waits = processes.map(async (p) => {
      if (!p.spec.readyUrl) return;
      for (;;) {
        try {
          const res = await fetch(p.spec.readyUrl, { signal: AbortSignal.timeout(2000) });
          await res.body?.cancel();
          if (res.ok) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`${p.spec.name} not ready at ${p.spec.readyUrl} after ${timeoutMs} ms:\n${p.tail()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    await Promise.race([Promise.all(waits), ...exitedEarly]);
  }

  async function stop(): Promise<void> {
    await Promise.all(
      processes.map(async (p) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return;
        p.child.kill("SIGTERM");
        const killed = await Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]);
        if (!killed) {
          p.child.kill("SIGKILL");
          await p.exited;
        }
      }),
    );
  }

  // Keep unhandled rejections away: `exited` is observed by ready() only when it is called.
  for (const p of processes) p.exited.catch(() => undefined);
  return { processes, get, ready, stop };
}
