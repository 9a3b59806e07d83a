// Turns segments into chunks: a segment longer than the window is cut into evenly spaced, overlapping
// windows (micro-chunks); when a file would get more windows than its cap, the windows widen until it fits.
import type { FileChunk } from "./types.ts";
import type { LineIndex } from "./lines.ts";
import type { Segment } from "./outline.ts";

export interface WindowPlan {
  /** Longest chunk, in lines; longer segments are cut into windows. */
  window: number;
  /** Lines shared by neighbouring windows, as a fraction of the window. */
  overlap: number;
  /** Shortest window worth cutting; a shorter remainder is absorbed by its neighbours. */
  minLines: number;
  /** Most windows cut from one file (0 = no cap). */
  cap: number;
  /** Longest chunk text; longer windows are cut by lines, and a longer single line by characters. */
  maxChars: number;
}

/** Micro-chunks: results point at a screenful of lines. */
export const MICRO: Omit<WindowPlan, "cap"> = { window: 50, overlap: 0.2, minLines: 5, maxChars: 16_000 };
/** Micro-chunks off: whole symbols up to a few screens, the rest in large windows. */
export const MACRO: Omit<WindowPlan, "cap"> = { window: 120, overlap: 0.15, minLines: 20, maxChars: 32_000 };

/** [first, last] pairs (0-based, inclusive) covering a..b with windows of about `size` lines. */
export function cutWindows(a: number, b: number, size: number, overlap: number, minLines: number): Array<[number, number]> {
  const length = b - a + 1;
  if (length <= size) return [[a, b]];
  const shared = Math.min(Math.floor(size * overlap), size - 1);
  const stride = size - shared;
  let n = Math.ceil((length - shared) / stride);
  // Spread the lines evenly: every window gets the same size, never a sliver at the end.
  let width = Math.ceil((length + (n - 1) * shared) / n);
  while (n > 1 && width < minLines) {
    n--;
    width = Math.ceil((length + (n - 1) * shared) / n);
  }
  if (n === 1) return [[a, b]];
  const out: Array<[number, number]> = [];
  const step = (length - width) / (n - 1);
  for (let i = 0; i < n; i++) {
    const first = a + Math.round(i * step);
    out.push([first, Math.min(b, first + width - 1)]);
  }
  out[n - 1][1] = b;
  return out;
}

function countWindows(segments: Segment[], size: number, plan: WindowPlan): number {
  let n = 0;
  for (const s of segments) {
    const length = s.last - s.first + 1;
    if (length <= size) continue;
    n += cutWindows(s.first, s.last, size, plan.overlap, plan.minLines).length;
  }
  return n;
}

/** The narrowest window (≥ plan.window) that keeps the file's window count within the cap. */
export function windowSize(segments: Segment[], plan: WindowPlan): number {
  if (plan.cap <= 0 || countWindows(segments, plan.window, plan) <= plan.cap) return plan.window;
  let longest = plan.window;
  for (const s of segments) longest = Math.max(longest, s.last - s.first + 1);
  // Window count only falls as windows widen, so a binary search finds the narrowest that fits.
  let lo = plan.window + 1;
  let hi = longest;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (countWindows(segments, mid, plan) <= plan.cap) hi = mid;
    else lo = mid + 1;
  }
  // Rounding can make the count wobble by one around the boundary; step past it.
  while (lo < longest && countWindows(segments, lo, plan) > plan.cap) lo++;
  return lo;
}

export function toChunks(segments: Segment[], lines: LineIndex, language: string, plan: WindowPlan): FileChunk[] {
  const size = windowSize(segments, plan);
  const chunks: FileChunk[] = [];
  const seen = new Set<string>();
  for (const s of segments) {
    const windows = cutWindows(s.first, s.last, size, plan.overlap, plan.minLines);
    let prevFirst = s.first - 1;
    let prevLast = s.first - 1;
    for (let w = 0; w < windows.length; w++) {
      const edges = { isFirst: w === 0, isLast: w === windows.length - 1, earliestFirst: prevFirst, latestFirst: prevLast + 1, segmentLast: s.last };
      const [first, last] = windows.length > 1 ? snap(lines, windows[w], edges, size, plan.minLines) : windows[w];
      prevFirst = first;
      prevLast = last;
      const key = `${first}:${last}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const text = lines.slice(first, last);
      const pieces = text.length > plan.maxChars ? byChars(lines, first, last, plan.maxChars) : [{ first, last, text }];
      for (const p of pieces) {
        chunks.push({
          language,
          start_line: p.first + 1,
          end_line: p.last + 1,
          symbol: s.symbol,
          symbol_kind: s.symbol_kind,
          symbol_path: s.symbol_path,
          text: p.text,
        });
      }
    }
  }
  chunks.sort((x, y) => x.start_line - y.start_line || x.end_line - y.end_line);
  return chunks;
}

// How far a window edge may move to land on a paragraph break (a blank line).
const SNAP_LINES = 3;

/**
 * Moves inner window edges to the nearest blank line within reach, keeping the window within `size` lines
 * and at least minLines, never starting before `earliestFirst` (windows advance) or after `latestFirst`
 * (the line after the previous window, so no line falls between); blank lines at the edges are dropped.
 */
function snap(
  lines: LineIndex,
  [first, last]: [number, number],
  edges: { isFirst: boolean; isLast: boolean; earliestFirst: number; latestFirst: number; segmentLast: number },
  size: number,
  minLines: number,
): [number, number] {
  const fits = (a: number, b: number) => b - a + 1 <= size && b - a + 1 >= minLines;
  if (!edges.isFirst) {
    // A paragraph starts at k when line k-1 is blank; try the nearest such k first.
    for (let d = 0; d <= SNAP_LINES; d++) {
      const k = [first - d, first + d].find(
        (k) => k > edges.earliestFirst && k <= edges.latestFirst && lines.isBlank(k - 1) && fits(k, last),
      );
      if (k !== undefined) {
        first = k;
        break;
      }
    }
  }
  if (!edges.isLast) {
    for (let d = 0; d <= SNAP_LINES; d++) {
      const k = [last - d, last + d].find((k) => k < edges.segmentLast && lines.isBlank(k + 1) && fits(first, k));
      if (k !== undefined) {
        last = k;
        break;
      }
    }
  }
  if (first > edges.latestFirst) first = edges.latestFirst;
  return lines.trimBlank(first, last) ?? [first, last];
}

/**
 * Cuts lines first..last into pieces of at most maxChars: whole lines while they fit, and a line longer
 * than that (minified or generated text) into slices that all carry its line number.
 */
function byChars(lines: LineIndex, first: number, last: number, maxChars: number): Array<{ first: number; last: number; text: string }> {
  const out: Array<{ first: number; last: number; text: string }> = [];
  let start = first;
  let length = 0;
  const flush = (end: number) => {
    if (end >= start) out.push({ first: start, last: end, text: lines.slice(start, end) });
  };
  for (let i = first; i <= last; i++) {
    const n = lines.line(i).length + 1;
    if (n > maxChars) {
      flush(i - 1);
      const line = lines.line(i);
      for (let k = 0; k < line.length; ) {
        let end = Math.min(line.length, k + maxChars);
        // Never split a surrogate pair: half an emoji is not text.
        if (end < line.length && (line.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
        out.push({ first: i, last: i, text: line.slice(k, end) });
        k = end;
      }
      start = i + 1;
      length = 0;
    } else if (length + n > maxChars) {
      flush(i - 1);
      start = i;
      length = n;
    } else {
      length += n;
    }
  }
  flush(last);
  return out;
}
