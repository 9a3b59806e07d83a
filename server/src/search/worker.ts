// Worker-thread side of the search pool: opens the SQLite index read-only, once, and runs the SearchEngine on the
// searches it is sent, with the dense vector the serving thread computed for each query.
import { parentPort, workerData } from "node:worker_threads";
import type { Embedder } from "../embedding/types.ts";
import { silentLogger } from "../log/index.ts";
import { openSqliteStore } from "../store/sqlite.ts";
import { SearchEngine, type FileStemsCache } from "./engine.ts";
import type { WorkerJob, WorkerReply, WorkerSetup } from "./pool.ts";

const setup = workerData as WorkerSetup;
const port = parentPort;
if (port && setup) {
  const store = openSqliteStore(setup.location, silentLogger, { driver: setup.driver, readonly: true });
  /** The query's vector as it came with the job: the embedder that made it lives on the serving thread. */
  const given = (vector: Float32Array | undefined): Embedder => ({
    name: "given",
    dimension: setup.dimension,
    embed: async () => (vector ? [vector] : []),
  });
  // One engine per job (each carries its query's vector), sharing what engines keep between searches.
  const fileStems: FileStemsCache = new Map();
  port.on("message", (job: WorkerJob) => {
    const engine = new SearchEngine({ store, embedder: given(job.vector), log: silentLogger, defaultRepo: setup.defaultRepo, fileStems });
    engine.search(job.raw, job.opts).then(
      (response) => port.postMessage({ id: job.id, response } satisfies WorkerReply),
      (err: unknown) => port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
    );
  });
}
