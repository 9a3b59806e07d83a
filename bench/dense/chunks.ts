// The texts the dense path embeds for the bench:index corpus: every chunk of a lexical index of it (built once and
// kept under the temp folder), as the indexer gives them to the embedder, and their lengths in model tokens.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PreTrainedTokenizer } from "@huggingface/transformers";

export const CHUNK_STORE = path.join(os.tmpdir(), "ce-dense-chunks", "index.db");

/** Every chunk's embedding text, in the store's order (files in index order, chunks in line order). */
export async function corpusTexts(corpus: string): Promise<string[]> {
  const { loadSettings } = await import("../../server/src/config/index.ts");
  const { openEngine } = await import("../../server/src/engine.ts");
  const { silentLogger } = await import("../../server/src/log/index.ts");
  const { embeddingText } = await import("../../server/src/indexer/index.ts");
  const marker = `${CHUNK_STORE}.done`;
  const settings = loadSettings({ STORE_PATH: CHUNK_STORE, EMBEDDING_PROVIDER: "none" });
  const engine = await openEngine({ root: corpus, repo: "corpus", settings, log: silentLogger });
  try {
    if (!fs.existsSync(marker)) {
      process.stderr.write(`indexing the corpus lexically into ${CHUNK_STORE} to read its chunks ...\n`);
      await engine.index();
      fs.writeFileSync(marker, corpus);
    }
    const points: { path: string; symbol_path: string; text: string }[] = [];
    for (const file of (await engine.store.listFiles("corpus")).keys()) points.push(...(await engine.store.filePoints("corpus", file)));
    return points.map(embeddingText);
  } finally {
    await engine.close();
  }
}

/** A BERT WordPiece tokenizer (the one the random-weight models are written with), truncating as the model does. */
export function wordPieceTokenizer(folder: string): (text: string) => number {
  const tok = new PreTrainedTokenizer(
    JSON.parse(fs.readFileSync(path.join(folder, "tokenizer.json"), "utf8")),
    { tokenizer_class: "BertTokenizer", model_max_length: 512, do_lower_case: true },
  );
  return (text) => Math.min(512, tok.encode(text).length);
}

/** Deterministic sample of `n` indices out of `total` (a seeded shuffle's first n, in ascending order). */
export function sampleIndices(total: number, n: number, seed = 7): number[] {
  const idx = Array.from({ length: total }, (_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = total - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = s % (i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, Math.min(n, total)).sort((a, b) => a - b);
}

/** Tokens a model runs for these texts in batches of `batch` padded to their longest, in the given order or sorted. */
export function paddedTokens(lengths: number[], batch: number, sorted: boolean): number {
  const order = sorted ? [...lengths].sort((a, b) => a - b) : lengths;
  let total = 0;
  for (let i = 0; i < order.length; i += batch) {
    const b = order.slice(i, i + batch);
    total += Math.max(...b) * b.length;
  }
  return total;
}
