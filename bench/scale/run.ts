// bench:scale: does the cost per MB stay flat on a corpus about ten times the size of bench:index's? Indexes the
// bench:index corpus and a large one (more pinned npm packages: real third-party code) one after the other, each in its
// own process (bench:index's --child: peak RSS is that run's own), lexical-only as shipped by default, and reports for
// both: MB indexed, time until searchable, MB/s, CPU-seconds per MB, peak RSS, index size per MB of code, search
// p50/p95 over identifiers sampled from each index, ripgrep over the same tree, and the ratios large / base.
//   npm run bench:scale [-- --queries 200] [--skip-base]
// Writes bench/results/scale.json and scale.md. The large corpus is ~1 GB on disk once installed (in the temp folder).
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { DEFAULT_CORPUS, ensureCorpus, PACKAGES, percentile, round } from "../lib/corpus.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values } = parseArgs({
  options: {
    queries: { type: "string", default: "200" },
    "skip-base": { type: "boolean", default: false },
    out: { type: "string", default: path.join(root, "bench", "results") },
  },
});

/** The large corpus: bench:index's packages plus big, widely used ones (pinned), with their dependencies. */
export const SCALE_PACKAGES = [
  ...PACKAGES,
  "googleapis@144.0.0", "aws-sdk@2.1692.0", "monaco-editor@0.52.2", "next@15.1.0", "@angular/core@19.0.5",
  "@angular/compiler@19.0.5", "@angular/common@19.0.5", "@angular/forms@19.0.5", "react-dom@19.0.0", "@mui/material@6.3.0",
  "pdfjs-dist@4.9.155", "echarts@5.5.1", "antd@5.22.5", "vue@3.5.13", "svelte@5.16.0", "prettier@3.4.2", "mathjs@14.0.1",
  "chart.js@4.4.7", "@sentry/browser@8.47.0", "graphql@16.10.0", "mongoose@8.9.2", "sequelize@6.37.5", "typeorm@0.3.20",
  "@nestjs/core@10.4.15", "d3@7.9.0", "firebase@11.1.0", "@tensorflow/tfjs@4.22.0", "playwright-core@1.49.1",
  // Large code bases with few peer dependencies, to bring the corpus to about ten times bench:index's.
  "@babylonjs/core@9.37.1", "cesium@1.145.0", "@aws-sdk/client-ec2@3.1178.0", "ol@10.11.0", "plotly.js@4.1.1",
  "ag-grid-community@36.2.0", "highcharts@13.1.1", "@aws-sdk/client-sagemaker@3.1142.0", "@aws-sdk/client-iam@3.1178.0",
  "@aws-sdk/client-s3@3.1178.0", "@azure/arm-network@39.0.0", "@azure/arm-compute@25.1.1", "@google-cloud/compute@7.8.0",
  "@google-cloud/aiplatform@7.4.0", "phaser@4.2.1", "pixi.js@8.22.0", "@elastic/elasticsearch@9.5.1",
  "@aws-sdk/client-rds@3.1178.0", "@aws-sdk/client-glue@3.1178.0", "@aws-sdk/client-ssm@3.1178.0", "@aws-sdk/client-lambda@3.1178.0",
  "@azure/arm-appservice@19.0.0", "@azure/arm-apimanagement@10.0.0", "@azure/arm-sql@10.0.0", "@azure/arm-storage@21.0.0",
  "@google-cloud/dialogflow-cx@5.8.2", "@google-cloud/retail@5.2.0", "@google-cloud/dataplex@4.0.1", "@google-cloud/speech@8.1.0",
  "@azure/arm-containerservice@25.5.0", "@azure/arm-monitor@8.0.0", "@azure/arm-cosmosdb@17.0.0", "@azure/arm-datafactory@12.0.0",
];
const SCALE_CORPUS = path.join(os.tmpdir(), "ce-bench-corpus-scale");

interface Row {
  corpus: string;
  files: number;
  chunks: number;
  mb: number;
  searchable_s: number;
  full_s: number;
  mb_per_s: number;
  full_cpu_s: number;
  mb_per_cpu_s: number;
  load_during_index: number;
  peak_rss_mb: number;
  index_mb: number;
  search_ms_p50: number;
  search_ms_p95: number;
  rg_ms_p50: number | null;
  queries: string[];
}

function ripgrepP50(dir: string, queries: string[]): number | null {
  if (spawnSync("rg", ["--version"]).status !== 0) return null;
  const lat: number[] = [];
  for (const q of queries.slice(0, 50)) {
    const t = performance.now();
    spawnSync("rg", ["-F", "-i", "-n", "-m", "50", q.split(" ")[0]!, dir], { stdio: "ignore" });
    lat.push(performance.now() - t);
  }
  return round(percentile(lat, 50));
}

function measure(name: string, dir: string): Row {
  process.stderr.write(`indexing the ${name} corpus (${dir}) ...\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "bench", "index", "run.ts"), "--child", "lexical", "--corpus", dir, "--queries", values.queries!], {
    cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`indexing the ${name} corpus failed:\n${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split("\n").pop()!);
  return {
    corpus: name, files: m.files, chunks: m.chunks, mb: m.mb, searchable_s: m.searchable_s, full_s: m.full_s, mb_per_s: m.mb_per_s,
    full_cpu_s: m.full_cpu_s, mb_per_cpu_s: m.mb_per_cpu_s, load_during_index: m.load_during_index, peak_rss_mb: m.peak_rss_mb,
    index_mb: m.index_mb, search_ms_p50: m.search_ms_p50, search_ms_p95: m.search_ms_p95, rg_ms_p50: ripgrepP50(dir, m.queries), queries: m.queries,
  };
}

const rows: Row[] = [];
if (!values["skip-base"]) rows.push(measure("bench:index", ensureCorpus(DEFAULT_CORPUS)));
rows.push(measure("large", ensureCorpus(SCALE_CORPUS, SCALE_PACKAGES)));

const perMb = (r: Row) => ({
  cpu_s_per_mb: round(r.full_cpu_s / r.mb, 3), rss_mb: r.peak_rss_mb, index_mb_per_mb: round(r.index_mb / r.mb, 2), search_ms_p50: r.search_ms_p50,
});
const base = rows.find((r) => r.corpus === "bench:index");
const large = rows.find((r) => r.corpus === "large")!;
const ratios = base
  ? {
      size: round(large.mb / base.mb, 1),
      cpu_s_per_mb: round(perMb(large).cpu_s_per_mb / perMb(base).cpu_s_per_mb, 2),
      peak_rss: round(large.peak_rss_mb / base.peak_rss_mb, 2),
      index_mb_per_mb: round(perMb(large).index_mb_per_mb / perMb(base).index_mb_per_mb, 2),
      search_p50: round(large.search_ms_p50 / base.search_ms_p50, 2),
    }
  : null;
const result = {
  date: new Date().toISOString(), node: process.version, machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((l) => round(l)) },
  packages: { base: PACKAGES, large: SCALE_PACKAGES }, rows: rows.map(({ queries: _q, ...r }) => ({ ...r, per_mb: perMb(r as Row) })), ratios,
};
const table = [
  "| corpus | files | MB | chunks | searchable s | full index s | MB/s | CPU s | CPU s per MB | load | peak RSS MB | index MB | index MB per MB | search p50 ms | search p95 ms | rg p50 ms |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.corpus} | ${r.files} | ${r.mb} | ${r.chunks} | ${r.searchable_s} | ${r.full_s} | ${r.mb_per_s} | ${r.full_cpu_s} | ${perMb(r).cpu_s_per_mb} | ${r.load_during_index} | ${r.peak_rss_mb} | ${r.index_mb} | ${perMb(r).index_mb_per_mb} | ${r.search_ms_p50} | ${r.search_ms_p95} | ${r.rg_ms_p50 ?? "-"} |`),
  "",
  ratios
    ? `Large / base: ${ratios.size}x the code; CPU-seconds per MB ${ratios.cpu_s_per_mb}x, peak RSS ${ratios.peak_rss}x, index size per MB ${ratios.index_mb_per_mb}x, search p50 ${ratios.search_p50}x.`
    : "",
].join("\n");
mkdirSync(values.out!, { recursive: true });
writeFileSync(path.join(values.out!, "scale.json"), JSON.stringify(result, null, 2) + "\n");
writeFileSync(path.join(values.out!, "scale.md"), table + "\n");
process.stdout.write(table + "\n");
