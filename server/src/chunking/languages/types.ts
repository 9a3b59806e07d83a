// What the outline walker needs to know about one grammar: which nodes are symbols, which only scope others.
import type { Node } from "web-tree-sitter";

export interface SymbolMatch {
  name: string;
  /** function | method | class | interface | struct | enum | trait | impl | module | type | macro. */
  kind: string;
  /** A qualifier written outside the enclosing scopes: Go's receiver, C++'s `Foo::`, JS's `Foo.prototype`. */
  owner?: string;
  /** Where nested symbols live; null for leaves. */
  body: Node | null;
  /** Class-like: members always get chunks of their own. Others are only opened up when too large. */
  container: boolean;
}

export interface LanguageRules {
  /** The symbol this node declares (wrappers such as `export` or decorators included), or null. */
  symbol(node: Node): SymbolMatch | null;
  /**
   * Nodes that only group declarations (namespaces, preprocessor blocks, `extern "C"`): returns the node whose
   * children are walked as if they were the parent's, or null.
   */
  scope(node: Node): Node | null;
  /** Node types that belong to the symbol right below them (comments, decorators, attributes). */
  leading: ReadonlySet<string>;
}

export function field(node: Node, name: string): Node | null {
  return node.childForFieldName(name);
}

export function fieldText(node: Node, name: string): string {
  return node.childForFieldName(name)?.text ?? "";
}

/** The first named child of one of the given types. */
export function childOfType(node: Node, ...types: string[]): Node | null {
  for (const c of node.namedChildren) if (c && types.includes(c.type)) return c;
  return null;
}

export function sym(name: string, kind: string, body: Node | null, container = false, owner?: string): SymbolMatch {
  return owner ? { name, kind, body, container, owner } : { name, kind, body, container };
}

export const NO_SCOPE = (): Node | null => null;
