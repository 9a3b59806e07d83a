// Starting a worker thread from the TypeScript source under tsx (tests, `npm run`) or from the bundle's worker file
// beside `cli.js`: one recipe for the chunking and the search workers.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";

export interface WorkerEntry {
  /** import.meta.url of the module that starts the workers: both files below are found beside it. */
  from: string;
  /** The worker's TypeScript source (`./worker.ts`). */
  source: string;
  /** The bundle's file for it (`./chunk-worker.js`), which esbuild writes beside every chunk of the bundle. */
  bundled: string;
}

/** A function that starts one worker with this data, or null when neither the source nor the bundle can be run. */
export function workerSpawner(entry: WorkerEntry, workerData: unknown, resourceLimits?: ResourceLimits): (() => Worker) | null {
  const options = { workerData, ...(resourceLimits ? { resourceLimits } : {}) };
  if (entry.from.endsWith(".ts")) {
    let tsx: string;
    try {
      tsx = import.meta.resolve("tsx/esm/api");
    } catch {
      return null;
    }
    const source = new URL(entry.source, entry.from).href;
    // A worker neither starts from a .ts file nor inherits --import tsx: register tsx in it, then load the source.
    const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(source)}); })`;
    return () => new Worker(boot, { eval: true, ...options });
  }
  const bundled = fileURLToPath(new URL(entry.bundled, entry.from));
  return existsSync(bundled) ? () => new Worker(bundled, options) : null;
}
