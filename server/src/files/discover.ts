// Walks a tree: honours ignore rules, never follows symlinks (so loops cannot hang it), skips and counts what
// it cannot index.
import { lstatSync, readdirSync, type Dirent } from "node:fs";
import path from "node:path";
import { IgnoreRules } from "./ignore-rules.ts";

export interface DiscoveredFile {
  /** Posix path relative to the root. */
  path: string;
  abs: string;
  size: number;
  mtimeMs: number;
}

export type SkipReason = "too-large" | "binary" | "not-utf8" | "symlink" | "unreadable" | "special";

export interface Skipped {
  path: string;
  reason: SkipReason;
}

export interface Discovery {
  files: DiscoveredFile[];
  skipped: Skipped[];
}

export interface DiscoverOptions {
  maxFileBytes: number;
  rules?: IgnoreRules;
  /** Walk only this folder (posix, relative to the root); ignore files above it still apply. */
  under?: string;
}

export function discoverFiles(root: string, opts: DiscoverOptions): Discovery {
  const rules = opts.rules ?? new IgnoreRules(root);
  const files: DiscoveredFile[] = [];
  const skipped: Skipped[] = [];
  const stack: string[] = [opts.under ? opts.under.replace(/^\/+|\/+$/g, "") : ""];
  while (stack.length) {
    const rel = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      if (rel) skipped.push({ path: rel, reason: "unreadable" });
      continue;
    }
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) {
        if (!rules.ignores(childRel, false)) skipped.push({ path: childRel, reason: "symlink" });
        continue;
      }
      if (e.isDirectory()) {
        if (!rules.ignores(childRel, true)) stack.push(childRel);
        continue;
      }
      if (rules.ignores(childRel, false)) continue;
      if (!e.isFile()) {
        skipped.push({ path: childRel, reason: "special" });
        continue;
      }
      const abs = path.join(root, childRel);
      try {
        const st = lstatSync(abs);
        if (st.size > opts.maxFileBytes) skipped.push({ path: childRel, reason: "too-large" });
        else files.push({ path: childRel, abs, size: st.size, mtimeMs: st.mtimeMs });
      } catch {
        skipped.push({ path: childRel, reason: "unreadable" });
      }
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, skipped };
}
