// The only server types the extension imports: result shapes and the sync protocol.
export type { SearchResult } from "./search/types.ts";
export * from "./sync/protocol.ts";
