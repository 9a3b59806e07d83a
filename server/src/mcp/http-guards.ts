// Guards every MCP route passes: bearer token (constant-time), Host/Origin checks on loopback binds (DNS rebinding),
// and a bounded JSON body reader.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { loopbackRequestProblem } from "../http/index.ts";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** True when the request carries `Authorization: Bearer <token>`; compared in constant time. */
export function bearerMatches(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? "";
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return timingSafeEqual(digest(m?.[1] ?? ""), digest(token)) && Boolean(m);
}

export function checkBearer(req: IncomingMessage, token: string | undefined): void {
  if (!token) return;
  if (!bearerMatches(req, token)) {
    throw new HttpError(401, "missing or wrong bearer token: send Authorization: Bearer <CONTEXT_ENGINE_TOKEN>", {
      "WWW-Authenticate": 'Bearer realm="context-engine"',
    });
  }
}

/** On a loopback bind, refuses requests a page of another site could have sent (DNS rebinding, cross-site posts). */
export function checkHostAndOrigin(req: IncomingMessage, bindHost: string, port: number): void {
  const problem = loopbackRequestProblem(req.headers, bindHost, port);
  if (problem) throw new HttpError(403, problem);
}

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; message: string };

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    return { ok: false, status: 413, message: `request body of ${declared} bytes is over the ${maxBytes}-byte limit` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      req.resume();
      return { ok: false, status: 413, message: `request body is over the ${maxBytes}-byte limit` };
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, status: 400, message: `Parse error: the body is not valid JSON (${(e as Error).message})` };
  }
}
