export type * from "./types.ts";
export { SqliteStore, openSqliteStore } from "./sqlite.ts";
export { pointId, chunkPointId } from "./ids.ts";
export { globMatcher } from "./glob.ts";
