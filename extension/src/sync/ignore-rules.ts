// Which workspace paths are not synced: nested .gitignore and .contextignore files (git semantics: deeper rules win),
// the user's extra excludes, and folders that are never code (.git, .codebase, node_modules).
import ignore, { type Ignore } from "ignore";
import { readFileSync } from "node:fs";
import path from "node:path";

export const RULE_FILES = [".gitignore", ".contextignore"];
export const ALWAYS_EXCLUDED = [".git/", ".hg/", ".svn/", ".codebase/", "node_modules/", ".DS_Store"];

export class IgnoreRules {
  private readonly perDir = new Map<string, Ignore | null>();
  private readonly base: Ignore;

  constructor(
    private readonly root: string,
    extraExcludes: string[] = [],
  ) {
    this.base = ignore().add(ALWAYS_EXCLUDED).add(extraExcludes.filter((p) => p.trim()));
  }

  /** Forget cached rules (a rule file changed). `dir` is repo-relative ("" for the root); none: forget all. */
  invalidate(dir?: string): void {
    if (dir === undefined) this.perDir.clear();
    else this.perDir.delete(dir);
  }

  private rulesOf(dir: string): Ignore | null {
    if (this.perDir.has(dir)) return this.perDir.get(dir)!;
    let ig: Ignore | null = null;
    for (const f of RULE_FILES) {
      try {
        const text = readFileSync(path.join(this.root, dir, f), "utf8");
        ig = (ig ?? ignore()).add(text);
      } catch {
        // no rule file here
      }
    }
    this.perDir.set(dir, ig);
    return ig;
  }

  /** Is this one entry ignored, given that its parent folders are not (what a walk that skips ignored folders needs)? */
  ignoresEntry(rel: string, isDir: boolean): boolean {
    const p = isDir ? `${rel}/` : rel;
    let ignored = this.base.ignores(p);
    const parts = rel.split("/");
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join("/");
      const ig = this.rulesOf(dir);
      if (!ig) continue;
      const sub = parts.slice(depth).join("/") + (isDir ? "/" : "");
      const r = ig.test(sub);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }

  /** Is this path ignored, itself or through one of its folders? */
  ignores(rel: string, isDir = false): boolean {
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) if (this.ignoresEntry(parts.slice(0, i).join("/"), true)) return true;
    return this.ignoresEntry(rel, isDir);
  }
}

export function isRuleFile(rel: string): boolean {
  return RULE_FILES.includes(rel.split("/").pop() ?? "");
}
