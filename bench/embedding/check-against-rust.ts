// Tokenizer fidelity: how many of 1,000 real code chunks get other token ids than the Rust `tokenizers` crate (what
// Python model2vec uses), with our model step and with transformers.js' own. Needs the crate installed aside:
//   mkdir /tmp/tokref && (cd /tmp/tokref && npm init -y && npm install tokenizers@0.23.2)
//   node --import tsx bench/embedding/check-against-rust.ts /tmp/tokref
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel2Vec } from "../../server/src/embedding/model2vec.ts";
import { codeChunks } from "./corpus.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const aside = path.resolve(process.argv[2] ?? "/tmp/tokref");
const require = createRequire(aside + "/");
const { Tokenizer } = require(path.join(aside, "node_modules/tokenizers"));
const MODELS = path.resolve(root, "../shared/fixtures/models");
const texts = codeChunks(path.join(root, "node_modules"), 1000);
texts.push("naïve café — 日本語 ☃☃ x☃y 😀 \u00a0tabs\tand\nnewlines", "[UNK] [PAD] foo", "");

process.stdout.write("model                      texts  ours != rust  transformers.js != rust\n");
for (const model of ["model2vec-vocab-quantized", "model2vec-float32"]) {
  const rust = Tokenizer.fromFile(path.join(MODELS, model, "tokenizer.json"));
  const ours = await loadModel2Vec(path.join(MODELS, model));
  const library = await loadModel2Vec(path.join(MODELS, model), { fastModelStep: false });
  let oursDiffer = 0;
  let libraryDiffer = 0;
  for (const t of texts) {
    const want = JSON.stringify(Array.from((await rust.encode(t, null, { addSpecialTokens: false })).getIds() as number[]));
    // Compare the raw tokenizer ids (before model2vec drops unknowns and caps the length).
    if (JSON.stringify((ours as unknown as { tokenizer: { encode(t: string): number[] } }).tokenizer.encode(t)) !== want) oursDiffer++;
    if (JSON.stringify((library as unknown as { tokenizer: { encode(t: string): number[] } }).tokenizer.encode(t)) !== want) libraryDiffer++;
  }
  process.stdout.write(`${model.padEnd(25)}  ${String(texts.length).padEnd(5)}  ${String(oursDiffer).padEnd(12)}  ${libraryDiffer}\n`);
}
