// What the connection needs from a mode (local child processes or a cluster): start, endpoints, state updates.
import type { McpEndpoint } from "./engine/indexer-client.ts";

export type ModeName = "local" | "cluster";
export type Phase = "stopped" | "starting" | "syncing" | "indexing" | "ready" | "error";

export interface ConnectionState {
  mode: ModeName;
  phase: Phase;
  /** One line for the status bar tooltip and the panel banner. */
  detail: string;
  error?: string;
  indexer?: McpEndpoint;
  memory?: McpEndpoint;
  /** Why search is lexical-only (the model is missing), when it is. */
  lexicalOnly?: string;
  /** `searchable`: indexing, but every file can already be found (symbol chunks are being added). */
  index?: { status: string; done: number; total: number; points?: number; searchable?: boolean };
  /** Local mode: what runs the engine ("the editor's runtime (…, Node 24.21.0, node:sqlite, SQLite 3.53.4)"). */
  runtime?: string;
  /** Local mode: the index file (in the editor's storage for the workspace). */
  store?: string;
  lastSync?: { at: string; uploaded: number; deleted: number };
}

export type Report = (patch: Partial<ConnectionState>) => void;

export interface Backend {
  readonly mode: ModeName;
  /** How often poll() runs: a local state file is cheap, a cluster round trip less so. */
  readonly pollMs: number;
  /** Brings the mode up; reports phases and endpoints through `report`; throws with a message a person can act on. */
  start(report: Report, signal: AbortSignal): Promise<void>;
  /** A fresh look at the index state for the status bar (cheap; called every few seconds). */
  poll(report: Report): Promise<void>;
  syncNow?(): Promise<void>;
  /** Starts a server that runs only on demand (local memory) before VS Code connects to it. */
  ensureServer?(which: "memory"): Promise<void>;
  dispose(): void;
}
