// Loads tree-sitter grammars (web-tree-sitter + @vscode/tree-sitter-wasm) once per process and parses text.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
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
/**
 * The runtime's linear memory, shared by every grammar of this thread. It grows to what the largest tree parsed so far
 * needed (over 100 MB on a minified 1 MB file) and never shrinks: a worker pool retires a thread that grew it too far.
 */
let memory: LinearMemory | undefined;
/** 32 MB to start and a 2 GB ceiling, as web-tree-sitter sizes its own. */
const INITIAL_PAGES = 512;
const MAXIMUM_PAGES = 32768;

/** WebAssembly.Memory, which the ES library types leave out. */
interface LinearMemory {
  readonly buffer: ArrayBuffer;
}
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => LinearMemory } }).WebAssembly;
// One parser per grammar file: C and C++ share one.
const parsers = new Map<string, Promise<Parser>>();

/**
 * A wasm file of the bundled server (dist/ carries web-tree-sitter.wasm and grammars/, see esbuild.mjs), else the
 * package's own copy in node_modules (running from sources).
 */
function wasmFile(bundled: string, fromPackage: () => string): string {
  const beside = fileURLToPath(new URL(bundled, import.meta.url));
  return existsSync(beside) ? beside : fromPackage();
}

function grammarPath(file: string): string {
  return wasmFile(`./grammars/${file}`, () => path.join(path.dirname(require.resolve("@vscode/tree-sitter-wasm/package.json")), "wasm", file));
}

function initRuntime(): Promise<void> {
  memory ??= new Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES });
  runtime ??= Parser.init({
    wasmMemory: memory,
    locateFile: (name: string) => (name.endsWith(".wasm") ? wasmFile("./web-tree-sitter.wasm", () => require.resolve("web-tree-sitter/web-tree-sitter.wasm")) : name),
  });
  return runtime;
}

/** Bytes of linear memory the parsers of this thread hold (0 before the first grammar loads). */
export function parserMemoryBytes(): number {
  return memory?.buffer.byteLength ?? 0;
}

/** The parser for a language; the grammar is loaded on first use and kept for the life of the process. */
export function parserFor(language: string): Promise<Parser> {
  const file = GRAMMAR_FILES[language];
  if (!file) return Promise.reject(new Error(`no tree-sitter grammar for language "${language}"`));
  let p = parsers.get(file);
  if (!p) {
    p = (async () => {
      await initRuntime();
      const grammarFile = grammarPath(file);
      let lang: Language;
      try {
        lang = await Language.load(grammarFile);
      } catch (err) {
        throw new Error(
          `could not load the tree-sitter grammar for ${language} from ${grammarFile}: ${(err as Error).message}; ` +
            `is the file there (reinstall the package; in a checkout, npm ci)?`,
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
