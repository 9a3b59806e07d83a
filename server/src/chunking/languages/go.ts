// Symbols of Go: functions, methods (under their receiver type) and type declarations.
import type { Node } from "web-tree-sitter";
import { field, fieldText, sym, type LanguageRules, type SymbolMatch } from "./types.ts";

const TYPE_KINDS: Record<string, string> = { struct_type: "struct", interface_type: "interface" };

function symbol(node: Node): SymbolMatch | null {
  switch (node.type) {
    case "function_declaration":
      return sym(fieldText(node, "name"), "function", field(node, "body"));
    case "method_declaration":
      return sym(fieldText(node, "name"), "method", field(node, "body"), false, receiverType(node));
    case "type_declaration": {
      // `type ( A ...; B ... )` groups several; the group is known by its first.
      const specs = node.namedChildren.filter((c) => c?.type === "type_spec" || c?.type === "type_alias");
      const spec = specs[0];
      if (!spec) return null;
      const t = specs.length === 1 ? (field(spec, "type")?.type ?? "") : "";
      return sym(fieldText(spec, "name"), TYPE_KINDS[t] ?? "type", null);
    }
    default:
      return null;
  }
}

/** `func (s *Server[T]) Serve()` → "Server". */
function receiverType(node: Node): string | undefined {
  const param = field(node, "receiver")?.namedChildren.find((c) => c?.type === "parameter_declaration");
  let t = param ? field(param, "type") : null;
  while (t && (t.type === "pointer_type" || t.type === "generic_type" || t.type === "parenthesized_type")) {
    t = t.type === "generic_type" ? field(t, "type") : t.namedChild(0);
  }
  return t?.text || undefined;
}

export const go: LanguageRules = {
  symbol,
  scope: () => null,
  leading: new Set(["comment"]),
};
