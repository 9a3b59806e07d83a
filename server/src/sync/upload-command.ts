// `context-engine upload`: the delta client from a terminal or CI job, with a progress bar on a TTY and a summary.
import path from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../config/index.ts";
import { SyncClientError, syncOnce, type SkippedFile, type SyncProgress, type SyncResult } from "./client.ts";
import { REPO_NAME_PATTERN, UPLOADER_PORT, toRepoName } from "./protocol.ts";
import { watchWorkspace } from "./watch-loop.ts";

type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface UploadCommandIO {
  stdout: Out;
  stderr: Out;
  /** Working folder for a relative or missing --path (the CLI passes process.cwd()). */
  cwd: string;
  /** Token from settings (CONTEXT_ENGINE_TOKEN) when --token is not given. */
  token?: string;
  /** Ends --watch (the CLI aborts it on SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

export const UPLOAD_USAGE = `Usage: context-engine upload --url URL [--repo NAME] [--path DIR] [--token T] [--exclude PATTERN]... [--watch]

Syncs a folder into a Context Engine uploader: only changed files are sent, files deleted locally are deleted there.
  --url URL          uploader address (default http://localhost:${UPLOADER_PORT})
  --repo NAME        repo name on the server (default: the folder's name, e.g. my-service)
  --path DIR         folder to sync (default: the current folder)
  --token T          bearer token (default: CONTEXT_ENGINE_TOKEN)
  --exclude PATTERN  extra gitignore-style pattern (repeatable)
  --watch            keep syncing edits until interrupted
`;

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 1)} MB`;
}

/** Progress as a bar redrawn in place on a TTY, as one line per step when piped. */
function progressWriter(out: Out): { update(p: SyncProgress): void; clear(): void } {
  let drawn = false;
  if (out.isTTY) {
    return {
      update(p) {
        const width = Math.max(10, Math.min(40, (out.columns ?? 80) - 50));
        const ratio = p.phase === "upload" || p.phase === "done" ? (p.bytesTotal ? p.bytesDone / p.bytesTotal : p.filesTotal ? p.filesDone / p.filesTotal : 1) : 0;
        const fill = Math.round(ratio * width);
        const label = p.phase === "scan" ? "scanning" : p.phase === "manifest" ? `comparing ${p.filesTotal} files` : `${p.filesDone}/${p.filesTotal} files ${mb(p.bytesDone)}/${mb(p.bytesTotal)}`;
        out.write(`\r[${"#".repeat(fill)}${".".repeat(width - fill)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${label}\x1b[K`);
        drawn = true;
      },
      clear() {
        if (drawn) out.write("\r\x1b[K");
        drawn = false;
      },
    };
  }
  return {
    update(p) {
      if (p.phase === "manifest") out.write(`comparing ${p.filesTotal} files with the uploader\n`);
      if (p.phase === "upload") out.write(`sent ${p.filesDone}/${p.filesTotal} files (${mb(p.bytesDone)} of ${mb(p.bytesTotal)})\n`);
    },
    clear() {},
  };
}

/** "3 skipped: 2 binary (logo.png, font.woff2), 1 too-large (data.json)". */
export function describeSkipped(skipped: SkippedFile[], examples = 3): string {
  if (skipped.length === 0) return "0 skipped";
  const byReason = new Map<string, string[]>();
  for (const s of skipped) {
    const list = byReason.get(s.reason) ?? [];
    list.push(s.path);
    byReason.set(s.reason, list);
  }
  const parts = [...byReason].map(([reason, paths]) => {
    const shown = paths.slice(0, examples).join(", ");
    return `${paths.length} ${reason} (${shown}${paths.length > examples ? ", ..." : ""})`;
  });
  return `${skipped.length} skipped: ${parts.join(", ")}`;
}

export function summarize(r: SyncResult): string {
  const unchanged = Math.max(0, r.files - r.sent);
  return (
    `${r.sent} files sent (${mb(r.bytes)}, ${mb(r.wireBytes)} on the wire), ${r.deleted} deleted, ${unchanged} unchanged, ` +
    `${describeSkipped(r.skipped)}; ${(r.ms / 1000).toFixed(2)} s`
  );
}

/** Runs `context-engine upload ARGS`; resolves with the exit code (0 ok, 1 sync failed, 2 bad usage). */
export async function runUploadCommand(args: string[], io: UploadCommandIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        url: { type: "string" },
        repo: { type: "string" },
        path: { type: "string" },
        token: { type: "string" },
        exclude: { type: "string", multiple: true },
        watch: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${UPLOAD_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(UPLOAD_USAGE);
    return 0;
  }
  const root = path.resolve(io.cwd, values.path ?? ".");
  const repo = values.repo ?? toRepoName(path.basename(root));
  if (!REPO_NAME_PATTERN.test(repo)) {
    io.stderr.write(`--repo ${JSON.stringify(repo)} is not a valid repo name: use 1-63 lowercase letters, digits or '-' (for example ${toRepoName(repo)})\n`);
    return 2;
  }
  const url = values.url ?? `http://localhost:${UPLOADER_PORT}`;
  if (!/^https?:\/\/[^/]+/.test(url)) {
    io.stderr.write(`--url ${JSON.stringify(url)} is not an http(s) URL; for example http://localhost:${UPLOADER_PORT}\n`);
    return 2;
  }
  const token = values.token ?? io.token;
  const progress = progressWriter(io.stderr);
  const common = { url, repo, root, token, extraExcludes: values.exclude, signal: io.signal };
  io.stderr.write(`syncing ${root} to ${url} as repo ${repo}\n`);

  if (!values.watch) {
    try {
      const r = await syncOnce({ ...common, onProgress: (p) => progress.update(p) });
      progress.clear();
      io.stdout.write(summarize(r) + "\n");
      return 0;
    } catch (err) {
      progress.clear();
      io.stderr.write(`upload failed: ${err instanceof SyncClientError ? err.message : (err as Error).stack}\n`);
      return 1;
    }
  }

  let first = true;
  const w = await watchWorkspace({
    ...common,
    onProgress: (p) => progress.update(p),
    onSync: (r) => {
      progress.clear();
      if (first || r.sent || r.deleted) io.stdout.write(`${new Date().toISOString()} ${summarize(r)}\n`);
      first = false;
    },
    onError: (err) => {
      progress.clear();
      io.stderr.write(`${new Date().toISOString()} sync failed, will retry: ${err.message}\n`);
    },
  });
  io.stderr.write("watching for changes (Ctrl-C to stop)\n");
  await new Promise<void>((resolve) => {
    if (!io.signal) return; // no way to stop: runs until the process ends
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await w.close();
  return 0;
}

/** The CLI's entry (`context-engine upload ...`): token from CONTEXT_ENGINE_TOKEN via settings, --watch ends on SIGINT/SIGTERM. */
export async function uploadCommand(argv: string[], io: { stdout: Out; stderr: Out; env: Record<string, string | undefined>; cwd: string }): Promise<number> {
  const settings = loadSettings(io.env);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await runUploadCommand(argv, { stdout: io.stdout, stderr: io.stderr, cwd: io.cwd, token: settings.token, signal: stop.signal });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
