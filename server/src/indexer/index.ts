export { Indexer, IndexCancelled, idOf, embeddingText, type IndexReport, type IndexProgress, type RunOptions, type IndexerOptions } from "./indexer.ts";
export { StateFile, readState, type IndexState, type IndexStatus } from "./state.ts";
