// What each manifest answer allows the uploads that follow it: its own paths to write and to delete, under an id of
// its own, so concurrent clients of one repo never replace each other's pending lists. Sessions end when delivered,
// expire after a quiet while, and are capped per repo.
import { randomUUID } from "node:crypto";

export interface UploadSession {
  id: string;
  /** Paths the manifest asked for, not yet delivered. */
  need: Set<string>;
  /** Paths the manifest listed for deletion, not yet deleted. */
  remove: Set<string>;
  touched: number;
}

export interface UploadSessionLimits {
  /** Open sessions per repo; opening one more ends the least recently used. */
  perRepo: number;
  /** A session unused this long is gone. */
  ttlMs: number;
}

export const DEFAULT_UPLOAD_SESSION_LIMITS: UploadSessionLimits = { perRepo: 64, ttlMs: 60 * 60_000 };

export class UploadSessions {
  private readonly byRepo = new Map<string, Map<string, UploadSession>>();

  constructor(private readonly limits: UploadSessionLimits = DEFAULT_UPLOAD_SESSION_LIMITS) {}

  private sessionsOf(repo: string): Map<string, UploadSession> {
    let m = this.byRepo.get(repo);
    if (!m) this.byRepo.set(repo, (m = new Map()));
    const now = Date.now();
    for (const [id, s] of m) if (now - s.touched > this.limits.ttlMs) m.delete(id);
    return m;
  }

  /** Opens a session for a manifest's answer; returns its id. */
  open(repo: string, need: string[], remove: string[]): string {
    const sessions = this.sessionsOf(repo);
    const id = randomUUID();
    if (need.length === 0 && remove.length === 0) return id; // nothing to deliver: no upload will name it
    while (sessions.size >= this.limits.perRepo) {
      let oldest: UploadSession | undefined;
      for (const s of sessions.values()) if (!oldest || s.touched < oldest.touched) oldest = s;
      sessions.delete(oldest!.id);
    }
    sessions.set(id, { id, need: new Set(need), remove: new Set(remove), touched: Date.now() });
    return id;
  }

  get(repo: string, id: string): UploadSession | undefined {
    const s = this.sessionsOf(repo).get(id);
    if (s) s.touched = Date.now();
    return s;
  }

  /** Marks paths delivered; a session with nothing left ends. */
  delivered(repo: string, s: UploadSession, written: Iterable<string>, deleted: Iterable<string>): void {
    for (const p of written) s.need.delete(p);
    for (const p of deleted) s.remove.delete(p);
    if (s.need.size === 0 && s.remove.size === 0) this.byRepo.get(repo)?.delete(s.id);
  }
}
