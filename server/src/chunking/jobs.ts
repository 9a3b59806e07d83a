// The jobs a chunking worker runs, and their replies: shared by the worker and by the pool's in-process fallback.
import { prepareFile, type PrepareJob, type PreparedFile } from "../indexer/prepare-file.ts";
import { chunkFile, type ChunkInput, type ChunkOptions } from "./chunk-file.ts";
import type { FileChunk } from "./types.ts";

export type ChunkJob = { id: number; input: ChunkInput; opts: ChunkOptions } | { id: number; prepare: PrepareJob };

export type JobResult = { chunks: FileChunk[] } | { prepared: PreparedFile };

/**
 * `retire`: the worker's parsers grew past the pool's bound; it declines every job after this one (`declined`: send it
 * to another worker).
 */
export type ChunkReply = ({ id: number; retire?: true } & JobResult) | { id: number; error: string } | { id: number; declined: true };

/** What a worker is started with. */
export interface WorkerData {
  /** Past this many bytes of parser memory, the worker retires (see ChunkReply). */
  retireAboveBytes?: number;
}

/** Runs one job on whichever thread calls it (a worker, or the pool when a worker died). */
export function runJob(job: ChunkJob): Promise<JobResult> {
  return "prepare" in job
    ? prepareFile(job.prepare).then((prepared) => ({ prepared }))
    : chunkFile(job.input, job.opts).then((chunks) => ({ chunks }));
}

export function jobPath(job: ChunkJob): string {
  return "prepare" in job ? job.prepare.path : job.input.path;
}
