// Zod schemas of the MCP tools' inputs and outputs, with descriptions an agent can act on.
import { z } from "zod";
import type { ChunkKind } from "../chunking/types.ts";
import { repoNameProblem } from "../files/index.ts";
import { MAX_QUERY_CHARS } from "../search/index.ts";
import type { SearchFilter } from "../store/types.ts";

/** A query or question: refused with a clear error past MAX_QUERY_CHARS, before any work is done on it. */
export function queryArg(description: string) {
  return z
    .string()
    .min(1)
    .max(MAX_QUERY_CHARS, { message: `at most ${MAX_QUERY_CHARS} characters: keep the part that matters (an issue's title, its error and the names it mentions)` })
    .describe(description);
}

export const filterShape = {
  language: z.string().optional().describe("Only these languages, comma-separated: python, typescript, tsx, javascript, go, rust, java, csharp, cpp, ruby, php, bash, markdown, ..."),
  under: z.string().optional().describe("Only paths under this folder, e.g. 'src/server/'"),
  path_glob: z.string().optional().describe("Only paths matching this glob, e.g. '**/*.py' or 'src/**/handlers/*'"),
  not_glob: z.string().optional().describe("Exclude paths matching this glob, e.g. '**/migrations/**'"),
  kind: z.enum(["code", "test", "doc", "config"]).optional().describe("Only this kind of file"),
  symbol: z.string().optional().describe("Only chunks whose symbol or symbol path contains this, e.g. 'Session.request'"),
  ext: z.string().optional().describe("Only these file extensions, comma-separated, without dots: 'py,pyi'"),
  repo: z.string().optional().describe("Repo to search; '*' searches every repo in the collection (default: the served repo)"),
};

export type FilterArgs = { [K in keyof typeof filterShape]?: string };

/** How results are cut: a score floor and the snippet's length. */
export const resultShape = {
  min_score: z.number().min(0).optional().describe("Leave out results scoring below this (scores near 1 are strong matches; default: no cut)"),
  snippet_lines: z.number().int().min(1).max(200).optional().describe("Lines of each snippet, chosen around the lines that matched (default 12)"),
};

export type ResultArgs = { min_score?: number; snippet_lines?: number };

export function toFilter(a: FilterArgs): SearchFilter {
  const list = (v?: string) => v?.split(",").map((s) => s.trim()).filter(Boolean);
  const f: SearchFilter = {};
  if (a.language) f.language = list(a.language.toLowerCase());
  if (a.under) f.under = a.under;
  if (a.path_glob) f.path_glob = a.path_glob;
  if (a.not_glob) f.not_glob = a.not_glob;
  if (a.kind) f.kind = [a.kind as ChunkKind];
  if (a.symbol) f.symbol = a.symbol;
  if (a.ext) f.ext = list(a.ext);
  if (a.repo) {
    const problem = a.repo === "*" ? undefined : repoNameProblem(a.repo);
    if (problem) throw new Error(`repo ${JSON.stringify(a.repo)} is refused: ${problem} ("*" searches every repo)`);
    f.repo = a.repo;
  }
  return f;
}

export const searchResultSchema = z.object({
  path: z.string(),
  repo: z.string(),
  start_line: z.number(),
  end_line: z.number(),
  symbol: z.string(),
  symbol_path: z.string(),
  symbol_kind: z.string(),
  language: z.string(),
  kind: z.string(),
  score: z.number(),
  why: z.array(z.string()),
  components: z.record(z.number()),
  snippet: z.string(),
  match_line: z.number(),
  match_lines: z.array(z.number()),
});

export const searchOutput = {
  results: z.array(searchResultSchema),
  query: z.object({ text: z.string(), terms: z.array(z.string()), filter: z.record(z.unknown()) }),
  took_ms: z.number(),
  note: z.string().optional(),
};

export const memoryMetadataSchema = z
  .object({
    kind: z.string().optional().describe("What the memory is: decision, convention, gotcha, todo, note, ..."),
    language: z.string().optional().describe("Language it concerns, e.g. python"),
    path: z.string().optional().describe("File or folder it concerns"),
    tags: z.array(z.string()).optional().describe("Free tags"),
    topic: z.string().optional().describe("Short topic, e.g. 'auth' or 'build'"),
    priority: z.number().optional().describe("Importance, 0 (default) to 10"),
    author: z.string().optional(),
  })
  .passthrough();

export const memoryItemSchema = z.object({
  id: z.string(),
  information: z.string(),
  metadata: z.record(z.unknown()),
  created_at: z.string(),
  repo: z.string(),
  score: z.number().optional(),
  why: z.array(z.string()).optional(),
});
