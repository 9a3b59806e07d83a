// context_answer through the MCP indexer server, with each decoder setting: none, llamacpp-http (the loopback stub
// of a llama.cpp server), and node-llama-cpp with the real tiny fixture model.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { loadSettings } from "../../server/src/config/index.ts";
import { openEngine } from "../../server/src/engine.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { createMcpContext, newMcpServer, startMcpHttpServer } from "../../server/src/mcp/index.ts";
import { SAMPLE_REPO } from "../helpers/engine.ts";
import { FIXTURES, tempDir, writeTree } from "../helpers/tmp.ts";
import { chatReply, startLlamacppStub, type LlamacppStub } from "./decoder-llamacpp-stub.ts";

type Answer = { isError?: boolean; content: { text: string }[]; structuredContent?: { answer: string; citations: { id: number; path: string }[]; used: { decoder: string }; warnings: string[] } };

async function answerWith(dir: string, env: Record<string, string>, question: string, extra: Record<string, unknown> = {}): Promise<Answer> {
  const settings = loadSettings({ EMBEDDING_PROVIDER: "none", ...env });
  const ctx = await createMcpContext({ root: dir, settings, log: silentLogger });
  const server = await startMcpHttpServer({ newServer: () => newMcpServer("indexer", ctx), host: "127.0.0.1", port: 0, token: undefined, log: silentLogger, advertise: "http", name: "indexer" });
  const client = new Client({ name: "t", version: "1" });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${server.port}/mcp`)));
    return (await client.callTool({ name: "context_answer", arguments: { question, ...extra } })) as Answer;
  } finally {
    await client.close();
    await server.close();
    await ctx.close();
  }
}

describe("context_answer through the MCP indexer", () => {
  let dir: string;
  let cleanup: () => void;
  let stub: LlamacppStub;
  before(async () => {
    ({ dir, cleanup } = tempDir());
    writeTree(dir, SAMPLE_REPO);
    const engine = await openEngine({ root: dir, settings: loadSettings({ EMBEDDING_PROVIDER: "none" }), log: silentLogger });
    await engine.index();
    await engine.close();
    const text = "Hooks are registered with Session.register_hook, which accepts a list [1].";
    // Like the real server: a streamed answer when the request asks to stream, one JSON otherwise.
    stub = await startLlamacppStub((r) => {
      if (r.path !== "/v1/chat/completions") return { status: 404, text: "not here" };
      if (!r.body.stream) return chatReply(text);
      return { sse: [{ choices: [{ delta: { content: text } }] }, { choices: [{ delta: {}, finish_reason: "stop" }] }], done: true };
    });
  });
  after(async () => {
    await stub.close();
    cleanup();
  });

  it("without a decoder returns the cited context and says no decoder is configured", async () => {
    const r = await answerWith(dir, {}, "How are hooks registered on a session?");
    assert.ok(!r.isError);
    assert.equal(r.structuredContent!.used.decoder, "none");
    assert.ok(r.structuredContent!.citations.some((c) => c.path === "src/session.py"));
    assert.match(r.content[0]!.text + r.structuredContent!.warnings.join(" "), /LLAMACPP_URL|LLAMACPP_MODEL_PATH/);
  });

  it("with LLAMACPP_URL asks the llama.cpp server and resolves its [n] citations", async () => {
    const before = stub.requests.length;
    const r = await answerWith(dir, { LLAMACPP_URL: stub.url }, "How are hooks registered on a session?");
    assert.ok(!r.isError, r.content[0]?.text);
    assert.equal(r.structuredContent!.used.decoder, "llamacpp-http");
    assert.match(r.structuredContent!.answer, /register_hook.*\[1\]/);
    assert.equal(r.structuredContent!.citations.length, 1);
    assert.equal(r.structuredContent!.citations[0]!.id, 1);
    const req = stub.requests.slice(before).find((q) => q.path === "/v1/chat/completions")!;
    assert.match(JSON.stringify(req.body.messages), /\[1\] [^\s]+:\d+-\d+/, "numbered context blocks in the prompt");
  });

  it("with an unreachable LLAMACPP_URL still answers from the context and names the setting", async () => {
    const r = await answerWith(dir, { LLAMACPP_URL: "http://127.0.0.1:9" }, "How are hooks registered on a session?");
    assert.ok(!r.isError);
    assert.match(r.structuredContent!.warnings.join(" "), /LLAMACPP_URL/);
    assert.ok(r.structuredContent!.citations.length >= 1);
  });

  it("with LLAMACPP_MODEL_PATH runs the embedded decoder (node-llama-cpp, fixture model)", async () => {
    const model = path.join(FIXTURES, "models", "stories260K.gguf");
    const r = await answerWith(dir, { LLAMACPP_MODEL_PATH: model, LLAMACPP_THREADS: "1" }, "How are hooks registered?", { budget_tokens: 800 });
    assert.ok(!r.isError, r.content[0]?.text);
    assert.equal(r.structuredContent!.used.decoder, "node-llama-cpp");
    assert.ok(r.structuredContent!.answer.length > 0);
  });
});
