// The decoder folder's public face: the interface, its errors, and the factory that picks a provider from settings.
import type { Settings } from "../config/index.ts";
import type { Logger } from "../log/index.ts";
import { LlamacppHttpDecoder } from "./llamacpp-http.ts";
import { NodeLlamaCppDecoder } from "./node-llama-cpp.ts";
import type { Decoder } from "./types.ts";

export { DecoderError, renderPlain } from "./types.ts";
export type { Completion, CompleteOptions, Decoder, DecoderErrorCode, Prompt, StopReason } from "./types.ts";
export { LlamacppHttpDecoder, type LlamacppEndpoint, type LlamacppHttpOptions } from "./llamacpp-http.ts";
export { NodeLlamaCppDecoder, loadedModelCount, type NodeLlamaCppOptions } from "./node-llama-cpp.ts";

/**
 * The decoder the settings ask for: the cluster's llama.cpp server when LLAMACPP_URL is set (it wins, the
 * cluster has no local model), else the embedded GGUF of LLAMACPP_MODEL_PATH, else null (extractive answers).
 * A missing model file throws here, at start, with the setting to change.
 */
export function createDecoder(settings: Settings, log: Logger): Decoder | null {
  if (settings.llamacppUrl) {
    if (settings.llamacppModelPath) {
      log.warn("both LLAMACPP_URL and LLAMACPP_MODEL_PATH are set; using the server at LLAMACPP_URL");
    }
    return new LlamacppHttpDecoder({ url: settings.llamacppUrl, log: log.child({ decoder: "llamacpp-http" }) });
  }
  if (settings.llamacppModelPath) {
    return new NodeLlamaCppDecoder({
      modelPath: settings.llamacppModelPath,
      threads: settings.llamacppThreads,
      log: log.child({ decoder: "node-llama-cpp" }),
    });
  }
  return null;
}
