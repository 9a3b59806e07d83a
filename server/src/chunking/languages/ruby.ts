// Symbols of Ruby: methods, classes and modules (`class << self` only groups).
import type { Node } from "web-tree-sitter";
import { field, fieldText, sym, type LanguageRules, type SymbolMatch } from "./types.ts";

function symbol(node: Node): SymbolMatch | null {
  switch (node.type) {
    case "method":
    case "singleton_method":
      return sym(fieldText(node, "name"), "function", field(node, "body") ?? node);
    case "class":
    case "module": {
      // `class A::B` is B, owned by A.
      const full = fieldText(node, "name").split("::");
      const name = full.pop() ?? "";
      const kind = node.type === "class" ? "class" : "module";
      // Walk the node itself: a comment before the first statement sits beside the body, not in it.
      return sym(name, kind, node, true, full.length ? full.join(".") : undefined);
    }
    default:
      return null;
  }
}

export const ruby: LanguageRules = {
  symbol,
  scope: (node) => (node.type === "body_statement" || node.type === "singleton_class" ? node : null),
  leading: new Set(["comment"]),
};
