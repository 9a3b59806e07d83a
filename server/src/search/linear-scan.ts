// Scans of a query text that stay linear in its length whatever it holds. A query arrives from anyone who can call a
// tool, and a regular expression that tries every start position and scans to the end from each is quadratic: one
// long word of a few hundred kilobytes held the event loop for minutes. Each helper here returns exactly what its
// regular-expression form did on ordinary text (the parser's output is unchanged), in one pass.

/** Longest query any entry point takes (a long issue text with its traceback is a third of it). */
export const MAX_QUERY_CHARS = 65_536;

/** Why `text` is too long to be a query, or undefined; the parser is linear, but a 3 MB query is still no question. */
export function queryLengthProblem(text: string, what = "query"): string | undefined {
  if (text.length <= MAX_QUERY_CHARS) return undefined;
  return `the ${what} is ${text.length} characters long; the limit is ${MAX_QUERY_CHARS}: keep the part that matters (an issue's title, its error and the names it mentions)`;
}

/** Runs of this many non-space characters are no names or paths (a base64 image, minified code): they become a space. */
export const MAX_TOKEN_CHARS = 300;
const LONG_TOKEN = new RegExp(String.raw`\S{${MAX_TOKEN_CHARS},}`, "g");

/**
 * The text with every run of MAX_TOKEN_CHARS or more non-space characters replaced by a space. Done before any other
 * pattern runs, it bounds what a pattern confined to one token can cost per character.
 */
export function boundTokens(text: string): string {
  return text.replace(LONG_TOKEN, " ");
}

/**
 * The bodies of fenced code blocks, as `/```[^\n]*\n([\s\S]*?)(?:```|$)/g` captures them: from the line after an
 * opening ``` to the next ``` or the end. The expression retried every later ``` of a last line without a newline.
 */
export function fencedBlocks(text: string): string[] {
  const out: string[] = [];
  for (let open = text.indexOf("```"); open !== -1; ) {
    const newline = text.indexOf("\n", open + 3);
    if (newline === -1) break; // no ``` from here on is followed by a line
    const close = text.indexOf("```", newline + 1);
    out.push(close === -1 ? text.slice(newline + 1) : text.slice(newline + 1, close));
    if (close === -1) break;
    open = text.indexOf("```", close + 3);
  }
  return out;
}

const WORD_RUN = /\w+/g;

/**
 * The identifiers a text writes on their own: maximal runs of word characters not preceded by a dot (`f(x)`, not
 * `a.f`). A name is in this set exactly when `(?<![\w.])name\b` finds it, which per name meant a scan of the whole text.
 */
export function bareWords(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(WORD_RUN)) if (m.index === 0 || text[m.index! - 1] !== ".") out.add(m[0]);
  return out;
}

/**
 * `text.replace(pattern, replacement)` for a pattern whose one alternative `<img\b[^>]*>` needs a later `>`: past the
 * text's last `>`, that alternative can never match, yet each `<img` there scanned to the end. The tail is replaced
 * with `tailPattern`, the same pattern without that alternative (no other alternative can reach across a `>`).
 */
export function replaceUpToLastGt(text: string, pattern: RegExp, tailPattern: RegExp, replacement: string): string {
  const cut = text.lastIndexOf(">") + 1;
  return text.slice(0, cut).replace(pattern, replacement) + text.slice(cut).replace(tailPattern, replacement);
}
