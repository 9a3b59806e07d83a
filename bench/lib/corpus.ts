// The benchmark corpus: real third-party code from pinned npm packages, installed into a temp folder on first use.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const PACKAGES = [
  "typescript@5.6.3", "@babel/core@7.26.0", "lodash@4.17.21", "lodash-es@4.17.21", "express@4.21.2", "fastify@5.2.1",
  "zod@3.24.1", "axios@1.7.9", "rxjs@7.8.1", "date-fns@3.6.0", "core-js@3.39.0", "ramda@0.30.1", "webpack@5.97.1",
  "eslint@9.17.0", "three@0.171.0", "moment@2.30.1",
];

export const DEFAULT_CORPUS = path.join(os.tmpdir(), "ce-bench-corpus");

/** The corpus folder (its `packages/` subfolder holds the code), installed when missing or stale. */
export function ensureCorpus(dir = DEFAULT_CORPUS, packages: string[] = PACKAGES): string {
  const pkgs = path.join(dir, "packages");
  const marker = path.join(dir, "corpus.json");
  if (existsSync(marker) && JSON.parse(readFileSync(marker, "utf8")).packages.join() === packages.join()) return pkgs;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "ce-bench-corpus", private: true }));
  process.stderr.write(`installing the corpus (${packages.length} pinned packages and their dependencies) into ${dir} ...\n`);
  execFileSync("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error", ...packages], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  // node_modules is excluded by the indexer's built-in rules; the corpus is the same code under another name.
  renameSync(path.join(dir, "node_modules"), pkgs);
  writeFileSync(marker, JSON.stringify({ packages }));
  return pkgs;
}

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export function round(v: number, d = 2): number {
  return Math.round(v * 10 ** d) / 10 ** d;
}
