// The one-file update both index benchmarks measure: ten mid-sized JavaScript files of the index, each edited on disk
// and re-indexed through the watcher's path (Indexer.updatePaths), timed one by one.
import { appendFileSync } from "node:fs";
import path from "node:path";
import type { Engine } from "../../server/src/engine.ts";
import type { FileRecord } from "../../server/src/store/types.ts";

export async function timeOneFileUpdates(engine: Engine, corpus: string, files: Map<string, FileRecord>, tag: string): Promise<number[]> {
  const picked = [...files.values()].filter((f) => f.path.endsWith(".js") && f.size > 2000 && f.size < 20000).slice(0, 10);
  const ms: number[] = [];
  for (const f of picked) {
    appendFileSync(path.join(corpus, f.path), `\n// ${tag} ${Date.now()}\n`);
    const t = performance.now();
    await engine.indexer.updatePaths([f.path]);
    ms.push(performance.now() - t);
  }
  return ms;
}
