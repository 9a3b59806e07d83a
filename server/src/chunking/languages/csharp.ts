// Symbols of C#: types contain methods; namespaces only group (they stay out of symbol paths, like Java packages).
import type { Node } from "web-tree-sitter";
import { field, fieldText, sym, type LanguageRules, type SymbolMatch } from "./types.ts";

const TYPES: Record<string, string> = {
  class_declaration: "class",
  struct_declaration: "struct",
  interface_declaration: "interface",
  record_declaration: "record",
  record_struct_declaration: "record",
  enum_declaration: "enum",
};

const METHODS = new Set([
  "method_declaration",
  "constructor_declaration",
  "destructor_declaration",
  "operator_declaration",
  "conversion_operator_declaration",
]);

function symbol(node: Node): SymbolMatch | null {
  const kind = TYPES[node.type];
  if (kind) return sym(fieldText(node, "name"), kind, field(node, "body"), true);
  if (METHODS.has(node.type)) return sym(methodName(node), "method", field(node, "body"));
  if (node.type === "local_function_statement") return sym(fieldText(node, "name"), "function", field(node, "body"));
  return null;
}

function methodName(node: Node): string {
  const name = fieldText(node, "name");
  if (name) return node.type === "destructor_declaration" ? `~${name}` : name;
  if (node.type === "operator_declaration") return `operator ${fieldText(node, "operator")}`.trim();
  if (node.type === "conversion_operator_declaration") return `operator ${fieldText(node, "type")}`.trim();
  return "";
}

export const csharp: LanguageRules = {
  symbol,
  scope: (node) => (node.type === "namespace_declaration" ? field(node, "body") : null),
  leading: new Set(["comment"]),
};
