// The SQLite driver seam: each driver this Node can load opens a store file with FTS5 and sqlite-vec, runs
// transactions as better-sqlite3 does, and a driver that cannot load fails with one line saying what was tried and
// what to do. store-conformance-node-sqlite.test.ts runs this file on Node 24 as well.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { openSqliteDatabase, SqliteUnavailableError, type SqliteDriverName } from "../../server/src/store/sqlite-driver.ts";
import { tempDir } from "../helpers/tmp.ts";

function loads(driver: SqliteDriverName): string | false {
  const { dir, cleanup } = tempDir("ce-driver-probe-");
  try {
    openSqliteDatabase(path.join(dir, "probe.db"), driver).db.close();
    return false;
  } catch (e) {
    return `${driver} does not load on Node ${process.version}: ${(e as Error).message}`;
  } finally {
    cleanup();
  }
}

const DRIVERS: SqliteDriverName[] = ["better-sqlite3", "node-sqlite"];
const hasNodeSqlite = !!process.getBuiltinModule("node:sqlite");

for (const driver of DRIVERS) {
  describe(`SQLite driver ${driver}`, { skip: loads(driver) }, () => {
    function open() {
      const { dir, cleanup } = tempDir("ce-driver-");
      const { db, driver: chosen } = openSqliteDatabase(path.join(dir, "index.db"), driver);
      return { db, chosen, dispose: () => { if (db.open) db.close(); cleanup(); } };
    }

    test("opens the file with FTS5 and sqlite-vec loaded", () => {
      const { db, chosen, dispose } = open();
      try {
        assert.equal(chosen, driver);
        db.exec("CREATE VIRTUAL TABLE t USING fts5(body)");
        db.exec("CREATE VIRTUAL TABLE v USING vec0(embedding float[2])");
        db.prepare("INSERT INTO v (rowid, embedding) VALUES (?, ?)").run(BigInt(7), new Float32Array([1, 0]));
        const hit = db.prepare("SELECT rowid, distance FROM v WHERE embedding MATCH ? AND k = 1").get(new Float32Array([1, 0]));
        assert.deepEqual(hit, { rowid: 7, distance: 0 });
      } finally {
        dispose();
      }
    });

    test("a transaction commits, one that throws leaves nothing, and a nested one rolls back alone", () => {
      const { db, dispose } = open();
      try {
        db.exec("CREATE TABLE t (x INTEGER)");
        const ins = db.prepare("INSERT INTO t VALUES (?)");
        assert.equal(db.transaction(() => (ins.run(1), "done")).immediate(), "done");
        assert.throws(() => db.transaction(() => { ins.run(2); throw new Error("boom"); }).immediate(), /boom/);
        db.transaction(() => {
          ins.run(3);
          assert.throws(() => db.transaction(() => { ins.run(4); throw new Error("inner"); }).immediate(), /inner/);
        }).immediate();
        assert.deepEqual(db.prepare("SELECT x FROM t ORDER BY x").all(), [{ x: 1 }, { x: 3 }]);
      } finally {
        dispose();
      }
    });

    test("rows are plain objects, or arrays in raw mode; functions and pragmas work", () => {
      const { db, dispose } = open();
      try {
        db.pragma("journal_mode = WAL");
        db.function("twice", { deterministic: true }, (n: never) => 2 * (n as number));
        const row = db.prepare("SELECT twice(21) AS answer, 'a' AS name").get();
        assert.equal(Object.getPrototypeOf(row), Object.prototype);
        assert.deepEqual(row, { answer: 42, name: "a" });
        assert.deepEqual(db.prepare("SELECT 1 AS a, 2 AS b").raw(true).all(), [[1, 2]]);
        const info = db.prepare("CREATE TABLE u (x)").run();
        assert.equal(Number(info.changes), 0);
      } finally {
        dispose();
      }
    });
  });
}

test("forcing a driver this Node cannot load fails with one line naming it and what to do", { skip: hasNodeSqlite ? "this Node has node:sqlite" : false }, () => {
  const { dir, cleanup } = tempDir("ce-driver-none-");
  try {
    assert.throws(
      () => openSqliteDatabase(path.join(dir, "index.db"), "node-sqlite"),
      (e: Error) => {
        assert.ok(e instanceof SqliteUnavailableError);
        assert.doesNotMatch(e.message, /\n/);
        assert.match(e.message, /SQLITE_DRIVER=node-sqlite; tried node:sqlite: Node v[\d.]+ has no node:sqlite/);
        assert.match(e.message, /Node 22\.13 or later/);
        assert.match(e.message, /--allow-scripts=better-sqlite3/);
        return true;
      },
    );
  } finally {
    cleanup();
  }
});

test("auto takes better-sqlite3 where its binary loads, else node:sqlite", () => {
  const { dir, cleanup } = tempDir("ce-driver-auto-");
  try {
    const { db, driver } = openSqliteDatabase(path.join(dir, "index.db"), "auto");
    db.close();
    assert.equal(driver, loads("better-sqlite3") === false ? "better-sqlite3" : "node-sqlite");
  } finally {
    cleanup();
  }
});
