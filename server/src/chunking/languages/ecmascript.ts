// Symbols of JavaScript, TypeScript and TSX (the three grammars share their node names).
import type { Node } from "web-tree-sitter";
import { field, fieldText, sym, type LanguageRules, type SymbolMatch } from "./types.ts";

const FUNCTION_VALUES = new Set([
  "arrow_function",
  "function_expression",
  "function",
  "generator_function",
]);
const CLASS_VALUES = new Set(["class", "class_expression"]);
const SUITE_CALLS = new Set(["describe", "context", "suite"]);
const TEST_CALLS = new Set(["it", "test", "specify"]);
// Receivers that say "this module", not an owner worth putting in a symbol path.
const MODULE_OBJECTS = new Set(["module", "exports", "window", "global", "globalThis", "self", "this"]);

function declaration(node: Node): SymbolMatch | null {
  switch (node.type) {
    case "function_declaration":
    case "generator_function_declaration":
    case "function_signature":
      return sym(fieldText(node, "name"), "function", field(node, "body"));
    case "class_declaration":
    case "abstract_class_declaration":
    case "class":
      return sym(fieldText(node, "name") || "default", "class", field(node, "body"), true);
    case "interface_declaration":
      return sym(fieldText(node, "name"), "interface", null);
    case "type_alias_declaration":
      return sym(fieldText(node, "name"), "type", null);
    case "enum_declaration":
      return sym(fieldText(node, "name"), "enum", null);
    case "internal_module":
    case "module":
      return sym(unquote(fieldText(node, "name")), "module", field(node, "body"), true);
    case "lexical_declaration":
    case "variable_declaration":
      return variable(node);
    case "expression_statement": {
      const inner = node.namedChild(0);
      if (inner?.type === "internal_module") return declaration(inner);
      if (inner?.type === "assignment_expression") return assignment(inner);
      if (inner?.type === "call_expression") return testCall(inner);
      return null;
    }
    case "ambient_declaration": {
      const inner = node.namedChild(0);
      if (!inner) return null;
      // `declare global { ... }`
      if (inner.type === "statement_block") return sym("global", "module", inner, true);
      return declaration(inner);
    }
    case "export_statement": {
      const inner = field(node, "declaration") ?? field(node, "value");
      if (!inner) return null;
      if (FUNCTION_VALUES.has(inner.type)) return sym(fieldText(inner, "name") || "default", "function", field(inner, "body"));
      return declaration(inner);
    }
    default:
      return null;
  }
}

/** `const handler = async () => {}`, `const Foo = class {}`. Plain values are not symbols. */
function variable(node: Node): SymbolMatch | null {
  for (const d of node.namedChildren) {
    if (d?.type !== "variable_declarator") continue;
    const value = field(d, "value");
    if (!value) continue;
    const name = fieldText(d, "name");
    if (FUNCTION_VALUES.has(value.type)) return sym(name, "function", field(value, "body"));
    if (CLASS_VALUES.has(value.type)) return sym(name, "class", field(value, "body"), true);
  }
  return null;
}

/** `Foo.prototype.bar = function () {}`, `exports.baz = () => {}`, `module.exports = function named() {}`. */
function assignment(node: Node): SymbolMatch | null {
  const left = field(node, "left");
  const right = field(node, "right");
  if (!left || !right || left.type !== "member_expression") return null;
  const isFunction = FUNCTION_VALUES.has(right.type);
  if (!isFunction && !CLASS_VALUES.has(right.type)) return null;
  let name = fieldText(left, "property");
  const object = field(left, "object");
  let owner: string | undefined;
  if (object?.type === "member_expression" && fieldText(object, "property") === "prototype") {
    const cls = field(object, "object");
    if (cls?.type === "identifier") owner = cls.text;
  } else if (object?.type === "identifier" && !MODULE_OBJECTS.has(object.text)) {
    owner = object.text;
  }
  // `module.exports = function named() {}` is better known by its own name.
  if (name === "exports" && object?.text === "module") name = fieldText(right, "name") || "exports";
  return isFunction
    ? sym(name, "function", field(right, "body"), false, owner)
    : sym(name, "class", field(right, "body"), true, owner);
}

/** `describe("Session", () => {...})` is a suite and `it("retries", ...)` a test, both named by their title. */
function testCall(call: Node): SymbolMatch | null {
  let callee = field(call, "function");
  // describe.only / it.skip / test.concurrent
  if (callee?.type === "member_expression") callee = field(callee, "object");
  if (callee?.type !== "identifier") return null;
  const suite = SUITE_CALLS.has(callee.text);
  if (!suite && !TEST_CALLS.has(callee.text)) return null;
  const args = field(call, "arguments")?.namedChildren ?? [];
  const title = args[0];
  if (!title || (title.type !== "string" && title.type !== "template_string")) return null;
  const callback = args.find((a) => a !== null && FUNCTION_VALUES.has(a.type));
  if (!callback) return null;
  return sym(unquote(title.text), suite ? "suite" : "test", field(callback, "body"), suite);
}

function member(node: Node): SymbolMatch | null {
  switch (node.type) {
    case "method_definition":
      return sym(memberName(field(node, "name")), "method", field(node, "body"));
    case "public_field_definition":
    case "field_definition": {
      const value = field(node, "value");
      if (!value || !FUNCTION_VALUES.has(value.type)) return null;
      return sym(memberName(field(node, "name") ?? field(node, "property")), "method", field(value, "body"));
    }
    case "pair": {
      // Object literal members are met only inside large objects the walker opens up.
      const value = field(node, "value");
      if (!value || !FUNCTION_VALUES.has(value.type)) return null;
      return sym(memberName(field(node, "key")), "method", field(value, "body"));
    }
    default:
      return null;
  }
}

function memberName(n: Node | null): string {
  if (!n) return "";
  return unquote(n.text);
}

function unquote(s: string): string {
  return s.length >= 2 && /^["'`]/.test(s) && s[s.length - 1] === s[0] ? s.slice(1, -1) : s;
}

export const ecmascript: LanguageRules = {
  symbol: (node) => declaration(node) ?? member(node),
  scope: () => null,
  leading: new Set(["comment", "decorator"]),
};
