// Line arithmetic over one file's text: offsets computed once, spans sliced without splitting the whole file.

/** Lines that only close something (`}`, `});`, `end`, `fi`...) carry nothing worth a chunk of their own. */
const CLOSER_ONLY = /^[\s\])};,]*(?:end|fi|done|esac)?[\s\])};,]*$/;

export class LineIndex {
  readonly text: string;
  /** starts[i] = offset of line i (0-based); a last entry marks where a line after the last would start. */
  private readonly starts: number[];

  constructor(text: string) {
    this.text = text;
    const starts = [0];
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    // A final newline does not open another line; the sentinel sits one past the last line's break.
    if (starts.length === 1 || starts[starts.length - 1] !== text.length) starts.push(text.length + 1);
    this.starts = starts;
  }

  /** Number of lines (an empty text has none). */
  get count(): number {
    return this.text.length === 0 ? 0 : this.starts.length - 1;
  }

  /** Text of lines first..last (0-based, inclusive) without the final line break; CRLF read as LF. */
  slice(first: number, last: number): string {
    const start = this.starts[first];
    let end = this.starts[last + 1] - 1;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    const s = this.text.slice(start, Math.max(start, end));
    return s.includes("\r") ? s.replace(/\r\n/g, "\n") : s;
  }

  line(i: number): string {
    return this.slice(i, i);
  }

  isBlank(i: number): boolean {
    const s = this.starts[i];
    const e = this.starts[i + 1] - 1;
    for (let k = s; k < e; k++) {
      const c = this.text.charCodeAt(k);
      if (c !== 32 && c !== 9 && c !== 13 && c !== 12 && c !== 11) return false;
    }
    return true;
  }

  /** Blank, or a line that only closes brackets/blocks. */
  isTrivial(i: number): boolean {
    return this.isBlank(i) || CLOSER_ONLY.test(this.line(i));
  }

  /**
   * Shrinks [first, last] so it neither starts nor ends on a trivial line.
   * Returns null when nothing but trivial lines remain.
   */
  trim(first: number, last: number): [number, number] | null {
    while (first <= last && this.isTrivial(first)) first++;
    while (last >= first && this.isTrivial(last)) last--;
    return first <= last ? [first, last] : null;
  }

  /** Shrinks [first, last] past blank lines only (closing braces of a symbol stay). */
  trimBlank(first: number, last: number): [number, number] | null {
    while (first <= last && this.isBlank(first)) first++;
    while (last >= first && this.isBlank(last)) last--;
    return first <= last ? [first, last] : null;
  }
}
