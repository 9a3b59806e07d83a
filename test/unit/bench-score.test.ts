import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { goldFunctions, scoreInstance } from "../../bench/quality/score.ts";

describe("benchmark scoring: function level", () => {
  it("counts functions and classes, not module-level blocks", () => {
    const g = goldFunctions({
      "a.py": ["imports", "impl", "impl:2", "imports:14", "Printer._print_Foo", "Printer:32", "Printer"],
      "b.py": ["helper"],
    });
    assert.deepEqual(g, [
      { path: "a.py", symbol: "Printer._print_Foo" },
      { path: "a.py", symbol: "Printer" },
      { path: "b.py", symbol: "helper" },
    ]);
    assert.deepEqual(goldFunctions({ "a.py": ["imports", "impl:3"] }), [], "only module-level code: no function gold");
  });

  it("ranks every gold function among distinct functions, a method counting for its class", () => {
    const units = [
      { path: "a.py", symbol_path: "other" },
      { path: "a.py", symbol_path: "other" },
      { path: "b.py", symbol_path: "helper" },
      { path: "a.py", symbol_path: "Printer._print_Bar" },
    ];
    const s = scoreInstance(["a.py", "a.py", "b.py", "a.py"], units, ["a.py"], goldFunctions({ "a.py": ["Printer:2"], "b.py": ["helper"] }));
    assert.equal(s.fileRank, 1);
    assert.equal(s.funcRank, 3);
    assert.equal(scoreInstance(["a.py"], units.slice(0, 1), ["a.py"], goldFunctions({ "a.py": ["missing"] })).funcRank, 0);
    assert.equal(scoreInstance(["a.py"], units, ["a.py"], goldFunctions({ "a.py": ["impl"] })).funcRank, null);
  });
});
