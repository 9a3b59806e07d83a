// context_answer: retrieve -> merge spans -> pack into budget_tokens -> decode -> check citations.
// Never crashes for want of a decoder: without one (or when it fails) the answer is the cited context itself.
import { DecoderError, type Completion, type Decoder } from "../decoder/index.ts";
import type { SearchResult } from "../search/types.ts";
import { mergeSpans, type ContextBlock } from "./blocks.ts";
import { checkCitations, citationFor } from "./citations.ts";
import { expandQuery, fuseResults } from "./expand.ts";
import { extractiveAnswer, NO_DECODER_NOTE } from "./extractive.ts";
import { estimateTokens, packBlocks, type CountTokens, type Packed } from "./pack.ts";
import { buildPrompt, INSUFFICIENT } from "./prompt.ts";
import { AnswerError, type AnswerDeps, type AnswerRequest, type AnswerResult, type AnswerStage, type AnswerUsage } from "./types.ts";

export const ANSWER_DEFAULTS = { budget_tokens: 2000, limit: 8, max_tokens: 256, temperature: 0.1 } as const;

/** Lines of each retrieved span read as context: the lines that matched and what surrounds them, up to this many. */
const CONTEXT_LINES = 40;

/** Room the chat template's role markers may take beyond the rendered prompt. */
const TEMPLATE_MARGIN = 64;

export async function answerQuestion(deps: AnswerDeps, req: AnswerRequest): Promise<AnswerResult> {
  const started = Date.now();
  const { question, budget, limit, maxTokens } = validate(req);
  const { decoder, log } = deps;
  const warnings: string[] = [];
  const progress = (stage: AnswerStage, message: string) => req.onProgress?.({ stage, message });
  const filter = req.filter ?? {};

  // Retrieval, with alternate phrasings when asked and a decoder can write them.
  const queries = [question];
  let expandMs = 0;
  if (req.expand_query) {
    if (!decoder) warnings.push("expand_query needs a decoder (LLAMACPP_URL or LLAMACPP_MODEL_PATH); searched the question as written.");
    else {
      progress("expanding", "writing alternate phrasings of the question");
      const t = Date.now();
      try {
        queries.push(...(await expandQuery(decoder, question, req.signal)));
      } catch (err) {
        rethrowAbort(err);
        warnings.push(`expand_query failed, searched the question as written: ${(err as Error).message}`);
      }
      expandMs = Date.now() - t;
    }
  }
  progress("retrieving", `searching ${queries.length} quer${queries.length === 1 ? "y" : "ies"}`);
  const lists = await Promise.all(queries.map((q) => deps.search(q, { limit, filter, snippetLines: CONTEXT_LINES }).then((r) => r.results)));
  throwIfAborted(req.signal);
  const results: SearchResult[] = lists.length > 1 ? fuseResults(lists, limit) : lists[0].slice(0, limit);
  const retrieveMs = Date.now() - started - expandMs;
  const candidates = mergeSpans(results);

  const usage = (packed: Packed | undefined, name: string, tokenizer: AnswerUsage["tokenizer"], budgetUsed: number): AnswerUsage => ({
    decoder: name,
    blocks: packed?.blocks.length ?? 0,
    sources: packed?.blocks.map((b, i) => citationFor(b, i + 1)) ?? [],
    prompt_tokens: packed?.promptTokens ?? 0,
    budget_tokens: budgetUsed,
    tokenizer,
    retrieved: results.length,
    queries,
    timings_ms: { expand: expandMs, retrieve: retrieveMs, generate: 0, total: Date.now() - started },
  });

  if (candidates.length === 0) {
    warnings.push("The search found no indexed code for this question (check the filters, or that the repository is indexed).");
    progress("done", INSUFFICIENT);
    return { answer: `${INSUFFICIENT}: no indexed code matched the question.`, citations: [], insufficient: true, used: usage(undefined, decoder?.name ?? "none", "estimate", budget), warnings };
  }

  const extractive = async (note: string, name: string): Promise<AnswerResult> => {
    progress("packing", `packing ${candidates.length} block(s) into ${budget} tokens`);
    const packed = await packBlocks(question, candidates, budget, async (t) => estimateTokens(t));
    noteTrimmed(packed, budget, warnings);
    progress("done", "extractive answer");
    return { answer: extractiveAnswer(packed.blocks, note), citations: packed.blocks.map((b, i) => citationFor(b, i + 1)), insufficient: false, used: usage(packed, name, "estimate", budget), warnings };
  };

  if (!decoder) {
    warnings.push(NO_DECODER_NOTE);
    return extractive(NO_DECODER_NOTE, "none");
  }

  let effective = await clampToContext(decoder, budget, maxTokens, warnings);
  const { count, kind } = tokenCounter(decoder, log);
  let packed: Packed | undefined;
  let completion: Completion | undefined;
  const genStart = Date.now();
  for (let attempt = 0; ; attempt++) {
    progress("packing", `packing ${candidates.length} block(s) into ${effective} tokens`);
    packed = await packBlocks(question, candidates, effective, count);
    progress("generating", `${decoder.name} is answering from ${packed.blocks.length} block(s)`);
    try {
      completion = await decoder.complete(buildPrompt(question, packed.blocks), {
        maxTokens,
        temperature: req.temperature ?? ANSWER_DEFAULTS.temperature,
        signal: req.signal,
        onToken: req.onProgress ? (token) => req.onProgress!({ stage: "generating", message: "token", token }) : undefined,
      });
      break;
    } catch (err) {
      rethrowAbort(err);
      const tooLong = err instanceof DecoderError && err.code === "context_too_long";
      // The server's context was smaller than we knew: one more try with half the budget.
      if (tooLong && attempt === 0 && effective / 2 >= 256) {
        effective = Math.floor(effective / 2);
        warnings.push(`The prompt did not fit the decoder's context; retried with budget_tokens=${effective}.`);
        continue;
      }
      log.warn("decoder failed; answering with the retrieved context", { decoder: decoder.name, error: (err as Error).message });
      warnings.push(`The decoder (${decoder.name}) failed, so this is the retrieved context instead of an answer: ${(err as Error).message}`);
      return extractive(`The decoder (${decoder.name} at ${decoder.location}) failed: ${(err as Error).message}`, `${decoder.name} (failed)`);
    }
  }
  noteTrimmed(packed, effective, warnings);

  progress("checking", "checking citations");
  const answer = completion.text.trim();
  const check = checkCitations(answer, packed.blocks);
  warnings.push(...check.warnings);
  if (completion.stop === "max_tokens") warnings.push(`The answer was cut off at max_tokens=${maxTokens}.`);
  const used = usage(packed, decoder.name, kind(), effective);
  used.completion_tokens = completion.completionTokens;
  used.stop = completion.stop;
  used.timings_ms.generate = Date.now() - genStart;
  used.timings_ms.total = Date.now() - started;
  progress("done", check.insufficient ? INSUFFICIENT : `${check.citations.length} citation(s)`);
  return { answer, citations: check.citations, insufficient: check.insufficient, used, warnings };
}

function validate(req: AnswerRequest) {
  const question = typeof req.question === "string" ? req.question.trim() : "";
  if (!question) throw new AnswerError("question is empty; ask something about the code.", "question");
  const int = (name: string, v: number | undefined, def: number, min: number, max: number) => {
    if (v === undefined) return def;
    if (!Number.isInteger(v) || v < min || v > max) throw new AnswerError(`${name}=${v} is not allowed: use an integer from ${min} to ${max}.`, name);
    return v;
  };
  return {
    question,
    budget: int("budget_tokens", req.budget_tokens, ANSWER_DEFAULTS.budget_tokens, 64, 131_072),
    limit: int("limit", req.limit, ANSWER_DEFAULTS.limit, 1, 50),
    maxTokens: int("max_tokens", req.max_tokens, ANSWER_DEFAULTS.max_tokens, 1, 8192),
  };
}

/** A budget beyond what the decoder's window leaves after the answer would only fail later, less clearly. */
async function clampToContext(decoder: Decoder, budget: number, maxTokens: number, warnings: string[]): Promise<number> {
  const ctx = await decoder.contextSize?.().catch(() => undefined);
  if (!ctx) return budget;
  const room = ctx - maxTokens - TEMPLATE_MARGIN;
  if (room < 64) {
    throw new AnswerError(`max_tokens=${maxTokens} leaves no room for context in the decoder's ${ctx}-token window; lower max_tokens.`, "max_tokens");
  }
  if (budget <= room) return budget;
  warnings.push(`budget_tokens=${budget} is more than the decoder's ${ctx}-token context leaves after max_tokens=${maxTokens}; packed into ${room} tokens.`);
  return room;
}

/** The decoder's tokenizer while it answers; estimates from the first failure on (used.tokenizer says which). */
function tokenCounter(decoder: Decoder, log: AnswerDeps["log"]) {
  let exact = Boolean(decoder.countTokens);
  const count: CountTokens = async (text) => {
    if (exact) {
      try {
        return await decoder.countTokens!(text);
      } catch (err) {
        exact = false;
        log.debug("decoder tokenizer unavailable; estimating", { error: (err as Error).message });
      }
    }
    return estimateTokens(text);
  };
  return { count, kind: (): AnswerUsage["tokenizer"] => (exact ? "model" : "estimate") };
}

function noteTrimmed(packed: Packed, budget: number, warnings: string[]): void {
  if (packed.dropped || packed.truncated) {
    warnings.push(
      `budget_tokens=${budget} held ${packed.blocks.length} block(s): ${packed.dropped} left out, ${packed.truncated} cut short; raise budget_tokens for more context.`,
    );
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DecoderError("aborted", "The answer was cancelled.");
}

function rethrowAbort(err: unknown): void {
  if (err instanceof DecoderError && err.code === "aborted") throw err;
}
