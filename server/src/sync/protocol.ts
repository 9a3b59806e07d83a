// Wire protocol of the workspace uploader (DESIGN.md section 7). Imported by the extension: types and constants only.

/** One file the client has: path relative to the repo root, with forward slashes. */
export interface ManifestEntry {
  path: string;
  sha256: string;
  size: number;
}

/** POST /sync/:repo/manifest */
export interface ManifestRequest {
  files: ManifestEntry[];
  /** When true (default), files on the server that are not in the manifest are listed for deletion. */
  complete?: boolean;
  /** Paths the client no longer has (a partial manifest's deletions): those the server has come back in `delete`. */
  deleted?: string[];
}

export interface ManifestResponse {
  /** Paths the server lacks or has with another hash: send them. */
  need: string[];
  /** Paths the server has that the client no longer has: list them in the upload's deletions. */
  delete: string[];
  /**
   * The upload session this manifest opened: send it as the UPLOAD_ID_HEADER of every upload that delivers this
   * answer. An upload may write only the paths in `need` and delete only those in `delete`.
   */
  upload_id: string;
}

/** Header of an upload naming the manifest answer it delivers. */
export const UPLOAD_ID_HEADER = "x-upload-id";

/**
 * POST /sync/:repo/upload, body: a tar.gz (Content-Type application/gzip) of the needed files, plus an optional
 * entry named DELETIONS_ENTRY holding a JSON array of paths to delete; header UPLOAD_ID_HEADER: the manifest's id.
 */
export interface UploadResponse {
  written: number;
  deleted: number;
  bytes: number;
}

export interface SyncError {
  error: string;
}

export const DELETIONS_ENTRY = ".context-engine-deletions.json";
export const UPLOADER_PORT = 8004;
/** Repo names: what Kubernetes accepts in a Deployment name suffix. */
export const REPO_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const SYNC_LIMITS = {
  maxFileBytes: 16 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntries: 100_000,
  maxManifestBytes: 64 * 1024 * 1024,
  /** One upload request body (the compressed archive). */
  maxArchiveBytes: 1024 * 1024 * 1024,
} as const;

export type SyncLimits = { [K in keyof typeof SYNC_LIMITS]: number };

export function manifestPath(repo: string): string {
  return `/sync/${encodeURIComponent(repo)}/manifest`;
}

export function uploadPath(repo: string): string {
  return `/sync/${encodeURIComponent(repo)}/upload`;
}

/** Turns a folder name into a valid repo name ("My_Service" -> "my-service"). */
export function toRepoName(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  return s || "repo";
}
