// lexicalFields() of text/, with a memory: code repeats its identifiers, so each word is tokenized once per thread,
// and the fields come out joined as FTS5 reads them. A word is a maximal run of identifier characters (ASCII); the code
// tokenizer never matches across anything else, so a text's tokens are its words' tokens in order
// (test/unit/indexer-fast-lexical.test.ts holds this to lexicalFields() on real code).
import type { FieldTexts } from "../store/lexical-text.ts";
import { tokenizeCode, tokenizePath } from "../text/index.ts";

/** Identifier characters, as the code tokenizer reads them: A-Z, a-z, 0-9, _ and $ (a table beats a regex here). */
const WORD_CHAR = new Uint8Array(128);
for (const [a, b] of [[48, 57], [65, 90], [97, 122], [95, 95], [36, 36]] as const) for (let c = a; c <= b; c++) WORD_CHAR[c] = 1;
/** Words remembered per thread; past this the memory starts again (a corpus has far fewer distinct words). */
const MAX_WORDS = 500_000;

const wordTokens = new Map<string, string>();
let lastPath = "";
let lastPathText = "";

function tokensOf(word: string): string {
  let t = wordTokens.get(word);
  if (t === undefined) {
    if (wordTokens.size >= MAX_WORDS) wordTokens.clear();
    // A word sliced from a file's text is a view of the whole text (V8 slices, as do the tokenizer's matches of it):
    // kept in the memory as it is, it would keep every file this thread ever read alive. A copy holds only the word.
    const own = (" " + word).slice(1);
    t = tokenizeCode(own).join(" ");
    wordTokens.set(own, t);
  }
  return t;
}

function isWordChar(c: number): boolean {
  return c < 128 && WORD_CHAR[c] === 1;
}

function codeText(text: string): string {
  const out: string[] = [];
  const n = text.length;
  for (let i = 0; i < n; ) {
    if (!isWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (++i < n && isWordChar(text.charCodeAt(i)));
    const t = tokensOf(text.slice(start, i));
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
