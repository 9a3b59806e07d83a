// Path rules of the sync protocol: what a repo-relative path may look like, on the wire and on disk.

/** Folders that belong to the server side (git metadata, the engine's own state): never listed, written or deleted. */
export const PROTECTED_SEGMENTS: ReadonlySet<string> = new Set([".git", ".codebase"]);

const MAX_PATH_CHARS = 4096;
/** Longest file or folder name most filesystems take (bytes). */
const MAX_SEGMENT_BYTES = 255;

/**
 * Why `p` is not an acceptable repo-relative path, or undefined when it is.
 * Accepted: forward slashes, no leading slash or drive letter, no empty, `.` or `..` segment, no NUL or backslash,
 * nothing inside `.git/` or `.codebase/`.
 */
export function pathProblem(p: unknown): string | undefined {
  if (typeof p !== "string" || p.length === 0) return "the path is empty";
  if (p.length > MAX_PATH_CHARS) return `the path is longer than ${MAX_PATH_CHARS} characters`;
  if (p.includes("\0")) return "the path contains a NUL character";
  if (p.includes("\\")) return "the path contains a backslash (paths use forward slashes)";
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) return "the path is absolute";
  const segments = p.split("/");
  for (const s of segments) {
    if (s === "..") return "the path climbs out of the repo with '..'";
    if (s === "" || s === ".") return "the path has an empty or '.' segment";
    if (PROTECTED_SEGMENTS.has(s)) return `the path is inside ${s}/, which the server manages itself`;
    if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES) return `a name in the path is longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}

/** The first path of `paths` that another one needs as a folder (`a` beside `a/b`), with that other path. */
export function fileFolderClash(paths: Iterable<string>): [string, string] | undefined {
  const all = new Set(paths);
  for (const p of all) {
    for (let i = p.indexOf("/"); i !== -1; i = p.indexOf("/", i + 1)) {
      if (all.has(p.slice(0, i))) return [p.slice(0, i), p];
    }
  }
  return undefined;
}

/** An HTTP error whose message is shown to the person running the client. */
export class SyncHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "SyncHttpError";
  }
}
