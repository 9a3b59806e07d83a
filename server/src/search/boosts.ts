// Code-aware boosts on top of fusion: symbol and path matches up; tests, docs, config, examples and vendored code
// down unless the query asks for them. Each boost says why.
import { CLASS_LIKE } from "../chunking/types.ts";
import type { Point } from "../store/types.ts";
import type { ParsedQuery } from "./query.ts";

export interface Boost {
  factor: number;
  why: string[];
  /** The query writes the chunk's qualified name (`Session.request`). */
  qualified: boolean;
  /** The query writes the chunk's file name with hyphens or as its words in a row (`no-with`). */
  joinedName?: boolean;
}

const VENDORED = /(^|\/)(vendor|vendored|third_party|thirdparty|external|externals|extern|node_modules|_vendor)\//i;
/** Python's older vendoring convention: libraries copied under the package's own `packages/` (`requests/packages/urllib3`). */
const VENDORED_PY = /.\/packages\/.*\.py$/;
/** A library copied in as one file: minified, or its version in the name (`static/jquery-3.5.1.js`, `underscore-1.13.1.js`). */
const VENDORED_FILE = /(?:\.min|[-.]v?\d+\.\d+(?:\.\d+)*)\.(?:js|mjs|css)$/i;
const EXAMPLES = /(^|\/)(examples?|samples?|demos?|benchmarks?|bench|playgrounds?|sandbox|fixtures?|e2e)\//i;
/** Hand-written type declarations: TypeScript's `.d.ts` (`.d.cts`, `.d.mts`) and Python's `.pyi` stubs. */
const TYPE_DECLARATIONS = /\.(?:d\.[cm]?ts|pyi)$/i;
/**
 * A question about types lifts them this much (commit subjects: one-gold-file Acc@5 79.6 -> 80.8, no rank lost; 2
 * gained one more multi-file question). Declarations are not down-ranked otherwise: at 0.8 or 0.6 the multi-file
 * questions, whose changes touch a declaration beside its source, lost 1.4 points of Acc@5.
 */
const TYPES_FACTOR = 1.5;
const KIND_FACTOR = { test: 0.3, doc: 0.35, config: 0.7 } as const;
/**
 * Tests, docs or config a short query asks for go a little up, not far: in a question "test" is as often the
 * project's subject (a test runner's "retried test objects") as a request for test files, and the code must stay in the
 * running (1.6 cost the commit-subject questions 1.3 points of Acc@5).
 */
const ASKED_FACTOR = 1.2;

export function boostFor(p: Point, q: ParsedQuery): Boost {
  let factor = 1;
  const why: string[] = [];
  const sym = symbolMatch(p, q);
  if (sym) {
    factor *= sym.factor;
    why.push(sym.why);
  }
  if (CLASS_LIKE.has(p.symbol_kind) && q.titleNames.has(p.symbol)) {
    factor *= TITLE_CLASS_FACTOR;
    why.push(`class named in the title: ${p.symbol}`);
  }
  const lowerPath = p.path.toLowerCase();
  const named = namedPathMatch(lowerPath, q.paths);
  const joined = named ? undefined : joinedName(lowerPath, q.joinedNames);
  if (named) {
    factor *= named.factor;
    why.push(named.why);
  } else if (joined) {
    // `lib/rules/no-with.js` for "report no-with violations" or "no with rule": JS repositories name rules, plugins
    // and components so, and the words of such a name are often too common (`no`, `with`) to find the file by.
    factor *= JOINED_NAME_FACTOR;
    why.push(`file name in query: ${joined}`);
  } else if (q.terms.length > 1) {
    // The file's own name among the query's terms (`skipping`, `saferepr`): the issue is probably about that module.
    // An issue text must stress it (its title, a name); a short question names few things, each on purpose.
    const stem = lowerPath.slice(lowerPath.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "");
    if (stem.length > 3 && !GENERIC_STEMS.has(stem) && q.terms.some((t) => t.term === stem && (t.weight >= STEM_TERM_WEIGHT || q.short)) && !namedFolder(stem, q.paths)) {
      factor *= STEM_FACTOR;
      why.push(`file name in query: ${stem}`);
    }
  }
  if (p.kind !== "code" && p.kind !== "memory") {
    if (!q.wants.has(p.kind)) {
      factor *= KIND_FACTOR[p.kind];
      why.push(`${p.kind} file down-ranked`);
    } else {
      factor *= ASKED_FACTOR;
      why.push(`${p.kind} file asked for`);
    }
  }
  if (q.wantsTypes && TYPE_DECLARATIONS.test(p.path)) {
    factor *= TYPES_FACTOR;
    why.push("type declarations asked for");
  }
  if (VENDORED.test(p.path) || VENDORED_PY.test(p.path) || VENDORED_FILE.test(p.path)) {
    factor *= 0.5;
    why.push("vendored code down-ranked");
  } else if (EXAMPLES.test(p.path) && !/\bexamples?\b/i.test(q.text)) {
    factor *= 0.7;
    why.push("example code down-ranked");
  }
  return { factor, why, qualified: sym?.qualified === true, ...(joined ? { joinedName: true } : {}) };
}

/**
 * The definition of a class an issue's title names (`ZeroMatrix` in "Exception when multiplying BlockMatrix containing
 * ZeroMatrix blocks"): the title names the subject. Measured on both benchmark sets, a boost for any symbol the title
 * names cost Acc@1 and MRR on both; one for class definitions only, from 1.35 to 1.5, raised Lite's Acc@5 and left the
 * held-out set's file-level figures as they were (a title may also name the class that shows a fault made elsewhere).
 */
const TITLE_CLASS_FACTOR = 1.4;

/** A folder of a path the query names (`matrices` in `sympy/matrices/expressions/blockmatrix.py`, `vector` in the
 * module `sympy.vector`): a repeated frame path makes its folders frequent words, which say nothing about a file that
 * shares a folder's name. */
function namedFolder(stem: string, paths: string[]): boolean {
  return paths.some((p) => {
    const parts = p.toLowerCase().replace(/\\/g, "/").split("/");
    // A file's path ends in its name; a module's (`sympy/vector`) may end in a folder.
    return (/\.[a-z0-9]+$/.test(p) ? parts.slice(0, -1) : parts).includes(stem);
  });
}

/** A file whose name the query writes with hyphens (or as its words in a row) is about as sure as a named module. */
const JOINED_NAME_FACTOR = 1.5;

/** The file's stem (`no-with` of `lib/rules/no-with.js`, `shell-completion` of `shell_completion.py`), when it has two
 * parts or more and the query writes it (see ParsedQuery.joinedNames). */
export function joinedName(lowerPath: string, names: Set<string>): string | undefined {
  if (!names.size) return undefined;
  const stem = joinedStem(lowerPath);
  return stem && names.has(stem) ? stem : undefined;
}

/** A file's stem in kebab case when it has two parts or more (`Shell_Completion.py` -> `shell-completion`). */
export function joinedStem(filePath: string): string | undefined {
  const stem = filePath.slice(filePath.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "").toLowerCase().replace(/_/g, "-").replace(/^-+|-+$/g, "");
  return stem.includes("-") ? stem : undefined;
}

/** File stems too common to say which module an issue is about. */
const GENERIC_STEMS = new Set(["__init__", "main", "base", "core", "utils", "util", "common", "helpers", "index", "types", "misc", "setup", "conftest"]);
const STEM_FACTOR = 1.25;
const STEM_TERM_WEIGHT = 1.5;

/**
 * A path the query names: a file (`requests/models.py`, or a traceback's absolute path whose tail is this file), or
 * a dotted module (`sympy.physics.units` names `sympy/physics/units.py` or a file under `sympy/physics/units/`).
 */
function namedPathMatch(lowerPath: string, paths: string[]): { factor: number; why: string } | undefined {
  const noExt = lowerPath.replace(/\.[^./]+$/, "");
  let best: { factor: number; why: string } | undefined;
  for (const named of paths) {
    const n = named.toLowerCase().replace(/\\/g, "/").replace(/^\.?\//, "");
    if (!n) continue;
    const hasExt = /\.[a-z0-9]+$/.test(n);
    if (hasExt) {
      // A bare `__init__.py` or `setup.py` names no particular file.
      if (!n.includes("/") && GENERIC_STEMS.has(n.replace(/\.[^.]+$/, ""))) continue;
      // Either path may be the longer one: `models.py` names `requests/models.py`; `/usr/lib/.../requests/models.py` too.
      if (lowerPath === n || lowerPath.endsWith("/" + n) || (n.endsWith("/" + lowerPath) && lowerPath.includes("/"))) {
        return { factor: 1.8, why: `path named in query: ${named}` };
      }
      continue;
    }
    // A file under a named package gains nothing from it: measured on the benchmark's issues, such files were as
    // often wrong as right.
    if (noExt === n || noExt.endsWith("/" + n)) best = { factor: 1.6, why: `module named in query: ${named}` };
  }
  return best;
}

/**
 * A qualified name written out (`Session.request`) names one symbol; on the benchmark's issues it was on the gold
 * file 16 times as often as on a wrong one in the top 10 (a bare name: 2.5 times), so it weighs well above a name.
 */
const QUALIFIED_FACTOR = 2.5;

/**
 * The strongest way the chunk's symbol is named by the query: its qualified name (`Session.request`) written out,
 * its name as written (case matters in code: `subs` is not `Subs`), its name in another case, the class it is in,
 * or a longer name containing a query identifier.
 */
function symbolMatch(p: Point, q: ParsedQuery): { factor: number; why: string; qualified?: true } | undefined {
  if (!p.symbol) return undefined;
  const shown = p.symbol_path || p.symbol;
  if (p.symbol_path.includes(".") && q.text.includes(p.symbol_path)) return { factor: QUALIFIED_FACTOR, why: `qualified name in query: ${shown}`, qualified: true };
  const ids = new Set(q.identifiers);
  const parents = p.symbol_path.split(".").slice(0, -1);
  if (ids.has(p.symbol)) {
    const classes = q.memberOf.get(p.symbol);
    const parent = parents.at(-1);
    // `Function._eval_evalf` named: `EvalfMixin._eval_evalf` shares only the name.
    if (classes && parent && !classes.has(parent)) return { factor: 1.15, why: `symbol match, another class: ${shown}` };
    return { factor: 1.6, why: `symbol match: ${shown}` };
  }
  const lower = p.symbol.toLowerCase();
  let best: { factor: number; why: string } | undefined;
  for (const id of ids) {
    const l = id.toLowerCase();
    if (l === lower) return { factor: 1.3, why: `symbol match (case differs): ${shown}` };
    if (!best && id.length > 3 && parents.includes(id)) best = { factor: 1.25, why: `inside ${id}` };
    if (!best && l.length > 5 && lower.includes(l)) best = { factor: 1.15, why: `symbol contains ${id}` };
  }
  return best;
}
