// Symbols of PHP: functions, methods and class-likes (a namespace block only groups).
import type { Node } from "web-tree-sitter";
import { field, fieldText, sym, type LanguageRules, type SymbolMatch } from "./types.ts";

const TYPES: Record<string, string> = {
  class_declaration: "class",
  interface_declaration: "interface",
  trait_declaration: "trait",
  enum_declaration: "enum",
};

function symbol(node: Node): SymbolMatch | null {
  const kind = TYPES[node.type];
  if (kind) return sym(fieldText(node, "name"), kind, field(node, "body"), true);
  switch (node.type) {
    case "function_definition":
      return sym(fieldText(node, "name"), "function", field(node, "body"));
    case "method_declaration":
      return sym(fieldText(node, "name"), "method", field(node, "body"));
    default:
      return null;
  }
}

export const php: LanguageRules = {
  symbol,
  scope: (node) => (node.type === "namespace_definition" ? field(node, "body") : null),
  leading: new Set(["comment"]),
};
