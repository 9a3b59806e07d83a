// Symbols of Rust: items, with impl and trait blocks as containers named by their type.
import type { Node } from "web-tree-sitter";
import { field, fieldText, sym, type LanguageRules, type SymbolMatch } from "./types.ts";

function symbol(node: Node): SymbolMatch | null {
  switch (node.type) {
    case "function_item":
      return sym(fieldText(node, "name"), "function", field(node, "body"));
    case "struct_item":
    case "union_item":
      return sym(fieldText(node, "name"), "struct", null);
    case "enum_item":
      return sym(fieldText(node, "name"), "enum", null);
    case "type_item":
      return sym(fieldText(node, "name"), "type", null);
    case "macro_definition":
      return sym(fieldText(node, "name"), "macro", null);
    case "trait_item":
      return sym(fieldText(node, "name"), "trait", field(node, "body"), true);
    case "impl_item":
      return sym(typeName(field(node, "type")), "impl", field(node, "body"), true);
    case "mod_item": {
      const body = field(node, "body");
      return body ? sym(fieldText(node, "name"), "module", body, true) : null;
    }
    default:
      return null;
  }
}

/** `impl<T> fmt::Display for Foo<T>` → "Foo"; `impl Trait for &Bar` → "Bar". */
function typeName(t: Node | null): string {
  while (t) {
    switch (t.type) {
      case "generic_type":
        t = field(t, "type");
        break;
      case "scoped_type_identifier":
        t = field(t, "name");
        break;
      case "reference_type":
      case "pointer_type":
        t = field(t, "type");
        break;
      default:
        return t.text;
    }
  }
  return "";
}

export const rust: LanguageRules = {
  symbol,
  scope: () => null,
  leading: new Set(["line_comment", "block_comment", "attribute_item"]),
};
