// Symbols of shell scripts: function definitions.
import type { Node } from "web-tree-sitter";
import { field, fieldText, sym, type LanguageRules, type SymbolMatch } from "./types.ts";

function symbol(node: Node): SymbolMatch | null {
  if (node.type !== "function_definition") return null;
  return sym(fieldText(node, "name"), "function", field(node, "body"));
}

export const bash: LanguageRules = {
  symbol,
  scope: () => null,
  leading: new Set(["comment"]),
};
