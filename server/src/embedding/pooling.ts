// Which pooling a sentence-transformers model was trained with, from its own files (modules.json, 1_Pooling/config.json).
import fs from "node:fs";
import path from "node:path";

export type Pooling = "cls" | "mean" | "last_token";

interface PoolingConfig {
  pooling_mode_cls_token?: boolean;
  pooling_mode_mean_tokens?: boolean;
  pooling_mode_lasttoken?: boolean;
  pooling_mode_max_tokens?: boolean;
}

/** The folder of the Pooling module named in modules.json, else the conventional "1_Pooling". */
export function poolingFolder(modelFolder: string): string {
  try {
    const modules = JSON.parse(fs.readFileSync(path.join(modelFolder, "modules.json"), "utf8")) as { type?: string; path?: string }[];
    const pool = modules.find((m) => typeof m.type === "string" && m.type.endsWith("models.Pooling"));
    if (pool?.path) return pool.path;
  } catch {
    // No modules.json: not a sentence-transformers export, fall through to the convention.
  }
  return "1_Pooling";
}

export function poolingFromConfig(cfg: PoolingConfig): Pooling | undefined {
  if (cfg.pooling_mode_cls_token) return "cls";
  if (cfg.pooling_mode_lasttoken) return "last_token";
  // Max pooling has no pipeline equivalent; mean is the closest the pipeline offers.
  if (cfg.pooling_mode_mean_tokens || cfg.pooling_mode_max_tokens) return "mean";
  return undefined;
}

/** Reads the pooling config from a local model folder; undefined when the model does not say. */
export function readPooling(modelFolder: string): Pooling | undefined {
  const file = path.join(modelFolder, poolingFolder(modelFolder), "config.json");
  try {
    return poolingFromConfig(JSON.parse(fs.readFileSync(file, "utf8")) as PoolingConfig);
  } catch {
    return undefined;
  }
}

/** When a model ships no pooling config: BGE models use CLS (their model card says so), the rest mean. */
export function defaultPooling(model: string): Pooling {
  return /(^|\/)bge-/i.test(model) ? "cls" : "mean";
}
