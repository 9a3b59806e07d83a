// Names are names: no repo, folder or file argument reaches outside the served root, whichever tool it arrives through.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadSettings } from "../../server/src/config/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { createMcpContext, type McpContext } from "../../server/src/mcp/index.ts";
import { folderInside, repoFolder, repoNameProblem } from "../../server/src/files/index.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";
import { linkedClient, type ToolResult } from "./helpers.ts";

const SECRET = "def secret_token_value():\n    return 'hunter2'\n";

describe("a repo or folder argument never leaves the served root", () => {
  let tmp: string;
  let cleanup: () => void;
  let reposDir: string;
  let ctx: McpContext;
  let client: Awaited<ReturnType<typeof linkedClient>>;

  before(async () => {
    ({ dir: tmp, cleanup } = tempDir("ce-escape-"));
    reposDir = path.join(tmp, "repos");
    writeTree(tmp, {
      "repos/alpha/app.py": "def alpha_handler():\n    return 1\n",
      "repos/alpha/deep/up/x.py": "def deep_function():\n    return 2\n",
      "secret/creds.py": SECRET,
      "secret2/creds.py": SECRET,
    });
    mkdirSync(path.join(tmp, "secret3"));
    symlinkSync("../../secret", path.join(reposDir, "alpha", "outlink"));
    symlinkSync(path.join(tmp, "secret"), path.join(reposDir, "alpha", "abslink"));
    symlinkSync("deep", path.join(reposDir, "alpha", "inlink"));
    symlinkSync("../secret", path.join(reposDir, "linkedrepo"));
    const settings = loadSettings({ EMBEDDING_PROVIDER: "none", STORE_PATH: path.join(tmp, "store", "index.db") });
    ctx = await createMcpContext({ root: reposDir, settings, log: silentLogger });
    assert.ok(ctx.multiRepo);
    client = await linkedClient("indexer", ctx);
    const ok = await client.call("qdrant_index_root", { repo: "alpha" });
    assert.ok(!ok.isError, ok.content[0]?.text);
  });
  after(async () => {
    await client.close();
    await ctx.close();
    cleanup();
  });

  const HOSTILE_REPOS = ["../secret2", "..", ".", "alpha/../../secret2", "../../secret", "alpha/..", "alpha/deep", "/etc", path.join("/", "tmp"), "linkedrepo", ".codebase", "a\0b", "..\\secret2", ""];

  async function assertNothingLeaked(): Promise<void> {
    for (const d of ["secret", "secret2", "secret3"]) assert.ok(!existsSync(path.join(tmp, d, ".codebase")), `nothing was written into ${d}/`);
    assert.ok(!existsSync(path.join(tmp, ".codebase")), "nothing was written beside the served root");
    const found = await client.call("repo_search", { query: "secret_token_value hunter2", repo: "*" });
    assert.ok(!found.isError, found.content[0]?.text);
    const hits = (found.structuredContent?.results ?? []) as { path: string; snippet: string }[];
    assert.ok(!hits.some((h) => h.snippet.includes("hunter2") || h.path.includes("creds")), "no outside file is searchable");
    const repos = (await ctx.store.stats()).map((s) => s.repo);
    assert.deepEqual(repos.filter((r) => r !== "_shared"), ["alpha"]);
  }

  for (const tool of ["qdrant_index_root", "qdrant_prune", "qdrant_status"]) {
    it(`${tool} refuses every repo name that is not one folder inside the root`, async () => {
      for (const repo of HOSTILE_REPOS) {
        const r: ToolResult = await client.call(tool, { repo });
        if (tool === "qdrant_status" && (repo === "" )) continue; // "" means the default: every repo
        assert.equal(r.isError, true, `${tool} ${JSON.stringify(repo)} must be refused: ${r.content[0]?.text}`);
        assert.match(r.content[0]!.text, /repo/i);
        assert.doesNotMatch(r.content[0]!.text, /hunter2/);
      }
      await assertNothingLeaked();
    });
  }

  it("qdrant_index refuses a repo that escapes, and a subdir that escapes or passes through a link", async () => {
    for (const repo of HOSTILE_REPOS) {
      const r = await client.call("qdrant_index", { repo, subdir: "deep" });
      assert.equal(r.isError, true, `repo ${JSON.stringify(repo)}: ${r.content[0]?.text}`);
    }
    for (const subdir of ["outlink", "abslink", "inlink", "inlink/up", "../secret", "../../secret", "deep/../../../secret", path.join(tmp, "secret"), "/etc", "deep/\0", "app.py", "missing"]) {
      const r = await client.call("qdrant_index", { repo: "alpha", subdir });
      assert.equal(r.isError, true, `subdir ${JSON.stringify(subdir)} must be refused: ${r.content[0]?.text}`);
    }
    await assertNothingLeaked();
  });

  it("qdrant_index normalises a subdir: deep/up/. indexes deep/up under its own paths", async () => {
    for (const subdir of ["deep/up/.", "./deep//up/", "deep/../deep/up"]) {
      const r = await client.call("qdrant_index", { repo: "alpha", subdir });
      assert.ok(!r.isError, r.content[0]?.text);
    }
    const files = [...(await ctx.store.listFiles("alpha")).keys()].sort();
    assert.deepEqual(files, ["app.py", "deep/up/x.py"]);
  });

  it("search filters naming a repo are checked as names too", async () => {
    const r = await client.call("repo_search", { query: "alpha_handler", repo: "../secret2" });
    assert.equal(r.isError, true, r.content[0]?.text);
    const all = await client.call("repo_search", { query: "alpha_handler", repo: "*" });
    assert.ok(!all.isError, all.content[0]?.text);
  });
});

describe("repo names and folders, checked where they arrive", () => {
  it("a repo name is one path segment", () => {
    for (const ok of ["alpha", "my-service", "My Repo", "repo.v2", "_shared"]) assert.equal(repoNameProblem(ok), undefined, ok);
    for (const bad of ["", ".", "..", "a/b", "a\\b", "../x", "/abs", "a\0b", "x".repeat(300), "*", "tab\there"]) assert.ok(repoNameProblem(bad), JSON.stringify(bad));
  });

  it("repoFolder and folderInside resolve links and refuse what leaves the root", () => {
    const { dir, cleanup } = tempDir("ce-names-");
    try {
      writeTree(dir, { "root/r/src/a.py": "x = 1\n", "outside/b.py": "y = 2\n" });
      const root = path.join(dir, "root");
      symlinkSync("../outside", path.join(root, "link"));
      symlinkSync("../../outside", path.join(root, "r", "out"));
      assert.equal(repoFolder(root, "r"), path.join(root, "r"));
      assert.throws(() => repoFolder(root, "link"), /link/);
      assert.throws(() => repoFolder(root, "missing"), /missing/);
      assert.throws(() => repoFolder(root, ".hidden"), /hidden/);
      assert.equal(folderInside(path.join(root, "r"), "src/."), "src");
      assert.equal(folderInside(path.join(root, "r"), "."), "");
      assert.throws(() => folderInside(path.join(root, "r"), "out"), /link/);
      assert.throws(() => folderInside(path.join(root, "r"), "../link"), /outside|leaves/);
    } finally {
      cleanup();
    }
  });

  it("the CLI refuses a --repo that is not a name, and so does REPO_NAME", () => {
    const { dir, cleanup } = tempDir("ce-names-cli-");
    try {
      writeTree(dir, { "a.py": "x = 1\n" });
      const r = runCli(["index", dir, "--repo", "../escape"], { env: { EMBEDDING_PROVIDER: "none" } });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /repo/i);
      const e = runCli(["index", dir], { env: { EMBEDDING_PROVIDER: "none", REPO_NAME: "a/b" } });
      assert.notEqual(e.code, 0);
      assert.match(e.stderr, /REPO_NAME/);
      assert.ok(!existsSync(path.join(dir, ".codebase", "index.db")), "nothing indexed under a bad name");
    } finally {
      cleanup();
    }
  });
});
