// Cuts a parsed file into segments along symbol boundaries: each symbol (with the comments and decorators
// right above it) is one segment, class-like symbols are opened up into their members, symbols too large
// for one chunk are opened up to find nested ones, and the lines in between become segments of the
// enclosing symbol. Only top-level nodes, members and oversized nodes are visited, never the whole tree.
import type { Node } from "web-tree-sitter";
import type { LanguageRules, SymbolMatch } from "./languages/index.ts";
import type { LineIndex } from "./lines.ts";
import { CLASS_LIKE } from "./types.ts";

/** A span of lines (0-based, inclusive) attributed to one symbol; windows.ts turns it into chunks. */
export interface Segment {
  first: number;
  last: number;
  symbol: string;
  symbol_kind: string;
  symbol_path: string;
}

interface Scope {
  symbol: string;
  kind: string;
  path: string;
  depth: number;
}

// Deep enough for real nesting, shallow enough that a pathological tree cannot blow the stack.
const MAX_DEPTH = 24;
const MAX_NAME = 120;

/** Last line of a node: a node ending at column 0 ends on the line before (it swallowed a newline). */
export function lastRow(node: Node): number {
  const end = node.endPosition;
  return end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
}

export class Outliner {
  constructor(
    private readonly rules: LanguageRules,
    private readonly lines: LineIndex,
    /** A symbol up to this many lines stays whole; a larger one is searched for nested symbols. */
    private readonly maxLines: number,
  ) {}

  outline(root: Node): Segment[] {
    const out: Segment[] = [];
    if (this.lines.count === 0) return out;
    this.walk(root, { symbol: "", kind: "", path: "", depth: 0 }, 0, this.lines.count - 1, out);
    return out;
  }

  /**
   * Emits segments for the children of `parent` within lines lo..hi. Returns false (and emits nothing)
   * when no symbol lies inside, so the caller can keep those lines in one piece.
   */
  private walk(parent: Node, scope: Scope, lo: number, hi: number, out: Segment[], lead: [number, number] = [-1, -1]): boolean {
    const local: Segment[] = [];
    const covered: Array<[number, number]> = [];
    // Comments met just before a grouping node may lead the first symbol inside it.
    let [leadFirst, leadLast] = lead;
    let prevLast = -1;
    for (const child of parent.namedChildren) {
      if (!child) continue;
      const first = child.startPosition.row;
      const last = lastRow(child);
      if (this.rules.leading.has(child.type) && !(first === 0 && this.lines.line(0).startsWith("#!"))) {
        // A comment on the line where code ended trails that code; it does not lead the next symbol.
        if (first <= prevLast) continue;
        if (leadFirst >= 0 && first <= leadLast + 1) leadLast = last;
        else [leadFirst, leadLast] = [first, last];
        continue;
      }
      const match = this.rules.symbol(child);
      if (match) {
        const start = leadFirst >= 0 && leadLast >= first - 1 ? leadFirst : first;
        this.emitSymbol(match, start, last, scope, local);
        covered.push([start, last]);
      } else {
        const grouping = this.rules.scope(child);
        const inner = grouping ?? (last - first + 1 > this.maxLines ? child : null);
        if (inner && inner.namedChildCount > 0 && scope.depth < MAX_DEPTH) {
          const carried: [number, number] = grouping && leadFirst >= 0 ? [leadFirst, leadLast] : [-1, -1];
          const from = carried[0] >= 0 ? Math.min(carried[0], first) : first;
          if (this.walk(inner, { ...scope, depth: scope.depth + 1 }, from, last, local, carried)) covered.push([from, last]);
        }
      }
      leadFirst = -1;
      prevLast = last;
    }
    if (covered.length === 0) return false;
    this.emitGaps(scope, lo, hi, covered, local);
    for (const s of local) out.push(s);
    return true;
  }

  private emitSymbol(match: SymbolMatch, first: number, last: number, scope: Scope, out: Segment[]): void {
    const kind = match.kind === "function" && CLASS_LIKE.has(scope.kind) ? "method" : match.kind;
    const name = tidy(match.name);
    const prefix = join(scope.path, tidy(match.owner ?? ""));
    const inner: Scope = { symbol: name, kind, path: join(prefix, name), depth: scope.depth + 1 };
    const opened =
      match.body !== null &&
      // A one-line class keeps its members: they would share its line anyway.
      ((match.container && last > first) || last - first + 1 > this.maxLines) &&
      scope.depth < MAX_DEPTH &&
      this.walk(match.body, inner, first, last, out);
    if (opened) return;
    const span = this.lines.trimBlank(first, last);
    if (span) out.push({ first: span[0], last: span[1], symbol: inner.symbol, symbol_kind: kind, symbol_path: inner.path });
  }

  /** The lines of lo..hi outside every covered span, in runs, attributed to the enclosing symbol. */
  private emitGaps(scope: Scope, lo: number, hi: number, covered: Array<[number, number]>, out: Segment[]): void {
    covered.sort((a, b) => a[0] - b[0]);
    let next = lo;
    const gap = (a: number, b: number) => {
      const span = a <= b ? this.lines.trim(a, b) : null;
      if (span) out.push({ first: span[0], last: span[1], symbol: scope.symbol, symbol_kind: scope.kind, symbol_path: scope.path });
    };
    for (const [a, b] of covered) {
      if (a > next) gap(next, Math.min(a - 1, hi));
      next = Math.max(next, b + 1);
    }
    if (next <= hi) gap(next, hi);
  }
}

/** Names come from source text: a test title or a C++ declarator may span lines or run long. */
function tidy(name: string): string {
  const s = /\s\s|[\n\r\t]/.test(name) ? name.replace(/\s+/g, " ").trim() : name;
  return s.length > MAX_NAME ? s.slice(0, MAX_NAME) : s;
}

function join(a: string, b: string): string {
  return a && b ? `${a}.${b}` : a || b;
}
