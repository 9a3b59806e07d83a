// Symbols of C and C++: functions (named through their declarator chain), classes, structs, enums, typedefs.
// Namespaces, `extern "C"` and preprocessor blocks only group, so the walker looks through them.
import type { Node } from "web-tree-sitter";
import { field, fieldText, sym, type LanguageRules, type SymbolMatch } from "./types.ts";

const RECORDS: Record<string, string> = {
  class_specifier: "class",
  struct_specifier: "struct",
  union_specifier: "struct",
};

const GROUPS = new Set([
  "preproc_if",
  "preproc_ifdef",
  "preproc_else",
  "preproc_elif",
  "preproc_elifdef",
]);

function symbol(node: Node): SymbolMatch | null {
  switch (node.type) {
    case "function_definition": {
      const { name, owner } = declaratorName(field(node, "declarator"));
      return name ? sym(name, owner ? "method" : "function", field(node, "body"), false, owner) : null;
    }
    case "class_specifier":
    case "struct_specifier":
    case "union_specifier": {
      const body = field(node, "body");
      return body ? sym(fieldText(node, "name"), RECORDS[node.type], body, true) : null;
    }
    case "enum_specifier":
      return field(node, "body") ? sym(fieldText(node, "name"), "enum", null) : null;
    case "type_definition": {
      // `typedef struct { ... } Name;`: the typedef is how the struct is known.
      const t = field(node, "type");
      if (!t || !field(t, "body")) return null;
      return sym(field(node, "declarator")?.text ?? "", RECORDS[t.type] ?? "type", null);
    }
    case "template_declaration": {
      const inner = node.namedChildren.find((c) => c && c.type !== "template_parameter_list");
      return inner ? symbol(inner) : null;
    }
    default:
      return null;
  }
}

/** Unwraps pointer/reference/function declarators down to the name; `Foo::bar` gives owner "Foo". */
function declaratorName(d: Node | null): { name: string; owner?: string } {
  while (d) {
    switch (d.type) {
      case "function_declarator":
      case "pointer_declarator":
      case "reference_declarator":
      case "parenthesized_declarator":
        d = field(d, "declarator") ?? d.namedChildren.find((c) => c?.type.endsWith("declarator")) ?? null;
        break;
      case "qualified_identifier": {
        const scope = field(d, "scope")?.text ?? "";
        const inner = declaratorName(field(d, "name"));
        const owner = [scope, inner.owner].filter(Boolean).join(".").replace(/::/g, ".");
        return owner ? { name: inner.name, owner } : inner;
      }
      default:
        return { name: d.text };
    }
  }
  return { name: "" };
}

function scope(node: Node): Node | null {
  if (GROUPS.has(node.type)) return node;
  if (node.type === "namespace_definition" || node.type === "linkage_specification") return field(node, "body");
  return null;
}

export const cpp: LanguageRules = {
  symbol,
  scope,
  leading: new Set(["comment"]),
};
