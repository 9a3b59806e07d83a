// Run by query-stall.test.ts in a child process, so that a stall (a synchronous pattern running for minutes) is cut
// off by the child's deadline instead of freezing the test runner. Prints one JSON report on stdout.
//   node --import tsx stall-probe.ts parser        parses every hostile shape at the length limit
//   node --import tsx stall-probe.ts tools         calls every query-taking tool with a 1 MB word and one at the limit
import { loadSettings } from "../../server/src/config/index.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { createMcpContext } from "../../server/src/mcp/index.ts";
import { extractTerms, MAX_QUERY_CHARS, parseQuery } from "../../server/src/search/index.ts";
import { tokenizeCode } from "../../server/src/text/index.ts";
import { tempDir, writeTree } from "../helpers/tmp.ts";
import { linkedClient } from "./helpers.ts";

const PROSE = "Some title naming things\n" + "words of prose that make this read like an issue text ".repeat(6) + "\n\n";
const fill = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

/** Shapes that made the parser's patterns retry every start position and scan on (each ran minutes at this size). */
export function hostileShapes(n: number): Record<string, string> {
  return {
    "one long word": fill("a", n),
    "words just under the token bound": fill(fill("a/", 290) + ".py ", n),
    "dotted runs": fill(fill("a.", 290) + "Error ", n),
    "fences without a line": fill("``` ", n),
    "blank lines in a fence": "```\n" + fill("\n \n", n),
    "blank lines before text": fill("\n", n - 40) + "ValueError: bad thing happened\n",
    "unclosed quoted filters": fill(' lang:"', n),
    "image tags without an end": fill("<img ", n),
    "many class members": Array.from({ length: Math.floor(n / 12) }, (_, i) => `Ab.c${i}`).join(" "),
    "dotted package lines": fill("a 1" + ".1".repeat(140) + " x x x x x\n", n),
    "digit runs": fill("9".repeat(299) + " ", n),
    "calls in one word": fill("a(", n),
  };
}

async function probeTools(): Promise<Record<string, { isError: boolean; text: string }>> {
  const { dir, cleanup } = tempDir("ce-stall-");
  writeTree(dir, { "app.py": "def main():\n    return 1\n" });
  const ctx = await createMcpContext({ root: dir, settings: loadSettings({ EMBEDDING_PROVIDER: "none" }), log: silentLogger });
  const indexer = await linkedClient("indexer", ctx);
  const memory = await linkedClient("memory", ctx);
  const out: Record<string, { isError: boolean; text: string }> = {};
  try {
    await indexer.call("qdrant_index_root", {});
    const big = "a".repeat(1024 * 1024);
    const atLimit = "b".repeat(MAX_QUERY_CHARS - 100); // the focused tools add a word of their own
    const tools: [string, typeof indexer, string][] = [
      ["repo_search", indexer, "query"], ["context_search", indexer, "query"], ["context_answer", indexer, "question"],
      ["search_tests_for", indexer, "query"], ["search_callers_for", indexer, "query"], ["memory_find", memory, "query"], ["find", memory, "query"],
    ];
    for (const [name, client, key] of tools) {
      for (const [size, text] of [["1MB", big], ["limit", atLimit]] as const) {
        const r = await client.call(name, { [key]: text });
        out[`${name} ${size}`] = { isError: r.isError === true, text: r.content[0]?.text.slice(0, 300) ?? "" };
      }
    }
    for (const [name, run] of [["engine search", () => ctx.search.search(big)], ["engine memory", () => ctx.memory.find(big)]] as const) {
      out[name] = await run().then(() => ({ isError: false, text: "" }), (e: Error) => ({ isError: true, text: e.message }));
    }
  } finally {
    await indexer.close();
    await memory.close();
    await ctx.close();
    cleanup();
  }
  return out;
}

const mode = process.argv[2];
if (mode === "parser") {
  const shapes = hostileShapes(MAX_QUERY_CHARS);
  for (const body of Object.values(shapes)) {
    const text = (PROSE + body).slice(0, MAX_QUERY_CHARS);
    parseQuery(text);
    extractTerms(text);
  }
  tokenizeCode(`x = ${"7".repeat(200_000)} + 2d_array`);
  process.stdout.write(JSON.stringify({ parsed: Object.keys(shapes) }) + "\n");
} else if (mode === "tools") {
  process.stdout.write(JSON.stringify(await probeTools()) + "\n");
}
