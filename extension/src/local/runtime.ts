// Which JavaScript runtime runs the engine in local mode. The editor's own runtime comes first (process.execPath with
// ELECTRON_RUN_AS_NODE=1: nothing to install); a Node.js on PATH (contextEngine.local.nodePath) is the fallback.
// Each candidate is probed before it is chosen, in a child process of its own: the store needs a SQLite with FTS5
// that loads the sqlite-vec extension shipped beside the server (node:sqlite, or better-sqlite3 where its binary
// matches that runtime), and an editor's runtime may lack node:sqlite (older Electron) or run another ABI.
import { execFile } from "node:child_process";

export type RuntimeKind = "editor" | "node";
export type RuntimeChoice = "auto" | RuntimeKind;
export type SqliteDriver = "node-sqlite" | "better-sqlite3";

export interface Runtime {
  kind: RuntimeKind;
  command: string;
  /** Environment for the server's processes: ELECTRON_RUN_AS_NODE for the editor's runtime, SQLITE_DRIVER as probed. */
  env: Record<string, string>;
  /** For the log and errors: "the editor's runtime (/usr/share/code/code, Node 22.19.0, node:sqlite, SQLite 3.50.4)". */
  label: string;
  probe: ProbeResult;
}

export interface ProbeResult {
  node?: string;
  driver?: SqliteDriver;
  sqlite?: string;
  vec?: string;
  /** Why no driver worked (set when `driver` is not). */
  error?: string;
}

/** The probe, run with `-e` by the candidate runtime; CE_PROBE_SERVER_DIR is where the server's modules resolve from. */
export const PROBE_SCRIPT = `
const path = require("node:path");
const req = require("node:module").createRequire(path.join(process.env.CE_PROBE_SERVER_DIR, "probe.cjs"));
const out = { node: process.versions.node };
const errors = [];
const first = (e) => String((e && e.message) || e).split("\\n")[0];
function check(db, driver) {
  try {
    db.exec("CREATE VIRTUAL TABLE probe USING fts5(body)");
    db.loadExtension(req("sqlite-vec").getLoadablePath());
    out.sqlite = db.prepare("SELECT sqlite_version() AS v").get().v;
    out.vec = db.prepare("SELECT vec_version() AS v").get().v;
    out.driver = driver;
  } finally {
    db.close();
  }
}
try {
  const { DatabaseSync } = require("node:sqlite");
  check(new DatabaseSync(":memory:", { allowExtension: true }), "node-sqlite");
} catch (e) {
  errors.push("node:sqlite: " + first(e));
  try {
    const Database = req("better-sqlite3");
    check(new Database(":memory:"), "better-sqlite3");
  } catch (e2) {
    errors.push("better-sqlite3: " + first(e2));
  }
}
if (!out.driver) out.error = errors.join("; ");
process.stdout.write(JSON.stringify(out));
`;

export interface Candidate {
  kind: RuntimeKind;
  command: string;
  /** How the candidate is named in messages. */
  name: string;
}

/** The runtimes to try, in order, for a choice (contextEngine.local.runtime) and a Node.js (contextEngine.local.nodePath). */
export function candidates(choice: RuntimeChoice, nodePath: string, execPath = process.execPath): Candidate[] {
  const editor: Candidate = { kind: "editor", command: execPath, name: `the editor's runtime (${execPath})` };
  const node: Candidate = { kind: "node", command: nodePath, name: nodePath === "node" ? 'Node.js on PATH ("node")' : `Node.js at "${nodePath}"` };
  return choice === "editor" ? [editor] : choice === "node" ? [node] : [editor, node];
}

function envFor(kind: RuntimeKind): Record<string, string> {
  return kind === "editor" ? { ELECTRON_RUN_AS_NODE: "1" } : {};
}

/** Runs the probe with one candidate; a runtime that cannot be started is reported as a probe error (with `missing`). */
export function probe(c: Candidate, serverDir: string, timeoutMs = 30_000): Promise<ProbeResult & { missing?: boolean }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...envFor(c.kind), CE_PROBE_SERVER_DIR: serverDir };
    if (c.kind === "node") delete env.ELECTRON_RUN_AS_NODE;
    execFile(c.command, ["-e", PROBE_SCRIPT], { env, timeout: timeoutMs, windowsHide: true, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const out = stdout.trim();
      if (out.startsWith("{")) {
        try {
          return resolve(JSON.parse(out) as ProbeResult);
        } catch {
          // fall through: report what it printed
        }
      }
      const e = err as (NodeJS.ErrnoException & { killed?: boolean }) | null;
      if (e?.code === "ENOENT") return resolve({ error: "not found", missing: true });
      if (e?.code === "EACCES") return resolve({ error: "not executable", missing: true });
      if (e?.killed) return resolve({ error: `no answer within ${timeoutMs / 1000} s` });
      const said = (stderr || out || e?.message || "no output").trim().split("\n")[0];
      resolve({ error: `the probe failed: ${said}` });
    });
  });
}

function describe(p: ProbeResult): string {
  return [p.node && `Node ${p.node}`, p.driver === "node-sqlite" ? "node:sqlite" : p.driver, p.sqlite && `SQLite ${p.sqlite}`].filter(Boolean).join(", ");
}

export class NoRuntimeError extends Error {
  constructor(
    message: string,
    /** No candidate could even be started (no Node.js where one was expected). */
    readonly noNode: boolean,
  ) {
    super(message);
    this.name = "NoRuntimeError";
  }
}

/** The first candidate whose probe finds a working store driver; NoRuntimeError says what each lacked and what to do. */
export async function chooseRuntime(choice: RuntimeChoice, nodePath: string, serverDir: string, execPath = process.execPath): Promise<Runtime> {
  const tried: string[] = [];
  let allMissing = true;
  for (const c of candidates(choice, nodePath, execPath)) {
    const p = await probe(c, serverDir);
    if (p.driver) {
      const label = `${c.kind === "editor" ? "the editor's runtime" : "Node.js"} (${c.command}, ${describe(p)})`;
      return { kind: c.kind, command: c.command, env: { ...envFor(c.kind), SQLITE_DRIVER: p.driver }, label, probe: p };
    }
    if (!p.missing) allMissing = false;
    tried.push(`${c.name}${p.node ? `, Node ${p.node}` : ""}: ${p.error}`);
  }
  const nodeOnly = choice === "node";
  const remedy = nodeOnly
    ? `Install Node.js 22.13 or newer (https://nodejs.org) and make sure it is on PATH, or set "contextEngine.local.nodePath" to the node executable; or set "contextEngine.local.runtime" to "auto" to run on the editor's own runtime.`
    : `Update the editor (its runtime needs node:sqlite, which recent VS Code versions have), or install Node.js 22.13 or newer (https://nodejs.org) on PATH or in "contextEngine.local.nodePath"; or use a cluster ("Context Engine: Use Cluster").`;
  const what = nodeOnly && allMissing ? "Local mode could not run Node.js" : "Local mode found no runtime that can run the engine's store (SQLite with FTS5 and sqlite-vec)";
  return Promise.reject(new NoRuntimeError(`${what}. Tried ${tried.join("; ")}. ${remedy}`, nodeOnly && allMissing));
}
