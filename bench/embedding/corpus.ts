// A fixed corpus of real code chunks (~30-line windows of installed npm packages' sources) for embedding benchmarks.
import fs from "node:fs";
import path from "node:path";

const ROOTS = ["typescript/lib", "zod", "@modelcontextprotocol/sdk/dist", "chokidar", "ignore", "tar", "yaml/dist", "ws/lib", "picomatch/lib"];
const EXT = /\.(js|mjs|cjs|ts)$/;

function walk(dir: string, out: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== "node_modules") walk(p, out);
    else if (e.isFile() && EXT.test(e.name) && !e.name.endsWith(".min.js")) out.push(p);
  }
}

/** `count` chunks of `lines` lines, at most `perFile` from each file, in a stable order. */
export function codeChunks(nodeModules: string, count = 1000, lines = 30, perFile = 4): string[] {
  const files: string[] = [];
  for (const r of ROOTS) walk(path.join(nodeModules, r), files);
  const chunks: string[] = [];
  for (const f of files) {
    const text = fs.readFileSync(f, "utf8");
    if (text.length > 2_000_000) continue;
    const all = text.split("\n");
    for (let w = 0, taken = 0; w + lines <= all.length && taken < perFile; w += lines * 7, taken++) {
      const chunk = all.slice(w, w + lines).join("\n");
      if (chunk.trim().length < 200 || chunk.length > 6000) continue;
      chunks.push(chunk);
      if (chunks.length === count) return chunks;
    }
  }
  return chunks;
}
