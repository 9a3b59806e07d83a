// Memoises the tokenizer model's per-word step: code repeats its identifiers, so most words are seen before.
import type { TokenizerJSON } from "./static-model.ts";

/** The part of a transformers.js tokenizer model we wrap: pre-tokenized words in, subword strings out. */
interface WordModel {
  encode(words: string[]): string[];
}

/** Bounded: a new map once full, so a huge corpus cannot grow it without limit. */
const MAX_ENTRIES = 200_000;

/**
 * The Metaspace marker a Unigram model's words may be cut at, or undefined when cutting could change the result.
 * With `split: false` a whole text is one "word" and the lattice search is quadratic-ish in its length; when no
 * vocabulary entry holds the marker past its first character, no token can cross a marker, so cutting before
 * each marker gives the same best path piece by piece and makes the pieces cacheable.
 */
export function unigramCutMarker(tj: TokenizerJSON): string | undefined {
  if (tj.model.type !== "Unigram" || !Array.isArray(tj.model.vocab)) return undefined;
  const marker = metaspaceReplacement(tj.pre_tokenizer);
  if (!marker) return undefined;
  for (const [token] of tj.model.vocab) if (token.indexOf(marker, 1) !== -1) return undefined;
  return marker;
}

function metaspaceReplacement(pre: unknown): string | undefined {
  if (!pre || typeof pre !== "object") return undefined;
  const p = pre as { type?: string; replacement?: string; pretokenizers?: unknown[] };
  if (p.type === "Metaspace") return typeof p.replacement === "string" && p.replacement.length > 0 ? p.replacement : "\u2581";
  if (p.type === "Sequence" && Array.isArray(p.pretokenizers)) {
    for (const inner of p.pretokenizers) {
      const r = metaspaceReplacement(inner);
      if (r) return r;
    }
  }
  return undefined;
}

/**
 * Replaces `model.encode` by a memoising one. Returns false (and changes nothing) when the model does not have
 * the expected shape, so a different library version is slower but never wrong.
 */
export function memoiseWordModel(model: unknown, cutMarker: string | undefined): boolean {
  if (!model || typeof (model as WordModel).encode !== "function") return false;
  const wm = model as WordModel;
  const original = wm.encode.bind(wm);
  let cache = new Map<string, string[]>();
  const encodePiece = (piece: string, out: string[]): void => {
    let sub = cache.get(piece);
    if (sub === undefined) {
      sub = original([piece]);
      if (cache.size >= MAX_ENTRIES) cache = new Map();
      cache.set(piece, sub);
    }
    for (let k = 0; k < sub.length; k++) out.push(sub[k]!);
  };
  wm.encode = (words: string[]): string[] => {
    const out: string[] = [];
    for (const word of words) {
      if (cutMarker === undefined) {
        encodePiece(word, out);
        continue;
      }
      let start = 0;
      for (let at = word.indexOf(cutMarker, 1); at !== -1; at = word.indexOf(cutMarker, at + 1)) {
        encodePiece(word.slice(start, at), out);
        start = at;
      }
      encodePiece(word.slice(start), out);
    }
    return out;
  };
  return true;
}
