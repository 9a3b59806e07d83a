export { Indexer, IndexCancelled, idOf, embeddingText, type IndexReport, type IndexProgress, type RunOptions, type IndexerOptions } from "./indexer.ts";
export { StateFile, readState, type IndexState, type IndexStatus } from "./state.ts";
export { fillDense, denseKey, denseLine, count, type DenseFillReport, type DenseFillOptions } from "./dense-fill.ts";
export { DenseBackground } from "./dense-background.ts";
