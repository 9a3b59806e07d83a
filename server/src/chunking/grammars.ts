// Loads tree-sitter grammars (web-tree-sitter + @vscode/tree-sitter-wasm) once per process and parses text.
import { createRequire } from "node:module";
import path from "node:path";
import { Language, Parser, type Tree } from "web-tree-sitter";

const require = createRequire(import.meta.url);

/** Our language ids → the grammar file in @vscode/tree-sitter-wasm. C is parsed with the C++ grammar. */
const GRAMMAR_FILES: Readonly<Record<string, string>> = {
  typescript: "tree-sitter-typescript.wasm",
  tsx: "tree-sitter-tsx.wasm",
  javascript: "tree-sitter-javascript.wasm",
  python: "tree-sitter-python.wasm",
  go: "tree-sitter-go.wasm",
  rust: "tree-sitter-rust.wasm",
  java: "tree-sitter-java.wasm",
  csharp: "tree-sitter-c-sharp.wasm",
  cpp: "tree-sitter-cpp.wasm",
  c: "tree-sitter-cpp.wasm",
  ruby: "tree-sitter-ruby.wasm",
  php: "tree-sitter-php.wasm",
  bash: "tree-sitter-bash.wasm",
};

export function hasGrammar(language: string): boolean {
  return Object.hasOwn(GRAMMAR_FILES, language);
}

export function grammarLanguages(): string[] {
  return Object.keys(GRAMMAR_FILES);
}

let runtime: Promise<void> | undefined;
// One parser per grammar file: C and C++ share one.
const parsers = new Map<string, Promise<Parser>>();

function wasmDir(): string {
  return path.join(path.dirname(require.resolve("@vscode/tree-sitter-wasm/package.json")), "wasm");
}

function initRuntime(): Promise<void> {
  // Resolve the runtime's own wasm through node resolution, so a bundled server (dist/) still finds it.
  runtime ??= Parser.init({
    locateFile: (name: string) => (name.endsWith(".wasm") ? require.resolve("web-tree-sitter/web-tree-sitter.wasm") : name),
  });
  return runtime;
}

/** The parser for a language; the grammar is loaded on first use and kept for the life of the process. */
export function parserFor(language: string): Promise<Parser> {
  const file = GRAMMAR_FILES[language];
  if (!file) return Promise.reject(new Error(`no tree-sitter grammar for language "${language}"`));
  let p = parsers.get(file);
  if (!p) {
    p = (async () => {
      await initRuntime();
      const grammarPath = path.join(wasmDir(), file);
      let lang: Language;
      try {
        lang = await Language.load(grammarPath);
      } catch (err) {
        throw new Error(
          `could not load the tree-sitter grammar for ${language} from ${grammarPath}: ${(err as Error).message}; ` +
            `is @vscode/tree-sitter-wasm installed (npm ci)?`,
        );
      }
      const parser = new Parser();
      parser.setLanguage(lang);
      return parser;
    })();
    // A failed load is not cached, so a later call can retry (e.g. after the package is installed).
    p.catch(() => parsers.delete(file));
    parsers.set(file, p);
  }
  return p;
}

// Parsing runs at 1-12 MB/s; a file that takes far longer has hit a pathological case in a grammar's error
// recovery and is better served by line windows than by stalling the indexer.
const PARSE_BUDGET_MS = 5_000;
const PARSE_BUDGET_MS_PER_KB = 10;

/**
 * Parses `text`; the caller must `delete()` the tree. Returns null when tree-sitter gives up or the parse
 * runs out of time. Parsing is synchronous, so concurrent callers sharing a parser never interleave.
 */
export function parse(parser: Parser, text: string, budgetMs = PARSE_BUDGET_MS + (text.length / 1024) * PARSE_BUDGET_MS_PER_KB): Tree | null {
  // A cancelled parse would otherwise resume on the next call.
  parser.reset();
  const deadline = performance.now() + budgetMs;
  // The callback's declared return type is void, but returning true cancels the parse.
  const progressCallback = (() => performance.now() > deadline) as unknown as () => void;
  return parser.parse(text, null, { progressCallback });
}
