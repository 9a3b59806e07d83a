// Chunk boundaries per language: each symbol is its own chunk with symbol, kind and dotted path.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hasGrammar, loadGrammars } from "../../server/src/chunking/index.ts";
import { parserFor } from "../../server/src/chunking/grammars.ts";
import { assertTextMatchesLines, bySymbol, chunk, describe, lineOf, span, uncovered } from "./chunking-helpers.ts";

const TS = `import { Injectable } from "@angular/core";

/** Talks to the API. */
@Injectable({
  providedIn: "root",
})
export class Session extends Base {
  private retries = 3;

  constructor(private http: Http) {
    super();
  }

  async request(url: string): Promise<Response> {
    return this.http.get(url);
  }

  onClose = () => {
    this.closed = true;
  };
}

export interface Options {
  timeout: number;
}

export type Id = string | number;

export const handler = async (event: Event) => {
  return ok(event);
};

export function helper(a: number): number {
  return a * 2;
}

namespace Util {
  export function clamp(x: number) {
    return x;
  }
}
`;

test("typescript: classes split into members, exported functions, arrows, types and namespaces are symbols", async () => {
  const chunks = await chunk("typescript", TS);
  const cls = bySymbol(chunks, "Session");
  assert.equal(cls.symbol_kind, "class");
  // The class header chunk starts at its doc comment and decorator and stops before the first method.
  assert.deepEqual(span(cls), [lineOf(TS, "/** Talks"), lineOf(TS, "private retries")]);
  assert.deepEqual(span(bySymbol(chunks, "Session.constructor")), [lineOf(TS, "constructor("), lineOf(TS, "super();") + 1]);
  const request = bySymbol(chunks, "Session.request");
  assert.equal(request.symbol, "request");
  assert.equal(request.symbol_kind, "method");
  assert.deepEqual(span(request), [lineOf(TS, "async request"), lineOf(TS, "return this.http") + 1]);
  assert.equal(bySymbol(chunks, "Session.onClose").symbol_kind, "method");
  assert.equal(bySymbol(chunks, "Options").symbol_kind, "interface");
  assert.equal(bySymbol(chunks, "Id").symbol_kind, "type");
  assert.deepEqual(span(bySymbol(chunks, "handler")), [lineOf(TS, "export const handler"), lineOf(TS, "return ok") + 1]);
  assert.equal(bySymbol(chunks, "helper").symbol_kind, "function");
  assert.equal(bySymbol(chunks, "Util.clamp").symbol_kind, "function");
  const imports = chunks.find((c) => c.start_line === 1);
  assert.equal(imports?.symbol, "", "the import block belongs to no symbol");
  assert.deepEqual(uncovered(TS, chunks), []);
  assertTextMatchesLines(TS, chunks);
});

test("tsx: components are symbols", async () => {
  const src = `import React from "react";\n\nexport function App({ name }: Props) {\n  return <div className="app">{name}</div>;\n}\n\nconst Button = () => <button />;\n`;
  const chunks = await chunk("tsx", src);
  assert.deepEqual(span(bySymbol(chunks, "App")), [3, 5]);
  assert.deepEqual(span(bySymbol(chunks, "Button")), [7, 7]);
});

test("javascript: prototype and exports assignments are named by their property and owner", async () => {
  const src = `'use strict';\n\nfunction Router(opts) {\n  this.opts = opts;\n}\n\nRouter.prototype.handle = function handle(req, res) {\n  return next();\n};\n\nexports.createServer = function () {\n  return new Server();\n};\n\nclass Server {\n  listen(port) {\n    return port;\n  }\n}\n`;
  const chunks = await chunk("javascript", src);
  assert.equal(bySymbol(chunks, "Router").symbol_kind, "function");
  assert.deepEqual(span(bySymbol(chunks, "Router.handle")), [7, 9]);
  assert.deepEqual(span(bySymbol(chunks, "createServer")), [11, 13]);
  assert.equal(bySymbol(chunks, "Server.listen").symbol_kind, "method");
});

const PY = `import os


@dataclass
class Session(Base):
    """A session."""

    timeout: int = 3

    @property
    def closed(self):
        return self._closed

    def request(self, url):
        def inner():
            return url
        return inner()


def top_level(x):
    # comment inside
    return x


if __name__ == "__main__":
    top_level(1)
`;

test("python: decorated classes and methods, module-level code apart", async () => {
  const chunks = await chunk("python", PY);
  assert.deepEqual(span(bySymbol(chunks, "Session")), [lineOf(PY, "@dataclass"), lineOf(PY, "timeout: int")]);
  assert.deepEqual(span(bySymbol(chunks, "Session.closed")), [lineOf(PY, "@property"), lineOf(PY, "return self._closed")]);
  const request = bySymbol(chunks, "Session.request");
  assert.equal(request.symbol_kind, "method");
  assert.deepEqual(span(request), [lineOf(PY, "def request"), lineOf(PY, "return inner()")]);
  assert.deepEqual(span(bySymbol(chunks, "top_level")), [lineOf(PY, "def top_level"), lineOf(PY, "return x")]);
  const main = chunks.find((c) => c.text.startsWith("if __name__"));
  assert.equal(main?.symbol, "");
  assert.deepEqual(uncovered(PY, chunks), []);
});

test("go: methods are paths under their receiver type; comments lead their declaration", async () => {
  const src = `package server\n\nimport "net/http"\n\n// Server serves.\ntype Server struct {\n\taddr string\n}\n\nfunc (s *Server) Serve(w http.ResponseWriter) error {\n\treturn nil\n}\n\nfunc (c Cache[K, V]) Get(k K) V {\n\treturn c.m[k]\n}\n\nfunc New() *Server {\n\treturn &Server{}\n}\n\ntype Handler interface {\n\tHandle()\n}\n`;
  const chunks = await chunk("go", src);
  const server = bySymbol(chunks, "Server");
  assert.equal(server.symbol_kind, "struct");
  assert.deepEqual(span(server), [5, 8]);
  const serve = bySymbol(chunks, "Server.Serve");
  assert.equal(serve.symbol_kind, "method");
  assert.deepEqual(span(serve), [10, 12]);
  assert.equal(bySymbol(chunks, "Cache.Get").symbol, "Get");
  assert.equal(bySymbol(chunks, "New").symbol_kind, "function");
  assert.equal(bySymbol(chunks, "Handler").symbol_kind, "interface");
});

test("rust: impl blocks are containers named by their type; attributes and doc comments lead items", async () => {
  const src = `use std::fmt;\n\n/// A point.\n#[derive(Debug)]\npub struct Point {\n    x: i32,\n}\n\nimpl fmt::Display for Point {\n    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {\n        write!(f, "{}", self.x)\n    }\n}\n\nimpl<T> Stack<T> {\n    pub fn push(&mut self, v: T) {\n        self.items.push(v);\n    }\n}\n\ntrait Shape {\n    fn area(&self) -> f64;\n    fn name(&self) -> String {\n        String::new()\n    }\n}\n\nmod geometry {\n    pub fn origin() -> i32 {\n        0\n    }\n}\n\nfn main() {}\n`;
  const chunks = await chunk("rust", src);
  const point = chunks.filter((c) => c.symbol_path === "Point");
  assert.deepEqual(point.map((c) => [c.symbol_kind, ...span(c)]), [["struct", 3, 7], ["impl", 9, 9]], "the struct, then the impl's header line");
  const fmt = bySymbol(chunks, "Point.fmt");
  assert.equal(fmt.symbol_kind, "method");
  assert.deepEqual(span(fmt), [10, 12]);
  assert.equal(bySymbol(chunks, "Stack.push").symbol_kind, "method");
  assert.equal(bySymbol(chunks, "Shape.name").symbol_kind, "method");
  assert.equal(bySymbol(chunks, "geometry.origin").symbol_kind, "function");
  assert.equal(bySymbol(chunks, "main").symbol_kind, "function");
});

test("java: constructors, methods, nested types and enum methods", async () => {
  const src = `package app;\n\nimport java.util.List;\n\n/** Users. */\n@Service\npublic class UserService {\n    private final Repo repo;\n\n    public UserService(Repo repo) {\n        this.repo = repo;\n    }\n\n    @Override\n    public List<User> findAll() {\n        return repo.all();\n    }\n\n    enum Role {\n        ADMIN, USER;\n\n        boolean isAdmin() {\n            return this == ADMIN;\n        }\n    }\n}\n`;
  const chunks = await chunk("java", src);
  assert.deepEqual(span(bySymbol(chunks, "UserService")), [5, 8]);
  assert.deepEqual(span(bySymbol(chunks, "UserService.UserService")), [10, 12]);
  assert.deepEqual(span(bySymbol(chunks, "UserService.findAll")), [14, 17]);
  assert.equal(bySymbol(chunks, "UserService.Role.isAdmin").symbol_kind, "method");
});

test("csharp: namespaces group without entering paths; methods and properties' class", async () => {
  const src = `using System;\n\nnamespace Shop.Orders\n{\n    /// <summary>An order.</summary>\n    [Serializable]\n    public class Order : Entity\n    {\n        public int Id { get; set; }\n\n        public Order(int id)\n        {\n            Id = id;\n        }\n\n        public decimal Total()\n        {\n            return 0m;\n        }\n    }\n\n    public interface IRepo\n    {\n        Order Find(int id);\n    }\n}\n`;
  const chunks = await chunk("csharp", src);
  const order = bySymbol(chunks, "Order");
  assert.equal(order.symbol_kind, "class");
  assert.deepEqual(span(order), [5, 9]);
  assert.deepEqual(span(bySymbol(chunks, "Order.Order")), [11, 14]);
  assert.deepEqual(span(bySymbol(chunks, "Order.Total")), [16, 19]);
  assert.equal(bySymbol(chunks, "IRepo").symbol_kind, "interface");
});

test("cpp: classes, out-of-line methods, templates, namespaces and include guards", async () => {
  const src = `#ifndef WIDGET_H\n#define WIDGET_H\n\n#include <string>\n\nnamespace ui {\n\n// A widget.\nclass Widget : public Base {\n public:\n  Widget();\n  void draw() const {\n    paint();\n  }\n\n private:\n  int w_;\n};\n\nWidget::Widget() : w_(0) {}\n\ntemplate <typename T>\nT clamp(T v, T lo, T hi) {\n  return v < lo ? lo : v;\n}\n\n}  // namespace ui\n\n#endif\n`;
  const chunks = await chunk("cpp", src);
  const widget = chunks.filter((c) => c.symbol_path === "Widget");
  // Header (comment, class line, access specifier, declarations), then the fields after the inline method.
  assert.deepEqual(widget.map(span), [[8, 11], [16, 17]]);
  assert.deepEqual(span(bySymbol(chunks, "Widget.draw")), [12, 14]);
  const ctor = bySymbol(chunks, "Widget.Widget");
  assert.equal(ctor.symbol_kind, "method");
  assert.deepEqual(span(ctor), [20, 20]);
  assert.deepEqual(span(bySymbol(chunks, "clamp")), [22, 25]);
  assert.deepEqual(uncovered(src, chunks), []);
});

test("c: parsed with the C++ grammar; functions, typedef structs and enums", async () => {
  const src = `#include <stdio.h>\n\ntypedef struct {\n  int x;\n} point_t;\n\nenum color { RED, GREEN };\n\nstatic int add(int a, int b) {\n  return a + b;\n}\n\nchar *name_of(point_t *p) {\n  return NULL;\n}\n`;
  assert.ok(hasGrammar("c"));
  const chunks = await chunk("c", src);
  assert.equal(bySymbol(chunks, "point_t").symbol_kind, "struct");
  assert.equal(bySymbol(chunks, "color").symbol_kind, "enum");
  assert.deepEqual(span(bySymbol(chunks, "add")), [9, 11]);
  assert.deepEqual(span(bySymbol(chunks, "name_of")), [13, 15]);
});

test("ruby: modules and classes nest in paths; class << self only groups", async () => {
  const src = `require "json"\n\nmodule Billing\n  # An invoice.\n  class Invoice < Base\n    attr_reader :total\n\n    def initialize(total)\n      @total = total\n    end\n\n    def self.build\n      new(0)\n    end\n\n    class << self\n      def parse(s)\n        JSON.parse(s)\n      end\n    end\n  end\nend\n`;
  const chunks = await chunk("ruby", src);
  assert.deepEqual(span(bySymbol(chunks, "Billing.Invoice.initialize")), [8, 10]);
  assert.equal(bySymbol(chunks, "Billing.Invoice.initialize").symbol_kind, "method");
  assert.deepEqual(span(bySymbol(chunks, "Billing.Invoice.build")), [12, 14]);
  assert.deepEqual(span(bySymbol(chunks, "Billing.Invoice.parse")), [17, 19]);
  const header = chunks.find((c) => c.start_line === 4);
  assert.equal(header?.symbol_path, "Billing.Invoice", describe(chunks));
});

test("php: classes, traits, methods and functions", async () => {
  const src = `<?php\n\nnamespace App\\Models;\n\nuse Illuminate\\Model;\n\n/** A user. */\nclass User extends Model\n{\n    protected $table = 'users';\n\n    public function posts()\n    {\n        return $this->hasMany(Post::class);\n    }\n}\n\ntrait Greets\n{\n    public function hello() { return 'hi'; }\n}\n\nfunction helper($x)\n{\n    return $x;\n}\n`;
  const chunks = await chunk("php", src);
  assert.deepEqual(span(bySymbol(chunks, "User")), [7, 10]);
  assert.deepEqual(span(bySymbol(chunks, "User.posts")), [12, 15]);
  assert.equal(bySymbol(chunks, "Greets.hello").symbol_kind, "method");
  assert.deepEqual(span(bySymbol(chunks, "helper")), [23, 26]);
});

test("bash: functions are symbols; the shebang stays with the script, not the first function", async () => {
  const src = `#!/usr/bin/env bash\nset -euo pipefail\n\n# Prints usage.\nusage() {\n  echo "usage"\n}\n\nfunction deploy {\n  kubectl apply -f k8s/\n}\n\nusage\n`;
  const chunks = await chunk("bash", src);
  assert.deepEqual(span(bySymbol(chunks, "usage")), [4, 7]);
  assert.deepEqual(span(bySymbol(chunks, "deploy")), [9, 11]);
  assert.equal(chunks[0].start_line, 1);
  assert.equal(chunks[0].symbol, "");
});

test("every language of the brief has a grammar; markdown and data formats do not", () => {
  for (const l of ["typescript", "tsx", "javascript", "python", "go", "rust", "java", "csharp", "cpp", "c", "ruby", "php", "bash"]) {
    assert.ok(hasGrammar(l), l);
  }
  for (const l of ["markdown", "json", "yaml", "toml", "html", "css", "text", "kotlin"]) assert.ok(!hasGrammar(l), l);
});

test("javascript/typescript test files: describe blocks are suites and it/test calls are tests, named by their titles", async () => {
  const src = `import { describe, it } from "node:test";\n\ndescribe("Session", () => {\n  beforeEach(() => {\n    reset();\n  });\n\n  it("retries on 503", async () => {\n    await retry();\n  });\n\n  describe.skip("close", () => {\n    test(\`is idempotent\`, () => {\n      close();\n    });\n  });\n});\n\ntest("top-level test", () => {\n  ok();\n});\n`;
  const chunks = await chunk("typescript", src);
  assert.equal(chunks.filter((c) => c.symbol_path === "Session")[0].symbol_kind, "suite");
  const retries = bySymbol(chunks, "Session.retries on 503");
  assert.deepEqual([retries.symbol, retries.symbol_kind, ...span(retries)], ["retries on 503", "test", 8, 10]);
  assert.deepEqual(span(bySymbol(chunks, "Session.close.is idempotent")), [13, 15]);
  assert.equal(bySymbol(chunks, "top-level test").symbol_kind, "test");
  assert.deepEqual(uncovered(src, chunks), []);
});

test("every grammar loads from @vscode/tree-sitter-wasm; a language without one is refused by name", async () => {
  await loadGrammars();
  await assert.rejects(parserFor("kotlin"), /no tree-sitter grammar for language "kotlin"/);
});
