// A benchmark snapshot's chunks served by the Qdrant store from the loopback Qdrant stub (test/helpers), which models
// Qdrant's filters and IDF scoring: the cluster's ranking path, measured on the same index as the embedded store's.
import Database from "better-sqlite3";
import type { Logger } from "../../server/src/log/index.ts";
import { openQdrantStore } from "../../server/src/store/qdrant/index.ts";
import { META_ID, toPointStruct } from "../../server/src/store/qdrant/payload.ts";
import type { Point, Store } from "../../server/src/store/types.ts";
import { lexicalFields } from "../../server/src/text/index.ts";
import type { QdrantStub } from "../../test/helpers/store-qdrant-stub.ts";

const COLLECTION = "codebase";

/** Replaces the stub's collection with the snapshot's chunks (lexical only) and opens a Qdrant store on it. */
export function qdrantStubStore(snapshot: string, stub: QdrantStub, log: Logger): Store {
  const db = new Database(snapshot, { readonly: true });
  const rows = db
    .prepare(
      "SELECT id, repo, path, language, start_line, end_line, symbol, symbol_kind, symbol_path, kind, text, file_hash FROM chunks WHERE kind != 'memory'",
    )
    .all() as Omit<Point, "lexical">[];
  db.close();
  stub.collections.clear();
  stub.addCollection(COLLECTION, { vectors: {}, sparse_vectors: { lex: { modifier: "idf", index: { on_disk: false } } } }, ["repo", "path", "kind", "body_tokens"]);
  stub.putPoint(COLLECTION, { id: META_ID, payload: { kind: "meta", embedder: "none", dimension: 0, layout: 1 } });
  for (const r of rows) {
    const s = toPointStruct({ ...r, lexical: lexicalFields(r) }, 0);
    stub.putPoint(COLLECTION, { id: String(s.id), vector: s.vector, payload: s.payload ?? {} });
  }
  return openQdrantStore({ qdrantUrl: stub.url, qdrantApiKey: undefined, collectionName: COLLECTION, memoryCollection: COLLECTION }, log);
}
