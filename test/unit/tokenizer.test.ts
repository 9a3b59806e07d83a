import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitIdentifier, tokenizeCode, tokenizePath } from "../../server/src/text/index.ts";
import { extractTerms, parseQuery, withoutHtmlComments } from "../../server/src/search/query.ts";

describe("code tokenizer", () => {
  it("keeps identifiers whole and splits camelCase, snake_case and digits", () => {
    assert.deepEqual(splitIdentifier("parseHTTPResponse2"), ["parse", "http", "response", "2"]);
    assert.deepEqual(splitIdentifier("register_hook"), ["register", "hook"]);
    const t = tokenizeCode("def register_hook(self, parseHTTPResponse): pass");
    for (const term of ["register_hook", "register", "hook", "parsehttpresponse", "parse", "http", "response", "pass"]) assert.ok(t.includes(term), term);
    assert.ok(!t.includes("def") && !t.includes("self"), "keywords dropped");
  });

  it("splits paths into segments, stems and identifier parts", () => {
    assert.deepEqual(tokenizePath("requests/models.py"), ["requests", "models"]);
    const t = tokenizePath("src/foo-bar/UserService.test.ts");
    for (const term of ["src", "foo", "bar", "userservice", "user", "service", "test"]) assert.ok(t.includes(term), term);
  });

  it("ignores absurdly long tokens and one-letter noise", () => {
    assert.deepEqual(tokenizeCode("x y z " + "a".repeat(100)), []);
  });
});

describe("query parsing", () => {
  it("parses inline filters out of the query", () => {
    const q = parseQuery('lang:python under:src/ kind:code ext:py not:"**/vendor/**" symbol:Session parse headers');
    assert.equal(q.text.replace(/\s+/g, " "), "parse headers");
    assert.deepEqual(q.filter.language, ["python"]);
    assert.equal(q.filter.under, "src/");
    assert.deepEqual(q.filter.kind, ["code"]);
    assert.deepEqual(q.filter.ext, ["py"]);
    assert.equal(q.filter.not_glob, "**/vendor/**");
    assert.equal(q.filter.symbol, "Session");
  });

  it("weighs identifiers, dotted names and file names above prose in a long issue text", () => {
    const issue =
      "Currently the Request class has a .register_hook() method but it parses the dictionary it expects from its hooks argument weirdly. " +
      "The code in Request.__init__() in requests/models.py will wrap the list in a list which then fails when the hooks are consumed. " +
      "This is especially annoying since you can not use multiple hooks from a session. ".repeat(3);
    const { terms, identifiers, paths } = extractTerms(issue);
    const w = new Map(terms.map((t) => [t.term, t.weight]));
    assert.ok(identifiers.includes("register_hook"));
    assert.ok(paths.includes("requests/models.py"));
    assert.ok(w.get("register_hook")! > w.get("annoying")!);
    assert.ok(w.get("models")! > w.get("annoying")!);
    assert.ok(terms.length <= 48);
  });

  it("takes file and function names from traceback frames", () => {
    const { identifiers, paths } = extractTerms('Traceback:\n  File "/src/app/views.py", line 12, in render_page\n    x()');
    assert.ok(paths.includes("/src/app/views.py"));
    assert.ok(identifiers.includes("render_page"));
  });

  it("reads an issue text as GitHub shows it: template comments hidden, comments in fenced code kept", () => {
    const issue = [
      "Factor with extension=True drops a factor",
      "<!-- Your title above should be a short description of what was changed. Do not include the issue number. -->",
      "factor(z, extension=[I]) returns x - 1",
      "```html",
      "<!-- sidebar_template -->",
      "```",
      "<!-- BEGIN RELEASE NOTES (unclosed: hides the rest",
      "release_entry_boilerplate",
    ].join("\n");
    const q = parseQuery(issue);
    const terms = new Set(q.terms.map((t) => t.term));
    assert.ok(terms.has("factor") && terms.has("extension"));
    for (const hidden of ["title", "description", "number", "release_entry_boilerplate", "boilerplate"]) assert.ok(!terms.has(hidden), hidden);
    assert.ok(terms.has("sidebar_template"), "a comment inside fenced code is code");
    assert.equal(withoutHtmlComments("no comments here"), "no comments here");
  });
});
