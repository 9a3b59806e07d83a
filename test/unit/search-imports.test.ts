// Multi-file localisation: files linked to the best hit by an import rise, below it.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine } from "../../server/src/engine.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { importTargets, namesPath } from "../../server/src/search/imports.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

describe("import links", () => {
  it("reads relative and package imports of JavaScript and TypeScript", () => {
    const t = importTargets("src/server/hooks.ts", [
      `import { send } from "./reply";`,
      `import type { Options } from '../types/options.js';`,
      `export * from "./plugins/index";`,
      `const fs = require("node:fs"); const x = require('lodash');`,
      `const lazy = await import("../lazy/loader.mjs");`,
    ].join("\n"));
    assert.ok(namesPath(t.find((x) => x === "/src/server/reply")!, "src/server/reply.ts"));
    assert.ok(t.some((x) => namesPath(x, "src/types/options.ts")));
    assert.ok(t.some((x) => namesPath(x, "src/server/plugins/index.js")), "a folder's index file");
    assert.ok(t.some((x) => namesPath(x, "src/lazy/loader.ts")));
    assert.ok(!t.some((x) => namesPath(x, "node_modules/lodash/index.js")), "a bare package name is too vague to follow");
  });

  it("reads absolute, relative and from-imports of Python", () => {
    const t = importTargets("pkg/core/expr.py", [
      "from pkg.core.numbers import Integer, Rational",
      "from . import basic",
      "from ..utils.misc import (filldedent,",
      "import pkg.polys.polytools as pt, os",
      "    from pkg.simplify import simplify  # local import",
    ].join("\n"));
    assert.ok(t.some((x) => namesPath(x, "pkg/core/numbers.py")));
    assert.ok(t.some((x) => namesPath(x, "pkg/core/basic.py")), "from . import basic: a module of the package");
    assert.ok(t.some((x) => namesPath(x, "pkg/utils/misc.py")));
    assert.ok(t.some((x) => namesPath(x, "pkg/polys/polytools.py")));
    assert.ok(t.some((x) => namesPath(x, "pkg/simplify/__init__.py")));
    assert.ok(t.some((x) => namesPath(x, "pkg/simplify/simplify.py")), "an imported name may be a module");
    assert.ok(!t.some((x) => namesPath(x, "other/core/expr.py")));
    assert.ok(!t.some((x) => namesPath(x, "os.py")), "a top-level name is too vague to follow");
  });

  it("reads a hostile file in linear time: a long run of blank lines is not rescanned from every line start", () => {
    // Quadratic before (\s* at each line start): about 7 s for these 200 KB; linear now, a few ms.
    assert.deepEqual(importTargets("pkg/m.py", " \n".repeat(100_000) + "x"), []);
    assert.deepEqual(importTargets("pkg/m.py", " \n".repeat(100_000) + "from pkg.core import expr"), ["pkg/core", "pkg/core/expr"]);
  });

  it("lifts a candidate file that imports the best file, and keeps it below the best", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const body = (words: string) => Array.from({ length: 6 }, (_, i) => `  const step${i} = "${words}";`).join("\n");
      writeTree(path.join(dir, "repo"), {
        "src/quota.ts": `export function enforceQuota(tenant: string) {\n${body("quota tenant limit exceeded reject request quota")}\n  return tenant;\n}\n`,
        "src/billing.ts": `import { enforceQuota } from "./quota";\nexport function chargeTenant(tenant: string) {\n${body("tenant limit charge")}\n  return enforceQuota(tenant);\n}\n`,
        "src/audit.ts": `export function auditTenant(tenant: string) {\n${body("tenant limit audit")}\n  return tenant;\n}\n`,
      });
      const settings = loadSettings({ STORE_PATH: path.join(dir, "index.db"), EMBEDDING_PROVIDER: "none" });
      const engine = await openEngine({ root: path.join(dir, "repo"), repo: "r", settings, log: silentLogger });
      try {
        await engine.index();
        const { results } = await engine.search.search("reject a tenant over its quota limit", { limit: 10 });
        assert.equal(results[0]?.path, "src/quota.ts");
        const billing = results.find((r) => r.path === "src/billing.ts")!;
        const audit = results.find((r) => r.path === "src/audit.ts")!;
        assert.ok(billing.why.includes("imports or is imported by src/quota.ts"), billing.why.join("; "));
        assert.ok(billing.components.import_lift! > 1 && billing.score < results[0]!.score);
        assert.ok(!audit.why.some((w) => w.startsWith("imports or is imported")));
      } finally {
        await engine.close();
      }
    } finally {
      cleanup();
    }
  });
});
