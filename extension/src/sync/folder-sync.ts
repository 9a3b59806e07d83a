// One workspace folder kept in sync with its repo in the cluster: the whole folder on demand, and edited paths
// after a quiet time (batched, in order, never two syncs of a folder at once).
import path from "node:path";
import type { Logger } from "../log.ts";
import { DeltaSyncClient, type SyncEndpoint, type SyncProgress, type SyncSummary } from "./delta-client.ts";
import { IgnoreRules, isRuleFile } from "./ignore-rules.ts";
import { WorkspaceScanner, toRel } from "./scan.ts";

export interface EditsSynced {
  repo: string;
  uploaded: number;
  deleted: number;
}

export class FolderSync {
  private readonly rules: IgnoreRules;
  readonly client: DeltaSyncClient;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly repo: string,
    readonly root: string,
    exclude: string[],
    endpoint: () => SyncEndpoint,
    private readonly log: Logger,
    private readonly onEditsSynced: (r: EditsSynced) => void = () => undefined,
    private readonly debounceMs = 1500,
  ) {
    this.rules = new IgnoreRules(root, exclude);
    this.client = new DeltaSyncClient(endpoint, repo, new WorkspaceScanner(root, this.rules, log), log);
  }

  syncAll(signal?: AbortSignal, onProgress?: (p: SyncProgress) => void): Promise<SyncSummary> {
    return this.client.syncAll(signal, onProgress);
  }

  /** A file event under the folder (absolute path); synced with the others once edits pause. */
  onEdit(abs: string): void {
    const rel = toRel(this.root, abs);
    if (!rel || rel.startsWith("..") || path.isAbsolute(rel)) return;
    if (isRuleFile(rel)) this.rules.invalidate(path.posix.dirname(rel) === "." ? "" : path.posix.dirname(rel));
    this.pending.add(rel);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.debounceMs);
  }

  /** Syncs the edited paths now; resolves when they (and any earlier batch) are sent. */
  flush(): Promise<unknown> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const paths = [...this.pending];
    this.pending.clear();
    if (!paths.length) return this.syncing;
    this.syncing = this.syncing.then(async () => {
      try {
        const r = await this.client.syncPaths(paths);
        if (r.uploaded || r.deleted) this.onEditsSynced({ repo: this.repo, uploaded: r.uploaded, deleted: r.deleted });
      } catch (e) {
        this.log.warn(`sync of ${paths.length} edited path(s) of ${this.repo} failed: ${(e as Error).message}; they are sent again with the next full sync`);
      }
    });
    return this.syncing;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
