// The Qdrant store, and the collection setup the k8s Job runs (`context-engine init-collection`).
import type { Logger } from "../../log/index.ts";
import type { IndexSchema, SchemaCheck } from "../types.ts";
import { describeMismatch } from "./collection.ts";
import { openQdrantStore, type QdrantSettings, type QdrantStoreOptions } from "./store.ts";

export { QdrantStore, openQdrantStore, type QdrantSettings, type QdrantStoreOptions } from "./store.ts";
export { QdrantStoreError } from "./retry.ts";
export { describeMismatch } from "./collection.ts";

export interface InitOptions extends QdrantStoreOptions {
  /** Drop and re-create the collection(s) when they were built for another embedder. */
  recreate?: boolean;
}

/**
 * Creates the collection(s) with their vectors and payload indexes, or checks existing ones; idempotent.
 * A mismatch throws (with what to run) unless `recreate` is set, so a Job never mixes dimensions silently.
 */
export async function initCollection(settings: QdrantSettings, schema: IndexSchema, log: Logger, opts: InitOptions = {}): Promise<SchemaCheck> {
  const store = openQdrantStore(settings, log, opts);
  try {
    const check = await store.ensure(schema);
    if (check.status !== "mismatch") {
      log.info(check.status === "created" ? "qdrant collection created" : "qdrant collection ready", {
        url: store.location,
        collection: settings.collectionName,
        embedder: schema.embedder,
        dimension: schema.dimension,
      });
      return check;
    }
    if (!opts.recreate) throw new Error(describeMismatch(store.location, settings.collectionName, check));
    await store.recreate(schema);
    return { status: "created" };
  } finally {
    await store.close();
  }
}
