// What a .vsix holds: its entries (from the zip's central directory, through yauzl, which vsce itself uses) and
// their compressed sizes grouped by component, for the packaging check and the size benchmark.
import { createRequire } from "node:module";

const yauzl = createRequire(import.meta.url)("yauzl");

/** Every entry of a zip: name, compressed and uncompressed size. */
export function zipEntries(file) {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err) return reject(err);
      const out = [];
      zip.on("entry", (e) => {
        if (!e.fileName.endsWith("/")) out.push({ name: e.fileName, compressed: e.compressedSize, size: e.uncompressedSize });
        zip.readEntry();
      });
      zip.on("end", () => resolve(out));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

const NM = "extension/server/node_modules/";

/** The component an entry belongs to (the rows of the size table). */
export function componentOf(name) {
  if (name.startsWith("extension/dist/")) return "extension code";
  if (name.startsWith("extension/server/dist/")) return name.endsWith(".wasm") ? "tree-sitter (wasm)" : "server bundle";
  if (!name.startsWith(NM)) return "manifest, README, media";
  const rest = name.slice(NM.length);
  const pkg = rest.startsWith("@") ? rest.split("/").slice(0, 2).join("/") : rest.split("/")[0];
  if (pkg.startsWith("sqlite-vec")) return "sqlite-vec";
  if (pkg.startsWith("onnxruntime-")) return "ONNX Runtime";
  if (pkg.startsWith("@huggingface/")) return "transformers.js";
  if (pkg === "web-tree-sitter" || pkg === "@vscode/tree-sitter-wasm") return "tree-sitter (wasm)";
  return "other JS dependencies";
}

/** Compressed bytes and files per component, largest first. */
export function breakdown(entries) {
  const by = new Map();
  for (const e of entries) {
    const c = componentOf(e.name);
    const row = by.get(c) ?? { component: c, files: 0, compressed: 0, size: 0 };
    row.files++;
    row.compressed += e.compressed;
    row.size += e.size;
    by.set(c, row);
  }
  return [...by.values()].sort((a, b) => b.compressed - a.compressed);
}
