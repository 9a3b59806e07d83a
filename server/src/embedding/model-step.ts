// Speeds up the per-word model step of a transformers.js tokenizer without changing its output: Unigram models get
// the Rust crate's Viterbi (exact, and far cheaper than the library's lattice), and words seen before are memoised.
import type { TokenizerJSON } from "./static-model.ts";
import { UnigramViterbi } from "./unigram-viterbi.ts";

/** The part of a transformers.js tokenizer model we replace: pre-tokenized words in, token strings out. */
interface WordModel {
  encode(words: string[]): string[];
}

/** Words longer than this are not memoised (the Rust crate's own limit); whole texts never repeat. */
const MAX_CACHED_WORD = 256;
/** Bounded: a fresh map once full, so a huge corpus cannot grow it without limit. */
const MAX_ENTRIES = 100_000;

export interface ModelStepReport {
  viterbi: boolean;
  memo: boolean;
}

function unigramFor(tj: TokenizerJSON): UnigramViterbi | undefined {
  const m = tj.model as { type?: string; vocab?: unknown; unk_id?: number | null; byte_fallback?: boolean };
  if (m.type !== "Unigram" || !Array.isArray(m.vocab) || m.byte_fallback || typeof m.unk_id !== "number") return undefined;
  return new UnigramViterbi(m.vocab as [string, number][], m.unk_id);
}

/**
 * Replaces `model.encode`. Leaves a model of an unexpected shape alone (reported as not replaced), so another
 * library version can be slower but never wrong.
 */
export function speedUpModelStep(model: unknown, tj: TokenizerJSON): ModelStepReport {
  if (!model || typeof (model as WordModel).encode !== "function") return { viterbi: false, memo: false };
  const wm = model as WordModel;
  const viterbi = unigramFor(tj);
  const library = wm.encode.bind(wm);
  const encodeWord = viterbi ? (w: string) => viterbi.encode(w) : (w: string) => library([w]);
  let cache = new Map<string, string[]>();
  wm.encode = (words: string[]): string[] => {
    const out: string[] = [];
    for (const word of words) {
      let pieces = word.length <= MAX_CACHED_WORD ? cache.get(word) : undefined;
      if (pieces === undefined) {
        pieces = encodeWord(word);
        if (word.length <= MAX_CACHED_WORD) {
          if (cache.size >= MAX_ENTRIES) cache = new Map();
          cache.set(word, pieces);
        }
      }
      for (let k = 0; k < pieces.length; k++) out.push(pieces[k]!);
    }
    return out;
  };
  return { viterbi: viterbi !== undefined, memo: true };
}
