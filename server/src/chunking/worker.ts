// Worker-thread side of the chunker pool: chunks the files it is sent, each grammar loaded once per thread.
import { parentPort } from "node:worker_threads";
import { chunkFile, type ChunkInput, type ChunkOptions } from "./chunk-file.ts";

export interface ChunkJob {
  id: number;
  input: ChunkInput;
  opts: ChunkOptions;
}

export type ChunkReply = { id: number; chunks: Awaited<ReturnType<typeof chunkFile>> } | { id: number; error: string };

const port = parentPort;
if (port) {
  port.on("message", (job: ChunkJob) => {
    chunkFile(job.input, job.opts).then(
      (chunks) => port.postMessage({ id: job.id, chunks } satisfies ChunkReply),
      (err: unknown) => port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) } satisfies ChunkReply),
    );
  });
}
