// @huggingface/transformers, loaded on first use: an optional package (with onnxruntime-node inside) that only the
// transformers embedder and Model2Vec's tokenizer need. Lexical search never loads it.
import { EmbedderUnavailableError } from "./errors.ts";

export type TransformersModule = typeof import("@huggingface/transformers");

let loading: Promise<TransformersModule> | undefined;

/** The module, or an EmbedderUnavailableError saying how to install it (the default provider then goes lexical). */
export function loadTransformers(provider: string, model: string): Promise<TransformersModule> {
  loading ??= import("@huggingface/transformers");
  return loading.catch((err: unknown) => {
    loading = undefined;
    const reason = String((err as Error)?.message ?? err).split("\n")[0]!.slice(0, 300);
    throw new EmbedderUnavailableError(
      provider,
      model,
      ["the package @huggingface/transformers"],
      "Semantic search needs it, lexical search works without it: install it beside the server " +
        "(npm install -g @huggingface/transformers@4 where @context-engine/server is installed; in a checkout, npm ci).",
      `@huggingface/transformers does not load on ${process.platform}-${process.arch}: ${reason}`,
    );
  });
}
