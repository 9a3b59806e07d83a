// Fetches a model's files from the Hugging Face hub (or a mirror) into MODEL_DIR, all or nothing.
import fs from "node:fs";
import path from "node:path";

export const DEFAULT_HUB = "https://huggingface.co/";

export interface HubDownloadOptions {
  remoteHost?: string;
  /** A file whose server sends no response headers within this time fails the download (default 30 s). */
  responseTimeoutMs?: number;
}

/** The page of a model on the hub, as named in error messages. */
export function hubModelUrl(remoteHost: string, id: string): string {
  return `${remoteHost.replace(/\/+$/, "")}/${id}`;
}

/** The URL of one file of a model on the hub. */
export function hubFileUrl(remoteHost: string, id: string, file: string): string {
  return `${hubModelUrl(remoteHost, id)}/resolve/main/${file}`;
}

async function fetchFile(url: string, timeoutMs: number): Promise<Uint8Array | undefined> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no response from ${url} within ${timeoutMs} ms`)), timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { signal: ac.signal, redirect: "follow" });
  } catch (err) {
    // undici says only "fetch failed"; the useful part (ENOTFOUND, ECONNREFUSED, our timeout) is the cause.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause ? `${cause.code ? cause.code + " " : ""}${cause.message ?? ""}`.trim() : (err as Error).message;
    throw new Error(`${url}: ${detail}`);
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Downloads `required` (each must exist) and `optional` files of model `id` into `target`. Files land in a
 * temporary sibling folder first and are renamed into place at the end, so an interrupted download never
 * leaves a half model that would be taken for a whole one.
 */
export async function downloadModel(
  id: string,
  target: string,
  required: string[],
  optional: string[],
  opts: HubDownloadOptions = {},
): Promise<void> {
  const host = opts.remoteHost ?? DEFAULT_HUB;
  const timeout = opts.responseTimeoutMs ?? 30_000;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = fs.mkdtempSync(`${target}.download-`);
  try {
    for (const file of [...required, ...optional]) {
      const url = hubFileUrl(host, id, file);
      const bytes = await fetchFile(url, timeout);
      if (!bytes) {
        if (required.includes(file)) throw new Error(`${url} does not exist (HTTP 404)`);
        continue;
      }
      fs.mkdirSync(path.dirname(path.join(staging, file)), { recursive: true });
      fs.writeFileSync(path.join(staging, file), bytes);
    }
    putInPlace(staging, target, required);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Renames a downloaded model folder into place. Several pods that start at once on one models volume each download
 * it: the first whole model to land stays (another process may be loading it), later ones are dropped; only a
 * folder that lacks a required file (an older interrupted copy) is moved aside and replaced.
 */
function putInPlace(staging: string, target: string, required: string[]): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(staging, target);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM" && code !== "EISDIR") throw err;
      if (required.every((f) => fs.existsSync(path.join(target, f)))) {
        fs.rmSync(staging, { recursive: true, force: true });
        return;
      }
      if (attempt > 0) throw err;
      // An incomplete folder: moved aside in one rename (never deleted in place under a reader), then replaced.
      const aside = `${target}.incomplete-${process.pid}-${Date.now()}`;
      try {
        fs.renameSync(target, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
      fs.rmSync(aside, { recursive: true, force: true });
    }
  }
}
