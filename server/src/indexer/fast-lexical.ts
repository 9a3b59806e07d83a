// lexicalFields() of text/, with a memory: code repeats its identifiers, so each word is tokenized once per thread,
// and the fields come out joined as FTS5 reads them. A word is a maximal run of identifier characters; the code
// tokenizer never matches across anything else, so a text's tokens are its words' tokens in order
// (test/unit/indexer-fast-lexical.test.ts holds this to lexicalFields() on real code).
import type { FieldTexts } from "../store/lexical-text.ts";
import { tokenizeCode, tokenizePath } from "../text/index.ts";

const WORD = /[A-Za-z0-9_$]+/g;
/** Words remembered per thread; past this the memory starts again (a corpus has far fewer distinct words). */
const MAX_WORDS = 500_000;

const wordTokens = new Map<string, string>();
let lastPath = "";
let lastPathText = "";

function tokensOf(word: string): string {
  let t = wordTokens.get(word);
  if (t === undefined) {
    if (wordTokens.size >= MAX_WORDS) wordTokens.clear();
    t = tokenizeCode(word).join(" ");
    wordTokens.set(word, t);
  }
  return t;
}

function codeText(text: string): string {
  const out: string[] = [];
  WORD.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD.exec(text)) !== null) {
    const t = tokensOf(m[0]);
    if (t) out.push(t);
  }
  return out.join(" ");
}

/** The same fields as lexicalFields(chunk), joined by spaces. */
export function fastLexicalTexts(chunk: { path: string; symbol: string; symbol_path: string; text: string }): FieldTexts {
  if (chunk.path !== lastPath) {
    lastPath = chunk.path;
    lastPathText = tokenizePath(chunk.path).join(" ");
  }
  const symbol = chunk.symbol_path ? codeText(chunk.symbol_path.replace(/\./g, " ")) : chunk.symbol ? codeText(chunk.symbol) : "";
  return { symbol, path: lastPathText, body: codeText(chunk.text) };
}
