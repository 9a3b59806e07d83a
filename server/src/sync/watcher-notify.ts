// Tells a repo's watcher which paths the uploader wrote or deleted (WATCHER_URL). On shared RWX storage the
// uploader usually runs on another node than the watcher, and NFS/CephFS/EFS deliver no inotify events for
// writes made elsewhere: without this the watcher would see an upload only at its next reconcile or restart.
import type { Logger } from "../log/index.ts";

export interface NotifyOptions {
  /** "http://watcher-{repo}:8005": {repo} is replaced by the repo name. */
  urlTemplate: string;
  token?: string;
  log: Logger;
  timeoutMs?: number;
}

/** The control URL of one repo's watcher. */
export function watcherUrlFor(template: string, repo: string): string {
  return template.replace(/\{repo\}/g, encodeURIComponent(repo)).replace(/\/+$/, "");
}

/**
 * POSTs `{paths}` to the watcher's /changes. Resolves true when the watcher queued them; false (logged) when it
 * could not be told: the watcher's periodic reconcile (WATCH_RECONCILE_SECS) then picks the files up.
 */
export async function notifyWatcher(o: NotifyOptions, repo: string, paths: string[]): Promise<boolean> {
  if (!paths.length) return true;
  const url = `${watcherUrlFor(o.urlTemplate, repo)}/changes`;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      body: JSON.stringify({ paths }),
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
    if (res.ok) {
      o.log.debug("watcher notified", { repo, paths: paths.length });
      return true;
    }
    o.log.warn("the watcher refused the change notification; its reconcile will pick the files up", { repo, url, status: res.status, answer: (await res.text()).slice(0, 300) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    o.log.warn("could not notify the watcher; its reconcile will pick the files up (is watcher-<repo> deployed?)", { repo, url, error: cause });
  }
  return false;
}
