// Symbols of Python: functions, classes, and either of them under decorators.
import type { Node } from "web-tree-sitter";
import { field, fieldText, sym, type LanguageRules, type SymbolMatch } from "./types.ts";

function symbol(node: Node): SymbolMatch | null {
  switch (node.type) {
    case "function_definition":
      return sym(fieldText(node, "name"), "function", field(node, "body"));
    case "class_definition":
      return sym(fieldText(node, "name"), "class", field(node, "body"), true);
    case "decorated_definition": {
      // The decorators belong to the symbol's span, which is this node's.
      const inner = field(node, "definition");
      return inner ? symbol(inner) : null;
    }
    default:
      return null;
  }
}

export const python: LanguageRules = {
  symbol,
  scope: () => null,
  leading: new Set(["comment"]),
};
