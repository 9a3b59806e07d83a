// The embedded store's file history: one FTS5 row per file holding the words of the commit subjects that changed it,
// searched with BM25 like the chunks, and the commit the history was read at (so an unchanged HEAD is not re-read).
import type { SqliteDatabase, SqliteStatement } from "./sqlite-driver.ts";
import type { LexicalQuery } from "./types.ts";

const FTS_TOKEN = /^[\p{L}\p{N}_$]+$/u;

export class SqliteFileHistory {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly stmt: (sql: string) => SqliteStatement,
  ) {
    db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS file_history USING fts5(repo UNINDEXED, path UNINDEXED, words, tokenize="unicode61 tokenchars '_$'");
      CREATE TABLE IF NOT EXISTS file_history_head (repo TEXT PRIMARY KEY, head TEXT NOT NULL);
    `);
  }

  replace(repo: string, head: string, words: Map<string, string[]>): void {
    this.db.transaction(() => {
      this.stmt("DELETE FROM file_history WHERE repo = ?").run(repo);
      const ins = this.stmt("INSERT INTO file_history (repo, path, words) VALUES (?, ?, ?)");
      for (const [p, w] of words) if (w.length) ins.run(repo, p, w.join(" "));
      this.stmt("INSERT OR REPLACE INTO file_history_head (repo, head) VALUES (?, ?)").run(repo, head);
    }).immediate();
  }

  head(repo: string): string | undefined {
    return (this.stmt("SELECT head FROM file_history_head WHERE repo = ?").get(repo) as { head: string } | undefined)?.head;
  }

  /** BM25 over the files' history words; a term's weight repeats it, as in the chunks' lexical query. */
  search(repo: string, query: LexicalQuery, limit: number): { path: string; score: number }[] {
    const terms = query.terms.filter((t) => FTS_TOKEN.test(t.term));
    if (!terms.length) return [];
    const match = terms.flatMap(({ term, weight }) => Array<string>(Math.max(1, Math.min(4, Math.round(weight)))).fill(`"${term}"`)).join(" OR ");
    const rows = this.stmt(
      "SELECT path, bm25(file_history) AS rank FROM file_history WHERE file_history MATCH ? AND repo = ? ORDER BY rank LIMIT ?",
    ).all(`words : (${match})`, repo, limit) as { path: string; rank: number }[];
    return rows.map((r) => ({ path: r.path, score: -r.rank }));
  }
}
