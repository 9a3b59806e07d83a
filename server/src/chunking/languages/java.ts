// Symbols of Java: types are containers of methods and constructors (annotations sit inside `modifiers`).
import type { Node } from "web-tree-sitter";
import { field, fieldText, sym, type LanguageRules, type SymbolMatch } from "./types.ts";

const TYPES: Record<string, string> = {
  class_declaration: "class",
  interface_declaration: "interface",
  enum_declaration: "enum",
  record_declaration: "record",
  annotation_type_declaration: "interface",
};

function symbol(node: Node): SymbolMatch | null {
  const kind = TYPES[node.type];
  if (kind) return sym(fieldText(node, "name"), kind, field(node, "body"), true);
  switch (node.type) {
    case "method_declaration":
    case "constructor_declaration":
    case "compact_constructor_declaration":
      return sym(fieldText(node, "name"), "method", field(node, "body"));
    default:
      return null;
  }
}

export const java: LanguageRules = {
  symbol,
  // An enum's methods sit after its constants, in enum_body_declarations.
  scope: (node) => (node.type === "enum_body_declarations" ? node : null),
  leading: new Set(["line_comment", "block_comment"]),
};
