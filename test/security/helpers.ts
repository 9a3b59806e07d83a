// Shared parts of the attack suite: an MCP client linked in memory to a real server over a real context, and
// bounded raw-HTTP probes (every loop here has a count and a deadline).
import http from "node:http";
import net from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { newMcpServer, type McpContext, type McpRole } from "../../server/src/mcp/index.ts";

export type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };

/** A real MCP server of `role` over `ctx`, with a client linked to it in memory. */
export async function linkedClient(role: McpRole, ctx: McpContext): Promise<{ call: (name: string, args: Record<string, unknown>) => Promise<ToolResult>; close: () => Promise<void> }> {
  const server = newMcpServer(role, ctx);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: "attack-suite", version: "1" });
  await client.connect(b);
  return {
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as ToolResult,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with exactly these headers (fetch would add or refuse some, e.g. Host), answered within `timeoutMs`. */
export function rawRequest(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method: opts.method ?? "GET", path: opts.path, headers: opts.headers ?? {}, setHost: !(opts.headers && Object.keys(opts.headers).some((h) => h.toLowerCase() === "host")), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer from 127.0.0.1:${port}${opts.path} within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** A socket that sent `head` and then nothing more; resolves when the server closes it, or with "open" at the deadline. */
export function whenClosedByServer(port: number, head: string, deadlineMs: number): Promise<"closed" | "open"> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(head));
    const timer = setTimeout(() => {
      s.destroy();
      resolve("open");
    }, deadlineMs);
    s.on("data", () => undefined);
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      resolve("closed");
    });
  });
}
