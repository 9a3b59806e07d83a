// Chunking: files → chunks along symbol boundaries (tree-sitter), Markdown headings or line windows,
// on the calling thread (chunkFile) or on worker threads (createChunker).
export { chunkFile, loadGrammars, type ChunkInput, type ChunkOptions } from "./chunk-file.ts";
export { hasGrammar } from "./grammars.ts";
export { createChunker, type Chunker, type ChunkerOptions } from "./pool.ts";
export type { Chunk, ChunkKind, FileChunk } from "./types.ts";
