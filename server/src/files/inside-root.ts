// Names are names (DESIGN.md section 7): a repo is one path segment, and a folder argument stays inside the root it
// is part of once normalised and resolved; links are refused, as the indexer never follows them either.
import { lstatSync, realpathSync } from "node:fs";
import path from "node:path";

const MAX_NAME_CHARS = 255;

/** A repo name or folder argument that was refused; the message says which and why. */
export class PathRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PathRefusedError";
  }
}

/** Why `name` cannot name a repo (a single path segment, never "*"), or undefined when it can. */
export function repoNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name.length === 0) return "it is empty";
  if (name.length > MAX_NAME_CHARS) return `it is longer than ${MAX_NAME_CHARS} characters`;
  if (name === "." || name === "..") return `"${name}" is a path step, not a name`;
  if (name === "*") return `"*" means every repo and is no repo's name`;
  if (/[\/\\]/.test(name)) return "it contains a path separator; a repo name is one folder name";
  if (/[\x00-\x1f\x7f]/.test(name)) return "it contains a control character";
  return undefined;
}

function realOrRefuse(p: string, what: string): string {
  try {
    return realpathSync(p);
  } catch {
    throw new PathRefusedError(`${what} does not exist`);
  }
}

/**
 * The folder of repo `name` directly inside `root` (a folder of repos): a real folder, not a link, not hidden.
 * Throws PathRefusedError otherwise.
 */
export function repoFolder(root: string, name: string): string {
  const problem = repoNameProblem(name);
  if (problem) throw new PathRefusedError(`repo ${JSON.stringify(name)} is refused: ${problem}`);
  if (name.startsWith(".")) throw new PathRefusedError(`repo ${JSON.stringify(name)} is refused: hidden folders are not repos`);
  const abs = path.join(root, name);
  const st = (() => {
    try {
      return lstatSync(abs);
    } catch {
      return undefined;
    }
  })();
  if (!st) throw new PathRefusedError(`unknown repo ${JSON.stringify(name)}: there is no folder ${name} in the served folder`);
  if (st.isSymbolicLink()) throw new PathRefusedError(`repo ${JSON.stringify(name)} is refused: its folder is a symbolic link`);
  if (!st.isDirectory()) throw new PathRefusedError(`unknown repo ${JSON.stringify(name)}: ${name} in the served folder is not a folder`);
  if (realOrRefuse(abs, `repo ${JSON.stringify(name)}`) !== path.join(realOrRefuse(root, "the served folder"), name)) {
    throw new PathRefusedError(`repo ${JSON.stringify(name)} is refused: its folder resolves outside the served folder`);
  }
  return abs;
}

/**
 * `rel`, a folder relative to `root`, normalised to forward slashes without `.` steps ("" for the root itself).
 * Refused when it is absolute, climbs out, passes through a symbolic link, or is no folder.
 */
export function folderInside(root: string, rel: string): string {
  const shown = JSON.stringify(rel);
  if (typeof rel !== "string") throw new PathRefusedError("the folder must be a string");
  if (/[\x00-\x1f\x7f]/.test(rel)) throw new PathRefusedError(`folder ${shown} contains a control character`);
  if (rel.includes("\\")) throw new PathRefusedError(`folder ${shown} contains a backslash; write paths with forward slashes`);
  if (path.posix.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) throw new PathRefusedError(`folder ${shown} is absolute; give a folder relative to the repository root`);
  const norm = path.posix.normalize(rel === "" ? "." : rel).replace(/\/+$/, "");
  const clean = norm === "." ? "" : norm;
  if (clean === ".." || clean.startsWith("../")) throw new PathRefusedError(`folder ${shown} leaves the repository`);
  const realRoot = realOrRefuse(root, "the repository root");
  const real = realOrRefuse(path.join(root, clean), `folder ${shown}`);
  if (real !== (clean ? path.join(realRoot, ...clean.split("/")) : realRoot)) {
    throw new PathRefusedError(`folder ${shown} goes through a symbolic link; links are not followed, name the folder itself`);
  }
  if (!lstatSync(real).isDirectory()) throw new PathRefusedError(`${shown} is not a folder`);
  return clean;
}
