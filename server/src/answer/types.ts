// The contract of context_answer: what it needs injected, what it is asked, what it returns.
import type { Decoder } from "../decoder/index.ts";
import type { Logger } from "../log/index.ts";
import type { SearchResult } from "../search/types.ts";
import type { SearchFilter } from "../store/types.ts";

/** Hybrid retrieval as repo_search runs it (same filters); injected so the pipeline has one way to search. */
export type SearchFn = (query: string, opts: { limit: number; filter: SearchFilter; snippetLines?: number }) => Promise<{ results: SearchResult[] }>;

export interface AnswerDeps {
  search: SearchFn;
  /** null: no decoder configured; the answer is the retrieved, cited context. */
  decoder: Decoder | null;
  log: Logger;
}

export type AnswerStage = "retrieving" | "expanding" | "packing" | "generating" | "checking" | "done";

/** Progress for the caller (MCP progress notifications); `token` carries streamed answer text while generating. */
export interface AnswerProgress {
  stage: AnswerStage;
  message: string;
  token?: string;
}

export interface AnswerRequest {
  question: string;
  filter?: SearchFilter;
  /** Tokens the whole prompt (instructions, question, context blocks) may take. Default 2000. */
  budget_tokens?: number;
  /** Search results to retrieve (per query when expanded). Default 8. */
  limit?: number;
  /** Also search alternate phrasings written by the decoder (ignored, with a warning, when there is none). */
  expand_query?: boolean;
  /** Upper bound on the generated answer. Default 256. */
  max_tokens?: number;
  /** Default 0.1: answers about code should not be creative. */
  temperature?: number;
  signal?: AbortSignal;
  onProgress?: (p: AnswerProgress) => void;
}

export interface Citation {
  /** The block number [n] as the prompt and answer use it. */
  id: number;
  repo: string;
  path: string;
  start_line: number;
  end_line: number;
}

export interface AnswerUsage {
  /** "none", or the provider that wrote the answer ("llamacpp-http", "node-llama-cpp"). */
  decoder: string;
  /** Context blocks given to the decoder (or shown, without one). */
  blocks: number;
  /** Every block given, whether cited or not. */
  sources: Citation[];
  prompt_tokens: number;
  /** The budget actually packed against (after clamping to the decoder's context). */
  budget_tokens: number;
  /** "model": counted with the decoder's tokenizer; "estimate": characters / 3.5. */
  tokenizer: "model" | "estimate";
  completion_tokens?: number;
  stop?: string;
  /** Search results retrieved before merging. */
  retrieved: number;
  /** The queries searched: the question first, then any alternate phrasings. */
  queries: string[];
  /** expand: writing alternate phrasings; retrieve: the searches; generate: packing and decoding. */
  timings_ms: { expand: number; retrieve: number; generate: number; total: number };
}

export interface AnswerResult {
  answer: string;
  citations: Citation[];
  /** The decoder (or retrieval) said the blocks do not answer the question. */
  insufficient: boolean;
  used: AnswerUsage;
  /** What the caller should know: dropped citations, uncited claims, no decoder, a decoder failure... */
  warnings: string[];
}

/** A request the pipeline cannot serve as asked; the message names the parameter to change. */
export class AnswerError extends Error {
  constructor(
    message: string,
    readonly parameter: string,
  ) {
    super(message);
    this.name = "AnswerError";
  }
}
