// A query is text from anyone who can call a tool: one long word, or text built to make a pattern backtrack, must
// neither stall the process nor change what ordinary queries parse to. The hostile parts run in a child process with a
// deadline (stall-probe.ts): a synchronous stall cannot be interrupted inside the test runner's own process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { MAX_QUERY_CHARS, parseQuery } from "../../server/src/search/index.ts";
import { tokenizeCode } from "../../server/src/text/index.ts";

/** Generous: the probe takes seconds on a busy machine; the patterns it guards against took minutes and more. */
const PROBE_DEADLINE_MS = 120_000;

function probe(mode: "parser" | "tools"): Record<string, unknown> {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "stall-probe.ts"), mode], {
    encoding: "utf8", timeout: PROBE_DEADLINE_MS, killSignal: "SIGKILL", maxBuffer: 1 << 24, env: { ...process.env, LOG_LEVEL: "error" },
  });
  assert.equal(r.signal, null, `the ${mode} probe was still running after ${PROBE_DEADLINE_MS} ms: a stall`);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}

describe("the query parser on hostile text", () => {
  it("parses every hostile shape at the length limit, and a 200,000-digit number, without stalling", () => {
    const report = probe("parser") as { parsed: string[] };
    assert.equal(report.parsed.length, 12);
  });

  it("a run of digits is no identifier, whatever its length", () => {
    assert.deepEqual(tokenizeCode(`x = ${"7".repeat(5000)} + 2d_array`), tokenizeCode("x = 7 + 2d_array"));
  });

  it("ordinary queries parse as before: filters, names, paths and phrases", () => {
    const q = parseQuery('lang:python under:"src/app" Session.request fails\n```\nx = Session()\n\nx.request("GET")\n```\nTraceback:\n  File "/home/u/site-packages/requests/sessions.py", line 12, in request\n\nValueError: the url "http x" is not valid');
    assert.deepEqual(q.filter, { language: ["python"], under: "src/app" });
    assert.ok(q.paths.some((p) => p.endsWith("requests/sessions.py")), q.paths.join());
    assert.ok(q.identifiers.includes("request"));
    assert.ok(q.phrases.length > 0);
    assert.ok(!q.terms.some((t) => t.term === "x"));
  });
});

describe("every entry point refuses a query past the limit, at once", () => {
  it("a 1 MB single word gets an error naming the limit from every query tool and from the engine; one at the limit is answered", () => {
    const report = probe("tools") as Record<string, { isError: boolean; text: string }>;
    for (const [call, r] of Object.entries(report)) {
      if (call.endsWith(" limit")) assert.equal(r.isError, false, `${call}: ${r.text}`);
      else {
        assert.equal(r.isError, true, `${call} must refuse: ${r.text}`);
        assert.match(r.text, new RegExp(String(MAX_QUERY_CHARS)), call);
      }
    }
    assert.equal(Object.keys(report).length, 16);
  });
});
