// A gzipped tar of workspace files plus the deletions entry, as the uploader's POST /sync/:repo/upload expects.
// Written by the server's own tar writer, as the CLI's sync writes it: every file a regular entry of its own (the
// uploader refuses links, and tar's packer turned hard-linked files into links and could fail on them).
import { readTarFiles, tarGz } from "../../../server/src/sync/tar-writer.ts";

const WHY = {
  vanished: "it is gone since the scan",
  symlink: "it is a symbolic link now",
  special: "it is no longer a regular file",
  "unsafe-name": "the uploader takes no such path",
} as const;

export async function buildTarball(root: string, paths: string[], deletions: string[], onWarn?: (msg: string) => void): Promise<Buffer> {
  const { files, unsent } = await readTarFiles(root, paths);
  for (const u of unsent) onWarn?.(`${u.path} not sent: ${WHY[u.reason]}`);
  return tarGz(files, deletions);
}
