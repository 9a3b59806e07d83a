// The search panel's HTML (CSP, no remote resources, the DOM contract with the e2e tests), qdrant_status parsing,
// and the rollout problem detection.
import assert from "node:assert/strict";
import vm from "node:vm";
import { describe, test } from "node:test";
import { csp, makeNonce, searchPanelHtml } from "../../extension/src/search/html.ts";
import { contextBlock, detailLine, pathLines, resultIcon } from "../../extension/src/search/result-text.ts";
import { dedentRows, expandTabs, highlightRanges, parseSnippet } from "../../extension/src/search/snippet-view.ts";
import { parseStatus, payloadOf } from "../../extension/src/engine/indexer-client.ts";
import { podProblem, rolloutGap } from "../../extension/src/cluster/rollout.ts";
import { IgnoreRules } from "../../extension/src/sync/ignore-rules.ts";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

describe("search panel HTML", () => {
  const nonce = makeNonce();
  const html = searchPanelHtml(nonce, "vscode-webview://abc");

  test("has a strict CSP with the nonce, and every script and style carries it", () => {
    assert.match(html, new RegExp(`content="${csp(nonce, "vscode-webview://abc").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`));
    assert.match(csp(nonce, "x"), /^default-src 'none'; /);
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    const styles = html.match(/<style[^>]*>/g) ?? [];
    assert.equal(scripts.length, 1);
    assert.ok([...scripts, ...styles].every((t) => t.includes(`nonce="${nonce}"`)));
    assert.notEqual(makeNonce(), nonce);
  });

  test("loads nothing remote and keeps the DOM ids the e2e tests use", () => {
    assert.ok(!/(src|href)="https?:/.test(html));
    assert.ok(!/@import|url\(http/.test(html));
    for (const id of ["query", "search-button", "filters-toggle", "filters", "filter-language", "filter-under", "filter-repo", "connection", "status", "searched", "selection-bar", "results"]) {
      assert.match(html, new RegExp(`id="${id}"`), id);
    }
  });

  test("its script parses, and renders results with textContent only", () => {
    const script = /<script nonce="[^"]+">([\s\S]*)<\/script>/.exec(html)![1];
    assert.doesNotThrow(() => new vm.Script(script));
    assert.ok(!script.includes("innerHTML"));
    assert.ok(script.includes("li.dataset.startLine") && script.includes("li.dataset.matchLine"));
  });
});

describe("the panel's snippet rows", () => {
  const tabbed = ["41 | \t\tif (error) {", "42 | \t\t\tretry(request)", "   ⋯", "50 | \t\treturn backoff", "51 | "].join("\n");

  test("parses numbered rows and elisions, expands tabs to the editor's tab size, and takes off the shared indentation", () => {
    const rows = parseSnippet(tabbed, 41);
    assert.deepEqual(rows.map((r) => r.line), [41, 42, null, 50, 51]);
    const shown = dedentRows(rows.map((r) => ({ line: r.line, text: expandTabs(r.text, 4) })));
    assert.deepEqual(shown.map((r) => r.text), ["if (error) {", "    retry(request)", "", "return backoff", ""]);
    assert.equal(expandTabs("a\tb", 4), "a   b", "a tab goes to the next tab stop");
    assert.equal(expandTabs("\tx", 2), "  x");
  });

  test("marks whole words and identifier parts, never a term inside a word", () => {
    const mark = (text: string, terms: string[]) => highlightRanges(text, terms).map(([a, b]) => text.slice(a, b));
    assert.deepEqual(mark("handler and prePartsing in retryCount", ["and", "in", "retry"]), ["and", "in", "retry"]);
    assert.deepEqual(mark("throw new FST_ERR_DUPLICATED_ROUTE()", ["fst_err_duplicated_route"]), ["FST_ERR_DUPLICATED_ROUTE"]);
    assert.deepEqual(mark("parseHTTPResponse(x)", ["http", "response"]), ["HTTP", "Response"]);
    assert.deepEqual(mark("nothing here", []), []);
  });

  test("every helper is self-contained, so its source runs in the webview", () => {
    for (const f of [parseSnippet, expandTabs, dedentRows, highlightRanges]) {
      const g = new vm.Script(`(${f.toString()})`).runInNewContext({});
      assert.equal(typeof g, "function");
    }
    const rows = new vm.Script(`(${parseSnippet.toString()})`).runInNewContext({})("7 | x", 7);
    assert.equal(rows[0].line, 7);
  });
});

describe("results as text", () => {
  const r = { path: "src/route.js", start_line: 10, end_line: 14, match_line: 12, symbol: "addRoute", symbol_path: "Router.addRoute", symbol_kind: "method", kind: "code", language: "javascript",
    snippet: "10 | /**\n11 |  * Adds a route.\n12 | addRoute(method, path) {\n13 |   throw new FST_ERR_DUPLICATED_ROUTE()\n14 | }" };

  test("the quick pick's detail is the matched line, never a comment opener, and the icon follows the symbol kind", () => {
    assert.equal(detailLine(r), "addRoute(method, path) {");
    assert.equal(detailLine({ ...r, match_line: 10 }), "Adds a route.");
    assert.equal(resultIcon(r), "symbol-method");
    assert.equal(resultIcon({ ...r, symbol_kind: "class" }), "symbol-class");
    assert.equal(resultIcon({ ...r, symbol_kind: "", symbol: "", kind: "doc" }), "book");
  });

  test("copy as context: path, line range and fenced code; path:line at the matched line", () => {
    assert.equal(pathLines([r, { ...r, path: "b.js", match_line: 3 }]), "src/route.js:12\nb.js:3");
    const block = contextBlock(r, "a\n```\nb\n");
    assert.equal(block, "src/route.js:10-14 (Router.addRoute)\n````javascript\na\n```\nb\n````");
  });
});

describe("qdrant_status", () => {
  test("the server's shape: per-repo states and repo rows", () => {
    const s = parseStatus({
      store: "sqlite",
      default_repo: "demo",
      repos: [
        { repo: "other", points: 9, files: 3 },
        { repo: "demo", points: 42, files: 7 },
      ],
      states: { demo: { status: "indexing", files_done: 3, files_total: 7, current_file: "src/a.ts" } },
    });
    assert.deepEqual([s.state, s.filesDone, s.filesTotal, s.points, s.currentFile, s.searchable], ["indexing", 3, 7, 42, "src/a.ts", undefined]);
    // The symbols pass of a first index: every file can be searched already.
    const later = parseStatus({ states: { demo: { status: "indexing", pass: "symbols", searchable: true, files_done: 5, files_total: 7 } } }, "demo");
    assert.equal(later.searchable, true);
  });

  test("structured content first, else JSON text", () => {
    assert.deepEqual(payloadOf({ structuredContent: { a: 1 }, content: [{ type: "text", text: '{"a":2}' }] }), { a: 1 });
    assert.deepEqual(payloadOf({ content: [{ type: "text", text: '{"a":2}' }] }), { a: 2 });
    assert.equal(payloadOf({ content: [{ type: "text", text: "not json" }] }), undefined);
  });
});

describe("rollout", () => {
  test("a Deployment is rolled out when the new generation's replicas are all available", () => {
    assert.equal(rolloutGap("Deployment", { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 1 } }), "waiting for the controller to see the new spec");
    assert.equal(rolloutGap("Deployment", { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 2, readyReplicas: 2 } }), "1 old replica(s) terminating");
    assert.equal(rolloutGap("Deployment", { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 } }), null);
  });

  test("a crash loop is reported with the exit and where to read the logs", () => {
    const msg = podProblem(
      [{ metadata: { name: "mcp-indexer-1" }, status: { containerStatuses: [{ name: "indexer", image: "x", imageID: "", ready: false, restartCount: 4, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1, message: "QDRANT_URL unreachable" } } }] } }],
      "context-engine",
    );
    assert.match(msg ?? "", /keeps crashing \(last exit 1: QDRANT_URL unreachable\).*kubectl -n context-engine logs mcp-indexer-1 -c indexer/);
    assert.equal(podProblem([{ metadata: { name: "p" }, status: { containerStatuses: [{ name: "c", image: "x", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ErrImagePull", message: "timeout" } } }] } }], "ns"), null, "a first transient pull error is waited out");
  });
});

describe("ignore rules", () => {
  test("deeper rule files override shallower ones, folders that are never code stay out", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "ce-ignore-"));
    mkdirSync(path.join(root, "a/b"), { recursive: true });
    writeFileSync(path.join(root, ".gitignore"), "*.gen.ts\nbuild/\n");
    writeFileSync(path.join(root, "a/b/.contextignore"), "!keep.gen.ts\nsecret.txt\n");
    const rules = new IgnoreRules(root, ["*.bak"]);
    assert.equal(rules.ignores("x.gen.ts"), true);
    assert.equal(rules.ignores("a/b/keep.gen.ts"), false);
    assert.equal(rules.ignores("a/b/secret.txt"), true);
    assert.equal(rules.ignores("a/secret.txt"), false);
    assert.equal(rules.ignores("build/out.js"), true);
    assert.equal(rules.ignores("old.bak"), true);
    assert.equal(rules.ignores(".git/config"), true);
    assert.equal(rules.ignores(".codebase/index.db"), true);
    assert.equal(rules.ignores("node_modules/x/index.js"), true);
    assert.equal(rules.ignores("src/main.ts"), false);
  });
});
