// What the self-contained install test sets up: a PATH with every tool of this machine except Node.js, a fresh
// extensions folder with only the .vsix installed, and a multi-root workspace of third-party code copied from
// node_modules (test input only, never committed).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./tools.ts";

/** Names that would give the extension a Node.js or a server of ours outside the .vsix. */
const HIDDEN = /^(node|nodejs|npm|npx|corepack|context-engine|tsx)(\.exe|\.cmd)?$/;

/**
 * A folder of links to every executable on `pathValue` except Node.js and its tools (first one of a name wins, as
 * on PATH). Returned as the PATH for code-server: the editor and the extension see no `node`.
 */
export function pathWithoutNode(into: string, pathValue = process.env.PATH ?? ""): string {
  const bin = path.join(into, "bin-without-node");
  mkdirSync(bin, { recursive: true });
  const seen = new Set<string>();
  for (const dir of pathValue.split(path.delimiter).filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name) || HIDDEN.test(name)) continue;
      const full = path.join(dir, name);
      try {
        if (!statSync(full).isFile()) continue;
      } catch {
        continue;
      }
      seen.add(name);
      symlinkSync(full, path.join(bin, name));
    }
  }
  return bin;
}

/** The first `name` on a PATH, as a shell would find it; undefined when there is none. */
export function onPath(name: string, pathValue: string): string | undefined {
  for (const dir of pathValue.split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface ForeignFolder {
  /** The folder's name in the workspace (and so its repo name). */
  name: string;
  root: string;
  version: string;
}

/** A published npm package copied from node_modules as a workspace folder: real code nobody here wrote. */
function copyPackage(pkg: string, into: string): ForeignFolder {
  const source = path.join(repoRoot, "node_modules", pkg);
  const { version } = JSON.parse(readFileSync(path.join(source, "package.json"), "utf8")) as { version: string };
  const root = path.join(into, pkg);
  cpSync(source, root, { recursive: true, filter: (p) => path.basename(p) !== "node_modules" });
  return { name: pkg, root, version };
}

/**
 * A two-folder workspace (undici: Node's HTTP client, 176 files; semver: npm's version parser, ~50 files), saved
 * as a .code-workspace file beside them.
 */
export function multiRootWorkspace(into: string): { file: string; folders: ForeignFolder[] } {
  const folders = [copyPackage("undici", into), copyPackage("semver", into)];
  const file = path.join(into, "foreign.code-workspace");
  writeFileSync(file, JSON.stringify({ folders: folders.map((f) => ({ path: f.root })) }, null, 2));
  return { file, folders };
}

/** The folder the .vsix was installed into (<publisher>.<name>-<version>[-<target>]). */
export function installedExtension(extensionsDir: string, id: string): string {
  const dir = readdirSync(extensionsDir).find((d) => d.toLowerCase().startsWith(`${id.toLowerCase()}-`));
  if (!dir) throw new Error(`${id} is not installed in ${extensionsDir} (it holds: ${readdirSync(extensionsDir).join(", ")})`);
  return path.join(extensionsDir, dir);
}
