// A Unigram (SentencePiece) segmenter that follows the Rust `tokenizers` crate's optimized Viterbi step for step.
// transformers.js' own lattice allocates a node object per candidate and breaks score ties differently; this one
// uses typed arrays and the same additions and comparisons as the library Python model2vec runs on, so equal-score
// segmentations resolve the same way.

/** Rust's K_UNK_PENALTY: an unknown character scores this much below the rarest token. */
const UNK_PENALTY = 10;
const NONE = -1;

/** A character trie over UTF-16 code units, its transitions in one open-addressing hash table. */
class CodeUnitTrie {
  private parents: Int32Array;
  private codes: Int32Array;
  private children: Int32Array;
  private mask: number;
  /** node -> token id ending there, or NONE. */
  tokenAt: Int32Array;
  private nodes = 1;

  constructor(totalChars: number) {
    let size = 1;
    while (size < totalChars * 2 + 16) size <<= 1;
    this.mask = size - 1;
    this.parents = new Int32Array(size).fill(NONE);
    this.codes = new Int32Array(size);
    this.children = new Int32Array(size);
    this.tokenAt = new Int32Array(totalChars + 2).fill(NONE);
  }

  private slot(node: number, code: number): number {
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(code, 0x85ebca6b)) & this.mask;
    while (this.parents[h] !== NONE && (this.parents[h] !== node || this.codes[h] !== code)) h = (h + 1) & this.mask;
    return h;
  }

  child(node: number, code: number): number {
    const h = this.slot(node, code);
    return this.parents[h] === NONE ? NONE : this.children[h]!;
  }

  insert(token: string, id: number): void {
    let node = 0;
    for (let i = 0; i < token.length; i++) {
      const code = token.charCodeAt(i);
      const h = this.slot(node, code);
      if (this.parents[h] === NONE) {
        this.parents[h] = node;
        this.codes[h] = code;
        this.children[h] = this.nodes++;
      }
      node = this.children[h]!;
    }
    this.tokenAt[node] = id;
  }
}

export class UnigramViterbi {
  private readonly trie: CodeUnitTrie;
  private readonly scores: Float64Array;
  private readonly unkScore: number;
  private best = new Float64Array(0);
  private startsAt = new Int32Array(0);
  private ids = new Int32Array(0);

  constructor(
    vocab: [string, number][],
    private readonly unkId: number,
  ) {
    let total = 0;
    for (const [token] of vocab) total += token.length;
    this.trie = new CodeUnitTrie(total);
    this.scores = new Float64Array(vocab.length);
    // As in Rust: a repeated token keeps its last id, and that id's score.
    const idOf = new Map<string, number>();
    let min = Infinity;
    vocab.forEach(([token, score], id) => {
      idOf.set(token, id);
      this.scores[id] = score;
      if (score < min) min = score;
    });
    for (const [token, id] of idOf) this.trie.insert(token, id);
    this.unkScore = min - UNK_PENALTY;
  }

  private grow(n: number): void {
    if (this.best.length >= n) return;
    const size = Math.max(n, this.best.length * 2);
    this.best = new Float64Array(size);
    this.startsAt = new Int32Array(size);
    this.ids = new Int32Array(size);
  }

  /** The best segmentation of `text` as token strings; runs of unknown characters are fused into one piece. */
  encode(text: string): string[] {
    const size = text.length;
    if (size === 0) return [];
    this.grow(size + 1);
    const { best, startsAt, ids, scores, trie } = this;
    startsAt.fill(NONE, 0, size + 1);
    best[0] = 0;
    for (let start = 0; start < size; ) {
      const till = best[start]!;
      const c = text.charCodeAt(start);
      const charLen = c >= 0xd800 && c <= 0xdbff && start + 1 < size ? 2 : 1;
      let single = false;
      let node = 0;
      for (let end = start; end < size; end++) {
        node = trie.child(node, text.charCodeAt(end));
        if (node === NONE) break;
        const id = trie.tokenAt[node]!;
        if (id === NONE) continue;
        const at = end + 1;
        const candidate = scores[id]! + till;
        if (startsAt[at] === NONE || candidate > best[at]!) {
          best[at] = candidate;
          startsAt[at] = start;
          ids[at] = id;
        }
        if (at - start === charLen) single = true;
      }
      if (!single) {
        const at = start + charLen;
        const candidate = this.unkScore + till;
        if (startsAt[at] === NONE || candidate > best[at]!) {
          best[at] = candidate;
          startsAt[at] = start;
          ids[at] = this.unkId;
        }
      }
      start += charLen;
    }
    const pieces: string[] = [];
    let unkEnd = NONE;
    for (let end = size; end > 0; ) {
      const start = startsAt[end]!;
      if (ids[end] === this.unkId) {
        if (unkEnd === NONE) unkEnd = end;
      } else {
        if (unkEnd !== NONE) pieces.push(text.slice(end, unkEnd));
        unkEnd = NONE;
        pieces.push(text.slice(start, end));
      }
      end = start;
    }
    if (unkEnd !== NONE) pieces.push(text.slice(0, unkEnd));
    return pieces.reverse();
  }
}
