// Word forms of English prose: "deploying", "deployed" and "deploy" are one word to a reader, three terms to BM25.
// A light inflectional stemmer (plurals, -ed, -ing; no derivations, which join words code keeps apart: "general" and
// "generate") gives each word a key, and a query word's other forms are the candidates that share its key.
import { STOPWORDS } from "./tokenizer.ts";

const VOWEL = /[aeiouy]/;
/** Double consonants an inflection adds (`stopped`, `running`); `ll`, `ss`, `zz`, `ff` belong to the word (`called`). */
const ADDED_DOUBLE = /([bdgkmnprt])\1$/;

/** The part an inflection leaves (`deploying` -> `deploy`), or the word when too little would be left. */
function withoutInflection(w: string): string {
  if (w.length <= 3) return w;
  if (w.endsWith("ies") && w.length > 4) return w.slice(0, -3) + "y";
  if (w.endsWith("ied") && w.length > 4) return w.slice(0, -3) + "y";
  if (/(?:ss|[sxz]|[cs]h)es$/.test(w)) return w.slice(0, -2);
  if (w.endsWith("s") && !/(?:ss|us|is)$/.test(w)) return w.slice(0, -1);
  for (const suffix of ["ing", "ed"]) {
    if (!w.endsWith(suffix)) continue;
    const stem = w.slice(0, -suffix.length);
    // `thing`, `string`, `need`: no word is left without a vowel or in two letters.
    if (stem.length < 3 || !VOWEL.test(stem)) return w;
    // `stopped` -> stop, `padding` -> pad; `added` keeps its `add`.
    return stem.length > 3 && ADDED_DOUBLE.test(stem) ? stem.slice(0, -1) : stem;
  }
  return w;
}

/** The key every inflected form of a word shares: `override`, `overrides`, `overriding` -> `overrid`. */
export function wordKey(word: string): string {
  const w = word.toLowerCase();
  if (!/^[a-z]+$/.test(w)) return w;
  let k = withoutInflection(w);
  if (k.length > 3 && k.endsWith("e")) k = k.slice(0, -1);
  if (k.length > 3 && k.endsWith("y") && !/[aeiou]y$/.test(k)) k = k.slice(0, -1) + "i";
  return k;
}

/** Words shorter than this have too many unrelated look-alikes to expand. */
const MIN_WORD = 4;

/**
 * The other inflected forms of a prose word (`deploying` -> deploy, deploys, deployed; `images` -> image; `entry` ->
 * entries): generated from its key, kept when they share it. Whether a form occurs anywhere is the index's to say.
 */
export function otherForms(word: string): string[] {
  const w = word.toLowerCase();
  if (w.length < MIN_WORD || !/^[a-z]+$/.test(w)) return [];
  const k = wordKey(w);
  if (k.length < 3) return [];
  const out = new Set<string>();
  const add = (...forms: string[]) => forms.forEach((f) => out.add(f));
  for (const b of [k, k + "e"]) add(b, b + "s");
  add(k + "ed", k + "ing", k + "es", k + "ed", k + "e" + "d");
  if (k.endsWith("i")) {
    const y = k.slice(0, -1) + "y";
    add(y, k + "es", k + "ed", y + "ing");
  }
  // `stop` -> stopped, stopping (one syllable ending in one consonant)
  if (/^[^aeiou]*[aeiou][bdgkmnprt]$/.test(k)) add(k + k.at(-1) + "ed", k + k.at(-1) + "ing");
  out.delete(w);
  return [...out].filter((f) => f.length >= 3 && wordKey(f) === k);
}

/** A form's weight next to the word the query wrote: evidence of the same word, a little less sure. */
export const FORM_WEIGHT = 0.7;
/** Prose words of a text: lower-case runs standing alone, not parts of identifiers, paths or options. */
const PROSE_WORD = /(?<![\w.$\/-])[A-Za-z][a-z]{3,}(?![\w$\/]|-\w|\.\w)/g;

/**
 * Terms with the other forms of the text's prose words added (a form the query holds already keeps its own weight):
 * "how do I override images when deploying" also looks for `overrides`, `image`, `deploy`.
 */
export function withWordForms<T extends { term: string; weight: number }>(terms: T[], text: string): { term: string; weight: number; form?: true }[] {
  const prose = new Set((text.match(PROSE_WORD) ?? []).map((w) => w.toLowerCase()));
  const have = new Map(terms.map((t) => [t.term, t.weight]));
  const added = new Map<string, number>();
  for (const t of terms) {
    if (!prose.has(t.term)) continue;
    for (const f of otherForms(t.term)) {
      if (have.has(f) || STOPWORDS.has(f)) continue;
      added.set(f, Math.max(added.get(f) ?? 0, Math.round(t.weight * FORM_WEIGHT * 100) / 100));
    }
  }
  return [...terms, ...[...added].map(([term, weight]) => ({ term, weight, form: true as const }))];
}
