// Regenerates test/unit/fixtures/embedding/rust-tokenizer-ids.json: token ids from the Rust `tokenizers` crate, the
// tokenizer Python model2vec runs on, for real code chunks. Not a project dependency; install it aside:
//   mkdir /tmp/tokref && (cd /tmp/tokref && npm init -y && npm install tokenizers@0.23.2)
//   node --import tsx bench/embedding/make-rust-reference.ts /tmp/tokref
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel2Vec } from "../../server/src/embedding/model2vec.ts";
import { codeChunks } from "./corpus.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const aside = path.resolve(process.argv[2] ?? "/tmp/tokref");
const require = createRequire(aside + "/");
const { Tokenizer } = require(path.join(aside, "node_modules/tokenizers"));
const all = codeChunks(path.join(root, "node_modules"), 1000);
const F = path.resolve(root, "../shared/fixtures/models") + "/";
const rustQ = Tokenizer.fromFile(F + "model2vec-vocab-quantized/tokenizer.json");
const lib = await loadModel2Vec(F + "model2vec-vocab-quantized", { fastModelStep: false });
const ids = async (t: any, c: string) => Array.from((await t.encode(c, null, { addSpecialTokens: false })).getIds() as number[]);
const differing: string[] = [];
for (const c of all) if (JSON.stringify(await ids(rustQ, c)) !== JSON.stringify((lib as any).tokenizer.encode(c))) differing.push(c);
const texts = [...differing, ...all.filter((_, i) => i % 20 === 0), "naïve café — 日本語 ☃☃ x☃y 😀 \u00a0tabs\tand\nnewlines", "[UNK] [PAD] foo", "hello world", ""];
const out: any = { provenance: "token ids from the Rust `tokenizers` crate (npm `tokenizers` 0.23.2, Tokenizer.fromFile + encode(text, null, {addSpecialTokens: false})), the tokenizer Python model2vec uses; texts are ~30-line windows of MIT/Apache-licensed npm packages' sources. The first " + differing.length + " text(s) are ones where transformers.js 4.3.1's own Unigram lattice breaks a score tie differently.", texts, ids: {} };
for (const d of ["model2vec-vocab-quantized", "model2vec-float32"]) {
  const t = Tokenizer.fromFile(F + d + "/tokenizer.json");
  out.ids[d] = [];
  for (const c of texts) out.ids[d].push(await ids(t, c));
}
const target = path.join(root, "test/unit/fixtures/embedding/rust-tokenizer-ids.json");
fs.writeFileSync(target, JSON.stringify(out));
process.stdout.write(`${texts.length} texts (${differing.length} where transformers.js differs) -> ${path.relative(root, target)}\n`);
