// The seam between the answer pipeline and whatever generates text (a llama.cpp server, an in-process GGUF).

/** A prompt as two parts, so chat endpoints get real roles and raw completion gets one rendered text. */
export interface Prompt {
  /** Standing instructions (the system message of a chat endpoint). */
  system: string;
  /** The request itself: context blocks, question, "Answer:". */
  user: string;
}

export interface CompleteOptions {
  /** Upper bound on generated tokens. */
  maxTokens: number;
  /** 0 = greedy (reproducible); undefined = the provider's default. */
  temperature?: number;
  signal?: AbortSignal;
  /** Given: the provider streams and calls this with each piece of text as it arrives. */
  onToken?: (text: string) => void;
}

export type StopReason = "eos" | "max_tokens" | "abort" | "other";

export interface Completion {
  text: string;
  stop: StopReason;
  /** Known when the provider reports or counts them. */
  promptTokens?: number;
  completionTokens?: number;
}

export interface Decoder {
  /** Provider name for `used.decoder` and logs: "llamacpp-http", "node-llama-cpp". */
  readonly name: string;
  /** Where it runs, for messages: a URL or a model file. */
  readonly location: string;
  complete(prompt: Prompt, opts: CompleteOptions): Promise<Completion>;
  /** Exact token count with the model's own tokenizer, when the provider can tell. */
  countTokens?(text: string): Promise<number>;
  /** Context window in tokens (prompt + answer), when known. */
  contextSize?(): Promise<number | undefined>;
  /** Resolves when the decoder can answer now (model loaded, server healthy); rejects with the reason. For /readyz. */
  ready?(): Promise<void>;
  close?(): Promise<void>;
}

export type DecoderErrorCode =
  | "model_missing"
  | "model_load"
  | "unreachable"
  | "timeout"
  | "http"
  | "bad_response"
  | "context_too_long"
  | "aborted";

/** A decoder failure whose message says what to change; `setting` names the knob (LLAMACPP_URL, budget_tokens...). */
export class DecoderError extends Error {
  constructor(
    readonly code: DecoderErrorCode,
    message: string,
    readonly setting?: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options);
    this.name = "DecoderError";
    this.status = options?.status;
  }

  /** HTTP status from a decoder server, when there was one. */
  readonly status: number | undefined;

  /** Worth another attempt: the server may recover, or a smaller request may fit in the time. */
  get retryable(): boolean {
    if (this.code === "timeout" || this.code === "unreachable") return true;
    return this.code === "http" && this.status !== undefined && (this.status >= 500 || this.status === 429);
  }
}

/** Raw completion has no roles: the system text leads, then the request. */
export function renderPlain(prompt: Prompt): string {
  return `${prompt.system}\n\n${prompt.user}`;
}

export function contextTooLong(detail: string): DecoderError {
  return new DecoderError(
    "context_too_long",
    `The prompt does not fit the model's context (${detail}); lower budget_tokens (or max_tokens) in the request.`,
    "budget_tokens",
  );
}
