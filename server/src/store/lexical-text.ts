// Lexical fields in the form FTS5 reads them: each field's tokens joined by single spaces. Tokens never hold a space,
// so the arrays come back exactly; carrying three strings instead of thousands of small ones saves the indexer a
// structured clone per token (worker -> main thread), the garbage, and the join before each insert.
import type { LexicalFields } from "./types.ts";

export interface FieldTexts {
  symbol: string;
  path: string;
  body: string;
}

class JoinedFields implements LexicalFields {
  private split: Partial<LexicalFields> = {};
  constructor(readonly texts: FieldTexts) {}
  get symbol(): string[] {
    return (this.split.symbol ??= words(this.texts.symbol));
  }
  get path(): string[] {
    return (this.split.path ??= words(this.texts.path));
  }
  get body(): string[] {
    return (this.split.body ??= words(this.texts.body));
  }
}

function words(text: string): string[] {
  return text ? text.split(" ") : [];
}

/** The fields joined, as FTS5 columns take them. */
export function joinFields(l: LexicalFields): FieldTexts {
  return { symbol: l.symbol.join(" "), path: l.path.join(" "), body: l.body.join(" ") };
}

/** Lexical fields backed by their joined texts; the token arrays are made only if someone asks for them. */
export function fieldsOfTexts(texts: FieldTexts): LexicalFields {
  return new JoinedFields(texts);
}

/** The FTS5 column texts of any lexical fields: held ones as they are, arrays joined. */
export function ftsColumns(l: LexicalFields): FieldTexts {
  return l instanceof JoinedFields ? l.texts : joinFields(l);
}
