// Request and response plumbing of the uploader: bearer auth, capped bodies, JSON answers.
import { createHash, timingSafeEqual } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createGunzip } from "node:zlib";
import { closeAfterAnswer } from "../http/index.ts";
import { SyncHttpError } from "./paths.ts";

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Answers an error; if the request body was not read (refused early), the connection is closed after the answer. */
export function sendError(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  closeAfterAnswer(req, res);
  sendJson(res, status, { error: message });
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** Throws 401 unless the request carries `Authorization: Bearer <token>`; compared in constant time. */
export function requireBearer(req: IncomingMessage, token: string | undefined): void {
  if (!token) return;
  const header = req.headers.authorization ?? "";
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m) throw new SyncHttpError(401, "this uploader requires a token: send Authorization: Bearer <CONTEXT_ENGINE_TOKEN> (the client's --token)");
  if (!timingSafeEqual(digest(m[1].trim()), digest(token))) {
    throw new SyncHttpError(401, "the token was not accepted; use the uploader's CONTEXT_ENGINE_TOKEN");
  }
}

function tooLarge(what: string, limit: number): SyncHttpError {
  return new SyncHttpError(413, `the ${what} is larger than ${limit} bytes; send fewer files per request`);
}

/** Throws 413 before reading anything when Content-Length already exceeds the limit. */
export function checkDeclaredLength(req: IncomingMessage, limit: number, what: string): void {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(what, limit);
}

/** Reads a JSON body of at most `limit` bytes (after gunzip, when sent with Content-Encoding: gzip). */
export async function readJsonBody(req: IncomingMessage, limit: number, what: string): Promise<unknown> {
  checkDeclaredLength(req, limit, what);
  const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip") {
    throw new SyncHttpError(415, `Content-Encoding ${encoding} is not supported; send identity or gzip`);
  }
  const source: NodeJS.ReadableStream = encoding === "gzip" ? req.pipe(createGunzip()) : req;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge(what, limit);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof SyncHttpError) throw err;
    throw new SyncHttpError(400, `the ${what} could not be read (${(err as Error).message})`);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new SyncHttpError(400, `the ${what} is not valid JSON`);
  }
}

/** Streams the body into `file`, stopping with 413 past `limit` bytes; the file is removed on failure. */
export async function saveBody(req: IncomingMessage, file: string, limit: number, what: string): Promise<number> {
  checkDeclaredLength(req, limit, what);
  const out = createWriteStream(file, { mode: 0o600 });
  let size = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.pause();
          reject(tooLarge(what, limit));
          return;
        }
        if (!out.write(chunk)) {
          req.pause();
          out.once("drain", () => req.resume());
        }
      });
      req.on("end", () => out.end(resolve));
      req.on("error", (err) => reject(new SyncHttpError(400, `the upload was interrupted (${err.message})`)));
      req.on("aborted", () => reject(new SyncHttpError(400, "the upload was interrupted by the client")));
      out.on("error", reject);
    });
    return size;
  } catch (err) {
    out.destroy();
    await fs.rm(file, { force: true });
    throw err;
  }
}
