import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { subjectWords } from "../../server/src/indexer/history.ts";

describe("what the history says about each file", () => {
  it("gives each file the code tokens of the subjects of the commits that changed it", () => {
    const words = subjectWords(
      [
        { subject: "Fix redirect loop on trailing slash", files: ["lib/router.js", "test/router.js"] },
        { subject: "Support parseArgs in the CLI", files: ["lib/cli.js"] },
      ],
      (p) => p.startsWith("lib/"),
    );
    assert.deepEqual(words.get("lib/router.js"), ["fix", "redirect", "loop", "trailing", "slash"]);
    assert.ok(words.get("lib/cli.js")!.includes("parseargs") && words.get("lib/cli.js")!.includes("args"));
    assert.equal(words.has("test/router.js"), false, "only the files asked for (the indexed ones)");
  });

  it("leaves out commits that touch many files, and keeps a bounded number of subjects per file", () => {
    const sweep = { subject: "Reformat everything", files: Array.from({ length: 30 }, (_, i) => `src/f${i}.py`) };
    assert.equal(subjectWords([sweep], () => true).size, 0);
    const many = Array.from({ length: 80 }, (_, i) => ({ subject: `change number${i}`, files: ["src/hot.py"] }));
    assert.equal(subjectWords(many, () => true).get("src/hot.py")!.filter((w) => w === "change").length, 50);
  });
});
