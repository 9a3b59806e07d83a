import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boostFor } from "../../server/src/search/boosts.ts";
import { parseQuery } from "../../server/src/search/query.ts";
import { pruneTerms } from "../../server/src/store/sqlite.ts";
import type { Point } from "../../server/src/store/types.ts";

function point(path: string, symbol_path = "", kind: Point["kind"] = "code"): Point {
  const symbol = symbol_path.split(".").pop() ?? "";
  return {
    id: path + symbol_path, repo: "r", path, language: "python", start_line: 1, end_line: 2, symbol, symbol_kind: symbol ? "function" : "",
    symbol_path, kind, text: "", file_hash: "h", lexical: { symbol: [], path: [], body: [] },
  };
}

const ISSUE = `Session.resolve_redirects copies the original request
When pytest runs the tests, the docs say a 303 should switch to GET. Here is what happens:

Traceback (most recent call last):
  File "/usr/lib/python3/site-packages/requests/sessions.py", line 12, in resolve_redirects
    prepared = self.prepare_request(req)
ValueError: bad method
`;

describe("ranking an issue text", () => {
  it("does not take a long issue's passing mention of tests or docs as asking for them", () => {
    const q = parseQuery(ISSUE);
    assert.equal(q.wants.size, 0);
    const b = boostFor(point("tests/test_sessions.py", "test_redirect", "test"), q);
    assert.ok(b.factor < 1 && b.why.includes("test file down-ranked"));
    assert.ok(parseQuery("session tests").wants.has("test"), "a short query still asks for tests");
  });

  it("weighs the title and traceback frames above prose", () => {
    const w = new Map(parseQuery(ISSUE).terms.map((t) => [t.term, t.weight]));
    assert.ok(w.get("resolve_redirects")! > w.get("happens")!);
    assert.ok(w.get("copies")! > w.get("happens")!, "title words weigh more");
  });

  it("matches a traceback's absolute path to the repository file, and a qualified name to its symbol", () => {
    const b = boostFor(point("requests/sessions.py", "Session.resolve_redirects"), parseQuery(ISSUE));
    assert.ok(b.why.some((w) => w.startsWith("path named in query")));
    assert.ok(b.why.some((w) => w.startsWith("qualified name in query")));
    assert.ok(b.factor > 2);
    const other = boostFor(point("requests/models.py", "Request.prepare"), parseQuery(ISSUE));
    assert.equal(other.factor, 1);
  });

  it("does not take a bare __init__.py as naming every package's __init__.py", () => {
    const b = boostFor(point("pkg/sub/__init__.py"), parseQuery("something breaks in __init__.py when importing the plugin loader twice"));
    assert.ok(!b.why.some((w) => w.startsWith("path named")));
  });

  it("treats case as part of a symbol's name", () => {
    const q = parseQuery("calling expr.subs(x, 1) gives the wrong answer");
    assert.equal(boostFor(point("core/basic.py", "Basic.subs"), q).why[0], "symbol match: Basic.subs");
    const lower = q;
    assert.ok(boostFor(point("core/function.py", "Subs"), lower).why[0]!.includes("case differs"));
  });
});

describe("lexical pruning of long queries", () => {
  it("drops terms no chunk holds and common prose, and keeps rare identifiers", () => {
    const terms = [
      { term: "resolve_redirects", weight: 3 }, { term: "request", weight: 1 }, { term: "nowhere", weight: 3 },
      ...Array.from({ length: 12 }, (_, i) => ({ term: `w${i}`, weight: 1 })),
    ];
    const df = new Map<string, number>([["resolve_redirects", 3], ["request", 900], ["nowhere", 0], ...terms.slice(3).map((t) => [t.term, 50] as [string, number])]);
    const kept = pruneTerms(terms, df, 1000).map((t) => t.term);
    assert.equal(kept[0], "resolve_redirects");
    assert.ok(!kept.includes("nowhere") && !kept.includes("request"));
  });
});
