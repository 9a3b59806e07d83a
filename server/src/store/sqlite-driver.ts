// The SQLite driver seam: the embedded store speaks to one small database interface (the part of better-sqlite3's API
// it uses), served by better-sqlite3 where its native binary loads, or by Node's built-in node:sqlite (Node >= 22.13,
// and Electron's Node) where it does not: a global npm install that ran no install scripts, or an editor's runtime
// whose ABI no prebuilt better-sqlite3 matches. Either way sqlite-vec is loaded and FTS5 is checked before use.
import { createRequire } from "node:module";
import { getLoadablePath } from "sqlite-vec";
import { openNodeSqlite } from "./node-sqlite.ts";

export type SqliteDriverName = "better-sqlite3" | "node-sqlite";
export type SqliteDriverChoice = "auto" | SqliteDriverName;

export interface RunResult {
  changes: number | bigint;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Rows as arrays of column values (in select order) instead of objects. */
  raw(toggle?: boolean): SqliteStatement;
}

export interface SqliteDatabase {
  readonly open: boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string): unknown;
  function(name: string, options: { deterministic?: boolean }, fn: (...args: never[]) => unknown): unknown;
  /** `fn` inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK when it throws); a nested call runs as a savepoint. */
  transaction<T>(fn: () => T): { immediate(): T };
  close(): unknown;
}

export interface OpenedDatabase {
  db: SqliteDatabase;
  driver: SqliteDriverName;
}

/** No driver could open the store: the message names what was tried, why each failed, and what to do. */
export class SqliteUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SqliteUnavailableError";
  }
}

const require = createRequire(import.meta.url);

/** How a file is opened: read-only connections (search workers) can neither write nor create the file. */
export interface OpenOptions {
  readonly?: boolean;
}

function openBetterSqlite3(file: string, options: OpenOptions): SqliteDatabase {
  // Required here, not imported: without its native binary (an install that ran no scripts, another Node ABI) the
  // module must fail only this attempt.
  const Database = require("better-sqlite3") as typeof import("better-sqlite3");
  const db = new Database(file, { timeout: 10_000, readonly: !!options.readonly, fileMustExist: !!options.readonly });
  try {
    db.loadExtension(getLoadablePath());
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

const OPENERS: Record<SqliteDriverName, (file: string, options: OpenOptions) => SqliteDatabase> = {
  "better-sqlite3": openBetterSqlite3,
  "node-sqlite": openNodeSqlite,
};

/** The store needs FTS5 (its lexical index); a SQLite built without it cannot serve. */
function checkFts5(db: SqliteDatabase): void {
  const row = db.prepare("SELECT sqlite_compileoption_used('ENABLE_FTS5') AS fts5").get() as { fts5: number };
  if (!row.fts5) throw new Error("this SQLite was built without FTS5");
}

/** An error in one line: native loaders spread theirs over several and append the require chain. */
function reason(e: unknown): string {
  const text = String((e as Error)?.message ?? e).split(/\nRequire stack:/)[0]!.replace(/\s+/g, " ").trim();
  return text.length > 400 ? `${text.slice(0, 400)}...` : text;
}

function nodeSqliteBuiltIn(nodeVersion: string): boolean {
  const [major = 0, minor = 0] = nodeVersion.replace(/^v/, "").split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}

/** What to do when nothing opened, for the Node running now and the driver asked for. */
function advice(choice: SqliteDriverChoice, nodeVersion: string): string {
  if (!nodeSqliteBuiltIn(nodeVersion)) {
    return `Node ${nodeVersion} has no usable node:sqlite: run on Node 22.13 or later (nothing to build), or install letting ` +
      "better-sqlite3 build its binary: npm install -g --allow-scripts=better-sqlite3 @context-engine/server";
  }
  if (choice === "better-sqlite3") {
    return "Set SQLITE_DRIVER=auto or node-sqlite (built into this Node), or rebuild better-sqlite3 for it (npm rebuild better-sqlite3).";
  }
  const platform = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  return `Check that sqlite-vec's binary for this platform (the package sqlite-vec-${platform}) is installed.`;
}

/**
 * Opens `file` with the chosen driver, or with the first that works (better-sqlite3, then node:sqlite) when the
 * choice is `auto`; sqlite-vec loaded, FTS5 checked. Throws SqliteUnavailableError naming every attempt.
 */
export function openSqliteDatabase(file: string, choice: SqliteDriverChoice = "auto", options: OpenOptions = {}): OpenedDatabase {
  const order: SqliteDriverName[] = choice === "auto" ? ["better-sqlite3", "node-sqlite"] : [choice];
  const failures: string[] = [];
  for (const driver of order) {
    let db: SqliteDatabase | undefined;
    try {
      db = OPENERS[driver](file, options);
      checkFts5(db);
      return { db, driver };
    } catch (e) {
      if (db?.open) db.close();
      failures.push(`${driver === "node-sqlite" ? "node:sqlite" : driver}: ${reason(e)}`);
    }
  }
  throw new SqliteUnavailableError(
    `cannot open the SQLite store ${file} (SQLITE_DRIVER=${choice}; tried ${failures.join("; ")}). ${advice(choice, process.version)}`,
  );
}
