// The collection's shape: named dense + `lex` sparse (IDF) vectors, payload indexes, and the schema record
// that lets `ensure` tell an embedder change from a healthy index.
import type { Schemas } from "@qdrant/js-client-rest";
import type { IndexSchema, SchemaCheck } from "../types.ts";
import type { Connection } from "./connection.ts";
import { BODY_TOKENS, DENSE, LEX, META_ID, metaStruct } from "./payload.ts";

export interface CollectionOptions {
  /** Dense vectors and the sparse index on disk (memory-mapped) instead of in RAM. */
  onDisk?: boolean;
}

type FieldSchema = "keyword" | "integer" | "float" | Schemas["TextIndexParams"];

/** Filters stay fast on these; `indexed_at` (float, range) lets stats read a repo's newest file without a scan. */
export const PAYLOAD_INDEXES: readonly (readonly [string, FieldSchema])[] = [
  ["repo", "keyword"],
  ["path", "keyword"],
  ["path_prefixes", "keyword"],
  ["language", "keyword"],
  ["kind", "keyword"],
  ["symbol", "keyword"],
  ["symbol_path", "keyword"],
  ["ext", "keyword"],
  ["indexed_at", "float"],
  // Our code tokens, split on whitespace, with positions: phrase search (Qdrant >= 1.15).
  [BODY_TOKENS, { type: "text", tokenizer: "whitespace", lowercase: true, phrase_matching: true }],
];

/** Indexes a server may lack the feature for: without them only a ranking signal is lost, so ensure goes on. */
const OPTIONAL_INDEXES = new Map([[BODY_TOKENS, "phrase search (quoted error messages) needs Qdrant 1.15 or newer"]]);

/**
 * Dense vectors are searched in int8 (scalar quantization, kept in RAM: a quarter of float32's memory) and the best
 * candidates rescored with the float originals, which may then live on disk: the embedded store's trade, done Qdrant's way.
 */
export const DENSE_QUANTIZATION: Schemas["QuantizationConfig"] = { scalar: { type: "int8", quantile: 0.99, always_ram: true } };

export function collectionBody(schema: IndexSchema, opts: CollectionOptions): Schemas["CreateCollection"] {
  const onDisk = opts.onDisk ?? false;
  return {
    vectors: schema.dimension > 0 ? { [DENSE]: { size: schema.dimension, distance: "Cosine", on_disk: onDisk } } : {},
    sparse_vectors: { [LEX]: { modifier: "idf", index: { on_disk: onDisk } } },
    ...(schema.dimension > 0 ? { quantization_config: DENSE_QUANTIZATION } : {}),
  };
}

export async function collectionExists(conn: Connection, name: string): Promise<boolean> {
  const r = await conn.call(`check collection ${name}`, (c) => c.collectionExists(name));
  return r.exists;
}

/** Creates the collection, its payload indexes and its schema record. */
export async function createCollection(conn: Connection, name: string, schema: IndexSchema, opts: CollectionOptions): Promise<void> {
  const body = collectionBody(schema, opts);
  await conn.call(`create collection ${name}`, (c) => c.createCollection(name, body));
  await ensurePayloadIndexes(conn, name, new Set());
  await writeSchemaRecord(conn, name, schema);
  conn.log.info("created qdrant collection", { url: conn.url, collection: name, embedder: schema.embedder, dimension: schema.dimension });
}

export async function ensurePayloadIndexes(conn: Connection, name: string, present: Set<string>): Promise<void> {
  for (const [field, fieldSchema] of PAYLOAD_INDEXES) {
    if (present.has(field)) continue;
    const create = conn.call(`create payload index ${name}.${field}`, (c) =>
      c.createPayloadIndex(name, { field_name: field, field_schema: fieldSchema, wait: true }),
    );
    const optional = OPTIONAL_INDEXES.get(field);
    if (!optional) await create;
    else await create.catch((err: unknown) => conn.log.warn(`qdrant payload index ${field} not created: ${optional}`, { url: conn.url, collection: name, error: String(err) }));
  }
}

export async function writeSchemaRecord(conn: Connection, name: string, schema: IndexSchema): Promise<void> {
  await conn.call(`record schema in ${name}`, (c) => c.upsert(name, { wait: true, points: [metaStruct(schema)] }));
}

export interface Inspection {
  /** What the collection holds, as far as it can be told. */
  stored: IndexSchema;
  /** Whether the schema record exists (a collection created elsewhere may lack it). */
  recorded: boolean;
  /** Why the collection cannot serve this schema; empty when it can. */
  problems: string[];
  indexed: Set<string>;
}

/** Reads the collection's vector config and schema record and compares them with the wanted schema. */
export async function inspectCollection(conn: Connection, name: string, wanted: IndexSchema): Promise<Inspection> {
  const info = await conn.call(`read collection ${name}`, (c) => c.getCollection(name));
  const params = info.config.params;
  const vectors = (params.vectors ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  let dimension = 0;
  if (typeof vectors.size === "number") {
    problems.push("it has an unnamed dense vector (not created by context-engine)");
    dimension = vectors.size;
  } else {
    const dense = vectors[DENSE] as { size?: number; distance?: string } | undefined;
    dimension = dense?.size ?? 0;
    if (dense && dense.distance !== "Cosine") problems.push(`its dense vector uses ${dense.distance} distance, not Cosine`);
  }
  const lex = (params.sparse_vectors ?? {})[LEX] as { modifier?: string | null } | undefined;
  if (!lex) problems.push(`it has no sparse vector "${LEX}"`);
  else if (lex.modifier !== "idf") problems.push(`its sparse vector "${LEX}" lacks the IDF modifier`);

  const records = await conn.call(`read schema record of ${name}`, (c) =>
    c.retrieve(name, { ids: [META_ID], with_payload: true, with_vector: false }),
  );
  const meta = records[0]?.payload as { embedder?: unknown } | undefined;
  const recorded = typeof meta?.embedder === "string";
  const stored: IndexSchema = { embedder: recorded ? (meta!.embedder as string) : "unknown", dimension };
  if (recorded && stored.embedder !== wanted.embedder) problems.push(`it was built with ${stored.embedder}`);
  if (dimension !== wanted.dimension) problems.push(`its dense vectors have ${dimension} dimensions, the embedder makes ${wanted.dimension}`);
  return { stored, recorded, problems, indexed: new Set(Object.keys(info.payload_schema ?? {})) };
}

/** Creates the collection, or checks it and completes what is missing (indexes, schema record). */
export async function ensureCollection(conn: Connection, name: string, schema: IndexSchema, opts: CollectionOptions): Promise<SchemaCheck> {
  if (!(await collectionExists(conn, name))) {
    await createCollection(conn, name, schema, opts);
    return { status: "created" };
  }
  const found = await inspectCollection(conn, name, schema);
  if (found.problems.length) {
    conn.log.warn("qdrant collection does not match the embedder", { url: conn.url, collection: name, problems: found.problems });
    return { status: "mismatch", stored: found.stored, wanted: schema };
  }
  await ensurePayloadIndexes(conn, name, found.indexed);
  // A collection whose creation stopped before its record was written: its vectors fit, so adopt it.
  if (!found.recorded) await writeSchemaRecord(conn, name, schema);
  return { status: "ok" };
}

/** One line for a person: what the index holds, what the embedder wants, what to run. */
export function describeMismatch(url: string, name: string, check: Extract<SchemaCheck, { status: "mismatch" }>): string {
  const { stored, wanted } = check;
  return (
    `Qdrant collection "${name}" at ${url} was built with ${stored.embedder} (${stored.dimension} dimensions) ` +
    `but the embedder is ${wanted.embedder} (${wanted.dimension} dimensions); it is left untouched. ` +
    `Rebuild it explicitly (context-engine init-collection --recreate, then reindex) or set EMBEDDING_MODEL back.`
  );
}

export async function dropCollection(conn: Connection, name: string): Promise<void> {
  if (await collectionExists(conn, name)) await conn.call(`delete collection ${name}`, (c) => c.deleteCollection(name));
}
