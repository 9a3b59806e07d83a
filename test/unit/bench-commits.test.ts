import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cleanSubject, goldOf, namesIdentifier, selectCommits, type CommitRecord } from "../../bench/quality/commits.ts";

describe("commit-subject benchmark recipe", () => {
  it("cleans a subject of its conventional prefix, tags and pull-request numbers", () => {
    assert.equal(cleanSubject("fix(runtime-core): handle null props in setup (#1234)"), "handle null props in setup");
    assert.equal(cleanSubject("[docs] :bug: Fix redirect loop with trailing slash #77"), "Fix redirect loop with trailing slash");
    assert.equal(cleanSubject("feat!: allow async validators (closes #12)."), "allow async validators");
  });

  it("leaves housekeeping out: skipped types, releases, bumps, typo fixes, too short or too long", () => {
    for (const s of ["chore: update deps", "docs(readme): fix example", "build(deps): bump hbs from 4.2.0 to 4.2.1 (#7152)", "Release 4.18.0", "fix typo in comment", "v1.2.3", "cleanup", "a ".repeat(25).trim()]) {
      assert.equal(cleanSubject(s), undefined, s);
    }
  });

  it("tells questions that name an identifier from those that do not", () => {
    for (const q of ["use req.socket over req.connection", "add `toString` guard", "support parseArgs()", "honour show_default", "fix defineProps types", "add --forbid-only"]) assert.ok(namesIdentifier(q), q);
    for (const q of ["throw errors when users access removed middleware", "Fix crash from error within OPTIONS response handler"]) assert.ok(!namesIdentifier(q), q);
  });

  it("takes the product's modified source files as gold, not tests, docs, tooling, new or renamed files", () => {
    const ch = (status: string, path: string) => ({ status, path });
    assert.deepEqual(goldOf([ch("M", "lib/response.js"), ch("M", "test/res.send.js"), ch("M", "History.md"), ch("A", "lib/new.js"), ch("M", "karma.conf.js")]), ["lib/response.js"]);
    assert.equal(goldOf([ch("M", "test/a.spec.ts")]), undefined, "no product file");
    assert.equal(goldOf([ch("M", "lib/a.js"), ch("R100", "lib/b.js")]), undefined, "a renamed source file");
    assert.equal(goldOf(["a", "b", "c", "d", "e"].map((n) => ch("M", `src/${n}.py`))), undefined, "a sweep of many files");
  });

  it("spreads a repository's picks evenly over its eligible commits, one question per subject", () => {
    const rec = (i: number, subject = `handle case number ${i} in the parser`): CommitRecord => ({
      sha: `${i}`.padStart(40, "0"), parent: `${i + 1}`.padStart(40, "0"), time: 1000 - i, subject, changes: [{ status: "M", path: "src/parser.ts" }],
    });
    const records = [...Array.from({ length: 10 }, (_, i) => rec(i)), rec(10, "handle case number 0 in the parser"), rec(11, "chore: release")];
    const picked = selectCommits(records, "o/proj", 5);
    assert.equal(picked.length, 5);
    assert.deepEqual(picked.map((p) => p.query), [0, 2, 4, 6, 8].map((i) => `handle case number ${i} in the parser`));
    assert.equal(picked[0]!.instance_id, "proj@0000000000");
    assert.equal(picked[0]!.base_commit, "1".padStart(40, "0"));
  });
});
