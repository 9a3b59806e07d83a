// A gzipped tar of workspace files plus the deletions entry, as the uploader's POST /sync/:repo/upload expects.
import * as tar from "tar";
import { DELETIONS_ENTRY } from "../../../server/src/sync/protocol.ts";

export async function buildTarball(root: string, paths: string[], deletions: string[], onWarn?: (msg: string) => void): Promise<Buffer> {
  const pack = new tar.Pack({ cwd: root, gzip: true, portable: true, follow: false, onwarn: (_code: string, msg: string) => onWarn?.(msg) } as tar.TarOptionsWithAliasesAsync);
  const chunks: Buffer[] = [];
  pack.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    pack.on("end", () => resolve());
    pack.on("error", reject);
  });
  for (const p of paths) pack.add(p);
  if (deletions.length) {
    const body = Buffer.from(JSON.stringify(deletions));
    const entry = new tar.ReadEntry(new tar.Header({ path: DELETIONS_ENTRY, type: "File", size: body.length, mode: 0o644, mtime: new Date() }));
    pack.add(entry);
    entry.end(body);
  }
  pack.end();
  await done;
  return Buffer.concat(chunks);
}
