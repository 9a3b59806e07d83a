// Query understanding: inline filters (`lang:python under:src/`) are parsed out, and the rest becomes weighted
// lexical terms. Long queries (a whole issue text) are reduced to their informative terms and identifiers.
import { CHUNK_KINDS, type ChunkKind } from "../chunking/types.ts";
import type { SearchFilter } from "../store/types.ts";
import { splitIdentifier, STOPWORDS, tokenizeCode, withWordForms } from "../text/index.ts";
import { bareWords, boundTokens, fencedBlocks, replaceUpToLastGt } from "./linear-scan.ts";

export interface ParsedQuery {
  /** The query text without its inline filters. */
  text: string;
  filter: SearchFilter;
  /** `form`: another form of a prose word the query wrote (`deploying` → `deploy`), not a word of its own. */
  terms: { term: string; weight: number; form?: true }[];
  /** Identifiers that look like code (`register_hook`, `Session.request`, `HTTPAdapter`): symbol matches boost. */
  identifiers: string[];
  /** Messages quoted in the query (an exception's, a warning's), as code-token sequences: the code that emits one. */
  phrases: string[][];
  /**
   * Names the query writes only as a class's member (`Function._eval_evalf`, never bare): the classes it names them
   * under. The same name in another class is not what the query points at.
   */
  memberOf: Map<string, Set<string>>;
  /**
   * Qualified names the query writes (`RST.__init__`; every tail of two names or more of `sympy.core.Expr.subs`): the
   * symbols they name are looked up by name, however few of the query's words their code holds.
   */
  qualified: string[];
  /** Names an issue's title writes (`ZeroMatrix`, `Derivative`, `register_hook`): the title names the subject. */
  titleNames: Set<string>;
  /** File names or paths named in the query (`models.py`, `requests/sessions.py`). */
  paths: string[];
  /** The query asks for tests / docs / config explicitly, so they are not down-ranked. */
  wants: Set<ChunkKind>;
  /**
   * A short question about types ("fix typing issues", "add TypeScript definitions for adapters"): hand-written type
   * declarations (`index.d.ts`, `.pyi` stubs) are where such a change goes.
   */
  wantsTypes: boolean;
  /** A short question (at most SHORT_QUERY_WORDS words), not an issue text or a log. */
  short: boolean;
  /**
   * Names written with hyphens (`no-with`, `--collect-only`, `inheritance_diagram`), and in a short question also
   * runs of its words joined by hyphens ("no with rule" -> `no-with`, `with-rule`, `no-with-rule`): a file named so
   * (`lib/rules/no-with.js`) is what the question is about. Lower case, `_` written as `-`.
   */
  joinedNames: Set<string>;
}

const INLINE = /(?:^|\s)(lang|language|under|path|glob|not|kind|symbol|ext|repo):("[^"\n]{0,300}"|\S+)/gi;

/**
 * An issue text without its HTML comments (`<!-- Your title above should be a short description ... -->`): GitHub
 * does not show them, and issue and pull-request templates fill them with the same boilerplate words in every issue.
 * Inside a fenced code block a comment is code, and stays; an unclosed one hides the rest of its stretch of prose.
 */
export function withoutHtmlComments(text: string): string {
  if (!text.includes("<!--")) return text;
  return text
    .split(/(^[ \t]*```[^\n]*\n[\s\S]*?^[ \t]*```)/m)
    .map((part, i) => (i % 2 ? part : part.replace(/<!--[\s\S]*?(?:-->|$)/g, " ")))
    .join("");
}

export function parseQuery(raw: string): ParsedQuery {
  const filter: SearchFilter = {};
  // Every pattern below runs on bounded tokens: see linear-scan.ts.
  const text = withoutHtmlComments(boundTokens(raw))
    .replace(INLINE, (_m, key: string, value: string) => {
      const v = value.replace(/^"|"$/g, "");
      switch (key.toLowerCase()) {
        case "lang":
        case "language":
          filter.language = [...(filter.language ?? []), ...v.split(",").map((s) => s.toLowerCase())];
          break;
        case "under":
          filter.under = v;
          break;
        case "path":
        case "glob":
          filter.path_glob = v;
          break;
        case "not":
          filter.not_glob = v;
          break;
        case "kind":
          filter.kind = v.split(",").filter((k): k is ChunkKind => (CHUNK_KINDS as readonly string[]).includes(k));
          break;
        case "symbol":
          filter.symbol = v;
          break;
        case "ext":
          filter.ext = v.split(",").map((e) => e.replace(/^\./, ""));
          break;
        case "repo":
          filter.repo = v;
          break;
      }
      return " ";
    })
    .trim();
  const { terms, identifiers, paths, title } = extractTerms(text);
  const short = text.split(/\s+/).filter(Boolean).length <= SHORT_QUERY_WORDS;
  return {
    text,
    filter,
    terms,
    identifiers,
    qualified: qualifiedNames(text),
    titleNames: new Set(title.match(TITLE_NAME)),
    paths,
    memberOf: classMembers(text),
    phrases: messagePhrases(text),
    // An issue text mentions tests, docs, settings and types in passing ("pytest 7.1", "the docs say"); only a short
    // question asks for them.
    wants: short ? wantedKinds(text) : new Set(),
    wantsTypes: short && TYPES_WORDS.test(text),
    short,
    joinedNames: joinedNames(text, short),
  };
}

/** Words of a short question joined in runs of up to this many (a file's kebab-case name rarely has more parts). */
const MAX_JOINED_WORDS = 4;
/** A name written with hyphens or underscores, two parts or more: `no-with`, `shell_completion`, `--use-kustomize`. */
const JOINED_NAME = /(?<![\w.\/-])-{0,2}([A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)+)(?![\w\/-])/g;

/** See ParsedQuery.joinedNames. */
function joinedNames(text: string, short: boolean): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(JOINED_NAME)) out.add(m[1]!.toLowerCase().replace(/_/g, "-"));
  if (!short) return out;
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  for (let i = 0; i < words.length; i++) {
    for (let k = 2; k <= MAX_JOINED_WORDS && i + k <= words.length; k++) out.add(words.slice(i, i + k).join("-"));
  }
  return out;
}

/** A name in a title: CamelCase, snake_case or `_private`, or a capitalised word (`Derivative`; case tells a class). */
const TITLE_NAME = /\b(?:[A-Z][a-z0-9]+[A-Z]\w*|[A-Za-z]\w*_\w+|_\w+|[A-Z][a-z]{3,}\w*)\b/g;

/** Qualified names looked up per query: an issue rarely writes more than a handful. */
const MAX_QUALIFIED = 64;

/** See ParsedQuery.qualified: dotted names that are not file names (`index.rst`) or abbreviations (`e.g`). */
function qualifiedNames(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(DOTTED)) {
    if (HAS_FILE_NAME.test(m[0]) || ABBREVIATION.test(m[0])) continue;
    const parts = m[0].split(".");
    for (let i = 0; i + 2 <= parts.length; i++) out.add(parts.slice(i).join("."));
    if (out.size >= MAX_QUALIFIED) break;
  }
  return [...out].slice(0, MAX_QUALIFIED);
}

/** `Class.member`: a capitalised, mixed-case qualifier (a class; not a module, a variable or a constant like `SI`). */
const CLASS_MEMBER = /\b([A-Z][A-Z0-9]*[a-z][A-Za-z0-9]*)\.([A-Za-z_]\w*)\b/g;

/** Members the text names under a class and never on their own (see ParsedQuery.memberOf). */
function classMembers(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of text.matchAll(CLASS_MEMBER)) (out.get(m[2]!) ?? out.set(m[2]!, new Set()).get(m[2]!)!).add(m[1]!);
  if (!out.size) return out;
  // Written bare somewhere (`_eval_evalf(...)`, not `x._eval_evalf`): any class's member may be meant.
  const bare = bareWords(text);
  for (const name of [...out.keys()]) if (bare.has(name)) out.delete(name);
  return out;
}

/** Words of a message that make a phrase worth looking for: fewer could be any code. */
const PHRASE_WORDS = 3;
const MAX_PHRASES = 16;
/** Prose in double quotes, or backticks holding words rather than code: `class reference target not found`. */
const QUOTED_PROSE = /"([^"\n]{12,200})"|`([^`\n]{12,200})`/g;

/**
 * Messages an issue quotes: the text after `SomeError:`, and quoted or backticked prose. Each becomes overlapping runs
 * of PHRASE_WORDS words, so a message whose source has placeholders (`bad escape %s`) still meets its parts.
 */
function messagePhrases(text: string): string[][] {
  const messages: string[] = [];
  for (const m of text.matchAll(EXCEPTION_LINE)) messages.push(m[1]!);
  for (const m of text.matchAll(QUOTED_PROSE)) {
    const body = (m[1] ?? m[2])!;
    if (/\s/.test(body.trim()) && !/[=(){}\[\];]/.test(body)) messages.push(body);
  }
  const out = new Map<string, string[]>();
  for (const msg of messages) {
    // Each word tokenized as the index tokenizes code (an identifier with its parts, stopwords gone), so the run of
    // tokens is the one the index holds wherever the words stand together.
    const words = (msg.split(/\s+/).map((w) => tokenizeCode(w)).filter((t) => t.length));
    for (let i = 0; i + PHRASE_WORDS <= words.length; i++) {
      const run = words.slice(i, i + PHRASE_WORDS).flat();
      out.set(run.join(" "), run);
      if (out.size >= MAX_PHRASES) return [...out.values()];
    }
  }
  return [...out.values()];
}

/** Leading blanks of a line, not line breaks: `^\s*` would run on over every following blank line, from every line. */
const LINE_INDENT = String.raw`^[^\S\n\r\u2028\u2029]*`;
const OWN_DEF = new RegExp(String.raw`${LINE_INDENT}(?:def|class)\s+([A-Za-z_]\w*)|${LINE_INDENT}([A-Za-z_]\w*)\s*(?:,\s*[A-Za-z_]\w*\s*)*=(?!=)`, "gm");
/** Names defined by the code an issue shows (functions, classes, assigned variables), when it is Python-like. */
function ownNames(text: string): Set<string> {
  const out = new Set<string>();
  for (const block of fencedBlocks(text)) for (const m of block.matchAll(OWN_DEF)) out.add((m[1] ?? m[2])!);
  return out;
}

/** Where a path stops being the reporter's machine: site-packages, the interpreter's lib folder, a home folder. */
const ENV_PATH_PREFIX = /[^\s"'<>]*[\/\\](?:site-packages|dist-packages|lib[\/\\]python\d(?:\.\d+)?)[\/\\]|(?:[A-Za-z]:)?[\/\\](?:home|Users)[\/\\][^\/\\\s]+[\/\\]/g;

/** The text with the reporter's own path prefixes taken out: `/home/jan/.pyenv/.../site-packages/sympy/core/expr.py` -> `sympy/core/expr.py`. */
export function withoutEnvironmentPaths(text: string): string {
  return text.replace(ENV_PATH_PREFIX, " ");
}

/** Words past which a query reads as an issue text or a log, not a request for particular kinds of files. */
const SHORT_QUERY_WORDS = 16;

/** The kinds of files a short question asks for by name. */
function wantedKinds(text: string): Set<ChunkKind> {
  const wants = new Set<ChunkKind>();
  if (/\b(tests?|spec|specs|unittest|pytest|fixtures?)\b/i.test(text)) wants.add("test");
  if (/\b(docs?|documentation|readme|guide|tutorial)\b/i.test(text)) wants.add("doc");
  // "JSON bodies", "YAML output" are what code does; only the words for settings ask for config files.
  if (/\b(config|configuration|settings)\b/i.test(text)) wants.add("config");
  return wants;
}

/** The words of a question about types (see ParsedQuery.wantsTypes). */
const TYPES_WORDS = /\b(?:types?|typings?|typescript|typed|type-?check(?:ing|er)?|type definitions?|declarations?|signatures?|generics?)\b/i;

/** Source files' extensions: `expr.py` is a file, never the module `expr.py`. */
const SOURCE_EXTS = "py|pyi|pyx|js|jsx|ts|tsx|mjs|cjs|go|rs|java|cs|cpp|cc|c|h|hpp|rb|php|sh";
const FILE_EXTS = `${SOURCE_EXTS}|md|rst|json|ya?ml|toml|ini|cfg`;
const PATH_LIKE = new RegExp(String.raw`(?:[\w.-]+\/)*[\w-]+\.(?:${FILE_EXTS})\b`, "g");
/** PATH_LIKE anywhere in a string (no global state to reset). */
const HAS_FILE_NAME = new RegExp(PATH_LIKE.source);
const SOURCE_EXT = new RegExp(String.raw`\.(?:${SOURCE_EXTS})$`);
const FILE_EXT_AHEAD = new RegExp(String.raw`^\.(?:${FILE_EXTS})\b`);
const DOTTED = /\b[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+\b/g;
/** Prose abbreviations that look dotted: "e.g", "i.e". */
const ABBREVIATION = /^(?:e\.g|i\.e|etc|vs)\b/i;
const CODEY = /\b(?:[a-z]+[A-Z]\w*|[A-Z][a-z0-9]+[A-Z]\w*|[A-Za-z]\w*_\w+|_\w+|[A-Z]{2,}[a-z]\w*)\b/g;
/** The interpreter's own library (`/usr/lib/python3.9/argparse.py`), not an installed package's folder. */
const STDLIB_PATH = /[\/\\]lib[\/\\]python\d(?:\.\d+)?[\/\\](?!(?:site|dist)-packages[\/\\])/i;
const TRACE_FRAME = /File "([^"]+)", line \d+, in ([\w<>]+)/g;
/** pytest-style frames (`src/pkg/mod.py:123: in func`) and `path:line` mentions. */
const TRACE_COLON = /((?:[\w.-]+\/)*[\w-]+\.py):\d+(?::\s*in\s+(\w+))?/g;
/** IPython / Jupyter frames: `~/site-packages/seaborn/_core.py in _lookup_single(self, key)`. */
const TRACE_IPYTHON = /((?:[~\w.-]*\/)*[\w-]+\.py) in (\w+)\(/g;
/** The line a traceback ends with: `TypeError: RST.__init__() got an unexpected keyword argument 'header_rows'`. */
const EXCEPTION_LINE = new RegExp(String.raw`${LINE_INDENT}(?:[\w.]+\.)?\w*(?:Error|Exception|Warning|error)\s*:\s*(.{3,300})$`, "gm");
const QUOTED = /['"]([A-Za-z_][\w.]*)['"]/g;
/** An exception line: `ValueError: message`. */
const EXCEPTION = /\b([A-Z]\w*(?:Error|Exception|Warning))\b/g;
const CALL = /\b([A-Za-z_]\w*)\s*\(/g;
const BACKTICKS = /`([^`\n]{1,200})`/g;
/** Separators, hashes and hex addresses say nothing about code. */
const NOISE = /^(?:_+|[0-9a-f]{7,}|0x[0-9a-f]+|\d+[a-z]{0,2}\d*)$/;

const TITLE_MAX_CHARS = 160;
/** Words joined by hyphens, alone or as a command-line option: `re-writer`, `--collect-only`. */
const HYPHENATED = /(?<![\w.\/-])-{0,2}([A-Za-z]{2,}(?:-[A-Za-z]{2,})+)(?![\w\/-])/g;

/** The code tokens of a text, and each hyphenated word (`re-writer`, `built-in`, `--collect-only`) joined, as code
 * often spells it in one word: `AssertionRewriter`, `builtins`, `--collectonly`. */
function wordsOf(text: string): string[] {
  const out = tokenizeCode(text);
  for (const m of text.matchAll(HYPHENATED)) out.push(m[1]!.replace(/-/g, "").toLowerCase());
  return out;
}

const EXCEPTION_WEIGHT = 2.5;
/** A query this long is an issue text or a log: environment dumps are taken out of it. */
const LONG_TEXT_CHARS = 400;

/**
 * `numpy 1.18.1`, `attrs   19.1.0  py37_0  <pip>`: a line of a package list. (The version is `\d+\.\w\S*`: the same lines
 * as `\d+(?:\.\w+)+\S*`, whose nested repetition backtracked through every split of a long dotted run.)
 */
const PACKAGE_LINE = /^\s*[A-Za-z][\w.-]*(?:\s+|==)v?\d+\.\w\S*(?:\s+\S+){0,3}\s*$/;
/** `numpy: 1.18.1`, `LC_ALL: None`, `python-bits: 64`: a line of a version report. */
const VERSION_LINE = /^\s*[\w.-]+(?: [\w.-]+)?\s*:\s*(?:None|unknown|v?\d[\w.+-]*(?:\s*\(.*\))?)\s*$/i;
/** A test runner's session header: `platform linux -- Python 3.7.5, pytest-5.3.2, ...`, `rootdir: /home/...`. */
const SESSION_HEADER_LINE = /^\s*(?:platform \w+ -- Python \d|(?:rootdir|cachedir|plugins|configfile|inifile|testpaths)\s*:)/;
/** Interpreter banners and list headers: `Python 3.6.4 |Anaconda ...|`, `Type 'copyright', ...`, `IPython 6.2.1 -- ...`. */
const BANNER_LINE = /^\s*(?:Python \d+\.\d+\S*\s*[|(]|Type ["'](?:help|copyright)|IPython \d|\[(?:GCC|Clang|MSC)\b|Package\s+Version\b|Name\s+Version\s+Build\b|INSTALLED VERSIONS)/i;

/**
 * An issue's environment report (pip or conda lists, version reports, interpreter banners) names every package the
 * reporter has installed; none of it says which code the issue is about, and a long list drowns the words that do.
 */
export function withoutEnvironmentDumps(text: string): string {
  const lines = text.split(/\r?\n/);
  const dump = lines.map((line) => PACKAGE_LINE.test(line) || VERSION_LINE.test(line) || BANNER_LINE.test(line) || SESSION_HEADER_LINE.test(line));
  // The call that printed a report (`<summary>Output of <tt>xr.show_versions()</tt>`, `>>> sklearn.show_versions()`),
  // a few lines above it, names the reporting helper, not the code the issue is about.
  for (let i = 0; i < lines.length; i++) {
    if (!dump[i] || (i > 0 && dump[i - 1])) continue;
    for (let j = i - 1; j >= Math.max(0, i - REPORT_CALL_LINES); j--) if (REPORT_CALL.test(lines[j]!)) dump[j] = true;
  }
  return lines.filter((_, i) => !dump[i]).join("\n");
}
/** Lines above a report searched for the call that printed it. */
const REPORT_CALL_LINES = 4;
/** A call of a version-report helper (`xr.show_versions()`); no leading `\w*`, which would rescan a long word from each start. */
const REPORT_CALL = /(?:show_versions|show_config|print_versions|version_info)[ \t]*\([ \t]*\)/;
/** A link to a file in a repository (`https://github.com/o/r/blob/<ref>/pkg/mod.py#L12`): the part after the ref. */
const SOURCE_LINK = /\bhttps?:\/\/[^\s\/]+\/[^\s\/]+\/[^\s\/]+\/(?:-\/)?(?:blob|tree|src)\/[^\s\/]+\/([^\s#?)\]>"'`]+)[^\s)\]>"'`]*/g;
const LINK = /\b(?:https?|ftp):\/\/[^\s)\]>"'`]+|\bgit@[\w.-]+:[^\s)\]>"'`]+|<img\b[^>]*>/gi;
/** LINK without its `<img ...>` alternative, for text after the last `>` (see replaceUpToLastGt). */
const LINK_NO_TAG = /\b(?:https?|ftp):\/\/[^\s)\]>"'`]+|\bgit@[\w.-]+:[^\s)\]>"'`]+/gi;

/**
 * An issue's links and screenshots (`https://user-images.githubusercontent.com/...png`, `<img alt=...>`) name hosts
 * and hashes, not code; a link to a source file keeps the file's path.
 */
export function withoutLinks(text: string): string {
  return replaceUpToLastGt(text.replace(SOURCE_LINK, " $1 "), LINK, LINK_NO_TAG, " ");
}

/** Terms at most this long keep their weight; an issue text is reduced to this many of its strongest terms. */
const MAX_TERMS = 48;

/**
 * Weighted terms of a query. In a long text (an issue), identifiers, traceback frames, named paths and dotted names
 * weigh most, then words of the title, then code in backticks or fenced blocks, then prose; a term repeated across the
 * text gains a little. The strongest terms are kept.
 */
export function extractTerms(raw: string): { terms: { term: string; weight: number; form?: true }[]; identifiers: string[]; paths: string[]; title: string } {
  const bounded = boundTokens(raw);
  const text = bounded.length > LONG_TEXT_CHARS ? withoutLinks(withoutEnvironmentDumps(bounded)) : bounded;
  const weights = new Map<string, number>();
  const bump = (t: string, w: number) => {
    if (t.length < 2 || STOPWORDS.has(t) || NOISE.test(t)) return;
    const had = weights.get(t);
    weights.set(t, had === undefined ? w : Math.max(had, w) + 0.1);
  };
  const identifiers = new Set<string>();
  const paths = new Set<string>();
  const frames = new Set<string>();

  for (const m of text.matchAll(TRACE_FRAME)) {
    paths.add(m[1]!.replace(/\\/g, "/"));
    if (STDLIB_PATH.test(m[1]!)) continue;
    if (!m[2]!.startsWith("<")) {
      identifiers.add(m[2]!);
      frames.add(m[2]!);
    }
  }
  for (const m of text.matchAll(TRACE_COLON)) {
    paths.add(m[1]!);
    if (m[2]) {
      identifiers.add(m[2]);
      frames.add(m[2]);
    }
  }
  for (const m of text.matchAll(TRACE_IPYTHON)) {
    paths.add(m[1]!);
    identifiers.add(m[2]!);
    frames.add(m[2]!);
  }
  for (const m of text.matchAll(PATH_LIKE)) paths.add(m[0]);
  const dottedParts = new Set<string>();
  // Named as paths, but their words weigh as the file name's: `index.rst` is most often just that.
  const dataFileModules = new Set<string>();
  for (const m of text.matchAll(DOTTED)) {
    const parts = m[0].split(".");
    // A dotted module path (`pkg.sub.module`) may name a file.
    const modulePath = parts.every((p) => /^[a-z_][a-z0-9_]*$/.test(p)) ? parts.join("/") : undefined;
    if (HAS_FILE_NAME.test(m[0])) {
      // A data file's name that may as well be a dotted module (`ascii.rst` names the format of `ascii/rst.py`).
      if (modulePath && !SOURCE_EXT.test(m[0])) dataFileModules.add(modulePath);
      continue;
    }
    // Numbers and prose abbreviations ("e.g", "i.e") are not dotted names.
    if (ABBREVIATION.test(m[0])) continue;
    identifiers.add(parts[parts.length - 1]!);
    for (const p of parts) if (p.length > 2) dottedParts.add(p);
    if (modulePath) paths.add(modulePath);
  }
  for (const p of dottedParts) identifiers.add(p);
  // A name followed by a file extension (`__init__` of `pkg/__init__.py`) is a file's name, not a symbol's.
  for (const m of text.matchAll(CODEY)) if (!FILE_EXT_AHEAD.test(text.slice(m.index! + m[0].length, m.index! + m[0].length + 8))) identifiers.add(m[0]);
  for (const m of text.matchAll(EXCEPTION)) identifiers.add(m[1]!);

  const words = wordsOf(withoutEnvironmentPaths(text));
  // An issue text: long, or several lines (a title over code or a log).
  const long = words.length > 40 || text.trim().split("\n").length >= 3;
  const freq = new Map<string, number>();
  for (const w of words) freq.set(w, (freq.get(w) ?? 0) + 1);
  for (const [w, n] of freq) bump(w, 1 + (long ? Math.min(0.75, 0.25 * Math.log2(n)) : 0));
  let title = "";
  if (long) {
    // An issue's title names its subject; a first line that runs on is prose, not a title.
    const first = text.split("\n").find((l) => l.trim()) ?? "";
    if (first.length <= TITLE_MAX_CHARS) title = first;
    for (const t of wordsOf(title)) bump(t, 3);
    for (const m of text.matchAll(BACKTICKS)) for (const t of wordsOf(m[1]!)) bump(t, 1.75);
    for (const m of text.matchAll(CALL)) if (!STOPWORDS.has(m[1]!.toLowerCase())) identifiers.add(m[1]!);
    for (const block of fencedBlocks(text)) for (const t of wordsOf(block)) bump(t, 1.5);
    // The error an issue reports names what failed: its words weigh like the title's, names quoted in it are code.
    for (const m of text.matchAll(EXCEPTION_LINE)) {
      for (const t of wordsOf(m[1]!)) bump(t, EXCEPTION_WEIGHT);
      for (const q of m[1]!.matchAll(QUOTED)) identifiers.add(q[1]!);
    }
  }
  // Names the reporter defines in the issue's own code (`def make_struct`, `mystruct = ...`) are not the project's.
  const own = long ? ownNames(text) : new Set<string>();
  for (const id of own) if (!frames.has(id)) identifiers.delete(id);
  for (const id of identifiers) {
    const lower = id.toLowerCase();
    bump(lower, frames.has(id) ? 4 : 3);
    for (const part of splitIdentifier(id)) bump(part, 1.5);
  }
  for (const p of paths) {
    const base = p.slice(p.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "");
    for (const t of tokenizeCode(base.replace(/[-.]/g, " "))) bump(t, 2.5);
  }
  for (const m of dataFileModules) paths.add(m);
  let terms = [...weights].map(([term, weight]) => ({ term, weight: Math.round(weight * 100) / 100 }));
  if (long) {
    // An issue text: keep the strongest terms, so common prose does not drown the identifiers.
    terms.sort((a, b) => b.weight - a.weight || a.term.localeCompare(b.term));
    terms = terms.slice(0, MAX_TERMS);
  }
  // A question's words in other forms (`deploying` also finds `deploy`); an issue text already holds its words in
  // several forms, and its terms are capped.
  if (!long) terms = withWordForms(terms, text);
  return { terms, identifiers: [...identifiers], paths: [...paths], title };
}
