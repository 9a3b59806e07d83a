// The code tokenizer: identifiers kept whole and split into their parts, so `registerHook`, `register_hook`
// and "register hook" meet. One function feeds FTS5, sparse vectors and query parsing alike.

// A number-led identifier (`2d_array`) starts at the first digit of a run: tried from every digit of a long number, the
// expression scanned the rest of the run each time (quadratic); a match never starts inside a run anyway.
const IDENT = /[A-Za-z_$][A-Za-z0-9_$]*|(?<![0-9])[0-9]+[A-Za-z_][A-Za-z0-9_]*/g;
const MAX_TOKEN = 64;

/** Words too common in code or prose to discriminate anything; dropped from bodies and queries. */
export const STOPWORDS = new Set(
  (
    "a an and are as at be but by for from has have if in into is it its of on or that the this to was were will with " +
    "not no yes can could should would may might do does did done so than then there these those we you they he she " +
    "i me my our your their them what which who when where why how all any each some such only also just very more most " +
    "var let const def fn func function return returns self this cls new end elif else true false null none nil " +
    "public private protected static void int str string bool boolean import from export default use using package " +
    "include require module"
  ).split(" "),
);

/** Splits one identifier into lower-case parts: `parseHTTPResponse2` -> parse, http, response, 2. */
export function splitIdentifier(id: string): string[] {
  const parts: string[] = [];
  for (const piece of id.split(/[_$]+/)) {
    if (!piece) continue;
    const m = piece.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g);
    if (m) for (const p of m) parts.push(p.toLowerCase());
  }
  return parts;
}

/**
 * Terms of a text: each identifier lower-cased whole, plus its parts when it is compound.
 * Stopwords and one-letter parts are dropped; digits-only parts are kept only inside identifiers.
 */
export function tokenizeCode(text: string, out: string[] = []): string[] {
  IDENT.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = IDENT.exec(text)) !== null) {
    const raw = m[0];
    if (raw.length > MAX_TOKEN) continue;
    const whole = raw.toLowerCase().replace(/^[_$]+|[_$]+$/g, "");
    if (whole.length < 2) continue;
    const parts = splitIdentifier(raw);
    if (parts.length <= 1) {
      if (!STOPWORDS.has(whole)) out.push(whole);
      continue;
    }
    out.push(whole);
    for (const p of parts) if (p.length >= 2 && !STOPWORDS.has(p)) out.push(p);
  }
  return out;
}

/** Terms of a path: every segment, the file stem, the extension and identifier parts of each. */
export function tokenizePath(filePath: string): string[] {
  const out: string[] = [];
  const segments = filePath.split("/").filter(Boolean);
  for (const seg of segments) {
    const dot = seg.lastIndexOf(".");
    const stem = dot > 0 ? seg.slice(0, dot) : seg;
    tokenizeCode(stem.replace(/[-.]/g, " "), out);
  }
  return out;
}
