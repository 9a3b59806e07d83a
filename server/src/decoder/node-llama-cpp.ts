// The embedded decoder: a local GGUF file (LLAMACPP_MODEL_PATH) run in-process by node-llama-cpp on the CPU.
// One model per file is loaded once and shared by every decoder that names it; its one context sequence
// serves one request at a time, so requests wait in a queue instead of fighting over the KV cache.
import fs from "node:fs";
import path from "node:path";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import type { Logger } from "../log/index.ts";
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

export interface NodeLlamaCppOptions {
  modelPath: string;
  /** CPU threads (LLAMACPP_THREADS); more than the free cores makes generation much slower, not faster. */
  threads: number;
  log: Logger;
  /** Upper bound on the context window; the model's training size caps it too. */
  maxContextSize?: number;
  /** "auto": the model's chat template when the GGUF has one, else raw completion. */
  promptFormat?: "auto" | "chat" | "raw";
}

type NodeLlamaCpp = typeof import("node-llama-cpp");

interface Shared {
  lib: NodeLlamaCpp;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  /** The GGUF carries a chat template (instruct models do; the fixture does not). */
  hasTemplate: boolean;
  /** The tail of the request queue: each request starts when the one before it settles. */
  tail: Promise<unknown>;
  refs: number;
}

let library: Promise<NodeLlamaCpp> | undefined;
let llamaInstance: Promise<Llama> | undefined;
const shared = new Map<string, Promise<Shared>>();

/** How many models are loaded right now (the sharing is observable, and tested). */
export function loadedModelCount(): number {
  return shared.size;
}

/** node-llama-cpp, loaded on first use: an optional package that only the embedded decoder needs. */
function nodeLlamaCpp(): Promise<NodeLlamaCpp> {
  library ??= import("node-llama-cpp").catch((err: unknown) => {
    library = undefined;
    throw new DecoderError(
      "model_load",
      `The embedded decoder (LLAMACPP_MODEL_PATH) needs the package node-llama-cpp, which could not be loaded ` +
        `(${(err as Error).message.split("\n")[0]}). Install it beside the server (npm install -g node-llama-cpp@3.21.1), ` +
        "or use a llama.cpp server instead (set LLAMACPP_URL and unset LLAMACPP_MODEL_PATH).",
      "LLAMACPP_MODEL_PATH",
      { cause: err },
    );
  });
  return library;
}

function llama(lib: NodeLlamaCpp, log: Logger): Promise<Llama> {
  const { getLlama, LlamaLogLevel } = lib;
  llamaInstance ??= getLlama({
    gpu: false,
    build: "never",
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      const text = message.trim();
      if (!text) return;
      if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) log.error(text, { source: "llama.cpp" });
      else log.debug(text, { source: "llama.cpp" });
    },
  });
  return llamaInstance;
}

/** Fails fast with the setting to change when the file is not there (called at start, not at first question). */
export function checkModelFile(modelPath: string): string {
  const full = path.resolve(modelPath);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    throw new DecoderError(
      "model_missing",
      `LLAMACPP_MODEL_PATH=${modelPath}: no such file. Point LLAMACPP_MODEL_PATH at a GGUF model file, or unset it (and LLAMACPP_URL) to answer without a decoder.`,
      "LLAMACPP_MODEL_PATH",
    );
  }
  if (!stat.isFile()) {
    throw new DecoderError("model_missing", `LLAMACPP_MODEL_PATH=${modelPath} is not a file; it must name a .gguf model file.`, "LLAMACPP_MODEL_PATH");
  }
  return full;
}

export class NodeLlamaCppDecoder implements Decoder {
  readonly name = "node-llama-cpp";
  readonly location: string;
  private handle: Promise<Shared> | undefined;
  private closed = false;

  constructor(private readonly opts: NodeLlamaCppOptions) {
    this.location = checkModelFile(opts.modelPath);
  }

  /** Loads (or joins) the shared model; the first question pays for it unless the caller warms up earlier. */
  load(): Promise<Shared> {
    if (this.closed) return Promise.reject(new DecoderError("model_load", "this decoder was closed"));
    if (!this.handle) {
      const key = `${this.location}|${this.opts.threads}`;
      let entry = shared.get(key);
      if (!entry) {
        entry = this.open();
        shared.set(key, entry);
        entry.catch(() => shared.delete(key));
      }
      this.handle = entry.then((s) => {
        s.refs++;
        return s;
      });
    }
    return this.handle;
  }

  private async open(): Promise<Shared> {
    const started = Date.now();
    const lib = await nodeLlamaCpp();
    let runtime: Llama;
    try {
      runtime = await llama(lib, this.opts.log);
    } catch (err) {
      llamaInstance = undefined;
      throw new DecoderError(
        "model_load",
        `node-llama-cpp could not start its prebuilt llama.cpp binary for this machine (${(err as Error).message}). ` +
          "Use a llama.cpp server instead (set LLAMACPP_URL and unset LLAMACPP_MODEL_PATH).",
        "LLAMACPP_MODEL_PATH",
        { cause: err },
      );
    }
    let model: LlamaModel;
    try {
      model = await runtime.loadModel({ modelPath: this.location });
    } catch (err) {
      throw new DecoderError(
        "model_load",
        `LLAMACPP_MODEL_PATH=${this.location} could not be loaded as a GGUF model (${(err as Error).message}). Point LLAMACPP_MODEL_PATH at a valid .gguf file.`,
        "LLAMACPP_MODEL_PATH",
        { cause: err },
      );
    }
    const contextSize = Math.min(model.trainContextSize || 2048, this.opts.maxContextSize ?? 8192);
    const context = await model.createContext({ contextSize, threads: this.opts.threads, sequences: 1 });
    const hasTemplate = Boolean(model.fileInfo.metadata?.tokenizer?.chat_template);
    this.opts.log.info("decoder model loaded", {
      model: this.location,
      ms: Date.now() - started,
      context: context.contextSize,
      threads: this.opts.threads,
      chat_template: hasTemplate,
    });
    return { lib, model, context, sequence: context.getSequence(), hasTemplate, tail: Promise.resolve(), refs: 0 };
  }

  async complete(prompt: Prompt, opts: CompleteOptions): Promise<Completion> {
    const s = await this.load();
    const run = s.tail.then(() => this.generate(s, prompt, opts));
    s.tail = run.catch(() => undefined);
    const signal = opts.signal;
    if (!signal) return run;
    // A request cancelled while it waits in the queue answers at once; its turn then ends immediately.
    return new Promise<Completion>((resolve, reject) => {
      const onAbort = () => reject(new DecoderError("aborted", "The answer was cancelled."));
      if (signal.aborted) onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      run.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  private async generate(s: Shared, prompt: Prompt, opts: CompleteOptions): Promise<Completion> {
    if (opts.signal?.aborted) throw new DecoderError("aborted", "The answer was cancelled.");
    const format = this.opts.promptFormat ?? "auto";
    const chat = format === "chat" || (format === "auto" && s.hasTemplate);
    const plain = renderPlain(prompt);
    const promptTokens = s.model.tokenize(plain).length;
    // Chat templates add role markers; the margin keeps the check honest without rendering the template.
    const margin = chat ? 64 : 0;
    if (promptTokens + margin + opts.maxTokens > s.context.contextSize) {
      throw contextTooLong(`${promptTokens} prompt tokens + ${opts.maxTokens} answer tokens > the model's ${s.context.contextSize}-token context`);
    }
    const common = {
      maxTokens: opts.maxTokens,
      temperature: opts.temperature ?? 0,
      signal: opts.signal,
      onTextChunk: opts.onToken,
    };
    try {
      let text: string;
      let reason: string;
      if (chat) {
        const session = new s.lib.LlamaChatSession({ contextSequence: s.sequence, systemPrompt: prompt.system, autoDisposeSequence: false });
        try {
          const out = await session.promptWithMeta(prompt.user, common);
          text = out.responseText;
          reason = out.stopReason;
        } finally {
          session.dispose({ disposeSequence: false });
        }
      } else {
        const completion = new s.lib.LlamaCompletion({ contextSequence: s.sequence });
        try {
          const out = await completion.generateCompletionWithMeta(plain, common);
          text = out.response;
          reason = out.metadata.stopReason;
        } finally {
          completion.dispose({ disposeSequence: false });
        }
      }
      return { text, stop: stopReason(reason), promptTokens, completionTokens: s.model.tokenize(text).length };
    } catch (err) {
      if (opts.signal?.aborted) throw new DecoderError("aborted", "The answer was cancelled.", undefined, { cause: err });
      throw err;
    }
  }

  async ready(): Promise<void> {
    await this.load();
  }

  async countTokens(text: string): Promise<number> {
    return (await this.load()).model.tokenize(text).length;
  }

  async contextSize(): Promise<number | undefined> {
    return (await this.load()).context.contextSize;
  }

  /** Releases this decoder's share; the model is freed when the last one closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.handle) return;
    const s = await this.handle.catch(() => undefined);
    if (!s || --s.refs > 0) return;
    for (const [key, entry] of shared) if ((await entry.catch(() => undefined)) === s) shared.delete(key);
    await s.tail;
    await s.context.dispose();
    await s.model.dispose();
  }
}

function stopReason(reason: string): StopReason {
  if (reason === "maxTokens") return "max_tokens";
  if (reason === "eogToken" || reason === "stopGenerationTrigger" || reason === "customStopTrigger") return "eos";
  if (reason === "abort") return "abort";
  return "other";
}
