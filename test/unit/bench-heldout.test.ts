import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { changedFiles, heldOut } from "../../bench/quality/heldout.ts";

const patch = (...files: string[]) => files.map((f) => `diff --git a/${f} b/${f}\n--- a/${f}\n+++ b/${f}\n@@ -1 +1 @@\n-x\n+y\n`).join("");

describe("held-out benchmark issues (SWE-bench Verified, not in Lite)", () => {
  it("reads the files a fix changes from its diff", () => {
    assert.deepEqual(changedFiles(patch("sympy/core/add.py", "sympy/core/mul.py")), ["sympy/core/add.py", "sympy/core/mul.py"]);
    assert.deepEqual(changedFiles("--- a/old.py\n+++ /dev/null\n"), [], "a deleted file is not a gold file");
  });

  it("keeps single-file fixes of the nine repositories that Lite does not hold, with their spans", () => {
    const base = { base_commit: "abc", problem_statement: "issue text" };
    const { kept, counts } = heldOut(
      [
        { ...base, instance_id: "sympy__sympy-1", repo: "sympy/sympy", golden_patch: patch("sympy/core/add.py"), expected_spans: "{'sympy/core/add.py': ['Add._eval_is_zero']}" },
        { ...base, instance_id: "sympy__sympy-2", repo: "sympy/sympy", patch: patch("sympy/core/add.py", "sympy/core/mul.py") },
        { ...base, instance_id: "sympy__sympy-3", repo: "sympy/sympy", patch: patch("sympy/core/expr.py") },
        { ...base, instance_id: "django__django-4", repo: "django/django", patch: patch("django/db/models.py") },
      ],
      new Set(["sympy__sympy-3"]),
    );
    assert.deepEqual(kept, [
      {
        instance_id: "sympy__sympy-1", repo: "sympy/sympy", base_commit: "abc", query: "issue text",
        gold_files: ["sympy/core/add.py"], gold_spans: { "sympy/core/add.py": ["Add._eval_is_zero"] },
      },
    ]);
    assert.deepEqual(Object.fromEntries(counts), { "fix changes several files": 1, "in SWE-bench Lite": 1, "another repository": 1 });
  });
});
