// `serve indexer --folder NAME=DIR ...`: the folders of a multi-root editor workspace served by one MCP server over
// one shared store, each folder its own repo (the real CLI over stdio, the real MCP client).
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { parseFolders } from "../../server/src/files/index.ts";
import { CLI, REPO_ROOT, runCli } from "../helpers/cli.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";

type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };

describe("one MCP server for several named folders", () => {
  let dir: string;
  let cleanup: () => void;
  let client: Client;
  let api: string;
  let web: string;
  let env: Record<string, string>;

  before(async () => {
    ({ dir, cleanup } = tempDir());
    api = path.join(dir, "checkout-a");
    web = path.join(dir, "checkout-b");
    writeTree(api, { "billing/invoice.py": "def render_invoice_total(lines):\n    return sum(l.amount for l in lines)\n" });
    writeTree(web, { "src/cart.ts": "export function addCouponToCart(cart: string[], coupon: string) {\n  return [...cart, coupon];\n}\n" });
    env = { STORE_PATH: path.join(dir, "store", "index.db"), EMBEDDING_PROVIDER: "none", LOG_LEVEL: "warn" };
    for (const [repo, root] of [["api", api], ["web", web]]) {
      const r = runCli(["index", root], { env: { ...env, REPO_NAME: repo } });
      assert.equal(r.code, 0, r.stderr);
    }
    client = new Client({ name: "test", version: "1" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ["--import", "tsx", CLI, "serve", "indexer", "--transport", "stdio", "--folder", `api=${api}`, "--folder", `web=${web}`],
        cwd: REPO_ROOT,
        env: { ...process.env, ...env } as Record<string, string>,
        stderr: "ignore",
      }),
    );
  });
  after(async () => {
    await client?.close();
    cleanup();
  });

  const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as ToolResult;

  it("searches every folder by default, each hit tagged with its folder's repo", async () => {
    const invoice = (await call("repo_search", { query: "render invoice total" })).structuredContent as { results: { repo: string; path: string }[] };
    assert.deepEqual(invoice.results.map((r) => [r.repo, r.path])[0], ["api", "billing/invoice.py"]);
    const coupon = (await call("repo_search", { query: "add coupon to cart" })).structuredContent as { results: { repo: string; path: string }[] };
    assert.deepEqual(coupon.results.map((r) => [r.repo, r.path])[0], ["web", "src/cart.ts"]);
  });

  it("a repo filter keeps to one folder", async () => {
    const r = (await call("repo_search", { query: "render invoice total", repo: "web" })).structuredContent as { results: { repo: string }[] };
    assert.ok(r.results.every((x) => x.repo === "web"), JSON.stringify(r.results));
  });

  it("reports the state of each folder and indexes a named one in its own folder", async () => {
    const status = (await call("qdrant_status")).structuredContent as { default_repo: string; states: Record<string, { status: string; files_total: number } | null> };
    assert.equal(status.default_repo, "*");
    assert.deepEqual(Object.keys(status.states).sort(), ["api", "web"]);
    for (const s of Object.values(status.states)) assert.equal(s?.files_total, 1);
    const indexed = await call("qdrant_index_root", { repo: "web" });
    assert.ok(!indexed.isError, indexed.content[0]?.text);
    assert.equal((indexed.structuredContent as { root: string }).root, web);
    const unknown = await call("qdrant_index_root", { repo: "mobile" });
    assert.ok(unknown.isError);
    assert.match(unknown.content[0]!.text, /unknown repo "mobile".*"api", "web"/);
  });
});

describe("--folder NAME=DIR", () => {
  it("resolves each folder against the working folder", () => {
    assert.deepEqual(parseFolders(["a=x", "b=/abs/y"], "/work"), [
      { repo: "a", root: path.resolve("/work/x") },
      { repo: "b", root: path.resolve("/abs/y") },
    ]);
  });

  it("refuses a value without a name, a name that is a path, and a name given twice", () => {
    assert.throws(() => parseFolders(["/only/a/dir"], "/"), /expected NAME=DIR/);
    assert.throws(() => parseFolders(["../up=/x"], "/"), /not a repo name: it contains a path separator/);
    assert.throws(() => parseFolders(["*=/x"], "/"), /not a repo name/);
    assert.throws(() => parseFolders(["a=/x", "a=/y"], "/"), /given twice/);
  });
});
