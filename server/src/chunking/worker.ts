// Worker-thread side of the chunker pool: chunks the files it is sent, or prepares them whole for the indexer
// (read, hash, chunk, tokenize), each grammar loaded once per thread. A thread whose parsers' memory grew past the
// pool's bound (it never shrinks) says so with its reply and declines the jobs sent after it: the pool sends those to a
// fresh thread and ends this one.
import { parentPort, workerData } from "node:worker_threads";
import { parserMemoryBytes } from "./grammars.ts";
import { runJob, type ChunkJob, type ChunkReply, type WorkerData } from "./jobs.ts";

export type { ChunkJob, ChunkReply } from "./jobs.ts";

const port = parentPort;
const retireAbove = (workerData as WorkerData | undefined)?.retireAboveBytes ?? Infinity;
let retiring = false;
if (port) {
  port.on("message", (job: ChunkJob) => {
    if (retiring) {
      port.postMessage({ id: job.id, declined: true } satisfies ChunkReply);
      return;
    }
    runJob(job).then(
      (result) => {
        const retire = !retiring && parserMemoryBytes() > retireAbove;
        if (retire) retiring = true;
        port.postMessage({ id: job.id, ...result, ...(retire ? { retire } : {}) } satisfies ChunkReply);
      },
      (err: unknown) => port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) } satisfies ChunkReply),
    );
  });
}
