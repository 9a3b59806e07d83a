// A stand-in for the llama.cpp server (the real one is a C++ binary with a model that cannot run here):
// a loopback HTTP server that records every request and answers with whatever each test scripts.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** What to do with one request: answer JSON, stream SSE lines, or never answer (to exercise timeouts). */
export type StubReply =
  | { status?: number; json: unknown }
  | { status?: number; text: string }
  | { sse: unknown[]; done?: boolean }
  | { hang: true };

export type StubHandler = (req: RecordedRequest, index: number) => StubReply;

export interface LlamacppStub {
  url: string;
  requests: RecordedRequest[];
  /** Replaces the handler; requests recorded so far stay. */
  handle(h: StubHandler): void;
  /** Resolves when `n` requests have arrived (no sleeps: the test waits for the event). */
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startLlamacppStub(handler: StubHandler): Promise<LlamacppStub> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const rec: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: raw ? JSON.parse(raw) : undefined };
      requests.push(rec);
      for (const w of waiters.filter((w) => requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const reply = current(rec, requests.length - 1);
      if ("hang" in reply) {
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      if ("sse" in reply) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (const e of reply.sse) res.write(`data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`);
        if (reply.done) res.write("data: [DONE]\n\n");
        res.end();
        return;
      }
      if ("json" in reply) {
        res.writeHead(reply.status ?? 200, { "content-type": "application/json" });
        res.end(JSON.stringify(reply.json));
        return;
      }
      res.writeHead(reply.status ?? 200, { "content-type": "text/plain" });
      res.end(reply.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(h) {
      current = h;
    },
    waitForRequests(n) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening on it: bound, then released. */
export async function closedPortUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A llama.cpp chat completion reply with the given text. */
export function chatReply(content: string, finish = "stop") {
  return { json: { choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finish }], usage: { prompt_tokens: 42, completion_tokens: 7 } } };
}

/** A llama.cpp /completion reply with the given text. */
export function completionReply(content: string) {
  return { json: { content, stop: true, stop_type: "eos", stopped_eos: true, tokens_evaluated: 40, tokens_predicted: 6 } };
}
