// The indexer's memoised tokenization gives exactly the lexical fields the text tokenizer gives, on real code.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { chunkFile } from "../../server/src/chunking/index.ts";
import { languageOf } from "../../server/src/files/index.ts";
import { fastLexicalTexts } from "../../server/src/indexer/fast-lexical.ts";
import { joinFields } from "../../server/src/store/lexical-text.ts";
import { lexicalFields } from "../../server/src/text/index.ts";

const serverSrc = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../server/src");

test("memoised lexical fields equal lexicalFields() for every chunk of the server's own sources", async () => {
  const files = readdirSync(serverSrc, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).slice(0, 120);
  assert.ok(files.length > 50);
  for (const rel of files) {
    const text = readFileSync(path.join(serverSrc, rel), "utf8");
    const chunks = await chunkFile({ path: rel, text, language: languageOf(rel) }, { microChunks: true, maxMicroChunks: 200 });
    for (const c of chunks) {
      const chunk = { ...c, path: `server/src/${rel}` };
      assert.deepEqual(fastLexicalTexts(chunk), joinFields(lexicalFields(chunk)), `${rel}:${c.start_line}`);
    }
  }
});

test("memoised lexical fields equal lexicalFields() on edge cases: digits, $, unicode, long and stop words", () => {
  const texts = [
    "parseHTTPResponse2 register_hook $scope __init__ _private$ 1st 2fa 123 a1$b2 x$ $ _ __",
    "café naïve Größe résumé 変数名 value_été crème_brûlée",
    "the function return import from this self null",
    "a".repeat(70) + " " + "b_".repeat(40) + " short_ok",
    "obj.method().then(x=>x.y_z)//comment/*block*/ 'str' \"dq\" `tpl${inner}`",
    "",
  ];
  for (const text of texts) {
    for (const symbol_path of ["", "Outer.innerMethod", "weird$.name_2"]) {
      const chunk = { path: "src/some-dir/my_file.name.ts", symbol: "innerMethod", symbol_path, text };
      assert.deepEqual(fastLexicalTexts(chunk), joinFields(lexicalFields(chunk)), JSON.stringify(text));
    }
  }
});
