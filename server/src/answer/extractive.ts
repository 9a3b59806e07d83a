// Without a decoder (or when it fails): the answer is the retrieved context itself, cited, with a plain note why.
import type { ContextBlock } from "./blocks.ts";
import { renderBlock } from "./prompt.ts";

export const NO_DECODER_NOTE =
  "No decoder is configured, so this is the retrieved context, not a generated answer. " +
  "Set LLAMACPP_URL (a llama.cpp server) or LLAMACPP_MODEL_PATH (a local GGUF model) to get written answers.";

export function extractiveAnswer(blocks: ContextBlock[], note: string): string {
  const body = blocks.map((b, i) => renderBlock(b, i + 1)).join("\n\n");
  return `${note}\n\nMost relevant code for the question:\n\n${body}`;
}
