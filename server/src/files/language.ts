import type { ChunkKind } from "../chunking/types.ts";

const BY_EXT: Record<string, string> = {
  ts: "typescript", mts: "typescript", cts: "typescript", tsx: "tsx",
  js: "javascript", mjs: "javascript", cjs: "javascript", jsx: "javascript",
  py: "python", pyi: "python", go: "go", rs: "rust", java: "java", cs: "csharp",
  cpp: "cpp", cc: "cpp", cxx: "cpp", hpp: "cpp", hh: "cpp", hxx: "cpp", c: "c", h: "c",
  rb: "ruby", php: "php", sh: "bash", bash: "bash", zsh: "bash",
  md: "markdown", markdown: "markdown", mdx: "markdown", rst: "rst", txt: "text",
  json: "json", jsonc: "json", yaml: "yaml", yml: "yaml", toml: "toml", ini: "ini", cfg: "ini", conf: "ini",
  xml: "xml", html: "html", htm: "html", css: "css", scss: "css", less: "css", sql: "sql",
  kt: "kotlin", kts: "kotlin", swift: "swift", scala: "scala", lua: "lua", r: "r", pl: "perl",
  vue: "vue", svelte: "svelte", dart: "dart", ex: "elixir", exs: "elixir", erl: "erlang", hs: "haskell",
  gradle: "gradle", proto: "protobuf", graphql: "graphql", tf: "terraform", ps1: "powershell",
};

const BY_NAME: Record<string, string> = {
  dockerfile: "dockerfile", makefile: "make", "cmakelists.txt": "cmake", gemfile: "ruby", rakefile: "ruby",
  jenkinsfile: "groovy", ".bashrc": "bash", ".profile": "bash", ".gitignore": "ignore", ".contextignore": "ignore",
  ".dockerignore": "ignore", ".npmignore": "ignore", ".gitattributes": "ignore", ".editorconfig": "ini",
};

/** Language id of a path, from its name or extension; "text" when unknown. */
export function languageOf(filePath: string): string {
  const base = filePath.slice(filePath.lastIndexOf("/") + 1).toLowerCase();
  const byName = BY_NAME[base];
  if (byName) return byName;
  const dot = base.lastIndexOf(".");
  if (dot < 0) return "text";
  return BY_EXT[base.slice(dot + 1)] ?? "text";
}

/** Extension without the dot, lower-case ("" when none). */
export function extOf(filePath: string): string {
  const base = filePath.slice(filePath.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}

const DOC_LANGS = new Set(["markdown", "rst", "text"]);
const CONFIG_LANGS = new Set(["ignore", "json", "yaml", "toml", "ini", "xml", "dockerfile", "make", "cmake", "gradle", "terraform"]);
const TEST_PATH = /(^|\/)(tests?|__tests__|spec|specs|testing)\/|(^|\/)test_[^/]*$|_test\.[a-z]+$|\.(test|spec)\.[a-z]+$|(^|\/)conftest\.py$|Tests?\.(java|cs|kt)$/i;
const DOC_PATH = /(^|\/)(docs?|documentation)\//i;

/** What a file is for: code, test, doc or config. */
export function kindOf(filePath: string, language: string): ChunkKind {
  if (TEST_PATH.test(filePath)) return "test";
  if (DOC_LANGS.has(language) || DOC_PATH.test(filePath)) return "doc";
  if (CONFIG_LANGS.has(language)) return "config";
  return "code";
}
