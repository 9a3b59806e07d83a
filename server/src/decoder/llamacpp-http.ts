// The llama.cpp server of the cluster (LLAMACPP_URL): `/v1/chat/completions` (the model's chat template)
// or the raw `/completion`, with a timeout per attempt and bounded retries that ask for fewer tokens.
import type { Logger } from "../log/index.ts";
import { readSseData } from "./sse.ts";
import {
  contextTooLong,
  DecoderError,
  renderPlain,
  type CompleteOptions,
  type Completion,
  type Decoder,
  type Prompt,
  type StopReason,
} from "./types.ts";

export type LlamacppEndpoint = "chat" | "completion";

export interface LlamacppHttpOptions {
  /** Base URL, e.g. http://llamacpp:8080 (LLAMACPP_URL). */
  url: string;
  log: Logger;
  /** Per attempt; a slow CPU model needs minutes for long answers. */
  timeoutMs?: number;
  /** Extra attempts after the first, each with half the token budget of the one before. */
  retries?: number;
  /** "auto" tries chat first and falls back to /completion when the server has no chat endpoint. */
  endpoint?: LlamacppEndpoint | "auto";
}

const KUBECTL_HINT =
  "kubectl -n context-engine get deploy llamacpp && kubectl -n context-engine logs deploy/llamacpp";
const MIN_RETRY_TOKENS = 16;

export class LlamacppHttpDecoder implements Decoder {
  readonly name = "llamacpp-http";
  readonly location: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private endpoint: LlamacppEndpoint | "auto";
  private tokenizeWorks = true;
  private ctxSize: Promise<number | undefined> | undefined;

  constructor(private readonly opts: LlamacppHttpOptions) {
    this.location = opts.url.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.retries = opts.retries ?? 1;
    this.endpoint = opts.endpoint ?? "auto";
  }

  async complete(prompt: Prompt, opts: CompleteOptions): Promise<Completion> {
    let budget = opts.maxTokens;
    for (let attempt = 0; ; attempt++) {
      let streamed = false;
      const onToken = opts.onToken
        ? (t: string) => {
            streamed = true;
            opts.onToken!(t);
          }
        : undefined;
      try {
        return await this.attempt(prompt, { ...opts, maxTokens: budget, onToken });
      } catch (err) {
        if (!(err instanceof DecoderError)) throw err;
        // Text already handed to the caller cannot be taken back, so a broken stream is not retried.
        if (!err.retryable || streamed || attempt >= this.retries || opts.signal?.aborted) throw err;
        const next = Math.max(MIN_RETRY_TOKENS, Math.floor(budget / 2));
        this.opts.log.warn("llama.cpp request failed; retrying with a smaller budget", {
          error: err.message,
          attempt: attempt + 1,
          max_tokens: next,
        });
        budget = next;
      }
    }
  }

  private async attempt(prompt: Prompt, opts: CompleteOptions): Promise<Completion> {
    if (this.endpoint === "auto") {
      try {
        const out = await this.request("chat", prompt, opts);
        this.endpoint = "chat";
        return out;
      } catch (err) {
        // An older server, or a model without a chat template: the raw endpoint still works.
        if (err instanceof DecoderError && (err.status === 404 || err.status === 501)) {
          this.opts.log.info("llama.cpp chat endpoint unavailable; using /completion", { status: err.status });
          this.endpoint = "completion";
        } else throw err;
      }
    }
    return this.request(this.endpoint as LlamacppEndpoint, prompt, opts);
  }

  private async request(kind: LlamacppEndpoint, prompt: Prompt, opts: CompleteOptions): Promise<Completion> {
    const stream = opts.onToken !== undefined;
    const path = kind === "chat" ? "/v1/chat/completions" : "/completion";
    const body =
      kind === "chat"
        ? {
            model: "default",
            messages: [
              { role: "system", content: prompt.system },
              { role: "user", content: prompt.user },
            ],
            max_tokens: opts.maxTokens,
            ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
            stream,
            ...(stream ? { stream_options: { include_usage: true } } : {}),
          }
        : {
            prompt: renderPlain(prompt),
            n_predict: opts.maxTokens,
            ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
            stream,
            cache_prompt: true,
          };
    const res = await this.post(path, body, opts.signal, this.timeoutMs);
    try {
      if (!res.ok) throw await this.statusError(path, res);
      if (!stream) return parseWhole(kind, await res.json());
      return await this.readStream(kind, res, opts.onToken!);
    } catch (err) {
      throw this.mapError(err, path, opts.signal);
    }
  }

  /** One POST with the attempt's timeout joined to the caller's signal; the signal stays live for the body. */
  private async post(path: string, body: unknown, signal: AbortSignal | undefined, timeoutMs: number): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const joined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      return await fetch(this.location + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: joined,
      });
    } catch (err) {
      throw this.mapError(err, path, signal, timeout);
    }
  }

  private mapError(err: unknown, path: string, signal?: AbortSignal, timeout?: AbortSignal): unknown {
    if (err instanceof DecoderError) return err;
    if (signal?.aborted) return new DecoderError("aborted", "The answer was cancelled.", undefined, { cause: err });
    const name = (err as { name?: string } | null)?.name;
    if (timeout?.aborted || name === "TimeoutError" || name === "AbortError") {
      return new DecoderError(
        "timeout",
        `llama.cpp server at ${this.location} did not answer ${path} within ${this.timeoutMs / 1000} s; ` +
          `the model may still be loading or be too slow for this request (lower budget_tokens or max_tokens). ` +
          `Check: ${KUBECTL_HINT}`,
        "LLAMACPP_URL",
        { cause: err },
      );
    }
    if (err instanceof SyntaxError) {
      return new DecoderError("bad_response", `llama.cpp server at ${this.location} sent invalid JSON from ${path}: ${err.message}`, "LLAMACPP_URL", { cause: err });
    }
    const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
    const reason = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    return new DecoderError(
      "unreachable",
      `llama.cpp server at ${this.location} is unreachable (${reason}). ` +
        `Check LLAMACPP_URL, and that the llamacpp Deployment is ready: ${KUBECTL_HINT}`,
      "LLAMACPP_URL",
      { cause: err },
    );
  }

  private async statusError(path: string, res: Response): Promise<DecoderError> {
    const text = await res.text().catch(() => "");
    if (res.status === 400 && /exceed_context_size|context size|context length|too long|n_ctx/i.test(text)) {
      return contextTooLong(`llama.cpp server said: ${text.slice(0, 200)}`);
    }
    const hint = res.status === 503 ? ` (the model is probably still loading; ${KUBECTL_HINT})` : "";
    return new DecoderError(
      "http",
      `llama.cpp server at ${this.location} answered ${path} with HTTP ${res.status}${hint}: ${text.slice(0, 300)}`,
      "LLAMACPP_URL",
      { status: res.status },
    );
  }

  private async readStream(kind: LlamacppEndpoint, res: Response, onToken: (t: string) => void): Promise<Completion> {
    if (!res.body) throw new DecoderError("bad_response", `llama.cpp server at ${this.location} sent an empty stream`);
    let text = "";
    let stop: StopReason = "other";
    let promptTokens: number | undefined;
    let completionTokens: number | undefined;
    for await (const { event, payload } of readSseData(res.body)) {
      if (payload === "[DONE]") break;
      const msg = JSON.parse(payload) as Record<string, any>;
      if (event === "error" || msg.error) {
        const detail = JSON.stringify(msg.error ?? msg).slice(0, 300);
        if (/exceed_context_size|context size/i.test(detail)) throw contextTooLong(detail);
        throw new DecoderError("bad_response", `llama.cpp server at ${this.location} failed mid-stream: ${detail}`, "LLAMACPP_URL");
      }
      const piece: string | undefined = kind === "chat" ? msg.choices?.[0]?.delta?.content : msg.content;
      if (piece) {
        text += piece;
        onToken(piece);
      }
      if (kind === "chat") {
        const finish = msg.choices?.[0]?.finish_reason;
        if (finish) stop = finish === "length" ? "max_tokens" : "eos";
        if (msg.usage) {
          promptTokens = msg.usage.prompt_tokens;
          completionTokens = msg.usage.completion_tokens;
        }
      } else if (msg.stop) {
        stop = completionStop(msg);
        promptTokens = msg.tokens_evaluated;
        completionTokens = msg.tokens_predicted;
      }
    }
    return { text, stop, promptTokens, completionTokens };
  }

  /** The server's own tokenizer (`/tokenize`); a server without it makes the caller fall back to estimates. */
  async countTokens(text: string): Promise<number> {
    if (!this.tokenizeWorks) throw new DecoderError("http", "this llama.cpp server has no /tokenize");
    try {
      const res = await this.post("/tokenize", { content: text }, undefined, Math.min(this.timeoutMs, 10_000));
      if (!res.ok) {
        if (res.status === 404) this.tokenizeWorks = false;
        throw await this.statusError("/tokenize", res);
      }
      const body = (await res.json()) as { tokens?: unknown[] };
      if (!Array.isArray(body.tokens)) throw new DecoderError("bad_response", "/tokenize answered without tokens");
      return body.tokens.length;
    } catch (err) {
      throw this.mapError(err, "/tokenize");
    }
  }

  /** llama.cpp's `/health`: 200 once the model is loaded, 503 while it loads. */
  async ready(): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.location + "/health", { signal: AbortSignal.timeout(Math.min(this.timeoutMs, 5_000)) });
    } catch (err) {
      throw this.mapError(err, "/health");
    }
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      throw new DecoderError(
        "http",
        `llama.cpp server at ${this.location} is not ready (HTTP ${res.status}${res.status === 503 ? ", the model is still loading" : ""}): ${text.slice(0, 200)}. Check: ${KUBECTL_HINT}`,
        "LLAMACPP_URL",
        { status: res.status },
      );
    }
  }

  /** n_ctx of the server's slot (`/props`), looked up once; undefined when the server does not say. */
  contextSize(): Promise<number | undefined> {
    this.ctxSize ??= (async () => {
      try {
        const res = await fetch(this.location + "/props", { signal: AbortSignal.timeout(Math.min(this.timeoutMs, 10_000)) });
        if (!res.ok) return undefined;
        const props = (await res.json()) as { default_generation_settings?: { n_ctx?: number }; n_ctx?: number };
        const n = props.default_generation_settings?.n_ctx ?? props.n_ctx;
        return typeof n === "number" && n > 0 ? n : undefined;
      } catch {
        return undefined;
      }
    })();
    return this.ctxSize;
  }
}

function completionStop(msg: Record<string, any>): StopReason {
  if (msg.stopped_limit || msg.stop_type === "limit") return "max_tokens";
  if (msg.stopped_eos || msg.stopped_word || msg.stop_type === "eos" || msg.stop_type === "word") return "eos";
  return "other";
}

function parseWhole(kind: LlamacppEndpoint, raw: unknown): Completion {
  const msg = raw as Record<string, any>;
  if (kind === "chat") {
    const choice = msg.choices?.[0];
    if (typeof choice?.message?.content !== "string") {
      throw new DecoderError("bad_response", "llama.cpp chat response has no choices[0].message.content", "LLAMACPP_URL");
    }
    return {
      text: choice.message.content,
      stop: choice.finish_reason === "length" ? "max_tokens" : "eos",
      promptTokens: msg.usage?.prompt_tokens,
      completionTokens: msg.usage?.completion_tokens,
    };
  }
  if (typeof msg.content !== "string") {
    throw new DecoderError("bad_response", "llama.cpp /completion response has no content", "LLAMACPP_URL");
  }
  return { text: msg.content, stop: completionStop(msg), promptTokens: msg.tokens_evaluated, completionTokens: msg.tokens_predicted };
}
