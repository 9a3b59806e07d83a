export { tokenizeCode, tokenizePath, splitIdentifier, STOPWORDS } from "./tokenizer.ts";
export { lexicalFields, memoryLexicalFields, termCounts } from "./lexical.ts";
export { otherForms, withWordForms, wordKey } from "./word-forms.ts";
