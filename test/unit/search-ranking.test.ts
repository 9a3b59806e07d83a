import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boostFor } from "../../server/src/search/boosts.ts";
import { lengthLift } from "../../server/src/search/engine.ts";
import { parseQuery } from "../../server/src/search/query.ts";
import { bestFirst, pruneTerms } from "../../server/src/store/sqlite.ts";
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

  it("lifts hand-written type declarations only for a short question about types", () => {
    const dts = point("index.d.ts", "AxiosError");
    const stub = point("pkg/core.pyi", "Core.run");
    for (const question of ["fix typing issues", "Fixing Cancel' signature", "Adding TypeScript definitions for adapters", "fix type error"]) {
      const b = boostFor(dts, parseQuery(question));
      assert.ok(b.factor > 1 && b.why.includes("type declarations asked for"), question);
      assert.ok(boostFor(stub, parseQuery(question)).factor > 1, `${question}: a .pyi stub too`);
    }
    assert.equal(boostFor(point("lib/core/AxiosError.js", "AxiosError"), parseQuery("fix type error")).factor, 1, "source files keep their score");
    assert.equal(boostFor(dts, parseQuery("cancel a request after a timeout")).factor, 1, "a question not about types leaves declarations alone");
    assert.ok(!parseQuery(ISSUE + "\nThe type of the result is wrong.").wantsTypes, "an issue text mentions types in passing");
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
    const bare = boostFor(point("requests/adapters.py", "HTTPAdapter.resolve_redirects"), parseQuery(ISSUE));
    assert.ok(bare.why[0]!.startsWith("symbol match") && bare.factor * 1.4 < boostFor(point("requests/x.py", "Session.resolve_redirects"), parseQuery(ISSUE)).factor, "a qualified name weighs well above the bare name");
    const other = boostFor(point("requests/models.py", "Request.prepare"), parseQuery(ISSUE));
    assert.equal(other.factor, 1);
  });

  it("does not take a bare __init__.py as naming every package's __init__.py", () => {
    const b = boostFor(point("pkg/sub/__init__.py"), parseQuery("something breaks in __init__.py when importing the plugin loader twice"));
    assert.ok(!b.why.some((w) => w.startsWith("path named")));
  });

  it("does not take a folder of a traceback's paths for a file's name", () => {
    const frame = (fn: string) => `  File "/site-packages/sympy/matrices/expressions/blockmatrix.py", line 9, in ${fn}\n    x = y\n`;
    const q = parseQuery(`block_collapse fails\nTraceback (most recent call last):\n${["a_b", "c_d", "e_f", "g_h"].map(frame).join("")}AttributeError: no cols\n`);
    assert.ok(q.terms.some((t) => t.term === "matrices" && t.weight >= 1.5), "the folder is a frequent word");
    assert.ok(!boostFor(point("sympy/matrices/matrices.py", "MatrixBase.cols"), q).why.some((w) => w.startsWith("file name in query")));
  });

  it("down-ranks vendored code (Python's `pkg/packages/`, a minified or versioned script), but not a monorepo's packages/", () => {
    const q = parseQuery("urllib3 exceptions pass through the requests API");
    for (const vendored of ["requests/packages/urllib3/exceptions.py", "pip/_vendor/rich/text.py", "third_party/zlib/zlib.c", "sphinx/themes/basic/static/jquery-3.5.1.js", "web/static/app.min.js"]) {
      assert.ok(boostFor(point(vendored), q).why.includes("vendored code down-ranked"), vendored);
    }
    for (const own of ["requests/adapters.py", "packages/core/src/index.ts", "web/packages/ui/button.tsx", "sphinx/themes/basic/static/searchtools.js", "src/v2.ts"]) {
      assert.ok(!boostFor(point(own), q).why.includes("vendored code down-ranked"), own);
    }
  });

  it("does not take the last folder of a named module (`sympy.vector`) for a file's name, nor boost what lies under it", () => {
    const q = parseQuery("pretty printing of vectors is broken\nfrom sympy.vector import CoordSys3D\nthe vector prints twice in a pretty print\n");
    const inside = boostFor(point("sympy/vector/vector.py", "Vector"), q);
    assert.ok(!inside.why.some((w) => w.startsWith("file name in query") || w.includes("module named")), inside.why.join("; "));
    assert.ok(boostFor(point("sympy/printing/pretty/pretty.py", "PrettyPrinter"), q).why.includes("file name in query: pretty"));
    assert.ok(boostFor(point("sympy/vector.py"), parseQuery("import sympy.vector fails\nwith a long enough text")).why[0]!.startsWith("module named"));
  });

  it("reads nothing from a run of 300+ characters without a space (a pasted base64 image)", () => {
    const blob = "iVBORw0KGgoAAAANSUhEUgAA/src/Pkg/Module.py".repeat(10);
    const q = parseQuery(`Broken plot\n![x](data:image/png;base64,${blob})\nThe Legend.draw call fails in plot_legend.\n`);
    assert.ok(!q.paths.some((p) => p.includes("Module")), q.paths.join(", "));
    assert.ok(!q.identifiers.includes("iVBORw0KGgoAAAANSUhEUgAA"));
    assert.ok(q.identifiers.includes("plot_legend") && q.memberOf.get("draw")?.has("Legend"), "the rest of the text is read as before");
  });

  it("leaves links and screenshots out of an issue, but keeps the path a link to a source file names", () => {
    const q = parseQuery(
      "Enum values are rendered ugly in signatures\nSee the screenshot <img width=\"612\" alt=\"Screen Shot\" src=\"https://user-images.githubusercontent.com/74/1359.png\">\n" +
        "and https://docs.python.org/3/library/enum.html#Enum for what values are. The code: https://github.com/sphinx-doc/sphinx/blob/e0b1e10/sphinx/util/inspect.py#L57\n" +
        "I would hope the default value is rendered the way it is written in the source, not as the repr of the member.\n",
    );
    const terms = q.terms.map((t) => t.term);
    for (const noise of ["githubusercontent", "png", "https", "com", "docs", "screen", "612"]) assert.ok(!terms.includes(noise), noise);
    assert.ok(q.paths.includes("sphinx/util/inspect.py"), q.paths.join(", "));
    assert.ok(boostFor(point("sphinx/util/inspect.py", "object_description"), q).why.some((w) => w.startsWith("path named in query")));
  });

  it("reads a data file's name (`ascii.rst`) also as a dotted module, but not a source file's (`expr.py`)", () => {
    const q = parseQuery('Please support header rows\n>>> tbl.write(sys.stdout, format="ascii.rst", header_rows=["name"])\nsympy/core/expr.py:124: in __eq__\n');
    assert.ok(boostFor(point("astropy/io/ascii/rst.py", "RST"), q).why.includes("module named in query: ascii/rst"));
    assert.ok(!q.paths.includes("expr/py") && q.paths.includes("sympy/core/expr.py"));
    assert.ok(!boostFor(point("sympy/core/expr/py.py"), q).why.some((w) => w.startsWith("module named")));
  });

  it("takes a member named under its class (`Function._eval_evalf`) as that class's, not every class's", () => {
    const q = parseQuery("evalf does not call _imp_ recursively\nThe code for this is in `Function._eval_evalf`. It isn't calling evalf on `_imp_`.\n>>> f(g(2)).evalf()\n");
    assert.ok(boostFor(point("sympy/core/function.py", "Function._eval_evalf"), q).factor >= 1.6);
    const other = boostFor(point("sympy/core/evalf.py", "EvalfMixin._eval_evalf"), q);
    assert.ok(other.factor < 1.6 && other.why[0]!.startsWith("symbol match, another class"), other.why.join("; "));
    // Written bare as well, or under a constant (`SI`) rather than a class: any class's member may be meant.
    const bare = parseQuery("Function._eval_evalf and _eval_evalf() both fail\nmore text about it here\nand here\n");
    assert.ok(boostFor(point("sympy/core/evalf.py", "EvalfMixin._eval_evalf"), bare).why.includes("symbol match: EvalfMixin._eval_evalf"));
    const constant = parseQuery("SI._collect_factor_and_dimension() cannot detect a dimensionless exponent\nmore\ntext\n");
    assert.ok(boostFor(point("sympy/physics/units/unitsystem.py", "UnitSystem._collect_factor_and_dimension"), constant).why[0]!.startsWith("symbol match: "));
  });

  it("lists the qualified names an issue writes, with each tail of two names or more, for lookup by name", () => {
    const q = parseQuery(
      "RST breaks with header rows\nTypeError: RST.__init__() got an unexpected keyword argument 'header_rows'\n" +
        "The fix belongs in sympy.core.function.Derivative._eval_subs, e.g. in index.rst or setup.py, not in 3.14.\n",
    );
    for (const name of ["RST.__init__", "Derivative._eval_subs", "function.Derivative._eval_subs", "sympy.core.function.Derivative._eval_subs"]) {
      assert.ok(q.qualified.includes(name), `${name} in ${q.qualified.join(", ")}`);
    }
    for (const name of ["__init__", "_eval_subs", "index.rst", "setup.py", "e.g", "3.14"]) assert.ok(!q.qualified.includes(name), name);
    assert.ok(boostFor(point("astropy/io/ascii/rst.py", "RST.__init__"), q).qualified);
    assert.ok(!boostFor(point("astropy/io/ascii/fixedwidth.py", "FixedWidth.__init__"), q).qualified);
  });

  it("boosts the definition of a class the title names, not a function of that name or a class named only below it", () => {
    const q = parseQuery(
      "Exception when multiplying BlockMatrix containing ZeroMatrix blocks\n>>> z = ZeroMatrix(2, 2)\n>>> b = BlockMatrix([[a, z], [z, z]])\n" +
        ">>> block_collapse(b * b * b)\nAttributeError: 'Zero' object has no attribute 'cols'\nMatrixSymbol blocks work.\n",
    );
    const cls = (path: string, name: string, kind = "class") => ({ ...point(path, name), symbol_kind: kind });
    const zero = boostFor(cls("sympy/matrices/expressions/matexpr.py", "ZeroMatrix"), q);
    assert.ok(zero.why.includes("class named in the title: ZeroMatrix"), zero.why.join("; "));
    const fn = boostFor(cls("sympy/matrices/dense.py", "ZeroMatrix", "function"), q);
    assert.ok(!fn.why.some((w) => w.startsWith("class named in the title")) && fn.factor < zero.factor);
    assert.ok(!boostFor(cls("sympy/matrices/expressions/matexpr.py", "MatrixSymbol"), q).why.some((w) => w.startsWith("class named in the title")));
    // A one-line query has no title apart from itself: nothing is boosted as named in one.
    assert.equal(parseQuery("ZeroMatrix blocks").titleNames.size, 0);
  });

  it("treats case as part of a symbol's name", () => {
    const q = parseQuery("calling expr.subs(x, 1) gives the wrong answer");
    assert.equal(boostFor(point("core/basic.py", "Basic.subs"), q).why[0], "symbol match: Basic.subs");
    const lower = q;
    assert.ok(boostFor(point("core/function.py", "Subs"), lower).why[0]!.includes("case differs"));
  });
});

describe("ranking a short question", () => {
  it("asked for tests, docs or config, no longer down-ranks them, and lifts them only a little", () => {
    const q = parseQuery("programmatic API cannot access retried test objects");
    assert.ok(q.wants.has("test"));
    const b = boostFor(point("test/unit/runner.spec.js", "Runner.retries", "test"), q);
    assert.ok(b.factor > 1 && b.factor < 1.3, String(b.factor));
    assert.ok(b.why.includes("test file asked for"));
  });

  it("does not take a format code handles (JSON, YAML) for a request for config files", () => {
    assert.ok(!parseQuery("send falsy JSON bodies").wants.has("config"));
    assert.ok(parseQuery("where are the default settings").wants.has("config"));
  });

  it("takes a file's name among a question's words for that module, as an issue's stressed name", () => {
    const f = boostFor(point("lib/reporters/landing.js"), parseQuery("landing reporter prints the plane twice"));
    assert.ok(f.why.includes("file name in query: landing"));
    const issue = parseQuery(`${ISSUE}\nthe landing page of the docs says otherwise`);
    assert.ok(!boostFor(point("docs/landing.py"), issue).why.includes("file name in query: landing"), "an issue's passing word is no name");
  });

  it("takes a name written with hyphens, or as its words in a row, for a file's kebab- or snake-case name", () => {
    for (const text of ["report no-with violations at the with keyword", "no with rule reports the statement"]) {
      const b = boostFor(point("lib/rules/no-with.js"), parseQuery(text));
      assert.ok(b.why.includes("file name in query: no-with") && b.factor > 1.3, `${text}: ${b.why.join(", ")}`);
    }
    assert.ok(boostFor(point("src/click/shell_completion.py"), parseQuery("fix shell completion for zsh")).why.includes("file name in query: shell-completion"));
    assert.equal(boostFor(point("lib/rules/no-var.js"), parseQuery("report no-with violations")).factor, 1, "another rule");
    assert.equal(boostFor(point("lib/with.js"), parseQuery("no with rule")).why.length, 0, "a one-part name is the plain stem match's");
    const issue = parseQuery(`${ISSUE}\nno with statement here, but inheritance-diagram links break`);
    assert.ok(!boostFor(point("lib/rules/no-with.js"), issue).why.some((w) => w.startsWith("file name")), "an issue's words in a row are no name");
    assert.ok(boostFor(point("sphinx/ext/inheritance_diagram.py"), issue).why.includes("file name in query: inheritance-diagram"), "its hyphenated words are");
  });

  it("lifts a chunk by its length next to the candidates' mean only mildly: an export line stays in the running", () => {
    assert.equal(lengthLift(500, 500), 1);
    const line = lengthLift(30, 1500);
    assert.ok(line > 0.5 && line < 0.6, String(line));
    const long = lengthLift(4500, 1500);
    assert.ok(long > 1.15 && long < 1.2, String(long));
    assert.equal(lengthLift(0, 1500), 1);
  });

  it("down-ranks playgrounds, sandboxes and fixtures like examples, unless examples are asked for", () => {
    for (const p of ["playground/ssr/src/app.ts", "sandbox/client.js", "test-fixtures/../fixtures/app.ts"]) {
      assert.ok(boostFor(point(p, "render"), parseQuery("render the app")).why.includes("example code down-ranked"), p);
    }
    assert.ok(!boostFor(point("src/render.ts", "render"), parseQuery("render the app")).why.includes("example code down-ranked"));
  });
});

describe("reading an issue text", () => {
  it("leaves environment dumps out: package lists, version reports and interpreter banners", () => {
    const issue = [
      "Dynamically adding an xfail marker no longer ignores the failure",
      "With 5.x, `request.node.add_marker(mark)` treated the test as xfailed.",
      "```",
      "Package                       Version",
      "----------------------------- -------",
      "aiohttp                       3.6.2",
      "markupsafe                    1.1.1   py37_0   <pip>",
      "```",
      "Python 3.6.4 |Anaconda custom (64-bit)| (default, Dec 21 2017, 15:39:08)",
      "Type 'copyright', 'credits' or 'license' for more information",
      "numpy: 1.18.1",
      "LC_ALL: None",
    ].join("\n");
    const terms = new Set(parseQuery(issue).terms.map((t) => t.term));
    for (const gone of ["aiohttp", "markupsafe", "anaconda", "copyright", "numpy", "lc_all"]) assert.ok(!terms.has(gone), gone);
    for (const kept of ["xfail", "add_marker", "marker"]) assert.ok(terms.has(kept), kept);
  });

  it("does not take the reporter's own code names or machine paths for the project's", () => {
    const issue = [
      "autodoc cannot resolve struct.Struct annotations",
      "```python",
      "def make_struct() -> struct.Struct:",
      "    mystruct = struct.Struct('HH')",
      "    return mystruct",
      "```",
      'File "/home/jan/.pyenv/versions/3.7.4/lib/python3.7/site-packages/sphinx/util/typing.py", line 12, in restify',
    ].join("\n");
    const q = parseQuery(issue);
    assert.ok(!q.identifiers.includes("make_struct") && !q.identifiers.includes("mystruct"), "defined by the reporter");
    assert.ok(q.identifiers.includes("restify") && q.identifiers.includes("Struct"));
    const terms = new Set(q.terms.map((t) => t.term));
    for (const gone of ["home", "jan", "pyenv", "versions"]) assert.ok(!terms.has(gone), gone);
    assert.ok(terms.has("typing"), "the project part of the path stays");
  });

  it("reads a short multi-line report as an issue: its title and calls count", () => {
    const q = parseQuery("ccode(sinc(x)) doesn't work\n```\nIn [30]: ccode(sinc(x))\n```\n");
    assert.ok(q.identifiers.includes("ccode"), "a called name is an identifier");
    const w = new Map(q.terms.map((t) => [t.term, t.weight]));
    assert.ok(w.get("ccode")! > w.get("work")!);
  });

  it("takes files and functions from IPython frames", () => {
    const q = parseQuery("KeyError in lookup\n\n~/site-packages/seaborn/_core.py in _lookup_single(self, key)\n--> 144 value = self.lookup_table[key]\n");
    assert.ok(q.paths.includes("~/site-packages/seaborn/_core.py"));
    assert.ok(q.identifiers.includes("_lookup_single"));
  });

  it("leaves out the call that printed a version report, but not the same call elsewhere", () => {
    const issue = [
      "DataSet.update causes chunked dask DataArray to evalute its values eagerly",
      "After `ds.update(update_dict)` the variable `foo` is no longer chunked, although it was before the update.",
      "The values are computed eagerly, which takes minutes on the real data; the chunks should be kept as they were.",
      "```python",
      "ds.update(update_dict)",
      "```",
      "**Environment**:",
      "<details><summary>Output of <tt>xr.show_versions()</tt></summary>",
      "",
      "```",
      "commit: None",
      "python: 3.8.3 (default, Jul  2 2020, 11:26:31)",
      "numpy: 1.18.1",
      "```",
    ].join("\n");
    const q = parseQuery(issue);
    assert.ok(!q.identifiers.includes("show_versions") && !q.terms.some((t) => t.term === "show_versions"), "the report's call");
    assert.ok(q.terms.some((t) => t.term === "update") && q.terms.some((t) => t.term === "chunked"));
    const about = parseQuery("xr.show_versions() fails when netCDF4 is missing\n" + "It raises ImportError instead of printing None for the missing library. ".repeat(8));
    assert.ok(about.terms.some((t) => t.term === "show_versions"), "an issue about the helper keeps it");
  });

  it("leaves pip freeze lines and a test run's session header out", () => {
    const issue = [
      "Wrong path to test file when directory changed in fixture",
      "Files are shown relative to the new directory when the working directory is changed in a fixture. This makes it",
      "impossible to jump to the error, as the editor is unaware of the change. The displayed directory should stay",
      "relative to the original directory. Here is what the run prints, with the versions installed:",
      "```",
      "attrs==19.3.0",
      "pluggy==0.13.1",
      "platform linux -- Python 3.7.5, pytest-5.3.2, py-1.8.1, pluggy-0.13.1",
      "rootdir: /home/lhn/src/pytest_path_error",
      "```",
    ].join("\n");
    const terms = new Set(parseQuery(issue).terms.map((t) => t.term));
    for (const gone of ["attrs", "pluggy", "platform", "rootdir", "lhn"]) assert.ok(!terms.has(gone), gone);
    assert.ok(terms.has("fixture"));
  });

  it("does not take a file's name for a symbol (`__init__` of `a/__init__.py`)", () => {
    const q = parseQuery("Linting fails if module contains module of the same name\nrunning `pylint a` fails:\nUnable to load file a/__init__.py\n");
    assert.ok(!q.identifiers.includes("__init__"));
    assert.ok(!boostFor(point("pylint/lint/pylinter.py", "PyLinter.__init__"), q).why.some((w) => w.startsWith("symbol match")));
    assert.ok(parseQuery("the override of __init__ drops kwargs\nclass A:\n    def __init__(self): ...\n").identifiers.includes("__init__"));
  });

  it("does not take the standard library's frames for the project's", () => {
    const issue = [
      "config regex with \\p{Han} throws",
      "Traceback (most recent call last):",
      '  File "/venv/lib/python3.9/site-packages/pylint/config/arguments_manager.py", line 244, in _parse_configuration_file',
      "    self.config, parsed_args = self._arg_parser.parse_known_args(",
      '  File "/usr/local/Cellar/python@3.9/3.9.13_1/Frameworks/Python.framework/Versions/3.9/lib/python3.9/argparse.py", line 2007, in consume_optional',
      "    take_action(action, args, option_string)",
      "re.error: bad escape \\p at position 1",
    ].join("\n");
    const q = parseQuery(issue);
    assert.ok(q.identifiers.includes("_parse_configuration_file"), "the project's frame");
    const w = new Map(q.terms.map((t) => [t.term, t.weight]));
    assert.ok(w.get("_parse_configuration_file")! > w.get("consume_optional")!, "argparse's frame weighs as a name, not as a frame");
  });

  it("also reads a hyphenated word as one (`re-writer`, `--collect-only`), as code spells it", () => {
    const q = parseQuery("Unroll all/any calls in the assertion re-writer\nI run `--collect-only` very often.\nThe built-in functions are great.\n");
    const terms = new Set(q.terms.map((t) => t.term));
    for (const joined of ["rewriter", "collectonly", "builtin"]) assert.ok(terms.has(joined), joined);
    assert.ok(terms.has("writer") && terms.has("collect"), "the parts stay");
  });

  it("turns the reported error message into phrases, and names quoted in it into identifiers", () => {
    const q = parseQuery(
      "write fails\nTraceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nValueError: Imaginary coordinates are not permitted.\nTypeError: RST.__init__() got an unexpected keyword argument 'header_rows'\n",
    );
    assert.ok(q.phrases.some((p) => p.join(" ") === "imaginary coordinates permitted"));
    assert.ok(q.identifiers.includes("header_rows"));
    assert.ok(q.identifiers.includes("RST"));
    assert.deepEqual(parseQuery("parse headers").phrases, [], "a plain query quotes nothing");
  });
});

describe("lexical pruning of long queries", () => {
  it("keeps a short query's stressed name however common, and drops common plain words when rarer terms remain", () => {
    const total = 40_000;
    const df = new Map<string, number>([["rational", 3100], ["calc", 25], ["value", 3900], ["error", 6100], ["self", 25_000]]);
    const kept = pruneTerms([{ term: "rational", weight: 3 }, { term: "calc", weight: 3 }, { term: "value", weight: 1 }, { term: "error", weight: 1 }], df, total);
    assert.deepEqual(kept.map((t) => t.term), ["rational", "calc"]);
    assert.deepEqual(pruneTerms([{ term: "self", weight: 3 }, { term: "calc", weight: 1 }], df, total).map((t) => t.term), ["calc"], "in half the chunks: no IDF");
    assert.deepEqual(pruneTerms([{ term: "value", weight: 1 }, { term: "nowhere", weight: 1 }], df, total).map((t) => t.term), ["value"], "only common terms: the rarest stay");
  });

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

  it("drops a term in half the chunks or more even when the query weighs it (the package name in every path)", () => {
    const terms = [{ term: "sympy", weight: 3 }, { term: "derivative", weight: 3 }, ...Array.from({ length: 12 }, (_, i) => ({ term: `w${i}`, weight: 1 }))];
    const df = new Map<string, number>([["sympy", 978], ["derivative", 19], ...terms.slice(2).map((t) => [t.term, 50] as [string, number])]);
    const kept = pruneTerms(terms, df, 1000).map((t) => t.term);
    assert.equal(kept[0], "derivative");
    assert.ok(!kept.includes("sympy"));
    assert.ok(pruneTerms([...terms.slice(0, 1), ...terms.slice(1)], new Map([...df, ["sympy", 300]]), 1000).some((t) => t.term === "sympy"), "a heavily weighted term below half stays");
  });
});

describe("reading summed lexical scores best first", () => {
  it("yields every row once, in the order of a full stable sort, in batches of the size asked", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const scores = new Map<number, number>();
    // Ties are common in the sample (scores on a coarse grid), so batch edges fall inside runs of equal scores.
    for (let i = 0; i < 2000; i++) scores.set(Math.floor(random() * 1e6), Math.round(random() * 40) / 4);
    const expected = [...scores].sort((a, b) => b[1] - a[1]);
    const batches = [...bestFirst(scores, 64)];
    assert.ok(batches.every((b) => b.length > 0 && b.length <= 64));
    assert.ok(batches.filter((b) => b.length < 64).length > 1, "a run of ties at a threshold ends a short batch");
    assert.deepEqual(batches.flat(), expected);
  });

  it("reads nothing from an empty map and one batch from a small one", () => {
    assert.deepEqual([...bestFirst(new Map(), 8)], []);
    assert.deepEqual([...bestFirst(new Map([[5, 1], [3, 2], [9, 2]]), 8)], [[[3, 2], [9, 2], [5, 1]]]);
  });
});
