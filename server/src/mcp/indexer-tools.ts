// The indexer server's tools: search (code, code + memories, tests, config, callers, importers), grounded answers,
// index status and maintenance.
import { existsSync } from "node:fs";
import path from "node:path";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { answerQuestion } from "../answer/index.ts";
import { statePathFor } from "../config/index.ts";
import { folderInside } from "../files/index.ts";
import { denseLine, readState } from "../indexer/index.ts";
import { renderGrouped, type SearchResult } from "../search/index.ts";
import type { McpContext } from "./context.ts";
import { renderMemories, toolResult, type ToolExtra, progressReporter } from "./render.ts";
import { filterShape, queryArg, memoryItemSchema, resultShape, searchOutput, searchResultSchema, toFilter, type FilterArgs, type ResultArgs } from "./schemas.ts";
import { searchMentions } from "./mentions.ts";
import { laneOf } from "./admission.ts";
import { askWatcherToReindex, delegatedRepo, recreateRefusal } from "./watcher-delegate.ts";

/** The search options a tool's result-shaping arguments ask for. */
const resultOptions = (a: ResultArgs) => ({
  ...(a.min_score !== undefined ? { minScore: a.min_score } : {}),
  ...(a.snippet_lines !== undefined ? { snippetLines: a.snippet_lines } : {}),
});

const limitArg = (def: number) => z.number().int().min(1).max(100).optional().describe(`How many results (default ${def})`);

export function registerIndexerTools(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    "repo_search",
    {
      title: "Search code",
      description:
        "Hybrid (lexical + semantic) code search over the indexed repository. Returns one hit per stretch of code (path, start-end, " +
        "symbol, score, why it matched), grouped by file, each with the numbered lines that matched and match_line, the line to open. " +
        "Works with identifiers (register_hook, Session.request), natural language, or a whole issue text. Inline filters also work in " +
        "the query: 'lang:python under:src/ ...'. A query none of whose words occur in the closest code returns nothing and says so.",
      inputSchema: { query: queryArg("What to find: identifiers, a description, an error message or an issue text"), limit: limitArg(10), ...resultShape, ...filterShape },
      outputSchema: searchOutput,
      annotations: { readOnlyHint: true },
    },
    async (args, extra: ToolExtra) => {
      const res = await ctx.search.search(args.query, { limit: args.limit ?? 10, filter: toFilter(args as FilterArgs), ...resultOptions(args) }, laneOf(extra));
      return toolResult(renderGrouped(res.results, { tookMs: res.took_ms, ...(res.note ? { note: res.note } : {}) }), { ...res });
    },
  );

  server.registerTool(
    "context_search",
    {
      title: "Search code and memories",
      description:
        "Like repo_search, plus the team's stored memories (decisions, conventions, gotchas) blended in. Use it before changing code you do not know.",
      inputSchema: {
        query: queryArg("What to find"),
        limit: limitArg(10),
        include_memories: z.boolean().optional().describe("Blend memories in (default true)"),
        memory_weight: z.number().min(0).max(10).optional().describe("Multiplier on memory scores (default 1)"),
        ...resultShape,
        ...filterShape,
      },
      outputSchema: { results: z.array(searchResultSchema), memories: z.array(memoryItemSchema), took_ms: z.number(), note: z.string().optional() },
      annotations: { readOnlyHint: true },
    },
    async (args, extra: ToolExtra) => {
      const started = performance.now();
      const limit = args.limit ?? 10;
      const filter = toFilter(args as FilterArgs);
      const [code, mems] = await Promise.all([
        ctx.search.search(args.query, { limit, filter, ...resultOptions(args) }, laneOf(extra)),
        args.include_memories === false ? Promise.resolve([]) : ctx.memory.find(args.query, { limit: Math.max(3, Math.ceil(limit / 2)) }),
      ]);
      const weight = args.memory_weight ?? 1;
      const memories = mems.map((m) => ({ ...m, score: Math.round(m.score * weight * 10000) / 10000 })).filter((m) => m.score > 0);
      const took = Math.round(performance.now() - started);
      const text = (memories.length ? renderMemories(memories) + "\n\n" : "") + renderGrouped(code.results, { tookMs: took, ...(code.note ? { note: code.note } : {}) });
      return toolResult(text, { results: code.results, memories, took_ms: took, ...(code.note ? { note: code.note } : {}) });
    },
  );

  server.registerTool(
    "context_answer",
    {
      title: "Answer from the code, with citations",
      description:
        "Retrieves the relevant code, then asks the configured decoder (llama.cpp) for a short answer citing [n] blocks (path:lines). " +
        "Without a decoder it returns the retrieved, cited context and says so. Says 'insufficient context' when the code does not answer.",
      inputSchema: {
        query: queryArg("The question about the code").optional(),
        question: queryArg("Same as query (either one)").optional(),
        limit: limitArg(8),
        budget_tokens: z.number().int().min(200).max(32000).optional().describe("Token budget of the prompt (default 2000)"),
        ...(ctx.decoder ? { expand_query: z.boolean().optional().describe("Also search alternate phrasings written by the decoder") } : {}),
        ...filterShape,
      },
      outputSchema: {
        answer: z.string(),
        citations: z.array(z.object({ id: z.number(), repo: z.string(), path: z.string(), start_line: z.number(), end_line: z.number() })),
        insufficient: z.boolean(),
        used: z.record(z.unknown()),
        warnings: z.array(z.string()),
      },
      annotations: { readOnlyHint: true },
    },
    async (args, extra: ToolExtra) => {
      const question = args.query ?? args.question;
      if (!question) throw new Error('context_answer needs "query": the question about the code ("question" is accepted too).');
      const progress = progressReporter(extra);
      const res = await answerQuestion(
        { search: (q, o) => ctx.search.search(q, o, laneOf(extra)), decoder: ctx.decoder, log: ctx.log },
        {
          question,
          filter: toFilter(args as FilterArgs),
          ...(args.limit ? { limit: args.limit } : {}),
          ...(args.budget_tokens ? { budget_tokens: args.budget_tokens } : {}),
          ...((args as { expand_query?: boolean }).expand_query ? { expand_query: true } : {}),
          signal: extra.signal,
          onProgress: (p) => p.stage !== "generating" || !p.token ? progress(p.message) : undefined,
        },
      );
      const cites = res.citations.map((c) => `[${c.id}] ${c.path}:${c.start_line}-${c.end_line}`).join("\n");
      const warn = res.warnings.length ? `\n\nNotes: ${res.warnings.join("; ")}` : "";
      return toolResult(`${res.answer}\n\n${cites}${warn}`, { ...res, used: { ...res.used } });
    },
  );

  server.registerTool(
    "qdrant_status",
    {
      title: "Index status",
      description: "State of the index: store, collection, embedder, per-repo counts, and the indexing status (idle, indexing with progress, watching, error).",
      inputSchema: { repo: z.string().optional().describe("Repo to report (default: the served repo, or all)") },
      annotations: { readOnlyHint: true },
    },
    async (args) => {
      const stats = await ctx.store.stats();
      const repos = args.repo && args.repo !== "*" ? [args.repo] : ctx.repos();
      const states = Object.fromEntries(repos.map((r) => [r, readState(statePathFor(ctx.settings, ctx.repoRoot(r), r)) ?? null]));
      const shown = stats.filter((s) => !args.repo || args.repo === "*" || s.repo === args.repo);
      const dense = ctx.store.dense;
      const denseByRepo = Object.fromEntries(await Promise.all(shown.map(async (s) => [s.repo, dense ? await dense.denseProgress(s.repo) : null] as const)));
      const out = {
        store: ctx.store.kind, location: ctx.store.location, collection: ctx.settings.collectionName, embedder: ctx.embedder.name,
        dimension: ctx.embedder.dimension, default_repo: ctx.defaultRepo, root: ctx.root,
        repos: shown, states, dense: denseByRepo,
        decoder: ctx.decoder?.name ?? "none",
      };
      const lines = out.repos.map(
        (s) => `${s.repo}: ${s.files} files, ${s.points} chunks, ${s.memories} memories, status ${states[s.repo]?.status ?? "unknown"}, dense: ${denseLine(denseByRepo[s.repo] ?? undefined, states[s.repo]?.dense?.status)}`,
      );
      return toolResult(`Store ${out.store} (${out.location}), collection ${out.collection}, embedder ${out.embedder}\n${lines.join("\n") || "nothing indexed yet"}`, out);
    },
  );

  server.registerTool(
    "qdrant_list",
    {
      title: "List indexed repos",
      description: "Repos in the collection with their point, file and memory counts and when they were last indexed.",
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    async () => {
      const repos = (await ctx.store.stats()).map((s) => ({ ...s, last_indexed: s.last_indexed_at ? new Date(s.last_indexed_at).toISOString() : null }));
      return toolResult(repos.map((r) => `${r.repo}: ${r.points} chunks, ${r.files} files, last indexed ${r.last_indexed ?? "never"}`).join("\n") || "empty", {
        collection: ctx.settings.collectionName,
        repos,
      });
    },
  );

  const indexTool = async (repo: string | undefined, under: string | undefined, recreate: boolean, extra: ToolExtra, confirm?: string) => {
    const refusal = recreate ? recreateRefusal(ctx, confirm) : undefined;
    if (refusal) throw new Error(refusal);
    if (ctx.settings.watcherUrl) return askWatcherToReindex(ctx, delegatedRepo(ctx, repo), under ? `index ${under}` : "index the repository");
    const engine = await ctx.engineFor(repo);
    const progress = progressReporter(extra);
    return ctx.withIndexLock(engine.repo, async () => {
      if (recreate) await engine.store.recreate({ embedder: engine.embedder.name, dimension: engine.embedder.dimension });
      const report = await engine.index({
        signal: extra.signal,
        ...(under ? { under } : {}),
        onProgress: (p) => p.phase === "indexing" && progress(`${p.done}/${p.total} ${p.current ?? ""}`, p.done, p.total),
      });
      // Searchable now; dense vectors fill in behind (status shows how far).
      engine.denseBackground.kick();
      const out = { repo: engine.repo, root: engine.root, ...report, skipped: report.skipped.length, skipped_files: report.skipped.slice(0, 50) };
      return toolResult(
        `Indexed ${engine.repo}${under ? ` under ${under}` : ""}: ${report.indexed} files indexed, ${report.unchanged} unchanged, ${report.removed} removed, ${report.chunks} chunks in ${report.ms} ms`,
        out,
      );
    });
  };

  server.registerTool(
    "qdrant_index_root",
    {
      title: "Index the repository",
      description: "Indexes the whole served repository (incremental: only changed files are re-read). Reports progress; can be cancelled.",
      inputSchema: {
        repo: z.string().optional().describe("Repo to index when the server serves a folder of repos"),
        recreate: z.boolean().optional().describe("Drop the whole collection (every repo) first and rebuild (default false); needs confirm"),
        confirm: z.string().optional().describe("With recreate: the collection's name, to confirm dropping it"),
      },
    },
    async (args, extra: ToolExtra) => indexTool(args.repo, undefined, args.recreate ?? false, extra, args.confirm),
  );

  server.registerTool(
    "qdrant_index",
    {
      title: "Index a folder",
      description: "Indexes one folder of the repository (incremental). Reports progress; can be cancelled.",
      inputSchema: {
        subdir: z.string().min(1).describe("Folder relative to the repository root, e.g. 'src/api'"),
        repo: z.string().optional().describe("Repo, when the server serves a folder of repos"),
      },
    },
    async (args, extra: ToolExtra) => {
      // With a watcher (the cluster) no engine is opened here: the folder is checked in the repo's folder.
      const repo = ctx.settings.watcherUrl ? delegatedRepo(ctx, args.repo) : undefined;
      const root = repo ? (ctx.multiRepo ? path.join(ctx.root, repo) : ctx.root) : (await ctx.engineFor(args.repo)).root;
      let sub: string;
      try {
        sub = folderInside(root, args.subdir);
      } catch (e) {
        throw new Error(`subdir must be a folder inside the repository: ${(e as Error).message}`);
      }
      return indexTool(args.repo, sub, false, extra);
    },
  );

  server.registerTool(
    "qdrant_prune",
    {
      title: "Prune deleted files",
      description: "Drops the points of files that no longer exist on disk (or are now ignored).",
      inputSchema: { repo: z.string().optional().describe("Repo, when the server serves a folder of repos") },
    },
    async (args) => {
      if (ctx.settings.watcherUrl) return askWatcherToReindex(ctx, delegatedRepo(ctx, args.repo), "drop the points of deleted files");
      const engine = await ctx.engineFor(args.repo);
      const files = await engine.store.listFiles(engine.repo);
      engine.indexer.rules.reset();
      const gone = [...files.keys()].filter((p) => !existsSync(path.join(engine.root, p)) || engine.indexer.rules.ignores(p, false));
      await engine.store.removeFiles(engine.repo, gone);
      return toolResult(`Pruned ${gone.length} files from ${engine.repo}`, { repo: engine.repo, removed: gone.length, paths: gone.slice(0, 200) });
    },
  );

  const focused = (
    name: string,
    title: string,
    description: string,
    run: (args: { query: string; limit?: number } & FilterArgs, lane: string) => Promise<SearchResult[]>,
  ) =>
    server.registerTool(
      name,
      {
        title,
        description,
        inputSchema: { query: queryArg("Symbol, file or topic"), limit: limitArg(10), repo: filterShape.repo, under: filterShape.under, language: filterShape.language },
        outputSchema: { results: z.array(searchResultSchema) },
        annotations: { readOnlyHint: true },
      },
      async (args, extra: ToolExtra) => {
        const results = await run(args as { query: string; limit?: number } & FilterArgs, laneOf(extra));
        return toolResult(renderGrouped(results), { results });
      },
    );

  focused("search_tests_for", "Find tests", "Tests that exercise a symbol, file or behaviour.", async (a, lane) =>
    (await ctx.search.search(`${a.query} test`, { limit: a.limit ?? 10, filter: { ...toFilter(a), kind: ["test"] } }, lane)).results,
  );
  focused("search_config_for", "Find configuration", "Configuration (YAML, JSON, TOML, env, build files) related to a topic or setting.", async (a, lane) =>
    (await ctx.search.search(`${a.query} config`, { limit: a.limit ?? 10, filter: { ...toFilter(a), kind: ["config"] } }, lane)).results,
  );
  focused("search_callers_for", "Find callers", "Places that call a function or method (by name, e.g. 'register_hook' or 'Session.request').", (a, lane) =>
    searchMentions(ctx, a.query, "callers", a.limit ?? 10, toFilter(a), lane),
  );
  focused("search_importers_for", "Find importers", "Files that import a module, file or symbol (by name, e.g. 'models' or 'requests.sessions').", (a, lane) =>
    searchMentions(ctx, a.query, "importers", a.limit ?? 10, toFilter(a), lane),
  );
}
