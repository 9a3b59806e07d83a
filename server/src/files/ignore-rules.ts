// Ignore rules: built-in excludes, then every .gitignore (at any depth) and .contextignore, with git's semantics
// (the `ignore` package), each file's patterns relative to its own folder.
import ignore, { type Ignore } from "ignore";
import { readFileSync } from "node:fs";
import path from "node:path";

/** Folders never walked. */
export const EXCLUDED_DIRS = new Set([
  ".git", ".hg", ".svn", "node_modules", "dist", "build", "out", ".codebase", "__pycache__", ".mypy_cache",
  ".pytest_cache", ".tox", ".nox", ".venv", "venv", "env", ".env", "virtualenv", ".eggs", "site-packages",
  ".next", ".nuxt", ".cache", ".gradle", ".idea", ".vscode-test", "target", "coverage", ".terraform", "bower_components",
  ".tools",
]);

const EXCLUDED_FILE = new RegExp(
  [
    String.raw`(^|/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb|Cargo\.lock|poetry\.lock|Pipfile\.lock|composer\.lock|Gemfile\.lock|go\.sum|uv\.lock)$`,
    String.raw`\.min\.(js|css)$`, String.raw`\.(map|lock)$`, String.raw`(\.pb\.go|_pb2\.py|\.g\.dart|\.designer\.cs)$`,
    String.raw`\.(png|jpe?g|gif|bmp|ico|webp|tiff?|psd|svgz|mp3|mp4|wav|ogg|flac|avi|mov|webm|mkv|pdf|zip|gz|tgz|bz2|xz|zst|7z|rar|tar|jar|war|ear|class|o|a|so|dylib|dll|exe|bin|obj|pyc|pyo|whl|egg|wasm|node|ttf|otf|woff2?|eot|db|sqlite3?|parquet|arrow|npy|npz|pkl|pickle|pt|pth|ckpt|onnx|gguf|ggml|safetensors|h5|tflite|mlmodel|iso|dmg|img)$`,
  ].join("|"),
  "i",
);

export const IGNORE_FILES = [".gitignore", ".contextignore"];

/** True for built-in excluded file names (lock files, minified, generated, binaries, model files). */
export function isExcludedFile(relPath: string): boolean {
  return EXCLUDED_FILE.test(relPath);
}

/** Rules of one folder's ignore files, relative to that folder. */
interface FolderRules {
  dir: string; // posix, relative to root, "" for the root
  ig: Ignore;
}

/** The ignore rules of a tree; `load` reads the ignore files of one folder when the walk enters it. */
export class IgnoreRules {
  private readonly byDir = new Map<string, FolderRules | null>();

  constructor(private readonly root: string) {}

  /** Reads (or re-reads) the ignore files of a folder. */
  load(relDir: string): void {
    const ig = ignore();
    let any = false;
    for (const name of IGNORE_FILES) {
      try {
        ig.add(readFileSync(path.join(this.root, relDir, name), "utf8"));
        any = true;
      } catch {
        // absent or unreadable: no rules from it
      }
    }
    this.byDir.set(relDir, any ? { dir: relDir, ig } : null);
  }

  /** Forgets every loaded folder (after an ignore file changed). */
  reset(): void {
    this.byDir.clear();
  }

  private rulesFor(relDir: string): FolderRules | null {
    if (!this.byDir.has(relDir)) this.load(relDir);
    return this.byDir.get(relDir) ?? null;
  }

  /** Is this path (posix, relative to the root) ignored by a built-in rule or an ignore file above it? */
  ignores(relPath: string, isDir: boolean): boolean {
    const parts = relPath.split("/");
    const name = parts[parts.length - 1]!;
    if (isDir ? EXCLUDED_DIRS.has(name) : isExcludedFile(relPath)) return true;
    for (let i = 0; i < parts.length - 1; i++) if (EXCLUDED_DIRS.has(parts[i]!)) return true;
    // Deeper ignore files override shallower ones, as in git: check from the root down, last verdict wins.
    let ignored = false;
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join("/");
      const rules = this.rulesFor(dir);
      if (!rules) continue;
      const rel = parts.slice(depth).join("/") + (isDir ? "/" : "");
      const r = rules.ig.test(rel);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }
}
