// Where a model named by EMBEDDING_MODEL lives on disk: a folder path, or an id under MODEL_DIR.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface ModelLocation {
  /** The folder holding every required file, or undefined when none was found. */
  folder: string | undefined;
  /** Every folder that was checked, in order (for the error message). */
  looked: string[];
  /** True when EMBEDDING_MODEL was a filesystem path rather than an id. */
  isPath: boolean;
}

/** A path is anything absolute, relative (./ ../ ~) or existing; everything else is a hub id like "org/name". */
export function looksLikePath(model: string): boolean {
  if (path.isAbsolute(model) || model.startsWith("./") || model.startsWith("../") || model.startsWith("~")) return true;
  if (model === "." || model === "..") return true;
  try {
    return fs.statSync(model).isDirectory();
  } catch {
    return false;
  }
}

function expandHome(p: string): string {
  return p.startsWith("~") ? path.join(os.homedir(), p.slice(1)) : p;
}

/** The folders an id may have been put in: `<MODEL_DIR>/<id>`, `<MODEL_DIR>/<org>--<name>`, and a hub cache snapshot. */
export function candidateFolders(model: string, modelDir: string): string[] {
  if (looksLikePath(model)) return [path.resolve(expandHome(model))];
  const flat = model.replaceAll("/", "--");
  const out = [path.join(modelDir, model)];
  if (flat !== model) out.push(path.join(modelDir, flat));
  const snapshots = path.join(modelDir, `models--${flat}`, "snapshots");
  try {
    for (const entry of fs.readdirSync(snapshots)) out.push(path.join(snapshots, entry));
  } catch {
    out.push(snapshots);
  }
  return out;
}

/** The first candidate folder for which `isComplete` holds. */
export function locateModel(model: string, modelDir: string, isComplete: (folder: string) => boolean): ModelLocation {
  const looked = candidateFolders(model, modelDir);
  const folder = looked.find((f) => {
    try {
      return fs.statSync(f).isDirectory() && isComplete(f);
    } catch {
      return false;
    }
  });
  return { folder, looked, isPath: looksLikePath(model) };
}
