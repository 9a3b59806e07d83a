// First pass over an uploaded tar.gz: every entry is checked before anything is written; one bad entry rejects the whole archive.
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { DELETIONS_ENTRY, type SyncLimits } from "./protocol.ts";
import { SyncHttpError, fileFolderClash, pathProblem } from "./paths.ts";

export interface PlannedFile {
  path: string;
  size: number;
  executable: boolean;
}

/** What a valid archive will do once applied. */
export interface ArchivePlan {
  files: PlannedFile[];
  deletions: string[];
  bytes: number;
}

export interface InspectOptions {
  /** Paths the manifest asked for; any other file entry rejects the archive. */
  allowed: ReadonlySet<string>;
  /** Paths the manifest listed for deletion; any other deletion rejects the archive. */
  allowedDeletions: ReadonlySet<string>;
  limits: SyncLimits;
}

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
/** Inflated bytes allowed beyond what the entries' headers account for (pax headers, padding, end blocks). */
const SLACK_BYTES = 2 * 1024 * 1024;
const PER_ENTRY_SLACK = 8 * 1024;
const MAX_META_ENTRY = 64 * 1024;

function roundBlock(n: number): number {
  return Math.ceil(n / 512) * 512;
}

/** A tar parser that reads plain tar only: the gzip layer is ours, counted and capped; nested compression is refused. */
export function newRawParser(filter?: (p: string, e: unknown) => boolean): Parser {
  return new Parser({ strict: true, zstd: false, brotli: false, maxMetaEntrySize: MAX_META_ENTRY, ...(filter ? { filter } : {}) });
}

/** gzip or zstd magic at the start of the inflated data. */
export function isCompressed(head: Buffer): boolean {
  return (head[0] === 0x1f && head[1] === 0x8b) || (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd);
}

function typeProblem(type: string): string {
  if (type === "SymbolicLink") return "is a symbolic link; links are not accepted";
  if (type === "Link") return "is a hard link; links are not accepted";
  if (type === "CharacterDevice" || type === "BlockDevice") return "is a device; only regular files are accepted";
  if (type === "FIFO") return "is a FIFO; only regular files are accepted";
  if (type === "SparseFile") return "is a sparse file; only regular files are accepted";
  return `has entry type ${type}; only regular files are accepted`;
}

function rejected(msg: string): SyncHttpError {
  return new SyncHttpError(400, `Upload rejected, nothing was written: ${msg}`);
}

/** Reads the archive once without writing anything; resolves with the plan or rejects with a 400 SyncHttpError. */
export function inspectArchive(file: string, opts: InspectOptions): Promise<ArchivePlan> {
  const { allowed, allowedDeletions, limits } = opts;
  return new Promise((resolve, reject) => {
    const files: PlannedFile[] = [];
    const seen = new Set<string>();
    let deletions: string[] | undefined;
    let entries = 0;
    let total = 0;
    let accounted = 0;
    let inflated = 0;
    let done = false;
    const judged = new WeakSet<ReadEntry>();

    const input = createReadStream(file);
    const gunzip = createGunzip();
    const parser = newRawParser((_p, e) => admit(e as ReadEntry));

    const fail = (msg: string) => {
      if (done) return;
      done = true;
      input.destroy();
      gunzip.destroy();
      reject(rejected(msg));
    };

    // Decides on an entry from its header alone, before its body is inflated.
    function admit(entry: ReadEntry): boolean {
      if (done) return false;
      judged.add(entry);
      entries += 1;
      if (entries > limits.maxEntries) {
        fail(`the archive has more than ${limits.maxEntries} entries; send fewer files per upload`);
        return false;
      }
      const type = entry.type;
      const isDir = type === "Directory";
      const p = isDir ? entry.path.replace(/\/+$/, "") : entry.path;
      const problem = pathProblem(p);
      if (problem) {
        fail(`entry ${JSON.stringify(entry.path)}: ${problem}`);
        return false;
      }
      if (!isDir && !FILE_TYPES.has(type)) {
        fail(`entry ${JSON.stringify(p)} ${typeProblem(type)}`);
        return false;
      }
      const size = entry.size;
      if (!Number.isSafeInteger(size) || size < 0) {
        fail(`entry ${JSON.stringify(p)} declares an invalid size`);
        return false;
      }
      accounted += 512 + roundBlock(size) + PER_ENTRY_SLACK;
      if (isDir) return false; // folders are created as needed; the entry itself carries nothing
      if (seen.has(p)) {
        fail(`entry ${JSON.stringify(p)} appears twice`);
        return false;
      }
      seen.add(p);
      if (p === DELETIONS_ENTRY) {
        if (size > limits.maxManifestBytes) {
          fail(`the deletions list is ${size} bytes; the limit is ${limits.maxManifestBytes}`);
          return false;
        }
        return true;
      }
      if (size > limits.maxFileBytes) {
        fail(`entry ${JSON.stringify(p)} is ${size} bytes; the limit per file is ${limits.maxFileBytes} bytes`);
        return false;
      }
      total += size;
      if (total > limits.maxTotalBytes) {
        fail(`the files add up to more than ${limits.maxTotalBytes} bytes; send them in smaller batches`);
        return false;
      }
      if (!allowed.has(p)) {
        fail(`entry ${JSON.stringify(p)} was not asked for by this upload's manifest; send a manifest first (POST /sync/<repo>/manifest)`);
        return false;
      }
      files.push({ path: p, size, executable: ((entry.mode ?? 0) & 0o111) !== 0 });
      return false; // admitted; the body is skipped in this pass
    }

    parser.on("entry", (entry: ReadEntry) => {
      // Only the deletions list reaches here (file entries are skipped by the filter in this pass).
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => {
        if (done) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          return fail(`${DELETIONS_ENTRY} is not valid JSON; it must be a JSON array of paths`);
        }
        if (!Array.isArray(parsed)) return fail(`${DELETIONS_ENTRY} must be a JSON array of paths`);
        for (const d of parsed) {
          const problem = pathProblem(d);
          if (problem) return fail(`deletion ${JSON.stringify(d)}: ${problem}`);
          if (!allowedDeletions.has(d as string)) {
            return fail(`deletion ${JSON.stringify(d)} was not listed for deletion by this upload's manifest; name it in the manifest ("deleted") first`);
          }
        }
        deletions = [...new Set(parsed as string[])];
      });
    });
    // Types tar does not know how to extract (sparse, volume headers...) skip the filter: judge them here.
    parser.on("ignoredEntry", (entry: ReadEntry) => {
      if (judged.has(entry)) return;
      if (entry.meta) fail(`an extended header of ${entry.size} bytes exceeds the ${MAX_META_ENTRY}-byte limit`);
      else admit(entry);
    });
    parser.on("error", (err: Error) => fail(`the tar data is invalid (${err.message})`));
    parser.on("end", () => {
      if (done) return;
      done = true;
      const dels = deletions ?? [];
      const both = dels.find((d) => seen.has(d));
      if (both) return reject(rejected(`${JSON.stringify(both)} is both sent and listed for deletion`));
      const clash = fileFolderClash(files.map((f) => f.path));
      if (clash) return reject(rejected(`${JSON.stringify(clash[0])} is sent as a file and ${JSON.stringify(clash[1])} inside it as a folder`));
      resolve({ files, deletions: dels, bytes: total });
    });

    gunzip.on("data", (chunk: Buffer) => {
      if (done) return;
      inflated += chunk.length;
      // Data the headers do not account for (a bomb hidden in padding or after the end blocks) stops inflation here.
      if (inflated > accounted + SLACK_BYTES) return fail("the archive inflates to more data than its entries declare");
      if (inflated === chunk.length && isCompressed(chunk)) return fail("the tar inside the gzip is compressed again; send a plain tar.gz");
      parser.write(chunk);
    });
    gunzip.on("end", () => {
      if (!done) parser.end();
    });
    gunzip.on("error", (err) => fail(`the body is not a valid gzip stream (${err.message}); send a tar.gz`));
    input.on("error", (err) => fail(`the upload could not be read back (${err.message})`));
    input.pipe(gunzip);
  });
}
