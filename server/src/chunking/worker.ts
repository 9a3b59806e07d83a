// Worker-thread side of the chunker pool: chunks the files it is sent, or prepares them whole for the indexer
// (read, hash, chunk, tokenize), each grammar loaded once per thread.
import { parentPort } from "node:worker_threads";
import { runJob, type ChunkJob, type ChunkReply } from "./jobs.ts";

export type { ChunkJob, ChunkReply } from "./jobs.ts";

const port = parentPort;
if (port) {
  port.on("message", (job: ChunkJob) => {
    runJob(job).then(
      (result) => port.postMessage({ id: job.id, ...result } satisfies ChunkReply),
      (err: unknown) => port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) } satisfies ChunkReply),
    );
  });
}
