// Which files a file imports, read from its source text: what multi-file localisation follows from the best hit to
// the files that change with it. Generic and approximate: relative and package-qualified imports of JavaScript,
// TypeScript and Python, matched against repository paths by their trailing segments.
import { posix } from "node:path";

const JS_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"'\n]+)["']/g;
// Spaces and tabs only, not \s: a run of blank lines must not be rescanned from every line start (linear time).
const PY_FROM = /^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([^#\n]*)/gm;
const PY_IMPORT = /^[ \t]*import[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*)/gm;
const JS_EXT = /\.(?:[cm]?[jt]sx?|vue|svelte)$/;

/** A repository path as a module key: no extension, no trailing `index` / `__init__`. */
export function moduleKey(path: string): string {
  return path.replace(/\.[^./]+$/, "").replace(/\/(?:index|__init__)$/, "");
}

/**
 * The module keys a file's text imports: relative JS/TS specifiers resolved against its folder (exact keys), bare
 * ones and Python modules as trailing path segments (`pkg.mod` -> `pkg/mod`, and `pkg/mod/name` for
 * `from pkg.mod import name`, which may be a module). Keys that are exact start with "/".
 */
export function importTargets(path: string, text: string): string[] {
  const out = new Set<string>();
  const dir = posix.dirname(path);
  if (/\.(?:py|pyi)$/.test(path)) {
    for (const m of text.matchAll(PY_FROM)) {
      const [, dots, mod, names] = m;
      let base = mod!.replace(/\./g, "/");
      if (dots!.length) {
        const up = dir.split("/").filter((p) => p && p !== ".");
        const kept = up.slice(0, Math.max(0, up.length - (dots!.length - 1)));
        base = [...kept, ...(base ? [base] : [])].join("/");
        if (base) out.add(`/${base}`);
      } else if (base) out.add(base);
      for (const name of names!.split(",")) {
        const n = name.trim().split(/\s+/)[0]!.replace(/[()]/g, "");
        if (/^\w+$/.test(n) && base) out.add(dots!.length ? `/${base}/${n}` : `${base}/${n}`);
      }
    }
    for (const m of text.matchAll(PY_IMPORT)) for (const mod of m[1]!.split(",")) out.add(mod.trim().replace(/\./g, "/"));
    return [...out];
  }
  if (!JS_EXT.test(path)) return [];
  for (const m of text.matchAll(JS_SPECIFIER)) {
    const spec = m[1]!;
    if (spec.startsWith(".")) {
      const resolved = posix.join(dir, spec).replace(/\/$/, "");
      // The repository's root itself, or outside it: nothing here to link.
      if (resolved !== "." && resolved !== ".." && !resolved.startsWith("../")) out.add(`/${moduleKey(resolved)}`);
    } else if (!spec.startsWith("node:")) out.add(moduleKey(spec));
  }
  return [...out];
}

/** Whether a target of importTargets names this repository path. */
export function namesPath(target: string, path: string): boolean {
  const key = moduleKey(path);
  if (target.startsWith("/")) return key === target.slice(1);
  if (!target.includes("/")) return false; // a bare package or a top-level module name: too vague to follow
  return key === target || key.endsWith(`/${target}`);
}
