export { tokenizeCode, tokenizePath, splitIdentifier, STOPWORDS } from "./tokenizer.ts";
export { lexicalFields, termCounts } from "./lexical.ts";
