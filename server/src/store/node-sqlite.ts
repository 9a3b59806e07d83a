// The node:sqlite driver: Node's built-in SQLite (Node >= 22.13, Electron's Node) behind the small better-sqlite3-shaped
// interface the store uses. Nothing to install or build, so it serves where better-sqlite3's binary is absent or
// built for another ABI.
import { getLoadablePath } from "sqlite-vec";
import type { OpenOptions, RunResult, SqliteDatabase, SqliteStatement } from "./sqlite-driver.ts";

/** The part of node:sqlite used here (the project's @types/node predates the module). */
interface StatementSync {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  setReturnArrays?(on: boolean): void;
}
interface DatabaseSync {
  readonly isOpen?: boolean;
  prepare(sql: string): StatementSync;
  exec(sql: string): void;
  function(name: string, options: { deterministic?: boolean }, fn: (...args: never[]) => unknown): void;
  loadExtension(file: string): void;
  enableLoadExtension(on: boolean): void;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (file: string, options: { allowExtension: boolean; timeout?: number; readOnly?: boolean }) => DatabaseSync;
}

let loaded: NodeSqliteModule | undefined;

/**
 * node:sqlite, loaded once. Node 22 announces it with an ExperimentalWarning on stderr; that one warning is dropped
 * (the store's behaviour is pinned by its conformance suite), every other warning passes.
 */
function nodeSqlite(): NodeSqliteModule {
  if (loaded) return loaded;
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const text = typeof warning === "string" ? warning : warning.message;
    if (type === "ExperimentalWarning" && /^SQLite is an experimental feature/.test(text)) return;
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    const mod = process.getBuiltinModule("node:sqlite") as NodeSqliteModule | undefined;
    if (!mod?.DatabaseSync) throw new Error(`Node ${process.version} has no node:sqlite (it needs Node 22.13 or later)`);
    loaded = mod;
    return mod;
  } finally {
    process.emitWarning = emit;
  }
}

class NodeStatement implements SqliteStatement {
  private arrays = false;

  constructor(private readonly st: StatementSync) {}

  run(...params: unknown[]): RunResult {
    return this.st.run(...params);
  }

  get(...params: unknown[]): unknown {
    const row = this.st.get(...params);
    return row === undefined ? undefined : this.shape(row);
  }

  all(...params: unknown[]): unknown[] {
    return this.st.all(...params).map((r) => this.shape(r));
  }

  /** Rows as better-sqlite3 gives them: arrays in raw mode, else plain objects (node:sqlite's have no prototype). */
  private shape(row: unknown): unknown {
    if (Array.isArray(row)) return row;
    return this.arrays ? Object.values(row as object) : { ...(row as object) };
  }

  raw(toggle = true): SqliteStatement {
    this.arrays = toggle;
    // setReturnArrays arrived in Node 22.16 / 24; before it, rows are turned into arrays here.
    this.st.setReturnArrays?.(toggle);
    return this;
  }
}

class NodeSqliteDatabase implements SqliteDatabase {
  private depth = 0;
  private closed = false;

  constructor(private readonly db: DatabaseSync) {}

  get open(): boolean {
    return !this.closed;
  }

  prepare(sql: string): SqliteStatement {
    return new NodeStatement(this.db.prepare(sql));
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** `PRAGMA x = y` as better-sqlite3's pragma("x = y"); the store only sets pragmas. */
  pragma(source: string): unknown {
    return this.db.prepare(`PRAGMA ${source}`).all();
  }

  function(name: string, options: { deterministic?: boolean }, fn: (...args: never[]) => unknown): void {
    this.db.function(name, { deterministic: !!options.deterministic }, fn);
  }

  transaction<T>(fn: () => T): { immediate(): T } {
    return {
      immediate: () => {
        const savepoint = this.depth > 0 ? `ce_sp_${this.depth}` : undefined;
        this.db.exec(savepoint ? `SAVEPOINT ${savepoint}` : "BEGIN IMMEDIATE");
        this.depth++;
        try {
          const out = fn();
          this.db.exec(savepoint ? `RELEASE ${savepoint}` : "COMMIT");
          return out;
        } catch (e) {
          // SQLite may have rolled back already (some errors end the transaction): the first error is the one to see.
          try {
            this.db.exec(savepoint ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : "ROLLBACK");
          } catch {}
          throw e;
        } finally {
          this.depth--;
        }
      },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/** Opens `file` with node:sqlite and loads sqlite-vec; SQL can load no further extensions afterwards. */
export function openNodeSqlite(file: string, options: OpenOptions = {}): SqliteDatabase {
  const { DatabaseSync } = nodeSqlite();
  const db = new DatabaseSync(file, { allowExtension: true, timeout: 10_000, ...(options.readonly ? { readOnly: true } : {}) });
  try {
    db.loadExtension(getLoadablePath());
    db.enableLoadExtension(false);
  } catch (e) {
    db.close();
    throw e;
  }
  return new NodeSqliteDatabase(db);
}
