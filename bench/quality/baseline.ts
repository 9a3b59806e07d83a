// The in-run baseline: plain BM25 (SQLite FTS5, default unicode61 tokenizer, the words OR-ed) over whole
// files, and over functions for the function-level baseline. Same files as the engine indexed, kept up to date
// incrementally as the checkout moves from commit to commit.
import Database from "better-sqlite3";
import type { Store } from "../../server/src/store/types.ts";

export interface Unit {
  path: string;
  /** "" for a whole file; the symbol path of a function-level unit. */
  symbol_path: string;
}

export class Bm25Baseline {
  private readonly db = new Database(":memory:");
  private readonly hashes = new Map<string, string>();
  private readonly units: Unit[] = [];
  private readonly free: number[] = [];
  private readonly rowsOf = new Map<string, { file: number; funcs: number[] }>();

  /** codeOnly: index code files only (tests, docs and config left out), as the issue's own baseline appears to. */
  constructor(private readonly opts: { codeOnly?: boolean } = {}) {
    this.db.exec(`CREATE VIRTUAL TABLE files USING fts5(body);
      CREATE VIRTUAL TABLE funcs USING fts5(body);`);
  }

  /** Brings the baseline to the engine's file set for `repo` (files whose hash changed are re-read from the store). */
  async sync(store: Store, repo: string): Promise<{ changed: number }> {
    const files = await store.listFiles(repo);
    let changed = 0;
    const delFile = this.db.prepare("DELETE FROM files WHERE rowid = ?");
    const delFunc = this.db.prepare("DELETE FROM funcs WHERE rowid = ?");
    const insFile = this.db.prepare("INSERT INTO files (rowid, body) VALUES (?, ?)");
    const insFunc = this.db.prepare("INSERT INTO funcs (rowid, body) VALUES (?, ?)");
    const drop = (p: string) => {
      const r = this.rowsOf.get(p);
      if (!r) return;
      delFile.run(r.file);
      this.free.push(r.file);
      for (const f of r.funcs) {
        delFunc.run(f);
        this.free.push(f);
      }
      this.rowsOf.delete(p);
      this.hashes.delete(p);
    };
    const alloc = (u: Unit) => {
      const id = this.free.pop() ?? this.units.length;
      this.units[id] = u;
      return id;
    };
    for (const p of [...this.hashes.keys()]) if (!files.has(p)) drop(p);
    const updates: { path: string; hash: string }[] = [];
    for (const [p, rec] of files) if (this.hashes.get(p) !== rec.hash) updates.push({ path: p, hash: rec.hash });
    for (const u of updates) {
      const points = await store.filePoints(repo, u.path);
      if (this.opts.codeOnly && points[0] && points[0].kind !== "code") {
        drop(u.path);
        this.hashes.set(u.path, u.hash);
        continue;
      }
      this.db.transaction(() => {
        drop(u.path);
        const lines = new Map<number, string>();
        const bySymbol = new Map<string, Map<number, string>>();
        for (const pt of points) {
          const t = pt.text.split("\n");
          const sym = bySymbol.get(pt.symbol_path) ?? bySymbol.set(pt.symbol_path, new Map()).get(pt.symbol_path)!;
          t.forEach((line, i) => {
            lines.set(pt.start_line + i, line);
            sym.set(pt.start_line + i, line);
          });
        }
        const text = (m: Map<number, string>) => [...m].sort((a, b) => a[0] - b[0]).map((x) => x[1]).join("\n");
        const file = alloc({ path: u.path, symbol_path: "" });
        insFile.run(file, `${u.path}\n${text(lines)}`);
        const funcs: number[] = [];
        for (const [sym, m] of bySymbol) {
          const id = alloc({ path: u.path, symbol_path: sym });
          insFunc.run(id, `${u.path}\n${text(m)}`);
          funcs.push(id);
        }
        this.rowsOf.set(u.path, { file, funcs });
        this.hashes.set(u.path, u.hash);
      })();
      changed++;
    }
    return { changed };
  }

  /** Ranked files and functions for an issue text: its words, each quoted, OR-ed. */
  search(query: string, limit: number): { files: string[]; functions: Unit[] } {
    const words = [...new Set((query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []))];
    if (!words.length) return { files: [], functions: [] };
    const match = words.map((w) => `"${w}"`).join(" OR ");
    const rank = (table: string) =>
      (this.db.prepare(`SELECT rowid FROM ${table} WHERE ${table} MATCH ? ORDER BY bm25(${table}) LIMIT ?`).all(match, limit) as { rowid: number }[]).map(
        (r) => this.units[r.rowid]!,
      );
    return { files: rank("files").map((u) => u.path), functions: rank("funcs") };
  }

  close(): void {
    this.db.close();
  }
}
