// Markdown tables of a run and of every run on record (RESULTS.md).
import fs from "node:fs";
import path from "node:path";
import type { Summary } from "./score.ts";

export interface RepoRow {
  repo: string;
  engine: Summary;
  bm25: Summary;
  /** The same BM25 over code files only (tests, docs and config left out); absent in older records. */
  bm25Code?: Summary;
  /** Seconds of the first (full) index of the repository's checkout. */
  firstIndexS: number;
  /** Mean seconds of the incremental re-index after moving the checkout to the next instance's commit. */
  reindexS: number | null;
  reindexFiles: number | null;
  searchMs: number;
  bm25SearchMs: number;
}

export interface RunRecord {
  label: string;
  embedder: string;
  command: string;
  date: string;
  machine: string;
  instances: number;
  sample: boolean;
  overall: RepoRow;
  repos: RepoRow[];
  leftOut: { instance_id: string; repo: string; reason: string }[];
  searchMsP50: number;
  searchMsMax: number;
  /** A recipe-made set's splits (commits.ts), scored strictly: absent for SWE-bench sets. */
  groups?: RepoRow[];
  perInstance: unknown[];
}

const f1 = (x: number) => x.toFixed(1);

/** An instance the engine did not rank first, for --verbose: gold, query terms, and the best result of its top files. */
export function missReport(
  inst: { gold_files: string[]; gold_spans: Record<string, string[]> },
  res: { query: { terms: string[] }; results: { path: string; score: number; start_line: number; symbol_path: string; why: string[] }[] },
): string {
  const lines = [`   gold ${inst.gold_files.join(", ")} ${JSON.stringify(inst.gold_spans)}`, `   terms ${res.query.terms.slice(0, 40).join(" ")}`];
  // The first six files, and the gold file's best hit wherever it ranks.
  const seen = new Set<string>();
  for (const r of res.results) {
    if (seen.has(r.path)) continue;
    seen.add(r.path);
    const gold = inst.gold_files.includes(r.path);
    if (seen.size > 6 && !gold) continue;
    lines.push(`   ${gold ? `#${seen.size} ` : ""}${r.score.toFixed(3)} ${r.path}:${r.start_line} ${r.symbol_path} [${r.why.join("; ")}]`);
  }
  return lines.join("\n") + "\n";
}

function rowCells(name: string, n: number, s: Summary): string[] {
  return [name, String(n), f1(s.acc["@1"]!), f1(s.acc["@3"]!), f1(s.acc["@5"]!), f1(s.acc["@10"]!), s.mrr.toFixed(3), f1(s.funcAcc["@5"]!), f1(s.funcAcc["@10"]!)];
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i ? "---:" : "---")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

const HEAD = ["", "n", "Acc@1", "Acc@3", "Acc@5", "Acc@10", "MRR", "fn Acc@5", "fn Acc@10"];
const STRICT_HEAD = ["", "n", "Acc@1", "Acc@3", "Acc@5", "Acc@10", "MRR", "recall@10"];

/** Strict file-level cells: every gold file among the first k; MRR of the first gold file; share of gold in the top 10. */
function strictCells(name: string, s: Summary): string[] {
  const st = s.strict ?? s.acc;
  return [name, String(s.n), f1(st["@1"]!), f1(st["@3"]!), f1(st["@5"]!), f1(st["@10"]!), s.mrr.toFixed(3), (s.recall10 ?? 0).toFixed(3)];
}

/** The strict table of a recipe-made set: all questions, then each split, the engine's row above the baselines'. */
export function strictTable(r: RunRecord): string {
  const rows: string[][] = [];
  for (const g of [{ ...r.overall, repo: "all" }, ...(r.groups ?? []), ...r.repos]) {
    rows.push(strictCells(`${g.repo} — ${r.label}`, g.engine));
    rows.push(strictCells(`${g.repo} — BM25 baseline`, g.bm25));
    if (g.bm25Code) rows.push(strictCells(`${g.repo} — BM25 baseline, code files only`, g.bm25Code));
  }
  return table(STRICT_HEAD, rows);
}

export function runMarkdown(r: RunRecord): string {
  if (r.groups?.length) return strictMarkdown(r);
  const rows: string[][] = [];
  for (const x of [...r.repos, r.overall]) {
    const name = x === r.overall ? "**all**" : x.repo;
    rows.push(rowCells(`${name} — ${r.label}`, x.engine.n, x.engine));
    rows.push(rowCells(`${name} — BM25 baseline`, x.bm25.n, x.bm25));
    if (x.bm25Code) rows.push(rowCells(`${name} — BM25 baseline, code files only`, x.bm25Code.n, x.bm25Code));
  }
  const speed = [...r.repos, r.overall].map((x) => [
    x === r.overall ? "**all**" : x.repo,
    x.firstIndexS.toFixed(1),
    x.reindexS === null ? "–" : x.reindexS.toFixed(2),
    x.reindexFiles === null ? "–" : x.reindexFiles.toFixed(0),
    x.searchMs.toFixed(0),
    x.bm25SearchMs.toFixed(0),
  ]);
  return [
    `## ${r.label} (${r.instances} instances${r.sample ? ", a sample" : ""})`,
    "",
    `\`${r.command}\` — ${r.date}, ${r.machine}`,
    "",
    "File-level Acc@k (%) and MRR; function-level Acc@k (%): every gold function among the first k distinct functions.",
    "",
    table(HEAD, rows),
    "",
    table(["", "first index (s)", "re-index per commit move (s)", "files re-indexed per move", "search ms / issue", "BM25 search ms"], speed),
    "",
    `Search time per issue: p50 ${r.searchMsP50.toFixed(0)} ms, max ${r.searchMsMax.toFixed(0)} ms.`,
    "",
  ].join("\n");
}

/** A recipe-made set's run: strict file-level figures by split and by repository, then the speed table. */
function strictMarkdown(r: RunRecord): string {
  return [
    `## ${r.label} (${r.instances} questions${r.sample ? ", a sample" : ""})`,
    "",
    `\`${r.command}\` — ${r.date}, ${r.machine}`,
    "",
    "Strict file-level Acc@k (%): every gold file among the first k distinct files; MRR of the first gold file; recall@10: mean",
    "share of the gold files among the first 10.",
    "",
    strictTable(r),
    "",
    `Search time per question: p50 ${r.searchMsP50.toFixed(0)} ms, max ${r.searchMsMax.toFixed(0)} ms.`,
    "",
  ].join("\n");
}

/** RESULTS.md: the headline rows of every run on record, then each run's full tables. */
export function writeResults(resultsDir: string, out: string, dataset: string): void {
  const runs = fs
    .readdirSync(resultsDir)
    .filter((f) => /^quality-.*\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(resultsDir, f), "utf8")) as RunRecord)
    .sort((a, b) => (a.embedder === "none" ? -1 : b.embedder === "none" ? 1 : a.label.localeCompare(b.label)));
  if (!runs.length) return;
  const base = runs[0]!;
  const strict = !!base.groups?.length;
  const cells = (name: string, x: Summary) => (strict ? strictCells(name, x) : rowCells(name, x.n, x));
  const head: string[][] = runs.map((r) => cells(r.label, r.overall.engine));
  head.push(cells(`BM25 baseline (whole files, FTS5 default tokenizer, ${strict ? "question" : "issue"} words OR-ed)`, base.overall.bm25));
  if (base.overall.bm25Code) head.push(cells("BM25 baseline, code files only (tests, docs, config left out)", base.overall.bm25Code));
  const left = new Map<string, number>();
  for (const l of base.leftOut) left.set(`${l.repo}: ${l.reason}`, (left.get(`${l.repo}: ${l.reason}`) ?? 0) + 1);
  const how = strict
    ? [
        "Each question: a commit's subject (conventional prefix, pull-request numbers and tags taken off), asked of the",
        "repository checked out at the commit's parent (one checkout per repository moved from commit to commit and",
        "re-indexed incrementally); its gold files are the product's source files the commit changed. Strict file-level",
        "Acc@k: every gold file among the first k distinct files (a file ranks by its best result); MRR of the first gold",
        "file; recall@10: the mean share of gold files among the first 10. Recipe: bench/quality/commits.ts and",
        "bench/quality/commit-repos.json; the questions themselves are not published.",
      ]
    : [
        "Each instance: the repository checked out at `base_commit`, indexed by the engine (one checkout per repository moved",
        "from commit to commit and re-indexed incrementally), searched with the issue text. File-level Acc@k: the gold file",
        "among the first k distinct files (a file ranks by its best result); MRR over files; function-level Acc@k: every gold",
        "function of the instance among the first k distinct functions (`imports` spans left out).",
      ];
  const text = [
    `# Retrieval quality on ${dataset}`,
    "",
    ...how,
    "",
    table(strict ? STRICT_HEAD : HEAD, head),
    "",
    `Left out: ${[...left].map(([k, n]) => `${n} × ${k}`).join("; ") || "none"}.`,
    "",
    ...runs.map(runMarkdown),
  ].join("\n");
  fs.writeFileSync(out, text);
}
